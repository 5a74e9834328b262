package shap

import (
	"math"
	"testing"
)

func TestSolveSPD(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a    []float64
		b    []float64
		want []float64
	}{
		{name: "PositiveDefinite", a: []float64{4, 2, 2, 3}, b: []float64{2, 5}, want: []float64{-0.5, 2}},
		// Rank one: the pseudo-inverse gives the minimum-norm solution.
		{name: "Singular", a: []float64{1, 1, 1, 1}, b: []float64{2, 2}, want: []float64{1, 1}},
		{name: "Zero", a: []float64{0, 0, 0, 0}, b: []float64{0, 0}, want: []float64{0, 0}},
		{name: "SingularThree", a: []float64{2, 0, 0, 0, 1, 1, 0, 1, 1}, b: []float64{4, 3, 3}, want: []float64{2, 1.5, 1.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := len(tc.b)
			b := append([]float64(nil), tc.b...)
			solveSPD(tc.a, b, n, make([]float64, 2*n*n+n))
			for i := range b {
				if math.Abs(b[i]-tc.want[i]) > 1e-12 {
					t.Fatalf("got %v, want %v", b, tc.want)
				}
			}
		})
	}
}

func TestKernelFewSamplesStillAddsUp(t *testing.T) {
	t.Parallel()
	// 4 coalitions for 6 features leave the least squares singular; the
	// pseudo-inverse path must still honour the efficiency constraint.
	const m = 6
	f := func(dst, x []float64) {
		for i := range len(x) / m {
			s := 0.0
			for j := range m {
				s += float64(j+1) * x[i*m+j] * x[i*m+(j+1)%m]
			}
			dst[i] = s
		}
	}
	x := []float64{1, 2, 3, 4, 5, 6}
	e, err := Kernel(t.Context(), f, x, 1, m, make([]float64, m), 1, KernelOptions{NumSamples: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	fx := []float64{0}
	f(fx, x)
	sum := 0.0
	for _, v := range e.Local {
		if math.IsNaN(v) {
			t.Fatalf("NaN SHAP value in %v", e.Local)
		}
		sum += v
	}
	if math.Abs(sum-(fx[0]-e.Expected[0])) > 1e-9 {
		t.Errorf("values sum to %v, want f(x) − E = %v", sum, fx[0]-e.Expected[0])
	}
}
