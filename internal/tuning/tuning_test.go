package tuning

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustSpace(t testing.TB, ranges ...Range) *Space {
	t.Helper()
	s, errs := NewSpace(ranges)
	if len(errs) > 0 {
		t.Fatalf("NewSpace: %v", errors.Join(errs...))
	}
	return s
}

func TestNewSpaceErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		r     Range
		field string
		want  string
	}{
		{"MinAboveMax", Range{Name: "eta", Type: Continuous, Min: 1, Max: 0.1}, "eta.min", "greater than max"},
		{"LogMinZero", Range{Name: "eta", Type: Continuous, Min: 0, Max: 1, Scaling: Logarithmic}, "eta.scaling", "needs min > 0"},
		{"LogMinNegative", Range{Name: "alpha", Type: Integer, Min: -1, Max: 4, Scaling: Logarithmic}, "alpha.scaling", "needs min > 0"},
		{"ReverseLogAboveOne", Range{Name: "subsample", Type: Continuous, Min: 0.5, Max: 1, Scaling: ReverseLogarithmic}, "subsample.scaling", "max < 1"},
		{"IntegerFractionalBound", Range{Name: "max_depth", Type: Integer, Min: 1.5, Max: 4}, "max_depth.min", "integer bounds"},
		{"UnknownType", Range{Name: "x", Type: "real", Min: 0, Max: 1}, "x.type", "unknown type"},
		{"UnknownScaling", Range{Name: "x", Type: Continuous, Min: 0, Max: 1, Scaling: "exp"}, "x.scaling", "unknown scaling"},
		{"EmptyCategorical", Range{Name: "booster", Type: Categorical}, "booster.values", "at least one"},
		{"NaNBound", Range{Name: "x", Type: Continuous, Min: math.NaN(), Max: 1}, "x.min", "finite"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, errs := NewSpace([]Range{tc.r})
			if len(errs) != 1 {
				t.Fatalf("got %d errors %v, want 1", len(errs), errs)
			}
			var re *RangeError
			if !errors.As(errs[0], &re) {
				t.Fatalf("got %T, want *RangeError", errs[0])
			}
			if got := re.Name + "." + re.Field; got != tc.field {
				t.Errorf("located at %q, want %q", got, tc.field)
			}
			if !strings.Contains(re.Msg, tc.want) {
				t.Errorf("message %q does not say %q", re.Msg, tc.want)
			}
		})
	}
}

func TestGridCoversExactlyItsPoints(t *testing.T) {
	t.Parallel()
	s := mustSpace(t,
		Range{Name: "booster", Type: Categorical, Values: []string{"gbtree", "dart"}},
		Range{Name: "max_depth", Type: Integer, Min: 2, Max: 4},
		Range{Name: "eta", Type: Continuous, Min: 0.01, Max: 1, Scaling: Logarithmic},
	)
	smp, err := NewSampler(s, Options{Strategy: Grid, GridPoints: 3})
	if err != nil {
		t.Fatal(err)
	}
	got := smp.Propose(0, 100, nil)
	if len(got) != 18 || GridSize(s, 3) != 18 {
		t.Fatalf("got %d points (GridSize %d), want 2*3*3 = 18", len(got), GridSize(s, 3))
	}
	seen := map[string]bool{}
	for _, c := range got {
		seen[c.String()] = true
	}
	var want []string
	for _, b := range []string{"gbtree", "dart"} {
		for _, d := range []string{"2", "3", "4"} {
			for _, e := range []string{"0.01", "0.1", "1"} {
				want = append(want, "booster="+b+" eta="+e+" max_depth="+d)
			}
		}
	}
	var keys []string
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	slices.Sort(want)
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("grid points (-want +got):\n%s", diff)
	}
	// Proposals past the grid are empty; a later batch continues it.
	if rest := smp.Propose(10, 100, nil); len(rest) != 8 {
		t.Errorf("from point 10: got %d, want 8", len(rest))
	}
}

