package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/command"
)

// TestRelativeHomeCommandSteps runs command steps with a relative
// FERRY_HOME and artifact root: the paths a program gets must work from
// its working directory, and its input links must not dangle.
func TestRelativeHomeCommandSteps(t *testing.T) {
	dir := artifacttest.TempDir(t)
	t.Cleanup(func() { artifact.RemoveTree(dir) })
	t.Chdir(dir)
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	arts, err := artifact.OpenDir(filepath.Join(".ferry", "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	reg := step.NewRegistry()
	reg.MustRegister(&command.Kind{})
	eng := &engine.Engine{Kinds: reg, Store: sqlite.NewExecutionStore(db), Artifacts: arts, Home: ".ferry", PollInterval: 10 * time.Millisecond}
	const src = `
version: 1
name: relative
steps:
  - name: make
    kind: command
    command: [/bin/sh, -c, 'echo hello > "$FERRY_OUTPUT_OUT/x.txt"']
    outputs: [out]
  - name: read
    kind: command
    command: [/bin/sh, -c, 'cat "$FERRY_INPUT_IN/x.txt" > "$FERRY_OUTPUT_COPY/y.txt"']
    inputs: {in: "${{ steps.make.outputs.out }}"}
    outputs: [copy]
`
	p, err := pipeline.Load("pipeline.yaml", []byte(src), reg)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := eng.Run(context.Background(), p, engine.RunOptions{Source: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != run.Succeeded {
		log, _ := os.ReadFile(eng.LogPath(ex.ID, "make"))
		t.Fatalf("execution %s: %s\nlog of make:\n%s", ex.Status, ex.FailureReason, log)
	}
	if lp := eng.LogPath(ex.ID, "read"); !filepath.IsAbs(lp) {
		t.Errorf("LogPath = %q, want an absolute path", lp)
	}
}

// TestFailedConditionFailsExecution: a condition that fails at run time
// (comparing a string with a number) fails the execution, with its error
// as the reason, even when no step depends on it, and halts it.
func TestFailedConditionFailsExecution(t *testing.T) {
	t.Parallel()
	const src = `
version: 1
name: badcond
steps:
  - name: a
    kind: noop
    value: text
  - name: check
    kind: condition
    if: "steps.a.properties.value > 1"
    then: []
  - name: other
    kind: noop
    value: 2
    depends_on: [a]
`
	b := setup(t, noopKind())
	ex, rs := b.run(t, src, engine.RunOptions{})
	if ex.Status != run.Failed || !strings.Contains(ex.FailureReason, "step check: evaluating condition") {
		t.Errorf("execution %s %q, want Failed with the condition's error", ex.Status, ex.FailureReason)
	}
	if rs["check"].Status != run.StepFailed {
		t.Errorf("check is %s, want Failed", rs["check"].Status)
	}
	if rs["other"].Status != run.StepPending {
		t.Errorf("other is %s, want Pending: no step starts once the condition failed", rs["other"].Status)
	}
}

// TestCachePropertyFilesAdded adds a property file to a cached step:
// the downstream step that reads it must see it without --no-cache.
func TestCachePropertyFilesAdded(t *testing.T) {
	t.Parallel()
	b := setup(t, produceKind(), noopKind())
	const v1 = `
version: 1
name: props
steps:
  - name: make
    kind: produce
    text: hello
    score: 0.25
`
	const v2 = `
version: 1
name: props
steps:
  - name: make
    kind: produce
    text: hello
    score: 0.25
    property_files: {metrics: metrics.json}
  - name: use
    kind: noop
    value: "${{ steps.make.properties.metrics.score }}"
`
	if ex, _ := b.run(t, v1, engine.RunOptions{}); ex.Status != run.Succeeded {
		t.Fatalf("first run %s: %s", ex.Status, ex.FailureReason)
	}
	ex, rs := b.run(t, v2, engine.RunOptions{})
	if ex.Status != run.Succeeded {
		t.Fatalf("run with a property file %s: %s", ex.Status, ex.FailureReason)
	}
	if got := rs["use"].Properties["value"]; got != 0.25 {
		t.Errorf("use value = %v, want 0.25", got)
	}
	if note := rs["make"].CacheNote; !strings.Contains(note, "property files") {
		t.Errorf("make cache note %q, want a miss naming the property files", note)
	}
	// Same definition again: a hit, and the property is still there.
	ex, rs = b.run(t, v2, engine.RunOptions{})
	if ex.Status != run.Succeeded || rs["make"].Status != run.StepCacheHit {
		t.Fatalf("third run %s (%s), make %s; want Succeeded with a hit", ex.Status, ex.FailureReason, rs["make"].Status)
	}
	if got := rs["use"].Properties["value"]; got != 0.25 {
		t.Errorf("after a hit, use value = %v, want 0.25", got)
	}
}

// barrierStore makes n readers of an execution wait for each other, so
// concurrent resumes all see the same state.
type barrierStore struct {
	*sqlite.ExecutionStore
	wg sync.WaitGroup
}

func (s *barrierStore) Execution(ctx context.Context, id string) (*run.Execution, error) {
	ex, err := s.ExecutionStore.Execution(ctx, id)
	s.wg.Done()
	s.wg.Wait()
	return ex, err
}

// TestConcurrentResumeClaimsOnce resumes one failed execution twice at
// once: exactly one resume runs it, the other is refused.
func TestConcurrentResumeClaimsOnce(t *testing.T) {
	t.Parallel()
	var open atomic.Bool
	gate := gateKind(&open)
	b := setup(t, produceKind(), gate, consumeKind())
	ex, _ := b.run(t, resumeSrc, engine.RunOptions{})
	if ex.Status != run.Failed {
		t.Fatalf("first run %s, want Failed", ex.Status)
	}
	open.Store(true)
	bs := &barrierStore{ExecutionStore: b.store}
	bs.wg.Add(2)
	eng := *b.eng
	eng.Store = bs
	p, _ := b.load(t, resumeSrc)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = eng.Resume(context.Background(), p, ex.ID, engine.RunOptions{})
		}()
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0].Error(), "already being resumed") {
		t.Fatalf("resume errors %v, want exactly one saying it is already being resumed", errs)
	}
	if n := gate.runs.Load(); n != 2 {
		t.Errorf("gate ran %d times, want 2 (the first run and one resume)", n)
	}
	got, err := b.store.Execution(context.Background(), ex.ID)
	if err != nil || got.Status != run.Succeeded {
		t.Errorf("execution after resume: %v, %v; want Succeeded", got, err)
	}
}

// failingStore fails to record one step's end.
type failingStore struct {
	*sqlite.ExecutionStore
	step string
}

var errStoreDown = errors.New("store is down")

func (s *failingStore) SaveStepRuns(ctx context.Context, runs ...*run.StepRun) error {
	for _, r := range runs {
		if r.Step == s.step && r.Status.Done() {
			return errStoreDown
		}
	}
	return s.ExecutionStore.SaveStepRuns(ctx, runs...)
}

// TestDecideStoreErrorWaitsForWorkers: a store error while deciding a
// step (recording a condition) must not abandon running workers: Run
// returns after they finish, with their records final.
func TestDecideStoreErrorWaitsForWorkers(t *testing.T) {
	t.Parallel()
	const src = `
version: 1
name: storeerr
steps:
  - name: slow
    kind: sleep
    ms: 300
  - name: check
    kind: condition
    if: "1 < 2"
    then: []
`
	b := setup(t, sleepKind(nil))
	eng := *b.eng
	eng.Store = &failingStore{ExecutionStore: b.store, step: "check"}
	p, source := b.load(t, src)
	ex, err := eng.Run(context.Background(), p, engine.RunOptions{Source: source})
	if !errors.Is(err, errStoreDown) {
		t.Errorf("Run error = %v, want the store error", err)
	}
	if ex == nil || ex.Status != run.Failed {
		t.Fatalf("execution %v, want Failed", ex)
	}
	rs := b.steps(t, ex.ID)
	if st := rs["slow"].Status; st != run.StepSucceeded {
		t.Errorf("slow is %s when Run returned, want Succeeded", st)
	}
}

// TestStoppingKeepsHeartbeatCurrent: the Stopping record carries a current
// heartbeat, so the execution does not read as Interrupted while it stops.
func TestStoppingKeepsHeartbeatCurrent(t *testing.T) {
	t.Parallel()
	const src = `
version: 1
name: stopping
steps:
  - name: s
    kind: sleep
`
	b := setup(t, sleepKind(nil))
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	b.eng.Now = clock
	b.eng.HeartbeatInterval = time.Hour // no heartbeat from the watcher
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{}, 1)
	var readErr error
	var read *run.Execution
	p, source := b.load(t, src)
	_, err := b.eng.Run(ctx, p, engine.RunOptions{Source: source, OnEvent: func(ev engine.Event) {
		switch {
		case ev.StepStatus == run.StepExecuting:
			mu.Lock()
			now = now.Add(100 * time.Hour) // long past stale
			mu.Unlock()
			cancel()
			started <- struct{}{}
		case ev.Status == run.Stopping:
			read, readErr = b.store.Execution(context.Background(), ev.ExecutionID)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if readErr != nil || read == nil {
		t.Fatalf("reading the stopping execution: %v", readErr)
	}
	host, _ := os.Hostname()
	if got := read.Effective(clock(), host, engine.StaleAfter(time.Hour), func(int) bool { return true }); got != run.Stopping {
		t.Errorf("while stopping the execution reads as %s (heartbeat %v, now %v), want Stopping", got, read.Heartbeat, clock())
	}
}
