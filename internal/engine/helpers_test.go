package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
)

// fakeKind is a step kind whose behaviour each test supplies.
type fakeKind struct {
	spec step.Spec
	run  func(ctx context.Context, env step.Env, req step.Request) (step.Result, error)
	runs atomic.Int64
}

func (k *fakeKind) Spec() step.Spec { return k.spec }

func (k *fakeKind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	k.runs.Add(1)
	return k.run(ctx, env, req)
}

// noopKind returns nothing; its optional "value" argument lets steps
// differ and reference each other.
func noopKind() *fakeKind {
	return &fakeKind{
		spec: step.Spec{Kind: "noop", Version: "1", Args: []step.Field{{Name: "value", Type: step.Any}}, Properties: []step.Field{{Name: "value", Type: step.Any}}},
		run: func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			return step.Result{Properties: map[string]any{"value": req.Args["value"]}}, nil
		},
	}
}

// produceKind writes its text argument to out/data.txt and a JSON
// metrics file, and returns the text's length as a property.
func produceKind() *fakeKind {
	return &fakeKind{
		spec: step.Spec{
			Kind: "produce", Version: "1",
			Args:       []step.Field{{Name: "text", Type: step.String, Required: true}, {Name: "score", Type: step.Float}},
			Outputs:    []step.Field{{Name: "out", Type: step.Artifact}},
			Properties: []step.Field{{Name: "length", Type: step.Integer}},
		},
		run: func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			text, _ := req.Args["text"].(string)
			score := req.Args["score"]
			if score == nil {
				score = 0.5
			}
			dir := filepath.Join(env.WorkDir, "out")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return step.Result{}, err
			}
			if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte(text), 0o644); err != nil {
				return step.Result{}, err
			}
			metrics := fmt.Sprintf(`{"score": %v, "nested": {"list": [1, 2, 3]}}`, score)
			if err := os.WriteFile(filepath.Join(dir, "metrics.json"), []byte(metrics), 0o644); err != nil {
				return step.Result{}, err
			}
			ref, err := env.Store.PutDir(ctx, dir)
			if err != nil {
				return step.Result{}, err
			}
			return step.Result{Outputs: map[string]artifact.Ref{"out": ref}, Properties: map[string]any{"length": int64(len(text))}}, nil
		},
	}
}

// consumeKind reads data.txt from its input artifact into the property
// "content".
func consumeKind() *fakeKind {
	return &fakeKind{
		spec: step.Spec{
			Kind: "consume", Version: "1",
			Args:       []step.Field{{Name: "in", Type: step.Artifact, Required: true}},
			Properties: []step.Field{{Name: "content", Type: step.String}},
		},
		run: func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			ref, ok := req.Args["in"].(artifact.Ref)
			if !ok {
				return step.Result{}, step.Permanent(fmt.Errorf("in: got %T", req.Args["in"]))
			}
			dir, err := env.Store.Path(ctx, ref)
			if err != nil {
				return step.Result{}, err
			}
			b, err := os.ReadFile(filepath.Join(dir, "data.txt"))
			if err != nil {
				return step.Result{}, step.Permanent(err)
			}
			return step.Result{Properties: map[string]any{"content": string(b)}}, nil
		},
	}
}

// gauge counts steps running at once and the most seen.
type gauge struct {
	mu       sync.Mutex
	cur, max int
}

func (g *gauge) enter() {
	g.mu.Lock()
	g.cur++
	g.max = max(g.max, g.cur)
	g.mu.Unlock()
}

func (g *gauge) leave() {
	g.mu.Lock()
	g.cur--
	g.mu.Unlock()
}

func (g *gauge) peak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.max
}

// sleepKind sleeps for its "ms" argument (or until cancelled), counting
// concurrency in g.
func sleepKind(g *gauge) *fakeKind {
	return &fakeKind{
		spec: step.Spec{Kind: "sleep", Version: "1", Args: []step.Field{{Name: "ms", Type: step.Integer}, {Name: "id", Type: step.Any}}},
		run: func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			if g != nil {
				g.enter()
				defer g.leave()
			}
			ms, _ := req.Args["ms"].(int64)
			if ms == 0 {
				ms = 3_600_000
			}
			t := time.NewTimer(time.Duration(ms) * time.Millisecond)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return step.Result{}, context.Cause(ctx)
			case <-t.C:
				return step.Result{}, nil
			}
		},
	}
}

// bundle is one test's engine over a real SQLite database and artifact
// store in a temporary home.
type bundle struct {
	home   string
	db     *sqlite.DB
	store  *sqlite.ExecutionStore
	arts   *artifact.Dir
	kinds  *step.Registry
	eng    *engine.Engine
	events *eventLog
}

type eventLog struct {
	mu  sync.Mutex
	evs []engine.Event
}

func (l *eventLog) add(ev engine.Event) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
}

func (l *eventLog) all() []engine.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]engine.Event(nil), l.evs...)
}

func setup(t testing.TB, kinds ...step.Kind) *bundle {
	t.Helper()
	home := artifacttest.TempDir(t)
	t.Cleanup(func() { artifact.RemoveTree(home) }) // artifacts are read-only
	db, err := sqlite.Open(context.Background(), filepath.Join(home, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	arts, err := artifact.OpenDir(filepath.Join(home, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	reg := step.NewRegistry()
	for _, k := range kinds {
		if err := reg.Register(k); err != nil {
			t.Fatal(err)
		}
	}
	b := &bundle{home: home, db: db, store: sqlite.NewExecutionStore(db), arts: arts, kinds: reg, events: &eventLog{}}
	b.eng = &engine.Engine{
		Kinds: reg, Store: b.store, Artifacts: arts, Home: home,
		PollInterval: 10 * time.Millisecond,
	}
	return b
}

// load writes a definition into the home and loads it.
func (b *bundle) load(t testing.TB, src string) (*pipeline.Pipeline, []byte) {
	t.Helper()
	path := filepath.Join(b.home, "pipeline.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Load(path, []byte(src), b.kinds)
	if err != nil {
		t.Fatalf("loading pipeline: %v", err)
	}
	return p, []byte(src)
}

// run loads src and runs it with opts.
func (b *bundle) run(t testing.TB, src string, opts engine.RunOptions) (*run.Execution, map[string]*run.StepRun) {
	t.Helper()
	p, source := b.load(t, src)
	opts.Source = source
	if opts.OnEvent == nil {
		opts.OnEvent = b.events.add
	}
	ex, err := b.eng.Run(context.Background(), p, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return ex, b.steps(t, ex.ID)
}

func (b *bundle) steps(t testing.TB, id string) map[string]*run.StepRun {
	t.Helper()
	rs, err := b.store.StepRuns(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]*run.StepRun, len(rs))
	for _, r := range rs {
		out[r.Step] = r
	}
	return out
}

// statuses maps each step to its status.
func statuses(rs map[string]*run.StepRun) map[string]run.StepStatus {
	out := make(map[string]run.StepStatus, len(rs))
	for n, r := range rs {
		out[n] = r.Status
	}
	return out
}

var errTransient = errors.New("transient failure")

func writeFile(t testing.TB, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
