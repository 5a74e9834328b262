//go:build temporal

package temporal_test

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

	"github.com/google/go-cmp/cmp"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/dynamicconfig"
	temporalsrv "go.temporal.io/server/temporal"
	"go.temporal.io/server/temporaltest"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	ftemporal "github.com/ferryml/ferry/internal/temporal"
)

// kind is a step kind whose behaviour each test supplies.
type kind struct {
	spec step.Spec
	run  func(ctx context.Context, env step.Env, req step.Request) (step.Result, error)
	runs atomic.Int64
}

func (k *kind) Spec() step.Spec { return k.spec }
func (k *kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	k.runs.Add(1)
	return k.run(ctx, env, req)
}

// produce writes its text argument to out/data.txt and a metrics file.
func produce() *kind {
	return &kind{
		spec: step.Spec{
			Kind: "produce", Version: "1",
			Args:       []step.Field{{Name: "text", Type: step.String, Required: true}, {Name: "n", Type: step.Integer}, {Name: "opts", Type: step.Object}},
			Outputs:    []step.Field{{Name: "out", Type: step.Artifact}},
			Properties: []step.Field{{Name: "length", Type: step.Integer}, {Name: "types", Type: step.String}},
		},
		run: func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			text, _ := req.Args["text"].(string)
			dir := filepath.Join(env.WorkDir, "out")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return step.Result{}, err
			}
			if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte(text), 0o644); err != nil {
				return step.Result{}, err
			}
			if err := os.WriteFile(filepath.Join(dir, "metrics.json"), []byte(`{"score": 0.75}`), 0o644); err != nil {
				return step.Result{}, err
			}
			ref, err := env.Store.PutDir(ctx, dir)
			if err != nil {
				return step.Result{}, err
			}
			fmt.Fprintf(env.Log, "wrote %d bytes\n", len(text))
			// The types the kind sees: the same on a worker as locally.
			types := fmt.Sprintf("%T %T", req.Args["n"], req.Args["opts"])
			if o, ok := req.Args["opts"].(map[string]any); ok {
				types += fmt.Sprintf(" %T", o["k"])
			}
			return step.Result{Outputs: map[string]artifact.Ref{"out": ref}, Properties: map[string]any{"length": int64(len(text)), "types": types}}, nil
		},
	}
}

// consume reads its input's data.txt.
func consume() *kind {
	return &kind{
		spec: step.Spec{
			Kind: "consume", Version: "1",
			Args:       []step.Field{{Name: "in", Type: step.Artifact, Required: true}},
			Properties: []step.Field{{Name: "content", Type: step.String}},
		},
		run: func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			ref, _ := req.Args["in"].(artifact.Ref)
			dir, err := env.Store.Path(ctx, ref)
			if err != nil {
				return step.Result{}, err
			}
			b, err := os.ReadFile(filepath.Join(dir, "data.txt"))
			if err != nil {
				return step.Result{}, err
			}
			return step.Result{Properties: map[string]any{"content": string(b)}}, nil
		},
	}
}

// flaky fails its first `fails` attempts (counted across workers), then
// succeeds; mode "permanent" always fails permanently.
func flaky(fails int64, mode string) *kind {
	k := &kind{spec: step.Spec{Kind: "flaky", Version: "1", Args: []step.Field{{Name: "x", Type: step.Any}}}}
	k.run = func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
		if mode == "permanent" {
			return step.Result{}, step.Permanent(errors.New("bad config"))
		}
		if k.runs.Load() <= fails {
			return step.Result{}, fmt.Errorf("transient failure %d", req.Attempt)
		}
		return step.Result{}, nil
	}
	return k
}

// sleepy sleeps for its duration argument, or until cancelled.
func sleepy() *kind {
	return &kind{
		spec: step.Spec{Kind: "sleep", Version: "1", Args: []step.Field{{Name: "for", Type: step.String}}},
		run: func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			d, _ := time.ParseDuration(req.Args["for"].(string))
			select {
			case <-time.After(d):
				return step.Result{}, nil
			case <-ctx.Done():
				return step.Result{}, ctx.Err()
			}
		},
	}
}

