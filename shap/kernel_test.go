package shap_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ferryml/ferry/shap"
)

// nonlinear returns a model with interactions and thresholds over m
// features with k outputs; with sigmoid, its outputs are probabilities.
func nonlinear(m, k int, sigmoid bool) shap.PredictFunc {
	return func(dst, x []float64) {
		for i := range len(x) / m {
			row := x[i*m : (i+1)*m]
			for c := range k {
				v := float64(c+1) * row[0] * row[1%m]
				for j := range row {
					v += math.Sin(row[j]*float64(j+c+1)) + 0.3*float64(j)*row[j]
				}
				if row[m-1] > 0.2 {
					v += row[0] * row[m-1]
				}
				if sigmoid {
					v = 1 / (1 + math.Exp(-v))
				}
				dst[i*k+c] = v
			}
		}
	}
}

func randRows(r *rand.Rand, n, m int) []float64 {
	x := make([]float64, n*m)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	return x
}

// TestKernelExactMatchesBruteForce is the must-show: with num_samples >=
// 2^M − 2, Kernel SHAP equals the brute-force interventional Shapley
// values within 1e-9, and local values add up to f(x) − E.
func TestKernelExactMatchesBruteForce(t *testing.T) {
	t.Parallel()
	type tc struct {
		name     string
		m, nb, k int
		logit    bool
		weighted bool
		samples  int
	}
	var tests []tc
	for m := 3; m <= 6; m++ {
		for _, nb := range []int{1, 4} {
			tests = append(tests, tc{name: fmt.Sprintf("M%d/baseline%d", m, nb), m: m, nb: nb, k: 1, samples: 1<<m - 2})
		}
		tests = append(tests,
			tc{name: fmt.Sprintf("M%d/twoOutputs", m), m: m, nb: 3, k: 2, samples: 1 << m},
			tc{name: fmt.Sprintf("M%d/logit", m), m: m, nb: 2, k: 1, logit: true},
			tc{name: fmt.Sprintf("M%d/weightedBaseline", m), m: m, nb: 5, k: 1, weighted: true, samples: 100000})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(uint64(tc.m), uint64(tc.nb)))
			const n = 7
			f := nonlinear(tc.m, tc.k, tc.logit)
			x := randRows(r, n, tc.m)
			base := randRows(r, tc.nb, tc.m)
			opts := shap.KernelOptions{NumSamples: tc.samples, UseLogit: tc.logit, Outputs: tc.k, Seed: 3}
			if tc.weighted {
				opts.BaselineWeights = make([]float64, tc.nb)
				for i := range opts.BaselineWeights {
					opts.BaselineWeights[i] = float64(i + 1)
				}
			}
			e, err := shap.Kernel(t.Context(), f, x, n, tc.m, base, tc.nb, opts)
			if err != nil {
				t.Fatal(err)
			}
			fx := make([]float64, n*tc.k)
			f(fx, x)
			for i := range n {
				want, wantE, err := shap.ExactInterventional(f, x[i*tc.m:(i+1)*tc.m], tc.m, base, tc.nb, opts)
				if err != nil {
					t.Fatal(err)
				}
				for c := range tc.k {
					if d := math.Abs(e.Expected[c] - wantE[c]); d > 1e-12 {
						t.Errorf("output %d: expected value %v, brute force %v", c, e.Expected[c], wantE[c])
					}
					sum := 0.0
					for j := range tc.m {
						got := e.Local[(c*n+i)*tc.m+j]
						sum += got
						if d := math.Abs(got - want[c*tc.m+j]); d > 1e-9 {
							t.Errorf("row %d output %d feature %d: kernel %v, exact %v (diff %.3g)", i, c, j, got, want[c*tc.m+j], d)
						}
					}
					lfx := fx[i*tc.k+c]
					if tc.logit {
						lfx = math.Log(lfx / (1 - lfx))
					}
					if d := math.Abs(sum - (lfx - e.Expected[c])); d > 1e-9 {
						t.Errorf("row %d output %d: local values sum to %v, f(x) − E = %v", i, c, sum, lfx-e.Expected[c])
					}
				}
			}
		})
	}
}

