package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/api"
)

// TestOpenAPIMatchesRoutes fails when a route and the OpenAPI document
// disagree: a route the document leaves out, an operation without a
// route, or a different action.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	documented := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			action, _ := op["x-ferry-action"].(string)
			documented[strings.ToUpper(method)+" "+path] = action
			if id, _ := op["operationId"].(string); id == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
		}
	}
	routed := map[string]string{}
	for _, rt := range api.Routes() {
		// net/http's {rest...} is OpenAPI's {rest}.
		path := strings.ReplaceAll(rt.Pattern, "...}", "}")
		routed[rt.Method+" "+path] = string(rt.Action)
	}
	if diff := cmp.Diff(routed, documented); diff != "" {
		t.Errorf("routes (-) and openapi.json (+) disagree:\n%s", diff)
	}
	// Every path parameter of a route is declared.
	for key, ops := range doc.Paths {
		for method, op := range ops {
			var declared []string
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				pm := p.(map[string]any)
				if pm["in"] == "path" {
					declared = append(declared, pm["name"].(string))
				}
			}
			for _, seg := range strings.Split(key, "/") {
				if name, ok := strings.CutPrefix(seg, "{"); ok {
					if name = strings.TrimSuffix(name, "}"); !slices.Contains(declared, name) {
						t.Errorf("%s %s: path parameter %q is not declared", method, key, name)
					}
				}
			}
		}
	}
}
