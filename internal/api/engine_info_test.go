package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
)

// A server whose steps run in its own process says so, and refuses
// workers' attempt reports with 409; a bad report is a 400.
func TestEngineRoutes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r := f.do(t, t.Context(), f.tokens[auth.Viewer], "GET", "/api/v1/engine", "")
	var info map[string]any
	if r.status != http.StatusOK || json.Unmarshal(r.body, &info) != nil || info["engine"] != "local" {
		t.Errorf("GET /api/v1/engine: %d %s, want 200 with engine local", r.status, r.body)
	}
	tests := []struct {
		name, token, body string
		want              int
	}{
		{"no worker here", f.tokens[auth.Operator], `{"attempt": 2}`, http.StatusConflict},
		{"attempt 0", f.tokens[auth.Operator], `{"attempt": 0}`, http.StatusBadRequest},
		{"unknown field", f.tokens[auth.Operator], `{"attempt": 2, "x": 1}`, http.StatusBadRequest},
		{"viewer may not", f.tokens[auth.Viewer], `{"attempt": 2}`, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := f.do(t, t.Context(), tt.token, "POST", "/api/v1/executions/"+f.exec+"/steps/write/attempts", tt.body)
			if r.status != tt.want {
				t.Errorf("status %d (%s), want %d", r.status, r.body, tt.want)
			}
		})
	}
}
