package ui_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/run"
)

// addTrials records five trials (one reused, one stopped early, one
// failed) as if step "count" of execution exec were a tuning step, and
// writes the first trial's log.
func addTrials(t *testing.T, f *fixture, exec string) {
	t.Helper()
	t0 := time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)
	obj := func(v float64) *float64 { return &v }
	rows := []struct {
		status          string
		objective       *float64
		stopped, reused bool
		eta, depth      string
	}{
		{"Completed", obj(0.91), false, false, "0.3", "4"},
		{"Completed", obj(0.935), false, true, "0.1234567", "6"},
		{"Stopped", obj(0.88), true, false, "0.01", "2"},
		{"Failed", nil, false, false, "0.9", "1"},
		{"Completed", obj(0.93), false, false, "0.05", "5"},
	}
	for i, r := range rows {
		n := i + 1
		tr := &run.Trial{ExecutionID: exec, Step: "count", Trial: n, Name: run.TrialName("count", n), CacheKey: "key" + r.eta,
			Hyperparameters: map[string]string{"eta": r.eta, "max_depth": r.depth}, Status: r.status, Objective: r.objective,
			ObjectiveMetric: "validation_auc", Direction: "maximize", StoppedEarly: r.stopped, Reused: r.reused, Rounds: 10 * n,
			StartedAt: t0.Add(time.Duration(n) * time.Second), EndedAt: t0.Add(time.Duration(n+1) * time.Second), Seconds: 1.25}
		if err := f.trials.SaveTrial(t.Context(), tr); err != nil {
			t.Fatal(err)
		}
	}
	path := app.TrialLogPath(f.home, exec, "count", 1)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("[0]\tvalidation-auc:0.91\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTrialsView: a tuning step's page shows its trials table and the
// objective per trial with the best so far; each trained trial's log is
// a link away.
func TestTrialsView(t *testing.T) {
	t.Parallel()
	f := setup(t)
	exec := f.ok[1]
	addTrials(t, f, exec)
	w := f.do(t, auth.Viewer, "GET", "/executions/"+exec+"/steps/count", "")
	if w.Code != http.StatusOK {
		t.Fatalf("step page: %d\n%s", w.Code, w.Body)
	}
	body := w.Body.String()
	golden(t, "step-trials", body)
	for _, want := range []string{
		`<tr class="best"><th scope="row">count/trial-002</th>`, // the best completed trial
		`<polyline class="best"`,
		`<circle class="trial stopped"`,
		"Completed (reused)",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("step page lacks %q", want)
		}
	}
	// The best so far never gets worse: trial 5 (0.93) keeps trial 2's 0.935.
	if !strings.Contains(body, `<td>0.93</td><td>0.935</td>`) {
		t.Errorf("trial 5's best so far is not trial 2's objective")
	}
	// A step without trials shows none.
	if w := f.do(t, auth.Viewer, "GET", "/executions/"+exec+"/steps/write", ""); strings.Contains(w.Body.String(), `id="h-trials"`) {
		t.Error("a step without trials shows a trials section")
	}
	for _, c := range []struct {
		trial string
		code  int
		body  string
	}{
		{"1", http.StatusOK, "validation-auc:0.91"},
		{"2", http.StatusNotFound, ""}, // reused: no log of its own here
		{"9", http.StatusNotFound, ""},
		{"x", http.StatusBadRequest, ""},
	} {
		w := f.do(t, auth.Viewer, "GET", "/executions/"+exec+"/steps/count/trials/"+c.trial+"/log", "")
		if w.Code != c.code || !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("trial %s log: %d %q, want %d with %q", c.trial, w.Code, w.Body, c.code, c.body)
		}
	}
}
