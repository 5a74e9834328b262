package app_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	commandkind "github.com/ferryml/ferry/internal/step/command"
	"github.com/ferryml/ferry/internal/step/fail"
)

type bundle struct {
	app   *app.App
	store *sqlite.ExecutionStore
	home  string
}

func setup(t *testing.T) bundle {
	t.Helper()
	home := artifacttest.TempDir(t)
	db, err := sqlite.Open(t.Context(), filepath.Join(home, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	arts, err := artifact.OpenDir(filepath.Join(home, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	kinds := step.NewRegistry()
	kinds.MustRegister(&commandkind.Kind{}, fail.Kind{})
	es := sqlite.NewExecutionStore(db)
	a, err := app.New(app.Config{Executions: es, Registry: registry.New(sqlite.NewRegistryStore(db), logger),
		Artifacts: arts, Kinds: kinds, Home: home, Logger: logger, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return bundle{a, es, home}
}

func (b bundle) run(t *testing.T, name, steps string) app.Execution {
	t.Helper()
	src := "version: 1\nname: " + name + "\nsteps:\n" + steps
	ex, err := b.app.Run(t.Context(), app.RunRequest{Name: filepath.Join(b.home, name+".yaml"), Source: []byte(src)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func TestListExecutions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []string
	for range 3 {
		ids = append(ids, b.run(t, "ok", "  - {name: a, kind: command, command: [\"true\"]}\n").ID)
	}
	failed := b.run(t, "bad", "  - {name: a, kind: fail, message: no}\n")
	if failed.Status != run.Failed {
		t.Fatalf("bad ran %s", failed.Status)
	}
	ctx := t.Context()
	// Pages of two over the "ok" pipeline: newest first, then the rest.
	var got []string
	opts := app.ListOptions{Pipeline: "ok", Limit: 2}
	for pages := 0; ; pages++ {
		page, err := b.app.ListExecutions(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range page.Executions {
			got = append(got, ex.ID)
		}
		if page.NextPageToken == "" {
			break
		}
		if pages > 3 {
			t.Fatal("the listing does not end")
		}
		opts.PageToken = page.NextPageToken
	}
	want := []string{ids[2], ids[1], ids[0]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged listing (-want +got):\n%s", diff)
	}
	page, err := b.app.ListExecutions(ctx, app.ListOptions{Status: run.Failed})
	if err != nil || len(page.Executions) != 1 || page.Executions[0].ID != failed.ID {
		t.Errorf("status=Failed: %v %+v", err, page)
	}
	for _, bad := range []app.ListOptions{{Status: "Sleeping"}, {Limit: -1}, {Limit: app.MaxPageSize + 1}, {PageToken: "x"}} {
		if _, err := b.app.ListExecutions(ctx, bad); !errors.Is(err, app.ErrInvalid) {
			t.Errorf("ListExecutions(%+v): %v, want ErrInvalid", bad, err)
		}
	}
}

// TestInterrupted: an execution marked running whose owner is gone shows
// as Interrupted everywhere, and may be resumed but not stopped.
func TestInterrupted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	done := b.run(t, "p", "  - {name: a, kind: command, command: [\"true\"]}\n")
	ex, err := b.store.Execution(ctx, done.ID)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	dead := *ex
	dead.ID = "e-dead"
	dead.Status, dead.EndedAt = run.Executing, time.Time{}
	dead.OwnerHost, dead.OwnerPID, dead.Heartbeat = host, 1<<30, time.Now()
	if err := b.store.CreateExecution(ctx, &dead); err != nil {
		t.Fatal(err)
	}
	got, err := b.app.Execution(ctx, "e-dead")
	if err != nil || got.Status != run.Interrupted {
		t.Fatalf("Execution: %v %s, want Interrupted", err, got.Status)
	}
	page, err := b.app.ListExecutions(ctx, app.ListOptions{Status: run.Interrupted})
	if err != nil || len(page.Executions) != 1 || page.Executions[0].ID != "e-dead" {
		t.Errorf("status=Interrupted: %v %+v", err, page)
	}
	if page, _ := b.app.ListExecutions(ctx, app.ListOptions{Status: run.Executing}); len(page.Executions) != 0 {
		t.Errorf("status=Executing lists %+v", page.Executions)
	}
	if _, err := b.app.Stop(ctx, "e-dead"); !errors.Is(err, app.ErrConflict) {
		t.Errorf("Stop: %v, want ErrConflict", err)
	}
	if _, err := b.app.Resume(ctx, done.ID, app.ResumeRequest{}, nil); !errors.Is(err, app.ErrConflict) {
		t.Errorf("Resume of a succeeded execution: %v, want ErrConflict", err)
	}
}

// TestWatchAndTail follows a running execution: its events end with the
// final status, and the log tail sees lines written after it started.
func TestWatchAndTail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	src := "version: 1\nname: slow\nsteps:\n  - {name: a, kind: command, command: [/bin/sh, -c, 'echo first; sleep 0.3; echo second']}\n"
	ex, err := b.app.Start(ctx, app.RunRequest{Name: filepath.Join(b.home, "slow.yaml"), Source: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	var tail strings.Builder
	tailErr := make(chan error, 1)
	go func() {
		tailErr <- b.app.TailLog(ctx, ex.ID, "a", 0, func(p []byte) error { tail.Write(p); return nil })
	}()
	var events []app.Event
	if err := b.app.Watch(ctx, ex.ID, func(ev app.Event) error { events = append(events, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := <-tailErr; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tail.String(), "first\n") || !strings.Contains(tail.String(), "second\n") {
		t.Errorf("tail: %q", tail.String())
	}
	if len(events) < 3 || events[0].Status != run.Executing || events[len(events)-1].Status != run.Succeeded {
		t.Errorf("events: %+v", events)
	}
	var stepDone bool
	for _, ev := range events {
		stepDone = stepDone || (ev.Step == "a" && ev.StepStatus == run.StepSucceeded)
	}
	if !stepDone {
		t.Errorf("no event of step a succeeding: %+v", events)
	}
}

func TestLogOfCacheHit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	steps := "  - {name: a, kind: command, command: [/bin/sh, -c, 'echo hi'], outputs: [o]}\n"
	first := b.run(t, "c", steps)
	second := b.run(t, "c", steps)
	if second.Steps[0].Status != run.StepCacheHit {
		t.Fatalf("second run: %s", second.Steps[0].Status)
	}
	l, err := b.app.Log(t.Context(), second.ID, "a")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(l)
	l.Close()
	if l.Execution != first.ID || !strings.Contains(l.Note, "a cache hit") || !strings.Contains(string(text), "hi\n") {
		t.Errorf("Log of a cache hit: execution %s, note %q, text %q; want %s's log", l.Execution, l.Note, text, first.ID)
	}
	if _, err := b.app.Log(t.Context(), second.ID, "nope"); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("Log of an unknown step: %v", err)
	}
}

func TestCleanArtifactPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"a.txt", "a.txt", true},
		{"./sub/b.txt", "sub/b.txt", true},
		{"sub//b.txt", "sub/b.txt", true},
		{"", "", false},
		{".", "", false},
		{"..", "", false},
		{"../x", "", false},
		{"sub/../../x", "", false},
		{"/etc/passwd", "", false},
		{"a\\b", "", false},
		{"a\x00b", "", false},
	}
	for _, tt := range tests {
		got, err := app.CleanArtifactPath(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("CleanArtifactPath(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, app.ErrInvalid) {
			t.Errorf("CleanArtifactPath(%q): %v is not ErrInvalid", tt.in, err)
		}
	}
}

func FuzzCleanArtifactPath(f *testing.F) {
	for _, s := range []string{"a", "../a", "a/../../b", "/x", "a\\..\\b", "./a/./b", "a/b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		clean, err := app.CleanArtifactPath(p)
		if err != nil {
			return
		}
		if !filepath.IsLocal(filepath.FromSlash(clean)) {
			t.Fatalf("CleanArtifactPath(%q) = %q: not a path inside", p, clean)
		}
		for _, seg := range strings.Split(clean, "/") {
			if seg == ".." || seg == "." || seg == "" {
				t.Fatalf("CleanArtifactPath(%q) = %q has segment %q", p, clean, seg)
			}
		}
	})
}

func TestPipelineGraph(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ex := b.run(t, "g", `  - {name: a, kind: command, command: [/bin/sh, -c, 'echo 1 > "$FERRY_OUTPUT_O/x"'], outputs: [o]}
  - {name: b, kind: command, command: [cat, "${{ steps.a.outputs.o }}/x"]}
  - {name: c, kind: command, command: ["true"], depends_on: [b]}
`)
	g, err := b.app.PipelineGraph(t.Context(), "g", ex.PipelineDigest)
	if err != nil {
		t.Fatal(err)
	}
	want := []app.GraphStep{
		{Name: "a", Kind: "command", DependsOn: []string{}},
		{Name: "b", Kind: "command", DependsOn: []string{"a"}},
		{Name: "c", Kind: "command", DependsOn: []string{"b"}},
	}
	if diff := cmp.Diff(want, g.Steps); diff != "" {
		t.Errorf("graph steps (-want +got):\n%s", diff)
	}
	if _, err := b.app.PipelineGraph(t.Context(), "other", ex.PipelineDigest); !errors.Is(err, run.ErrPipelineNotFound) {
		t.Errorf("another pipeline's digest: %v, want ErrPipelineNotFound", err)
	}
}
