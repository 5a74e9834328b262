package serving

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/prometheus/client_golang/prometheus"
)

const fraudDir = "../../gbdt/testdata/xgboost/fraud_autoclaims/"

// fraudServer serves the fraud model.json as endpoint "fraud".
func fraudServer(b *testing.B) (*Server, []string) {
	b.Helper()
	f, err := os.Open(fraudDir + "model.json")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	gm, err := gbdt.ReadModel(f)
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewServer(models{ref(1): {Predictor: gm}}.load, Options{Logger: quiet, Metrics: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Apply(b.Context(), []registry.Endpoint{endpoint("fraud", 1, registry.Variant{Name: "AllTraffic", Model: ref(1)})}, nil); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(fraudDir + "data.csv")
	if err != nil {
		b.Fatal(err)
	}
	return s, lines(string(data))[1:]
}

// BenchmarkInvocationHandler measures the handler's cost per request
// (decode, predict, encode, metrics) without the network.
func BenchmarkInvocationHandler(b *testing.B) {
	for _, n := range []int{1, 50} {
		b.Run(map[int]string{1: "records=1", 50: "records=50"}[n], func(b *testing.B) {
			s, rows := fraudServer(b)
			body := []byte(strings.Join(rows[:n], "\n") + "\n")
			h := s.Handler()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/endpoints/fraud/invocations", bytes.NewReader(body))
				req.Header.Set("Content-Type", "text/csv")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatal(w.Body.String())
				}
			}
		})
	}
}
