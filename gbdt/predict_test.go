package gbdt

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/table"
)

// TestPredictRowDoesNotAllocate is not parallel: AllocsPerRun forbids it.
func TestPredictRowDoesNotAllocate(t *testing.T) {
	for _, name := range []string{"binary_missing", "multiclass3", "multiclass3/softmax"} {
		m := readFixtureModel(t, filepath.Join("testdata", "xgboost", strings.TrimSuffix(name, "/softmax")))
		if strings.HasSuffix(name, "/softmax") {
			m.Objective = MultiSoftmax
			if err := m.Init(); err != nil {
				t.Fatal(err)
			}
		}
		x := make([]float64, m.NumFeature)
		dst := make([]float64, m.NumOutputs())
		margins := make([]float64, m.NumOutputGroups())
		if n := testing.AllocsPerRun(100, func() { m.PredictRow(dst, x) }); n != 0 {
			t.Errorf("%s: PredictRow allocates %v times per call", name, n)
		}
		if n := testing.AllocsPerRun(100, func() { m.MarginRow(margins, x) }); n != 0 {
			t.Errorf("%s: MarginRow allocates %v times per call", name, n)
		}
	}
}

// benchModel trains 100 depth-6 trees on 20,000 × 28 synthetic rows (the
// benchmark's model shape).
func benchModel(b *testing.B) (*Model, []float64) {
	b.Helper()
	const n, m = 20000, 28
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, n*m)
	y := make([]float64, n)
	for i := range n {
		s := 0.0
		for j := range m {
			v := rng.NormFloat64()
			x[i*m+j] = v
			s += v * float64(j%5-2)
		}
		if s+rng.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	p := DefaultParams()
	p.Objective = BinaryLogistic
	p.NumRound = 100
	p.MaxDepth = 6
	res, err := Train(b.Context(), &table.Dataset{X: x, Y: y, NumFeature: m}, p)
	if err != nil {
		b.Fatal(err)
	}
	return res.Model, x
}

// BenchmarkPredictRow is the single-row, in-process latency for 100
// depth-6 trees (target < 5 µs).
func BenchmarkPredictRow(b *testing.B) {
	m, x := benchModel(b)
	dst := make([]float64, 1)
	nf := m.NumFeature
	rows := len(x) / nf
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := i % rows
		m.PredictRow(dst, x[r*nf:(r+1)*nf])
	}
}

// BenchmarkPredictBatch predicts 20,000 rows per op on all cores.
func BenchmarkPredictBatch(b *testing.B) {
	m, x := benchModel(b)
	dst := make([]float64, len(x)/m.NumFeature)
	b.ResetTimer()
	for range b.N {
		m.Predict(dst, x)
	}
	b.ReportMetric(float64(len(dst)*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkContribs explains 1,000 rows per op with path-dependent
// TreeSHAP on all cores.
func BenchmarkContribs(b *testing.B) {
	m, x := benchModel(b)
	const rows = 1000
	dst := make([]float64, rows*(m.NumFeature+1))
	b.ResetTimer()
	for range b.N {
		m.Contribs(dst, x[:rows*m.NumFeature])
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
