package gbdt

import (
	"context"
	"math"
	"testing"

	"github.com/ferryml/ferry/table"
)

// count:poisson uses the user's max_delta_step when set (for the hessian
// and the leaf clip), and XGBoost's default 0.7 for both when not.
func TestPoissonMaxDeltaStep(t *testing.T) {
	n := 200
	d := &table.Dataset{NumFeature: 1, X: make([]float64, n), Y: make([]float64, n)}
	for i := range n {
		d.X[i] = float64(i % 10)
		d.Y[i] = float64(50 * (i % 10))
	}
	maxLeaf := func(m *Model) float64 {
		mx := 0.0
		for ti := range m.Trees {
			tr := &m.Trees[ti]
			for i := range tr.Value {
				if tr.IsLeaf(i) {
					mx = max(mx, math.Abs(tr.Value[i]))
				}
			}
		}
		return mx
	}
	for _, tc := range []struct {
		set  any // nil: not set
		want float64
	}{{nil, 0.7}, {0.3, 0.3}, {"2", 2}} {
		p := DefaultParams()
		p.NumRound, p.Eta, p.NThread = 3, 1, 1
		if err := p.Set("objective", CountPoisson); err != nil {
			t.Fatal(err)
		}
		if tc.set != nil {
			if err := p.Set("max_delta_step", tc.set); err != nil {
				t.Fatal(err)
			}
		}
		res, err := Train(context.Background(), d, p)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Model.MaxDeltaStep; got != tc.want {
			t.Errorf("max_delta_step %v: model records %v, want %v", tc.set, got, tc.want)
		}
		if got := maxLeaf(res.Model); got > tc.want+1e-6 {
			t.Errorf("max_delta_step %v: leaf value %v exceeds the clip %v", tc.set, got, tc.want)
		}
	}
	// The hessian uses the step in effect.
	gh := make([]gradPair, 1)
	gradients(CountPoisson, 1, []float64{0}, []float64{1}, nil, 1, 0.3, gh, 0, 1)
	if want := float32(math.Exp(0.3)); gh[0].h != want {
		t.Errorf("poisson hessian %v, want %v", gh[0].h, want)
	}
}
