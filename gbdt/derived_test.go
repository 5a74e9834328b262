package gbdt

import (
	"bytes"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/ferryml/ferry/table"
	"github.com/google/go-cmp/cmp"
)

// oneHotData is a binary task shaped like the fraud set: mostly 0/1
// columns (the unit kernel's), a few-valued one with missing cells and
// two continuous ones.
func oneHotData(rows int, seed uint64) *table.Dataset {
	rng := rand.New(rand.NewPCG(seed, 9))
	const m = 12
	d := &table.Dataset{X: make([]float64, rows*m), Y: make([]float64, rows), NumFeature: m}
	for r := range rows {
		x := d.X[r*m : (r+1)*m]
		for j := range 9 {
			x[j] = float64(rng.IntN(2))
		}
		x[9] = float64(rng.IntN(3))
		if rng.IntN(10) == 0 {
			x[9] = math.NaN()
		}
		x[10], x[11] = rng.NormFloat64(), math.Round(rng.NormFloat64()*10)
		s := x[0] - x[1] + 0.5*x[2]*x[3] + 0.3*x[10] + rng.NormFloat64()
		if s > 0 {
			d.Y[r] = 1
		}
	}
	return d
}

// TestSharedDerived checks that trainings sharing one Quantized, run
// concurrently with a validation set (the unit layout and the eval codes
// made once, by whichever comes first), give the models and per-round
// metrics of trainings that bin themselves.
func TestSharedDerived(t *testing.T) {
	t.Parallel()
	train, valid := oneHotData(3000, 1), oneHotData(1000, 2)
	base := DefaultParams()
	base.Objective, base.NumRound, base.EvalMetric, base.NThread = BinaryLogistic, 15, []string{MetricAUC, MetricLogloss}, 1
	q, err := Quantize(train, base)
	if err != nil {
		t.Fatal(err)
	}
	variants := []func(p *Params){
		func(p *Params) {},
		func(p *Params) { p.MaxDepth, p.Eta, p.Subsample, p.ColsampleByTree = 8, 0.1, 0.6, 0.7 },
		func(p *Params) { p.MaxDepth, p.MinChildWeight, p.Lambda = 4, 20, 0.1 },
		func(p *Params) { p.MaxDepth, p.Subsample, p.EarlyStoppingRounds = 10, 0.5, 3 },
	}
	type out struct {
		model   []byte
		history map[string][]float64
	}
	run := func(p Params, opts ...Option) out {
		res, err := Train(t.Context(), train, p, append(opts, WithEval("valid", valid))...)
		if err != nil {
			t.Error(err)
			return out{}
		}
		var buf bytes.Buffer
		if err := res.Model.WriteJSON(&buf); err != nil {
			t.Error(err)
		}
		return out{buf.Bytes(), res.History}
	}
	want := make([]out, len(variants))
	for i, set := range variants {
		p := base
		set(&p)
		want[i] = run(p)
	}
	got := make([]out, len(variants))
	var wg sync.WaitGroup
	for i, set := range variants {
		p := base
		set(&p)
		wg.Go(func() { got[i] = run(p, WithQuantized(q)) })
	}
	wg.Wait()
	for i := range variants {
		if !bytes.Equal(want[i].model, got[i].model) {
			t.Errorf("variant %d: model differs with shared bins", i)
		}
		if diff := cmp.Diff(want[i].history, got[i].history); diff != "" {
			t.Errorf("variant %d: history differs (-own bins +shared):\n%s", i, diff)
		}
	}
	if haveUnitKernel() && q.b.derived.unitLayout(q.b) == nil {
		t.Error("no unit layout for 0/1 columns")
	}
}
