package tuningjob_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sagemaker/tuningjob"
	"github.com/ferryml/ferry/internal/step"
	steptuning "github.com/ferryml/ferry/internal/step/tuning"
)

// partsInProcess runs each part through the kind's RunPart in an
// environment of its own, as a worker that takes the part does (without
// Temporal: TestTemporalSageMakerTuningTrialsSpread in cmd/ferry runs
// them on two worker processes). With dropPeers, it strips the finished
// peers from each part's input: the mutation the test must catch.
type partsInProcess struct {
	t         *testing.T
	f         *fixture
	req       step.Request
	dropPeers bool
	mu        sync.Mutex
	runs      []string
}

func (p *partsInProcess) RunPart(ctx context.Context, part step.Part) ([]byte, []byte, error) {
	p.mu.Lock()
	p.runs = append(p.runs, part.Name)
	p.mu.Unlock()
	in := part.Input
	if p.dropPeers {
		var m map[string]any
		if err := json.Unmarshal(in, &m); err != nil {
			return nil, nil, err
		}
		delete(m, "Peers")
		in, _ = json.Marshal(m)
	}
	env := p.f.Env(p.t)
	var log bytes.Buffer
	fmt.Fprintf(&log, "--- %s on worker in-process\n", part.Name)
	env.Log = &log
	out, err := p.f.kind.RunPart(ctx, env, p.req, in)
	return out, log.Bytes(), err
}

// trialView is what must match between a local run and one whose trials
// run as parts: everything of a record but times.
func trialView(recs []run.Trial) []string {
	var out []string
	for _, r := range recs {
		obj := "-"
		if r.Objective != nil {
			obj = fmt.Sprintf("%.9g", *r.Objective)
		}
		out = append(out, fmt.Sprintf("%s %s %v obj %s rounds %d history %v stopped %v model %s key %s",
			r.Name, r.Status, r.Hyperparameters, obj, r.Rounds, r.History, r.StoppedEarly, r.Model, r.CacheKey))
	}
	return out
}

// summariesView drops the times of TrainingJobSummaries.
func summariesView(props map[string]any) []any {
	sums, _ := props["TrainingJobSummaries"].([]any)
	var out []any
	for _, s := range sums {
		m := map[string]any{}
		for k, v := range s.(map[string]any) {
			if !strings.HasSuffix(k, "Time") {
				m[k] = v
			}
		}
		out = append(out, m)
	}
	return out
}

// TestTrialsAsParts: a Tuning step whose trials run as parts elsewhere
// makes the run a local one makes: the same proposals, stopping
// decisions (TrainingJobEarlyStoppingType Auto, so each part carries its
// finished peers), records, TrainingJobSummaries and best model. Parts
// stripped of their peers stop no trial, and the test sees it.
func TestTrialsAsParts(t *testing.T) {
	t.Parallel()
	const rounds, trials = 27, 10
	f := setup(t)
	args := request(f.train, f.valid, func(cfg map[string]any) {
		cfg["Strategy"] = "Random"
		cfg["RandomSeed"] = int64(5)
		cfg["TrainingJobEarlyStoppingType"] = "Auto"
		cfg["ResourceLimits"] = map[string]any{"MaxNumberOfTrainingJobs": int64(trials), "MaxParallelTrainingJobs": int64(3)}
	})
	args["TrainingJobDefinition"].(map[string]any)["StaticHyperParameters"] = map[string]any{
		"objective": "binary:logistic", "eval_metric": "auc", "num_round": fmt.Sprint(rounds)}
	req := step.Request{ExecutionID: "e1", StepName: "Tune", Args: args}
	local, err := f.Run(t, f.kind, req)
	if err != nil {
		t.Fatal(err)
	}
	localRecs, err := f.trials.Trials(t.Context(), "e1", "Tune")
	if err != nil {
		t.Fatal(err)
	}
	if stopped, _ := stopTally(t, f, "e1", rounds); stopped == 0 {
		t.Fatalf("the local run stopped no trial early: peers would not matter")
	}

	// runParts runs the step again with its trials as parts, on the same
	// artifacts but a fresh trial store: no trial is reused.
	runParts := func(t *testing.T, dropPeers bool) (step.Result, []run.Trial, *partsInProcess, string) {
		g := *f
		g.trials = steptuning.DirStore{Root: filepath.Join(artifacttest.TempDir(t), "tuning")}
		g.kind = &tuningjob.Kind{R: f.kind.R, Trials: g.trials}
		parts := &partsInProcess{t: t, f: &g, req: req, dropPeers: dropPeers}
		env := g.Env(t)
		var log bytes.Buffer
		env.Log, env.Parts = &log, parts
		res, err := g.kind.Run(t.Context(), env, req)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := g.trials.Trials(t.Context(), "e1", "Tune")
		if err != nil {
			t.Fatal(err)
		}
		return res, recs, parts, log.String()
	}

	res, recs, parts, log := runParts(t, false)
	if len(parts.runs) != trials {
		t.Errorf("%d parts ran, want %d: %v", len(parts.runs), trials, parts.runs)
	}
	if diff := cmp.Diff(trialView(localRecs), trialView(recs)); diff != "" {
		t.Errorf("trials run as parts differ from the local run (-local +parts):\n%s", diff)
	}
	if diff := cmp.Diff(summariesView(local.Properties), summariesView(res.Properties)); diff != "" {
		t.Errorf("TrainingJobSummaries (-local +parts):\n%s", diff)
	}
	lb, pb := local.Properties["BestTrainingJob"].(map[string]any), res.Properties["BestTrainingJob"].(map[string]any)
	if lb["TrainingJobName"] != pb["TrainingJobName"] || local.Outputs[tuningjob.OutputModel] != res.Outputs[tuningjob.OutputModel] {
		t.Errorf("best: local %v %s, as parts %v %s", lb["TrainingJobName"], local.Outputs[tuningjob.OutputModel], pb["TrainingJobName"], res.Outputs[tuningjob.OutputModel])
	}
	if !cmp.Equal(local.Properties["TrainingJobStatusCounters"], res.Properties["TrainingJobStatusCounters"]) {
		t.Errorf("TrainingJobStatusCounters: local %v, as parts %v", local.Properties["TrainingJobStatusCounters"], res.Properties["TrainingJobStatusCounters"])
	}
	for _, want := range []string{"--- trial-001 on worker in-process", "Tune/trial-001 (ferry-e1-Tune-001) "} {
		if !strings.Contains(log, want) {
			t.Errorf("the step's log lacks %q:\n%s", want, log)
		}
	}

	// The mutation: parts without their peers decide alone, and differ.
	_, blind, _, _ := runParts(t, true)
	if cmp.Equal(trialView(localRecs), trialView(blind)) {
		t.Errorf("parts stripped of their peers made the local run's trials: the test cannot tell peers matter")
	}
}

// TestRunPartBadInput: a part's input that does not decode is a located,
// permanent error, not a panic.
func TestRunPartBadInput(t *testing.T) {
	t.Parallel()
	f := setup(t)
	req := step.Request{ExecutionID: "e1", StepName: "Tune", Args: request(f.train, f.valid, nil)}
	for _, in := range []string{``, `{`, `{"Index":-1,"Config":{}}`, `{"Index":0,"Config":{"eta":{}}}`} {
		_, err := f.kind.RunPart(t.Context(), f.Env(t), req, []byte(in))
		if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), "decoding a trial") {
			t.Errorf("input %q: got %v, want a permanent decoding error", in, err)
		}
	}
}
