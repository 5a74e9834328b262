package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/run"
)

// TestTuningExample runs examples/fraud-detection/tuning.yaml (with fewer
// trials): tune, evaluate and register the best model; then shows the
// trials, and checks that a run without the step cache reuses every trial.
func TestTuningExample(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tuning pipeline: skipped with -short")
	}
	t.Parallel()
	ctx := t.Context()
	home := artifacttest.TempDir(t)
	const example = "../../examples/fraud-detection/tuning.yaml"
	res := ferry(t, ctx, home, "run", example, "-p", "max_trials=6")
	if res.code != 0 {
		t.Fatalf("ferry run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	m := inspect(t, home)
	ex, steps := latestExecution(t, ctx, m)
	if ex.Status != run.Succeeded {
		t.Fatalf("execution %s", ex.Status)
	}
	tune := steps["tune"]
	if tune.Status != run.StepSucceeded || steps["register"].Status != run.StepSucceeded {
		t.Fatalf("tune %s, register %s", tune.Status, steps["register"].Status)
	}
	if !strings.Contains(steps["evaluate"].CacheInputs, string(tune.Outputs["model"])) {
		t.Errorf("evaluate's inputs %s do not hold tune's best model %s", steps["evaluate"].CacheInputs, tune.Outputs["model"])
	}
	best, _ := tune.Properties["BestTrainingJob"].(map[string]any)
	if best["TrainingJobName"] != tune.Properties["best_trial"] {
		t.Errorf("BestTrainingJob %v, best_trial %v", best["TrainingJobName"], tune.Properties["best_trial"])
	}

	out := ferry(t, ctx, home, "trials", ex.ID, "tune")
	if out.code != 0 {
		t.Fatalf("ferry trials exited %d: %s", out.code, out.stderr)
	}
	lines := strings.Split(strings.TrimSpace(out.stdout), "\n")
	if len(lines) != 8 || !strings.HasPrefix(lines[0], "TRIAL  STATUS") || !strings.Contains(lines[0], "BEST SO FAR") ||
		!strings.HasPrefix(lines[7], "best: "+tune.Properties["best_trial"].(string)) {
		t.Errorf("ferry trials: want a header, 6 trials and the best:\n%s", out.stdout)
	}
	// The trials are records in the database, not files; each trial that
	// trained has its log beside the step logs.
	if _, err := os.Stat(filepath.Join(home, "tuning")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("trial files under the home (%v); want records in the database", err)
	}
	js := ferry(t, ctx, home, "trials", ex.ID, "tune", "--json")
	var recs []run.Trial
	if err := json.Unmarshal([]byte(js.stdout), &recs); err != nil || len(recs) != 6 {
		t.Fatalf("ferry trials --json: %d records, %v\n%s", len(recs), err, js.stdout)
	}
	for i, r := range recs {
		if r.ExecutionID != ex.ID || r.Step != "tune" || r.Trial != i+1 || r.Name != run.TrialName("tune", i+1) || r.CacheKey == "" || r.Status == "" {
			t.Errorf("record %d: %+v", i, r)
		}
		if _, err := os.Stat(app.TrialLogPath(home, ex.ID, "tune", r.Trial)); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
	}
	if out := ferry(t, ctx, home, "trials", ex.ID, "prepare"); out.code == 0 || !strings.Contains(out.stderr, "no trials") {
		t.Errorf("trials of a step that is not a tuning step: exit %d, %s", out.code, out.stderr)
	}

	// Without the step cache, the tuning step runs again and reuses its
	// finished trials from the trial cache.
	res = ferry(t, ctx, home, "run", example, "-p", "max_trials=6", "--no-cache")
	if res.code != 0 {
		t.Fatalf("second run exited %d\n%s", res.code, res.stderr)
	}
	ex2, steps2 := latestExecution(t, ctx, m)
	if steps2["tune"].Outputs["model"] != tune.Outputs["model"] {
		t.Errorf("second run's best model %s, first %s", steps2["tune"].Outputs["model"], tune.Outputs["model"])
	}
	out = ferry(t, ctx, home, "trials", ex2.ID, "tune")
	if got := strings.Count(out.stdout, "(reused)"); got != 6 {
		t.Errorf("second run reused %d trials, want 6:\n%s", got, out.stdout)
	}

	// Through a server, the trials print as they do locally.
	url := startServer(t, home, "server", "--addr", "127.0.0.1:0", "--poll", "50ms")
	remote := ferryEnv(t, ctx, map[string]string{"FERRY_HOME": filepath.Join(t.TempDir(), "none")}, "--server", url, "trials", ex2.ID, "tune")
	local := ferry(t, ctx, home, "trials", ex2.ID, "tune")
	if remote.code != 0 || remote.stdout != local.stdout || !strings.Contains(remote.stdout, "best: tune/trial-") {
		t.Errorf("ferry --server trials: exit %d\n%s%s\nlocal:\n%s", remote.code, remote.stdout, remote.stderr, local.stdout)
	}
}
