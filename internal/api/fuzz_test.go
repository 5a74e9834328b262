package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
)

// FuzzRequestBodies sends arbitrary bodies to the routes that decode
// one: the answer is never a 5xx, and every error has the API's shape.
func FuzzRequestBodies(f *testing.F) {
	fx := setup(f)
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/executions"},
		{"POST", "/api/v1/executions/" + fx.exec + "/resume"},
		{"POST", "/api/v1/pipelines/validate"},
		{"PUT", "/api/v1/models/fraud/endpoint"},
		{"POST", "/api/v1/models/fraud/versions/1/reject"},
		{"PUT", "/api/v1/endpoints/nope"},
		{"PUT", "/api/v1/endpoints/fraud-ep/weights"},
	}
	for i, seed := range []string{`{}`, `{"source": "version: 1\nname: x\nsteps: []"}`, `{"parameters": {"a": 1e999}}`,
		`{"weights": {"AllTraffic": -1}}`, `{"model_package": "a/0"}`, `{"reason": "r"`, `[]`, `null`, "{\"endpoint\": \"\xff\"}"} {
		f.Add(uint8(i), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		rt := routes[int(which)%len(routes)]
		req := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+fx.tokens[auth.Operator])
		w := httptest.NewRecorder()
		fx.handler.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", rt.method, rt.path, body, w.Code, w.Body.Bytes())
		}
		if w.Code >= 400 && errorCode(w.Body.Bytes()) == "" {
			t.Fatalf("%s %s %q: %d without the error shape: %s", rt.method, rt.path, body, w.Code, w.Body.Bytes())
		}
		if w.Code == http.StatusAccepted || w.Code == http.StatusCreated {
			// An execution started or resumed: let it end before the next input.
			var ex struct{ ID string }
			if err := json.Unmarshal(w.Body.Bytes(), &ex); err != nil {
				t.Fatal(err)
			}
			if _, err := fx.app.Wait(t.Context(), ex.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}