func TestRandomRespectsRangesAndScaling(t *testing.T) {
	t.Parallel()
	s := mustSpace(t,
		Range{Name: "lin", Type: Continuous, Min: 0, Max: 100},
		Range{Name: "log", Type: Continuous, Min: 1e-4, Max: 1, Scaling: Logarithmic},
		Range{Name: "rlog", Type: Continuous, Min: 0.9, Max: 0.9999, Scaling: ReverseLogarithmic},
		Range{Name: "int", Type: Integer, Min: 1, Max: 1000, Scaling: Logarithmic},
		Range{Name: "small", Type: Integer, Min: 2, Max: 4},
		Range{Name: "cat", Type: Categorical, Values: []string{"a", "b", "c"}},
	)
	smp, _ := NewSampler(s, Options{Strategy: Random, Seed: 7})
	const n = 4000
	cs := smp.Propose(0, n, nil)
	var linLow, logLow, rlogHigh, intLow int
	counts := map[any]int{}
	for _, c := range cs {
		lin, lg, rl := c["lin"].(float64), c["log"].(float64), c["rlog"].(float64)
		in, sm := c["int"].(int64), c["small"].(int64)
		if lin < 0 || lin > 100 || lg < 1e-4 || lg > 1 || rl < 0.9 || rl > 0.9999 || in < 1 || in > 1000 || sm < 2 || sm > 4 {
			t.Fatalf("value out of range: %v", c)
		}
		if lin < 50 {
			linLow++
		}
		if lg < 1e-2 { // geometric midpoint
			logLow++
		}
		if rl > 1-math.Sqrt(1e-4*0.1) { // 1 - geometric midpoint of 1-x
			rlogHigh++
		}
		if in <= 31 { // about sqrt(1000)
			intLow++
		}
		counts[sm]++
		counts[c["cat"]]++
	}
	const tol = 0.05 // about 6 standard deviations at n = 4000
	for name, got := range map[string]int{"linear": linLow, "logarithmic": logLow, "reverse_logarithmic": rlogHigh, "integer logarithmic": intLow} {
		if f := float64(got) / n; math.Abs(f-0.5) > tol {
			t.Errorf("%s: %.3f of draws in the lower half of the scaled range, want 0.5±%g", name, f, tol)
		}
	}
	for _, v := range []any{int64(2), int64(3), int64(4), "a", "b", "c"} {
		if f := float64(counts[v]) / n; math.Abs(f-1.0/3) > tol {
			t.Errorf("value %v drawn %.3f of the time, want 1/3±%g", v, f, tol)
		}
	}
}

func TestSeedReproducible(t *testing.T) {
	t.Parallel()
	s := mustSpace(t, Range{Name: "x", Type: Continuous, Min: 0, Max: 1})
	for _, strat := range []string{Random, Bayesian, Hyperband} {
		a, _ := NewSampler(s, Options{Strategy: strat, Seed: 3})
		b, _ := NewSampler(s, Options{Strategy: strat, Seed: 3})
		c, _ := NewSampler(s, Options{Strategy: strat, Seed: 4})
		if diff := cmp.Diff(a.Propose(5, 3, nil), b.Propose(5, 3, nil)); diff != "" {
			t.Errorf("%s: same seed differs:\n%s", strat, diff)
		}
		if cmp.Equal(a.Propose(5, 3, nil), c.Propose(5, 3, nil)) {
			t.Errorf("%s: seeds 3 and 4 propose the same", strat)
		}
	}
}

// branin is a standard test function on x1 in [-5, 10], x2 in [0, 15],
// with minimum 0.397887.
func branin(c Config) float64 {
	x1, x2 := c["x1"].(float64), c["x2"].(float64)
	a, b, cc, r, s, tt := 1.0, 5.1/(4*math.Pi*math.Pi), 5/math.Pi, 6.0, 10.0, 1/(8*math.Pi)
	return a*math.Pow(x2-b*x1*x1+cc*x1-r, 2) + s*(1-tt)*math.Cos(x1) + s
}

// minimise runs a sequential search and returns the best value found.
func minimise(smp Sampler, f func(Config) float64, budget int) float64 {
	var done []Trial
	best := math.Inf(1)
	for i := range budget {
		c := smp.Propose(i, 1, done)[0]
		v := f(c)
		done = append(done, Trial{Index: i, Config: c, Status: Completed, Value: v})
		best = min(best, v)
	}
	return best
}

func TestBayesianBeatsRandom(t *testing.T) {
	t.Parallel()
	s := mustSpace(t,
		Range{Name: "x1", Type: Continuous, Min: -5, Max: 10},
		Range{Name: "x2", Type: Continuous, Min: 0, Max: 15},
	)
	const seeds, budget = 20, 40
	var sumTPE, sumRandom float64
	for seed := range uint64(seeds) {
		tp, _ := NewSampler(s, Options{Strategy: Bayesian, Direction: Minimize, Seed: seed, Budget: budget})
		rn, _ := NewSampler(s, Options{Strategy: Random, Direction: Minimize, Seed: seed})
		sumTPE += minimise(tp, branin, budget) - 0.397887
		sumRandom += minimise(rn, branin, budget) - 0.397887
	}
	regretTPE, regretRandom := sumTPE/seeds, sumRandom/seeds
	t.Logf("mean regret after %d trials over %d seeds: bayesian %.4f, random %.4f", budget, seeds, regretTPE, regretRandom)
	// The margin: bayesian's mean regret is at most half of random's.
	const margin = 0.5
	if regretTPE > margin*regretRandom {
		t.Errorf("bayesian mean regret %.4f is not below %.1f × random's %.4f", regretTPE, margin, regretRandom)
	}
}