type bundle struct {
	home  string
	store *sqlite.ExecutionStore
	arts  *artifact.Dir
	kinds *step.Registry
	local *engine.Engine
	temp  *engine.Engine
	c     client.Client
}

// setup starts an in-process Temporal server, the server side of the
// Temporal engine and `workers` workers on the default queue, sharing one
// artifact store and one database with a local engine.
func setup(t testing.TB, workers int, kinds ...step.Kind) *bundle {
	t.Helper()
	return setupConc(t, workers, 2, kinds...)
}

// setupConc is setup with workers that each run conc steps at once.
func setupConc(t testing.TB, workers, conc int, kinds ...step.Kind) *bundle {
	t.Helper()
	return setupServer(t, newServer(t, true), workers, conc, kinds...)
}

// transferPollRPS is the history service's rate of reads of its transfer
// queue per shard (history.transferProcessorMaxPollRPS, default 20): every
// workflow and activity task passes through that queue, so at the default
// a chain of steps waits up to 50 ms twice per step, however idle the
// server. docs/scale-out.md says how to raise it on a real server.
const transferPollRPS = 1000

// newServer starts an in-process Temporal server; tuned raises
// history.transferProcessorMaxPollRPS from its default of 20.
func newServer(t testing.TB, tuned bool) *temporaltest.TestServer {
	t.Helper()
	var opts []temporaltest.TestServerOption
	if tuned {
		dc := dynamicconfig.StaticClient{
			// temporaltest's own setting, which this client replaces.
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
			dynamicconfig.TransferProcessorMaxPollRPS.Key():             transferPollRPS,
		}
		opts = append(opts, temporaltest.WithBaseServerOptions(temporalsrv.WithDynamicConfigClient(dc)))
	}
	ts := temporaltest.NewServer(opts...) // WithT takes a *testing.T only
	t.Cleanup(ts.Stop)
	return ts
}

