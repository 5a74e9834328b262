package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/auth"
)

// TestAuthorization runs the role x route matrix against the server: a
// role whose actions include the route's action is let through (any
// answer but 401 and 403), any other gets 403; no token or a bad one gets
// 401. Requests that would change something are made so that they fail
// after the check (unknown names), so the matrix changes nothing.
func TestAuthorization(t *testing.T) {
	t.Parallel()
	f := setup(t)
	repl := strings.NewReplacer(
		"{id}", f.exec, "{step}", "write", "{ref}", f.output, "{path...}", "word.txt",
		"{name}", "nope", "{digest}", "nope", "{group}", "nope", "{version}", "1",
		"{trial}", "1", "{key}", strings.Repeat("ab", 32),
	)
	bodies := map[string]string{
		"POST /api/v1/executions":                                `{"pipeline_digest": "nope"}`,
		"POST /api/v1/pipelines/validate":                        `{"source": "version: 1"}`,
		"POST /api/v1/executions/{id}/steps/{step}/trials":       `{"trial": 0}`,
		"PUT /api/v1/models/{group}/endpoint":                    `{"endpoint": ""}`,
		"POST /api/v1/models/{group}/versions/{version}/approve": `{"reason": "r"}`,
		"POST /api/v1/models/{group}/versions/{version}/reject":  `{"reason": "r"}`,
		"PUT /api/v1/endpoints/{name}":                           `{"model_package": "nope/1"}`,
		"PUT /api/v1/endpoints/{name}/weights":                   `{"weights": {"A": 1}}`,
	}
	type target struct {
		method, pattern string
		action          auth.Action
	}
	targets := []target{
		{"POST", "/endpoints/{name}/invocations", auth.Invoke},
		{"GET", "/metrics", auth.Read},
		{"GET", "/api/models", auth.Read},
	}
	for _, rt := range api.Routes() {
		targets = append(targets, target{rt.Method, rt.Pattern, rt.Action})
	}
	for _, tg := range targets {
		path := repl.Replace(tg.pattern)
		body := bodies[tg.method+" "+tg.pattern]
		if strings.HasPrefix(path, "/endpoints/") {
			body = "1,2\n"
		}
		t.Run(tg.method+" "+tg.pattern, func(t *testing.T) {
			t.Parallel()
			for _, role := range auth.Roles() {
				r := f.do(t, t.Context(), f.tokens[role], tg.method, path, body)
				allowed := role.Can(tg.action)
				switch {
				case allowed && (r.status == http.StatusUnauthorized || r.status == http.StatusForbidden):
					t.Errorf("%s: %d %s, want allowed (%s)", role, r.status, r.body, tg.action)
				case !allowed && r.status != http.StatusForbidden:
					t.Errorf("%s: %d %s, want 403 (%s)", role, r.status, r.body, tg.action)
				case !allowed && errorCode(r.body) != "forbidden":
					t.Errorf("%s: body %s, want the error shape with code forbidden", role, r.body)
				}
			}
			for _, token := range []string{"", "ferry_notatoken", f.tokens[auth.Admin] + "x"} {
				r := f.do(t, t.Context(), token, tg.method, path, body)
				if r.status != http.StatusUnauthorized || errorCode(r.body) != "unauthenticated" {
					t.Errorf("token %q: %d %s, want 401 unauthenticated", token, r.status, r.body)
				}
				if token == "" && r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			}
		})
	}
	t.Run("PingIsOpen", func(t *testing.T) {
		t.Parallel()
		if r := f.do(t, t.Context(), "", "GET", "/ping", ""); r.status != http.StatusOK {
			t.Errorf("GET /ping without a token: %d", r.status)
		}
	})
}
