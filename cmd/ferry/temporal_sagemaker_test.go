//go:build temporal

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
)

// seedTuningData puts the training and validation CSVs of
// testdata/sagemaker-tuning/spread.json into home's s3:// namespace.
func seedTuningData(t *testing.T, ctx context.Context, home, train, valid string) {
	t.Helper()
	for _, args := range [][]string{
		{"s3", "mb", "s3://ferry-sdk-test"},
		{"s3", "cp", train, "s3://ferry-sdk-test/train/train.csv"},
		{"s3", "cp", valid, "s3://ferry-sdk-test/validation/validation.csv"},
	} {
		if r := ferry(t, ctx, home, args...); r.code != 0 {
			t.Fatalf("ferry %v (home %s): exit %d\n%s%s", args, home, r.code, r.stdout, r.stderr)
		}
	}
}

// tuningView is what must match between a local run of a Tuning step and
// one on Temporal: its outputs and properties but times.
func tuningView(r *run.StepRun) map[string]any {
	out := map[string]any{"Status": r.Status, "Outputs": r.Outputs}
	for _, p := range []string{"BestTrainingJob", "TrainingJobStatusCounters", "ObjectiveStatusCounters", "HyperParameterTuningJobName"} {
		out[p] = dropTimes(r.Properties[p])
	}
	out["TrainingJobSummaries"] = dropTimes(r.Properties["TrainingJobSummaries"])
	return out
}

func dropTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			if !strings.HasSuffix(k, "Time") {
				m[k] = dropTimes(e)
			}
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = dropTimes(e)
		}
		return out
	}
	return v
}

// TestTemporalSageMakerTuningTrialsSpread: a SageMaker definition's
// Tuning step (Bayesian, TrainingJobEarlyStoppingType Auto) on Temporal
// hands its trials to the workers as parts; the run ends as a local run
// of the same definition does: the same TrainingJobSummaries, stopping
// decisions and best model (digest). Each worker has a home of its own,
// hence an s3:// namespace of its own: the data is put in each, and each
// trial's model is published in the namespace of the worker that ran it.
func TestTemporalSageMakerTuningTrialsSpread(t *testing.T) {
	ctx := t.Context()
	const trials = 10
	def := "testdata/sagemaker-tuning/spread.json"
	dir := artifacttest.TempDir(t)
	train, valid := filepath.Join(dir, "train.csv"), filepath.Join(dir, "validation.csv")
	writeLabelFirstCSV(t, train, 600, 1)
	writeLabelFirstCSV(t, valid, 300, 2)

	local := artifacttest.TempDir(t)
	seedTuningData(t, ctx, local, train, valid)
	if res := ferry(t, ctx, local, "run", def); res.code != 0 {
		t.Fatalf("local run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	env := newTemporalEnv(t)
	seedTuningData(t, ctx, env.home, train, valid)
	workers := []string{"worker-1", "worker-2"}
	for _, w := range workers {
		env.startWorker(t, w)
		seedTuningData(t, ctx, env.homes[w], train, valid)
	}
	if res := ferry(t, ctx, env.home, append(append([]string{"run"}, env.runArgs("10s")...), def)...); res.code != 0 {
		t.Fatalf("temporal run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	lex, lsteps := latestExecution(t, ctx, inspect(t, local))
	tex, tsteps := latestExecution(t, ctx, inspect(t, env.home))
	if lex.Status != run.Succeeded || tex.Status != run.Succeeded {
		t.Fatalf("local %s, temporal %s (%s)", lex.Status, tex.Status, tex.FailureReason)
	}
	lt, tt := lsteps["Tune"], tsteps["Tune"]
	if diff := cmp.Diff(tuningView(lt), tuningView(tt)); diff != "" {
		t.Errorf("the Tuning step on Temporal differs from the local run (-local +temporal):\n%s", diff)
	}
	if sums, _ := tt.Properties["TrainingJobSummaries"].([]any); len(sums) != trials {
		t.Errorf("TrainingJobSummaries: %d, want %d", len(sums), trials)
	}
	counters, _ := tt.Properties["TrainingJobStatusCounters"].(map[string]any)
	stopped, _ := counters["Stopped"].(float64)
	completed, _ := counters["Completed"].(float64)
	if stopped == 0 || completed == 0 || stopped+completed != trials {
		t.Errorf("TrainingJobStatusCounters %v: want some trials stopped early and the rest completed, %d in all", counters, trials)
	}

	// Each trial's part names its worker in the step's log.
	b, err := os.ReadFile(engine.LogPath(env.home, tex.ID, "Tune"))
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]string{} // trial -> worker
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == "---" && strings.HasPrefix(f[2], "trial-") && f[3] == "on" && f[4] == "worker" {
			ran[f[2]] = f[5]
		}
	}
	per := map[string]int{}
	for _, w := range ran {
		per[w]++
	}
	if len(ran) != trials {
		t.Errorf("%d trials ran as parts, want %d; the step's log:\n%s", len(ran), trials, b)
	}
	if len(per) < 2 {
		t.Errorf("trials per worker %v: want them spread over both workers", per)
	}
	// Each completed trial's model is in the namespace of the worker
	// that ran it.
	models := 0
	for _, w := range workers {
		ls := ferry(t, ctx, env.homes[w], "s3", "ls", "--recursive", "s3://ferry-sdk-test/tune/")
		models += strings.Count(ls.stdout, "model.tar.gz")
	}
	if models != int(completed) {
		t.Errorf("%d models published over the workers' namespaces, want one per completed trial (%v)", models, completed)
	}
	t.Logf("trials per worker: %v; %v stopped early, %v completed", per, stopped, completed)
}