// setupServer is setupConc on a given server.
func setupServer(t testing.TB, ts *temporaltest.TestServer, workers, conc int, kinds ...step.Kind) *bundle {
	t.Helper()
	home := artifacttest.TempDir(t)
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
	c := ts.GetDefaultClient()
	ew := ftemporal.ExecutionWorker(c)
	if err := ew.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ew.Stop)
	runner := &ftemporal.Runner{Client: c, HeartbeatTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, workers)
	t.Cleanup(func() {
		cancel()
		for range workers {
			<-done
		}
	})
	for i := range workers {
		w := &ftemporal.Worker{
			Client: c, Queues: []string{ftemporal.DefaultQueue}, Identity: fmt.Sprintf("worker-%d", i), Concurrency: conc,
			Report:    runner.ReportAttempt, // as ferry worker does through the API
			Attempter: &engine.Attempter{Kinds: reg, Artifacts: arts, Home: filepath.Join(home, fmt.Sprintf("worker-%d", i))},
		}
		go func() {
			defer func() { done <- struct{}{} }()
			if err := w.Run(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	store := sqlite.NewExecutionStore(db)
	b := &bundle{home: home, store: store, arts: arts, kinds: reg, c: c}
	b.local = &engine.Engine{Kinds: reg, Store: store, Artifacts: arts, Home: home, PollInterval: 10 * time.Millisecond}
	b.temp = &engine.Engine{Kinds: reg, Store: store, Artifacts: arts, Home: home, PollInterval: 10 * time.Millisecond,
		Runner: runner}
	return b
}

func (b *bundle) run(t testing.TB, e *engine.Engine, src string, opts engine.RunOptions) (*run.Execution, map[string]*run.StepRun) {
	t.Helper()
	path := filepath.Join(b.home, "pipeline.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Load(path, []byte(src), b.kinds)
	if err != nil {
		t.Fatalf("loading pipeline: %v", err)
	}
	opts.Source = []byte(src)
	ex, err := e.Run(context.Background(), p, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ex, b.steps(t, ex.ID)
}

func (b *bundle) steps(t testing.TB, id string) map[string]*run.StepRun {
	t.Helper()
	rs, err := b.store.StepRuns(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]*run.StepRun, len(rs))
	for _, r := range rs {
		m[r.Step] = r
	}
	return m
}

const flow = `
version: 1
name: flow
steps:
  - name: make
    kind: produce
    text: ferry
    n: 3
    opts: {k: 2}
    property_files: {metrics: metrics.json}
  - name: read
    kind: consume
    in: "${{ steps.make.outputs.out }}"
`

// The same pipeline gives the same records on both engines; a second
// Temporal run is served from the cache as locally.
func TestTemporalSameAsLocal(t *testing.T) {
	b := setup(t, 2, produce(), consume())
	lex, lrs := b.run(t, b.local, flow, engine.RunOptions{NoCache: true})
	tex, trs := b.run(t, b.temp, flow, engine.RunOptions{NoCache: true})
	if lex.Status != run.Succeeded || tex.Status != run.Succeeded {
		t.Fatalf("local %s (%s), temporal %s (%s), want both Succeeded", lex.Status, lex.FailureReason, tex.Status, tex.FailureReason)
	}
	for _, name := range []string{"make", "read"} {
		l, r := lrs[name], trs[name]
		if diff := cmp.Diff(
			[]any{l.Status, l.Outputs, l.Properties, l.Attempts, l.CacheKey},
			[]any{r.Status, r.Outputs, r.Properties, r.Attempts, r.CacheKey}); diff != "" {
			t.Errorf("step %s: local vs temporal (-+):\n%s", name, diff)
		}
	}
	if got, want := trs["make"].Properties["types"], "int64 map[string]interface {} int64"; got != want {
		t.Errorf("argument types on the worker = %q, want %q", got, want)
	}
	log, err := os.ReadFile(engine.LogPath(b.home, tex.ID, "make"))
	if err != nil || !contains(string(log), "wrote 5 bytes") {
		t.Errorf("the step log on the server = %q (%v), want the worker's log", log, err)
	}
	cex, crs := b.run(t, b.temp, flow, engine.RunOptions{})
	if cex.Status != run.Succeeded || crs["make"].Status != run.StepCacheHit || crs["read"].Status != run.StepCacheHit {
		t.Errorf("second run: %s, make %s, read %s; want cache hits", cex.Status, crs["make"].Status, crs["read"].Status)
	}
}

func contains(s, sub string) bool {
	return len(s) >= len(sub) && (s == sub || len(sub) == 0 || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// Retries follow the step's policy through Temporal's; permanent errors
// are not retried.
func TestTemporalRetries(t *testing.T) {
	tests := []struct {
		name         string
		k            *kind
		retry        string
		wantStatus   run.StepStatus
		wantAttempts int
		wantRuns     int64
	}{
		{"retried until success", flaky(2, ""), "{max_attempts: 3, interval: 100ms}", run.StepSucceeded, 3, 3},
		{"attempts spent", flaky(5, ""), "{max_attempts: 2, interval: 100ms}", run.StepFailed, 2, 2},
		{"permanent not retried", flaky(0, "permanent"), "{max_attempts: 3, interval: 100ms}", run.StepFailed, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := setup(t, 1, tt.k)
			_, rs := b.run(t, b.temp, fmt.Sprintf(`
version: 1
name: retry
steps:
  - name: f
    kind: flaky
    retry: %s
`, tt.retry), engine.RunOptions{})
			r := rs["f"]
			if r.Status != tt.wantStatus || r.Attempts != tt.wantAttempts || tt.k.runs.Load() != tt.wantRuns {
				t.Errorf("status %s, attempts %d, runs %d (%s); want %s, %d, %d", r.Status, r.Attempts, tt.k.runs.Load(), r.FailureReason, tt.wantStatus, tt.wantAttempts, tt.wantRuns)
			}
		})
	}
}

// A step's timeout is per attempt and retryable, as locally.
func TestTemporalTimeout(t *testing.T) {
	k := sleepy()
	b := setup(t, 1, k)
	_, rs := b.run(t, b.temp, `
version: 1
name: slow
steps:
  - name: s
    kind: sleep
    for: 30s
    timeout: 300ms
    retry: {max_attempts: 2, interval: 100ms}
`, engine.RunOptions{})
	r := rs["s"]
	if r.Status != run.StepFailed || r.Attempts != 2 || !contains(r.FailureReason, "timed out after 300ms") {
		t.Errorf("status %s, attempts %d, reason %q; want Failed after 2 attempts that timed out", r.Status, r.Attempts, r.FailureReason)
	}
}

// Stopping an execution cancels its running activity on the worker.
func TestTemporalStop(t *testing.T) {
	k := sleepy()
	b := setup(t, 1, k)
	path := filepath.Join(b.home, "stop.yaml")
	src := `
version: 1
name: stop
steps:
  - name: s
    kind: sleep
    for: 60s
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Load(path, []byte(src), b.kinds)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(2*time.Second, cancel)
	start := time.Now()
	ex, err := b.temp.Run(ctx, p, engine.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != run.Stopped || time.Since(start) > 20*time.Second {
		t.Errorf("status %s after %s, want Stopped promptly", ex.Status, time.Since(start))
	}
	if r := b.steps(t, ex.ID)["s"]; r.Status != run.StepStopped {
		t.Errorf("step status %s, want Stopped", r.Status)
	}
}

// A step with `queue: gpu` runs only on a worker polling that queue.
func TestTemporalQueues(t *testing.T) {
	b := setup(t, 1, produce(), consume())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	t.Cleanup(func() {
		cancel()
		<-done
	})
	gpu := &ftemporal.Worker{
		Client: b.c, Queues: []string{"gpu"}, Identity: "gpu-worker",
		Attempter: &engine.Attempter{Kinds: b.kinds, Artifacts: b.arts, Home: filepath.Join(b.home, "gpu")},
	}
	go func() { done <- gpu.Run(ctx) }()
	ex, rs := b.run(t, b.temp, `
version: 1
name: queues
steps:
  - name: make
    kind: produce
    text: on a gpu
    queue: gpu
  - name: read
    kind: consume
    in: "${{ steps.make.outputs.out }}"
`, engine.RunOptions{})
	if ex.Status != run.Succeeded || rs["read"].Properties["content"] != "on a gpu" {
		t.Fatalf("status %s (%s), read %v", ex.Status, ex.FailureReason, rs["read"].Properties)
	}
	for step, want := range map[string]string{"make": "on worker gpu-worker", "read": "on worker worker-0"} {
		log, err := os.ReadFile(engine.LogPath(b.home, ex.ID, step))
		if err != nil || !contains(string(log), want) {
			t.Errorf("log of %s = %q (%v), want %q", step, log, err, want)
		}
	}
}

// Resume on Temporal keeps the execution's ID and reruns only what did
// not succeed, as locally; selective runs take the unselected steps from
// the source execution.
func TestTemporalResumeAndSelect(t *testing.T) {
	k := flaky(1, "")
	b := setup(t, 1, produce(), k)
	src := `
version: 1
name: resume
steps:
  - name: make
    kind: produce
    text: once
  - name: f
    kind: flaky
    x: "${{ steps.make.properties.length }}"
`
	ex, rs := b.run(t, b.temp, src, engine.RunOptions{})
	if ex.Status != run.Failed || rs["make"].Status != run.StepSucceeded || rs["f"].Status != run.StepFailed {
		t.Fatalf("first run: %s, make %s, f %s; want Failed, Succeeded, Failed", ex.Status, rs["make"].Status, rs["f"].Status)
	}
	p, err := pipeline.Load(filepath.Join(b.home, "pipeline.yaml"), []byte(src), b.kinds)
	if err != nil {
		t.Fatal(err)
	}
	rex, err := b.temp.Resume(context.Background(), p, ex.ID, engine.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rrs := b.steps(t, ex.ID)
	if rex.ID != ex.ID || rex.Status != run.Succeeded || rrs["f"].Status != run.StepSucceeded || rrs["make"].EndedAt != rs["make"].EndedAt {
		t.Errorf("resume: %s %s, f %s, make rerun %v; want the same ID Succeeded, f Succeeded, make kept", rex.ID, rex.Status, rrs["f"].Status, rrs["make"].EndedAt != rs["make"].EndedAt)
	}
	sex, srs := b.run(t, b.temp, src, engine.RunOptions{Steps: []string{"f"}, From: ex.ID, NoCache: true})
	if sex.Status != run.Succeeded || srs["make"].Provenance != run.FromSelection || srs["f"].Status != run.StepSucceeded {
		t.Errorf("selective run: %s, make %s, f %s", sex.Status, srs["make"].Provenance, srs["f"].Status)
	}
}

// Workers report each retry as it starts, so the step's record and
// events follow the attempts as locally.
func TestTemporalAttemptsReported(t *testing.T) {
	b := setup(t, 1, flaky(2, ""))
	var mu sync.Mutex
	var attempts []int
	_, rs := b.run(t, b.temp, `
version: 1
name: retry
steps:
  - name: f
    kind: flaky
    retry: {max_attempts: 3, interval: 100ms}
`, engine.RunOptions{OnEvent: func(ev engine.Event) {
		if ev.Step == "f" && ev.StepStatus == run.StepExecuting {
			mu.Lock()
			attempts = append(attempts, ev.Attempt)
			mu.Unlock()
		}
	}})
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]int{1, 2, 3}, attempts); diff != "" || rs["f"].Attempts != 3 {
		t.Errorf("Executing events by attempt (-want +got):\n%s(record: %d attempts)", diff, rs["f"].Attempts)
	}
}

// SageMaker steps go to the queue their instance type maps to
// (--instance-queues): a training job on ml.p3.2xlarge runs on the gpu
// worker, one on ml.m5.large on the default queue.
func TestTemporalInstanceQueues(t *testing.T) {
	job := &kind{
		spec: step.Spec{Kind: "smjob", Version: "1", Args: []step.Field{{Name: "ResourceConfig", Type: step.Object}}},
		run: func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			return step.Result{}, nil
		},
	}
	b := setup(t, 1, job)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	t.Cleanup(func() {
		cancel()
		<-done
	})
	gpu := &ftemporal.Worker{
		Client: b.c, Queues: []string{"gpu"}, Identity: "gpu-worker",
		Attempter: &engine.Attempter{Kinds: b.kinds, Artifacts: b.arts, Home: filepath.Join(b.home, "gpu")},
	}
	go func() { done <- gpu.Run(ctx) }()
	qs, err := ftemporal.ParseInstanceQueues("ml.p3.*=gpu,ml.g5.*=gpu")
	if err != nil {
		t.Fatal(err)
	}
	e := *b.temp
	e.Runner = &ftemporal.Runner{Client: b.c, HeartbeatTimeout: 5 * time.Second, InstanceQueues: qs}
	ex, _ := b.run(t, &e, `
version: 1
name: instances
parameters:
  gpu_type: {type: string, default: ml.p3.2xlarge}
steps:
  - name: train-gpu
    kind: smjob
    ResourceConfig: {InstanceType: "${{ params.gpu_type }}", InstanceCount: 1}
  - name: train-cpu
    kind: smjob
    ResourceConfig: {InstanceType: ml.m5.large, InstanceCount: 1}
  - name: pinned
    kind: smjob
    ResourceConfig: {InstanceType: ml.p3.2xlarge}
    queue: default
`, engine.RunOptions{NoCache: true})
	if ex.Status != run.Succeeded {
		t.Fatalf("status %s (%s)", ex.Status, ex.FailureReason)
	}
	for step, want := range map[string]string{"train-gpu": "on worker gpu-worker", "train-cpu": "on worker worker-0", "pinned": "on worker worker-0"} {
		log, err := os.ReadFile(engine.LogPath(b.home, ex.ID, step))
		if err != nil || !contains(string(log), want) {
			t.Errorf("log of %s = %q (%v), want %q", step, log, err, want)
		}
	}
}
