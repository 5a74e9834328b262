package tuning

import (
	"bytes"
	"context"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/tuning"
)

// partsInProcess runs each part through the kind's RunPart in an
// environment of its own, as a worker that takes the part does (without
// Temporal: TestTemporalTuningTrialsSpread in cmd/ferry runs them on two
// worker processes).
type partsInProcess struct {
	t    *testing.T
	b    *bundle
	k    *Kind
	req  step.Request
	mu   sync.Mutex
	runs []string
}

func (p *partsInProcess) RunPart(ctx context.Context, part step.Part) ([]byte, []byte, error) {
	p.mu.Lock()
	p.runs = append(p.runs, part.Name)
	p.mu.Unlock()
	env := p.b.Env(p.t)
	var log bytes.Buffer
	env.Log = &log
	out, err := p.k.RunPart(ctx, env, p.req, part.Input)
	return out, log.Bytes(), err
}

// TestTrialsAsParts: a step whose trials run as parts elsewhere makes the
// run a local one makes: the same proposals, stopping decisions, records
// and best trial (hyperband, so each part carries its peers).
func TestTrialsAsParts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	args := b.args(map[string]any{
		ArgStrategy:        "hyperband",
		ArgMaxTrials:       int64(10),
		ArgHyperparameters: map[string]any{"objective": "binary:logistic", "eval_metric": "auc", "num_round": int64(27)},
	})
	local, err := b.run(t, New(b.trials), "exec-local", args)
	if err != nil {
		t.Fatal(err)
	}
	// Another store: no trial of the local run is reused.
	b2 := setup(t)
	k := New(b2.trials)
	req := step.Request{ExecutionID: "exec-parts", StepName: "tune", Args: b2.args(args)}
	req.Args[ArgInputs] = map[string]any{"train": b2.train, "validation": b2.val}
	parts := &partsInProcess{t: t, b: b2, k: k, req: req}
	env := b2.Env(t)
	var log bytes.Buffer
	env.Log, env.Parts = &log, parts
	remote, err := k.Run(t.Context(), env, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts.runs) != 10 {
		t.Errorf("%d parts ran, want 10: %v", len(parts.runs), parts.runs)
	}
	view := func(recs []Record) []string {
		var out []string
		for _, r := range recs {
			out = append(out, r.Name+" "+r.Status+" "+tuning.Config(anyStrings(r.Hyperparameters)).String()+" "+objectiveText(&r))
		}
		return out
	}
	if diff := cmp.Diff(view(b.records(t, "exec-local")), view(b2.records(t, "exec-parts"))); diff != "" {
		t.Errorf("trials run as parts differ from the local run (-local +parts):\n%s", diff)
	}
	for _, p := range []string{PropBestObjective, PropTrialsStopped, PropTrialsCompleted} {
		if local.Properties[p] != remote.Properties[p] {
			t.Errorf("%s: local %v, as parts %v", p, local.Properties[p], remote.Properties[p])
		}
	}
	if !strings.Contains(log.String(), "tune/trial-001 ") {
		t.Errorf("the step's log lacks the parts' lines:\n%s", log.String())
	}
}

// TestTrialPartRoundTrip: a trial's configuration keeps its types (int64
// stays int64) and peers' NaN values survive the wire.
func TestTrialPartRoundTrip(t *testing.T) {
	t.Parallel()
	cfg := tuning.Config{"max_depth": int64(4), "eta": 0.1234567890123, "booster": "gbtree"}
	peers := []tuning.Trial{
		{Index: 0, Status: tuning.Completed, Value: 0.9, History: []float64{0.8, math.NaN(), 0.9}},
		{Index: 1, Status: tuning.Failed, Value: math.NaN()},
	}
	b, err := encodeTrialPart(7, cfg, peers)
	if err != nil {
		t.Fatal(err)
	}
	index, gotCfg, gotPeers, err := decodeTrialPart(b)
	if err != nil {
		t.Fatal(err)
	}
	if index != 7 || !cmp.Equal(cfg, gotCfg) || !cmp.Equal(peers, gotPeers, cmp.Comparer(func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) })) {
		t.Errorf("round trip: %d %v %v", index, gotCfg, gotPeers)
	}
	for _, bad := range []string{`{`, `{"Index":1,"Config":{"eta":{}}}`} {
		if _, _, _, err := decodeTrialPart([]byte(bad)); err == nil {
			t.Errorf("decoding %s: no error", bad)
		}
	}
}
