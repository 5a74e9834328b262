package forest_test

import (
	"testing"

	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/table"
)

// BenchmarkAbalone trains the abalone-clarify forest (100 trees, depth 10,
// sqrt features) on the reference split and reports the test RMSE beside
// scikit-learn's (bench/forest/run.sh runs both in one go).
func BenchmarkAbalone(b *testing.B) {
	x, y := abalone(b)
	ref := readAbaloneRef(b)
	var rmse float64
	cpu0 := cpuSeconds()
	for b.Loop() {
		rmse = abaloneRMSE(b, x, y, ref, 42)
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(rmse, "rmse")
	b.ReportMetric(ref.Sklearn["42"].RMSE, "sklearn-rmse")
}

// abaloneModel returns the abalone forest trained on the reference
// training rows with seed 42, as bench/forest/abalone.py times it, and
// all 4,177 rows.
func abaloneModel(b *testing.B) (*forest.Model, []float64) {
	b.Helper()
	x, y := abalone(b)
	ref := readAbaloneRef(b)
	md, err := forest.Train(b.Context(), &table.Dataset{X: take(x, 10, ref.Train), Y: take(y, 1, ref.Train), NumFeature: 10}, forest.Params{NEstimators: 100, MaxDepth: 10, MaxFeatures: "sqrt", Seed: 42})
	if err != nil {
		b.Fatal(err)
	}
	return md, x
}

// BenchmarkPredict measures batch prediction of all abalone rows.
func BenchmarkPredict(b *testing.B) {
	md, x := abaloneModel(b)
	n := len(x) / 10
	dst := make([]float64, n)
	for b.Loop() {
		md.Predict(dst, x)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkPredictOne measures single-row latency (no allocation).
func BenchmarkPredictOne(b *testing.B) {
	md, x := abaloneModel(b)
	dst := make([]float64, 1)
	b.ReportAllocs()
	for b.Loop() {
		md.Predict(dst, x[:10])
	}
}

// BenchmarkContribs measures path-dependent TreeSHAP of the abalone forest.
func BenchmarkContribs(b *testing.B) {
	md, x := abaloneModel(b)
	const rows = 100
	dst := make([]float64, rows*11)
	for b.Loop() {
		md.Contribs(dst, x[:rows*10])
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
