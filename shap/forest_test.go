package shap_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/shap"
	"github.com/ferryml/ferry/table"
	"github.com/ferryml/ferry/tree"
)

// TestKernelMatchesInterventionalTreeSHAP explains a random forest with
// every coalition and compares with interventional TreeSHAP over the same
// background: two independent algorithms for the same Shapley values.
func TestKernelMatchesInterventionalTreeSHAP(t *testing.T) {
	t.Parallel()
	const n, m, nb = 5, 5, 6
	r := rand.New(rand.NewPCG(9, 9))
	xs := randRows(r, 400, m)
	y := make([]float64, 400)
	for i := range y {
		y[i] = xs[i*m]*xs[i*m+1] + math.Abs(xs[i*m+2]) + 0.1*r.NormFloat64()
	}
	md, err := forest.Train(t.Context(), &table.Dataset{X: xs, Y: y, NumFeature: m}, forest.Params{NEstimators: 10, MaxDepth: 5, MaxFeatures: "0.6", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	x := randRows(r, n, m)
	base := randRows(r, nb, m)
	e, err := shap.Kernel(t.Context(), md.Predict, x, n, m, base, nb, shap.KernelOptions{NumSamples: 1 << m})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		want := make([]float64, m+1)
		tree.ShapInterventional(md.Trees, x[i*m:(i+1)*m], base, want, 1/float64(len(md.Trees)))
		for j := range m {
			if d := math.Abs(e.Local[i*m+j] - want[j]); d > 1e-9 {
				t.Errorf("row %d feature %d: kernel %v, interventional TreeSHAP %v", i, j, e.Local[i*m+j], want[j])
			}
		}
		if d := math.Abs(e.Expected[0] - want[m]); d > 1e-9 {
			t.Errorf("row %d: expected value %v, TreeSHAP bias %v", i, e.Expected[0], want[m])
		}
	}
}