// TestKernelSampledAddsUp checks efficiency when coalitions are sampled
// (M = 12, 200 coalitions), that the estimate is close to exact, and that
// results do not depend on the number of workers.
func TestKernelSampledAddsUp(t *testing.T) {
	t.Parallel()
	const n, m = 6, 12
	r := rand.New(rand.NewPCG(1, 2))
	f := nonlinear(m, 1, false)
	x := randRows(r, n, m)
	base := randRows(r, 2, m)
	var prev *shap.Explanation
	for _, workers := range []int{1, 3} {
		var calls atomic.Int64
		var sawAll atomic.Bool
		progress := func(done int) {
			calls.Add(1)
			if done == n {
				sawAll.Store(true)
			}
		}
		e, err := shap.Kernel(t.Context(), f, x, n, m, base, 2, shap.KernelOptions{NumSamples: 200, Seed: 11, Workers: workers, Progress: progress})
		if err != nil {
			t.Fatal(err)
		}
		if calls.Load() != n || !sawAll.Load() {
			t.Errorf("progress called %d times (reached %d: %v), want %d", calls.Load(), n, sawAll.Load(), n)
		}
		fx := make([]float64, n)
		f(fx, x)
		for i := range n {
			sum, errSum := 0.0, 0.0
			exact, _, err := shap.ExactInterventional(f, x[i*m:(i+1)*m], m, base, 2, shap.KernelOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for j := range m {
				sum += e.Local[i*m+j]
				errSum += math.Abs(e.Local[i*m+j] - exact[j])
			}
			if d := math.Abs(sum - (fx[i] - e.Expected[0])); d > 1e-9 {
				t.Errorf("row %d: local values sum to %v, f(x) − E = %v", i, sum, fx[i]-e.Expected[0])
			}
			if errSum/m > 0.1 {
				t.Errorf("row %d: mean absolute error against exact values %.3f, want <= 0.1", i, errSum/m)
			}
		}
		if prev != nil {
			for i := range e.Local {
				if e.Local[i] != prev.Local[i] {
					t.Fatalf("value %d differs between 1 and 3 workers: %v vs %v", i, prev.Local[i], e.Local[i])
				}
			}
		}
		prev = e
	}
}

func TestKernelSpecialCases(t *testing.T) {
	t.Parallel()
	f := nonlinear(3, 1, false)
	base := []float64{1, 2, 3}
	tests := []struct {
		name string
		x    []float64
		want func(fx, e float64) []float64
	}{
		{name: "NothingVaries", x: []float64{1, 2, 3}, want: func(fx, e float64) []float64 { return []float64{0, 0, 0} }},
		{name: "OneVaries", x: []float64{1, 5, 3}, want: func(fx, e float64) []float64 { return []float64{0, fx - e, 0} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := shap.Kernel(t.Context(), f, tc.x, 1, 3, base, 1, shap.KernelOptions{})
			if err != nil {
				t.Fatal(err)
			}
			fx := []float64{0}
			f(fx, tc.x)
			want := tc.want(fx[0], e.Expected[0])
			for j := range want {
				if math.Abs(e.Local[j]-want[j]) > 1e-12 {
					t.Errorf("feature %d: got %v, want %v", j, e.Local[j], want[j])
				}
			}
		})
	}
}

func TestKernelLinearModel(t *testing.T) {
	t.Parallel()
	// For a linear model φ_j = w_j (x_j − mean baseline_j), whatever the
	// number of coalitions sampled.
	w := []float64{1, -2, 0.5, 3, 0, 1.5, -1, 2}
	m := len(w)
	f := func(dst, x []float64) {
		for i := range len(x) / m {
			s := 0.25
			for j := range m {
				s += w[j] * x[i*m+j]
			}
			dst[i] = s
		}
	}
	r := rand.New(rand.NewPCG(5, 5))
	x := randRows(r, 3, m)
	base := randRows(r, 3, m)
	e, err := shap.Kernel(t.Context(), f, x, 3, m, base, 3, shap.KernelOptions{NumSamples: 40, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for j := range m {
			mean := (base[j] + base[m+j] + base[2*m+j]) / 3
			if want := w[j] * (x[i*m+j] - mean); math.Abs(e.Local[i*m+j]-want) > 1e-9 {
				t.Errorf("row %d feature %d: got %v, want %v", i, j, e.Local[i*m+j], want)
			}
		}
	}
}

func TestAggregate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method string
		vals   []float64
		want   float64
	}{
		{method: shap.AggMeanAbs, vals: []float64{-1, 2, -3}, want: 2},
		{method: shap.AggMedian, vals: []float64{-1, 2, -3}, want: -1},
		{method: shap.AggMedian, vals: []float64{4, -1, 2, -3}, want: 0.5},
		{method: shap.AggMeanSq, vals: []float64{-1, 2, -3}, want: 14.0 / 3},
		{method: shap.AggMeanAbs, vals: nil, want: 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%v", tc.method, tc.vals), func(t *testing.T) {
			t.Parallel()
			if got := shap.Aggregate(append([]float64(nil), tc.vals...), tc.method); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestKernelErrors(t *testing.T) {
	t.Parallel()
	f := nonlinear(2, 1, false)
	tests := []struct {
		name    string
		x, base []float64
		n, m    int
		nb      int
		opts    shap.KernelOptions
		wantErr string
	}{
		{name: "ShortData", x: []float64{1}, base: []float64{0, 0}, n: 1, m: 2, nb: 1, wantErr: "data has 1 values"},
		{name: "NoBaseline", x: []float64{1, 2}, n: 1, m: 2, nb: 0, wantErr: "baseline has 0 rows"},
		{name: "ShortBaseline", x: []float64{1, 2}, base: []float64{0}, n: 1, m: 2, nb: 1, wantErr: "baseline has 1 values"},
		{name: "AggMethod", x: []float64{1, 2}, base: []float64{0, 0}, n: 1, m: 2, nb: 1, opts: shap.KernelOptions{AggMethod: "max"}, wantErr: `agg_method "max"`},
		{name: "NumSamples", x: []float64{1, 2}, base: []float64{0, 0}, n: 1, m: 2, nb: 1, opts: shap.KernelOptions{NumSamples: -1}, wantErr: "num_samples -1"},
		{name: "Weights", x: []float64{1, 2}, base: []float64{0, 0}, n: 1, m: 2, nb: 1, opts: shap.KernelOptions{BaselineWeights: []float64{1, 2}}, wantErr: "2 baseline weights"},
		{name: "NegativeWeight", x: []float64{1, 2}, base: []float64{0, 0}, n: 1, m: 2, nb: 1, opts: shap.KernelOptions{BaselineWeights: []float64{-1}}, wantErr: "baseline weight 0 is -1"},
		{name: "NoFeatures", n: 1, m: 0, nb: 1, wantErr: "at least one feature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := shap.Kernel(t.Context(), f, tc.x, tc.n, tc.m, tc.base, tc.nb, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := shap.Kernel(ctx, f, []float64{1, 2}, 1, 2, []float64{0, 0}, 1, shap.KernelOptions{}); err == nil {
		t.Error("got no error from a cancelled context")
	}
}
