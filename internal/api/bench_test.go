package api_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/auth"
)

// BenchmarkInvocation measures one CSV invocation (one record) through
// the handler `ferry server` serves, without the network, side by side:
// Serving is the runtime handler alone (what ferry server served before
// the API), API mounts it in the API server without tokens (loopback),
// APIToken with a bearer token checked per request.
func BenchmarkInvocation(b *testing.B) {
	f := setup(b)
	data, err := os.ReadFile("testdata/rows.csv")
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(strings.SplitN(string(data), "\n", 2)[0] + "\n")
	cases := []struct {
		name  string
		h     http.Handler
		token string
	}{
		{"Serving", f.serving.Handler(), ""},
		{"API", api.New(api.Config{App: f.app, Serving: f.serving}), ""},
		{"APIToken", f.handler, f.tokens[auth.Invoker]},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/endpoints/"+endpoint+"/invocations", bytes.NewReader(body))
				req.Header.Set("Content-Type", "text/csv")
				if c.token != "" {
					req.Header.Set("Authorization", "Bearer "+c.token)
				}
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Body.String())
				}
			}
		})
	}
}