func TestHyperbandStopsPoorTrialsEarly(t *testing.T) {
	t.Parallel()
	// Learning curves: trial quality q in [0, 1]; value after r rounds is
	// q * (1 - 0.5^r), maximised. Poor trials are poor at every rung.
	curve := func(q float64, rounds int) []float64 {
		h := make([]float64, rounds)
		for r := range h {
			h[r] = q * (1 - math.Pow(0.5, float64(r+1)))
		}
		return h
	}
	st := &Stopper{Direction: Maximize, MinRounds: 1, MaxRounds: 27, Eta: 3}
	if diff := cmp.Diff([]int{1, 3, 9}, st.Rungs()); diff != "" {
		t.Fatalf("rungs (-want +got):\n%s", diff)
	}
	smp, _ := NewSampler(mustSpace(t, Range{Name: "q", Type: Continuous, Min: 0, Max: 1}), Options{Strategy: Hyperband, Seed: 1})
	var done []Trial
	rounds, stopped := 0, 0
	for i := range 30 {
		q := smp.Propose(i, 1, done)[0]["q"].(float64)
		h := curve(q, 27)
		status := Completed
		if r := st.StopRound(i, h, done); r > 0 {
			h, status = h[:r], Stopped
			stopped++
		}
		rounds += len(h)
		done = append(done, Trial{Index: i, Config: Config{"q": q}, Status: status, Value: h[len(h)-1], History: h})
	}
	// Brackets 0-2 of 4 stop poor trials: most of their 23 trials.
	if stopped < 10 {
		t.Errorf("stopped %d of 30 trials early, want at least 10", stopped)
	}
	if rounds > 30*27*2/3 {
		t.Errorf("ran %d rounds, want at most two thirds of %d", rounds, 30*27)
	}
	for _, tr := range done {
		if tr.Index%4 == 3 && tr.Status == Stopped {
			t.Errorf("trial %d of the last bracket was stopped", tr.Index)
		}
	}
	best, _ := Best(done, Maximize)
	allBest := 0.0
	for _, tr := range done {
		allBest = max(allBest, tr.Config["q"].(float64))
	}
	// The best trial is never stopped: it completes with the best quality.
	if best.Status != Completed || best.Config["q"].(float64) != allBest {
		t.Errorf("best trial %+v; want the completed trial with q = %g", best, allBest)
	}
	t.Logf("stopped %d/30, rounds %d of %d", stopped, rounds, 30*27)
}

func TestRankBestFirst(t *testing.T) {
	t.Parallel()
	trials := []Trial{
		{Index: 0, Status: Failed, Value: math.NaN()},
		{Index: 1, Status: Stopped, Value: 0.99},
		{Index: 2, Status: Completed, Value: 0.8},
		{Index: 3, Status: Completed, Value: 0.9},
	}
	var got []int
	for _, tr := range Rank(trials, Maximize) {
		got = append(got, tr.Index)
	}
	if diff := cmp.Diff([]int{3, 2, 1, 0}, got); diff != "" {
		t.Errorf("rank (-want +got):\n%s", diff)
	}
	if b, ok := Best(trials[:2], Maximize); !ok || b.Index != 1 {
		t.Errorf("best of failed and stopped: %+v %v, want the stopped trial", b, ok)
	}
}

func TestWarmStartTrialsInformTPE(t *testing.T) {
	t.Parallel()
	s := mustSpace(t, Range{Name: "x1", Type: Continuous, Min: -5, Max: 10}, Range{Name: "x2", Type: Continuous, Min: 0, Max: 15})
	// 20 earlier trials make the sampler model-based from the first trial.
	rn, _ := NewSampler(s, Options{Strategy: Random, Seed: 99})
	var warm []Trial
	for i, c := range rn.Propose(0, 20, nil) {
		warm = append(warm, Trial{Index: -1 - i, Config: c, Status: Completed, Value: branin(c)})
	}
	tp, _ := NewSampler(s, Options{Strategy: Bayesian, Direction: Minimize, Seed: 1, Budget: 10})
	cold := tp.Propose(0, 1, nil)[0]
	hot := tp.Propose(0, 1, warm)[0]
	if cmp.Equal(cold, hot) {
		t.Errorf("warm-start trials did not change the first proposal")
	}
}
