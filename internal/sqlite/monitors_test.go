package sqlite_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/google/go-cmp/cmp"
)

// fakeClock is a settable clock; After fires when the test says so.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	after chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *fakeClock) After(time.Duration) <-chan time.Time { return c.after }

// executions counts executed windows by monitor and window end.
type executions struct {
	mu  sync.Mutex
	got map[string]int
	log []monitor.Window
}

func (e *executions) execute(store monitor.Store) monitor.ExecuteFunc {
	return func(ctx context.Context, m monitor.Monitor, r monitor.Run) (monitor.Run, error) {
		e.mu.Lock()
		e.got[m.Name+"@"+r.Scheduled.Format(time.RFC3339)]++
		e.log = append(e.log, r.Window)
		e.mu.Unlock()
		r.Status, r.EndedAt = monitor.RunCompleted, r.StartedAt
		return r, store.FinishRun(ctx, r, m.Endpoint)
	}
}

func openDB(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestSchedulerRestartsMissedWindowAndTwoServers drives the scheduler
// with a fake clock: a window runs once when it has passed, not again
// after a restart, a downtime over several windows runs the latest one
// once (covering the whole gap), and two schedulers on one database never
// run the same window twice.
func TestSchedulerRestartsMissedWindowAndTwoServers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(artifacttest.TempDir(t), "ferry.db")
	db := openDB(t, path)
	store := sqlite.NewMonitorStore(db)
	if err := store.CreateMonitor(ctx, monitor.Monitor{Name: "dq", Endpoint: "ep", Type: monitor.DataQuality,
		Schedule: "0 * * * *", CreatedAt: at("2026-01-01T10:07:00Z")}); err != nil {
		t.Fatal(err)
	}
	ex := &executions{got: map[string]int{}}
	clock := &fakeClock{now: at("2026-01-01T10:30:00Z")}
	newScheduler := func(st monitor.Store, owner string) *monitor.Scheduler {
		return &monitor.Scheduler{Store: st, Execute: ex.execute(st), Clock: clock, Owner: owner, Logger: slog.New(slog.DiscardHandler)}
	}
	s1 := newScheduler(store, "a")
	tick := func(s *monitor.Scheduler, now string) int {
		t.Helper()
		clock.Set(at(now))
		runs, err := s.Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(runs)
	}
	if n := tick(s1, "2026-01-01T10:30:00Z"); n != 0 {
		t.Fatalf("ran %d before the first window ended", n)
	}
	if n := tick(s1, "2026-01-01T11:00:05Z"); n != 1 {
		t.Fatalf("ran %d at the first window's end, want 1", n)
	}
	if n := tick(s1, "2026-01-01T11:10:00Z"); n != 0 {
		t.Fatalf("ran %d again in the same hour", n)
	}
	// A restart: a new process, a new database handle, the same file.
	s2 := newScheduler(sqlite.NewMonitorStore(openDB(t, path)), "b")
	if n := tick(s2, "2026-01-01T11:20:00Z"); n != 0 {
		t.Fatalf("ran %d after a restart within the same window", n)
	}
	// Down from 11:20 to 15:30: windows 12:00..15:00 were missed; the
	// latest runs once, over everything since the last run.
	s3 := newScheduler(sqlite.NewMonitorStore(openDB(t, path)), "c")
	if n := tick(s3, "2026-01-01T15:30:00Z"); n != 1 {
		t.Fatalf("ran %d after the downtime, want 1", n)
	}
	if n := tick(s3, "2026-01-01T15:45:00Z"); n != 0 {
		t.Fatalf("ran %d more after the catch-up", n)
	}
	wantWindows := []monitor.Window{
		{From: at("2026-01-01T10:00:00Z"), To: at("2026-01-01T11:00:00Z")},
		{From: at("2026-01-01T11:00:00Z"), To: at("2026-01-01T15:00:00Z")},
	}
	if diff := cmp.Diff(wantWindows, ex.log); diff != "" {
		t.Errorf("windows (-want +got):\n%s", diff)
	}

	// Two servers, each with its own connection, tick at the same moments.
	srvA := newScheduler(sqlite.NewMonitorStore(openDB(t, path)), "server-a")
	srvB := newScheduler(sqlite.NewMonitorStore(openDB(t, path)), "server-b")
	start := at("2026-01-01T16:00:30Z")
	for h := range 12 {
		clock.Set(start.Add(time.Duration(h) * time.Hour))
		var wg sync.WaitGroup
		for _, s := range []*monitor.Scheduler{srvA, srvB, srvA, srvB} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Tick(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	for k, n := range ex.got {
		if n != 1 {
			t.Errorf("window %s ran %d times", k, n)
		}
	}
	if len(ex.got) != 2+12 {
		t.Errorf("%d windows ran, want 14: %v", len(ex.got), ex.got)
	}
	runs, err := store.Runs(ctx, "dq", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 14 || runs[0].Status != monitor.RunCompleted {
		t.Errorf("%d runs recorded, newest %+v", len(runs), runs[0])
	}
	// Each run wrote an event for the endpoint.
	evs, err := sqlite.NewRegistryStore(db).Events(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, e := range evs {
		if e.Type == monitor.EventRunCompleted && e.Endpoint == "ep" {
			n++
		}
	}
	if n != 14 {
		t.Errorf("%d run events, want 14", n)
	}
}

// TestSchedulerOffset shifts a scheduled window back by the monitor's
// offset, so that labels uploaded later are there when it runs.
func TestSchedulerOffset(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := sqlite.NewMonitorStore(openDB(t, filepath.Join(artifacttest.TempDir(t), "ferry.db")))
	if err := store.CreateMonitor(ctx, monitor.Monitor{Name: "mq", Endpoint: "ep", Type: monitor.ModelQuality, Schedule: "@hourly",
		Config: monitor.Config{Offset: monitor.Duration(2 * time.Hour)}, CreatedAt: at("2026-01-01T10:30:00Z")}); err != nil {
		t.Fatal(err)
	}
	m, err := store.Monitor(ctx, "mq")
	if err != nil || time.Duration(m.Config.Offset) != 2*time.Hour {
		t.Fatalf("stored offset %v, %v", m.Config.Offset, err)
	}
	ex := &executions{got: map[string]int{}}
	s := &monitor.Scheduler{Store: store, Execute: ex.execute(store), Clock: &fakeClock{now: at("2026-01-01T12:00:10Z")}, Logger: slog.New(slog.DiscardHandler)}
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	want := []monitor.Window{{From: at("2026-01-01T09:00:00Z"), To: at("2026-01-01T10:00:00Z")}}
	if diff := cmp.Diff(want, ex.log); diff != "" {
		t.Errorf("window (-want +got):\n%s", diff)
	}
}

// TestSchedulerRunLoop runs Run with a fake clock that the test advances.
func TestSchedulerRunLoop(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	store := sqlite.NewMonitorStore(openDB(t, filepath.Join(artifacttest.TempDir(t), "ferry.db")))
	if err := store.CreateMonitor(ctx, monitor.Monitor{Name: "q", Endpoint: "ep", Type: monitor.DataQuality,
		Schedule: "*/5 * * * *", CreatedAt: at("2026-01-01T00:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	ex := &executions{got: map[string]int{}}
	clock := &fakeClock{now: at("2026-01-01T00:01:00Z"), after: make(chan time.Time)}
	s := &monitor.Scheduler{Store: store, Execute: ex.execute(store), Clock: clock, Logger: slog.New(slog.DiscardHandler)}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for _, now := range []string{"2026-01-01T00:05:00Z", "2026-01-01T00:07:00Z", "2026-01-01T00:10:00Z"} {
		clock.Set(at(now))
		clock.after <- at(now) // wakes the loop, which ticks
	}
	clock.after <- at("2026-01-01T00:10:00Z") // the previous tick has finished once this is taken
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if len(ex.got) != 2 {
		t.Errorf("ran %v, want the 00:05 and 00:10 windows", ex.got)
	}
}

func TestMonitorStoreCRUD(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := sqlite.NewMonitorStore(openDB(t, filepath.Join(artifacttest.TempDir(t), "ferry.db")))
	m := monitor.Monitor{Name: "mq", Endpoint: "ep", Type: monitor.ModelQuality, Schedule: "@hourly",
		Baseline: map[string]artifact.Ref{"constraints": ref(1)}, Config: monitor.Config{ProblemType: monitor.BinaryClassification},
		CreatedAt: at("2026-01-01T00:00:00Z")}
	if err := store.CreateMonitor(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateMonitor(ctx, m); !errors.Is(err, registry.ErrConflict) {
		t.Errorf("duplicate: %v, want ErrConflict", err)
	}
	got, err := store.Monitor(ctx, "mq")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Error(diff)
	}
	if err := store.DeleteMonitor(ctx, "mq"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Monitor(ctx, "mq"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := store.DeleteMonitor(ctx, "mq"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}
