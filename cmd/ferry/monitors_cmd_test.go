package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/sqlite"
)

func TestMonitorsCLIErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	home := artifacttest.TempDir(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"monitors"}, 2, "Usage: ferry monitors"},
		{"unknown subcommand", []string{"monitors", "frobnicate"}, 2, `unknown subcommand "frobnicate"`},
		{"create without endpoint", []string{"monitors", "create", "m"}, 2, "--endpoint is required"},
		{"create on a missing endpoint", []string{"monitors", "create", "m", "--endpoint", "nope"}, 1, `endpoint "nope"`},
		{"bad type", []string{"monitors", "create", "m", "--endpoint", "ep", "--type", "vibes"}, 1, `monitor type "vibes"`},
		{"bad schedule", []string{"monitors", "create", "m", "--endpoint", "ep", "--schedule", "61 * * * *"}, 1, "schedule"},
		{"webhook secret without webhook", []string{"monitors", "create", "m", "--endpoint", "ep", "--webhook-secret-env", "S"}, 2, "--webhook-secret-env needs --webhook"},
		{"webhook not http", []string{"monitors", "create", "m", "--endpoint", "ep", "--webhook", "ftp://h/x"}, 2, "want an http:// or https:// URL"},
		{"webhook bad on", []string{"monitors", "create", "m", "--endpoint", "ep", "--webhook", "http://h/x", "--webhook-on", "sometimes"}, 2, `webhook on "sometimes"`},
		{"webhook bad variable", []string{"monitors", "create", "m", "--endpoint", "ep", "--webhook", "http://h/x", "--webhook-secret-env", "A B"}, 2, "want an environment variable name"},
		{"show missing", []string{"monitors", "show", "nope"}, 1, `monitor "nope"`},
		{"run missing", []string{"monitors", "run", "nope"}, 1, `monitor "nope"`},
		{"run bad time", []string{"monitors", "run", "m", "--from", "yesterday"}, 2, "--from"},
		{"delete missing", []string{"monitors", "delete", "nope"}, 1, `monitor "nope"`},
		{"ground truth missing file", []string{"monitors", "ground-truth", "m", filepath.Join(dir, "none.csv")}, 1, "reading ground truth"},
		{"baseline without data", []string{"monitors", "baseline"}, 2, "--data and --out are required"},
		{"baseline of a missing file", []string{"monitors", "baseline", "--data", filepath.Join(dir, "x.csv"), "--out", dir}, 1, "reading --data"},
		{"quality baseline without columns", []string{"monitors", "baseline", "--problem-type", "Regression", "--data", writeFile(t, filepath.Join(dir, "e.csv"), "y,p\n1,2\n"), "--out", dir}, 2, "--label and --prediction"},
	}
	for _, tc := range tests {
		res := ferry(t, ctx, home, tc.args...)
		if res.code != tc.code || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", tc.name, res.code, res.stderr, tc.code, tc.want)
		}
	}
	// A data baseline from a small CSV, then listing with no monitors.
	out := mustFerry(t, home, "monitors", "baseline", "--data", writeFile(t, filepath.Join(dir, "t.csv"), "a,b\n1,x\n2,y\n"), "--out", filepath.Join(dir, "b"))
	if !strings.Contains(out, "2 records and 2 features") {
		t.Errorf("baseline: %s", out)
	}
	if out := mustFerry(t, home, "monitors", "list", "--output", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("list: %q", out)
	}
}

// TestServerRunsMonitorSchedules checks the wiring: `ferry server` runs
// the scheduler, which claims a due window of a monitor and records the
// run (here a failed one: the endpoint does not exist).
func TestServerRunsMonitorSchedules(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	home := artifacttest.TempDir(t)
	m := inspect(t, home)
	db, err := m.DB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store := sqlite.NewMonitorStore(db)
	hooks := newHookReceiver(t)
	if err := store.CreateMonitor(ctx, monitor.Monitor{Name: "hourly", Endpoint: "gone", Type: monitor.DataQuality,
		Schedule: "@hourly", CreatedAt: time.Now().Add(-2 * time.Hour),
		Config: monitor.Config{Webhook: &monitor.Webhook{URL: hooks.URL + "/hook", On: monitor.WebhookOnAlways}}}); err != nil {
		t.Fatal(err)
	}
	startServer(t, home, "server", "--addr", "127.0.0.1:0")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		runs, err := store.Runs(ctx, "hourly", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) == 1 && runs[0].Status == monitor.RunFailed {
			if s := runs[0].Scheduled; s.Minute() != 0 || s.Second() != 0 || time.Since(s) > time.Hour+time.Minute || !strings.Contains(runs[0].Failure, "gone") {
				t.Errorf("run %+v", runs[0])
			}
			// The server called the monitor's webhook for the failed run.
			if got := hooks.received(); len(got) != 1 || got[0].Event != monitor.EventRunFailed || got[0].RunID != runs[0].ID {
				t.Errorf("webhook notifications %+v: want one for the failed run %d", got, runs[0].ID)
			}
			if d := runs[0].Webhook; d == nil || !d.Delivered {
				t.Errorf("the run's webhook delivery %+v: want delivered", d)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server ran no window: %+v", runs)
		}
	}
}
