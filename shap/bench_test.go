package shap_test

import (
	"math/rand/v2"
	"testing"

	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/shap"
	"github.com/ferryml/ferry/table"
)

// BenchmarkKernel48 explains rows of a 48-feature model (a random forest
// of 100 trees of depth 6) with Clarify's defaults, 2M + 2048 = 2,144
// coalitions per row: 1,000 rows against a one-row baseline, and 100 rows
// against a 10-row k-means baseline (ten times the model calls per row).
func BenchmarkKernel48(b *testing.B) {
	const m = 48
	r := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 5000*m)
	y := make([]float64, 5000)
	for i := range y {
		for j := range m {
			x[i*m+j] = r.NormFloat64()
		}
		y[i] = x[i*m] + 2*x[i*m+1]*x[i*m+2] + x[i*m+47] + 0.1*r.NormFloat64()
	}
	md, err := forest.Train(b.Context(), &table.Dataset{X: x, Y: y, NumFeature: m}, forest.Params{NEstimators: 100, MaxDepth: 6, MaxFeatures: "sqrt", Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		k, n int
	}{{name: "baseline1", k: 1, n: 1000}, {name: "kmeans10", k: 10, n: 100}} {
		n := bc.n
		b.Run(bc.name, func(b *testing.B) {
			base, weights, err := shap.KMeans(b.Context(), x, 5000, m, bc.k, 1)
			if err != nil {
				b.Fatal(err)
			}
			cpu0 := cpuSeconds()
			for b.Loop() {
				if _, err := shap.Kernel(b.Context(), md.Predict, x[:n*m], n, m, base, len(weights),
					shap.KernelOptions{BaselineWeights: weights, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N*n)*1e3, "cpu-ms/row")
		})
	}
}
