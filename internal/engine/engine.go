// Package engine runs validated pipelines in the Ferry process: ready-set
// scheduling with a parallelism bound, condition branches and skip
// propagation, retries with backoff, per-step timeouts, caching keyed by
// explicit inputs, cancellation, resume and selective execution.
//
// Every finished step is written to the [Store] before the engine takes its
// next decision, so a crash of the process (kill -9) loses no completed
// step; the artifact store is atomic, so no half-written output is ever
// visible. An execution whose process died still says Executing in the
// store; readers show it as Interrupted ([run.Execution.Effective]) and
// [Engine.Resume] finishes it under the same execution ID.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/procgroup"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/step"
)

// KindLookup finds step kinds by ID; *step.Registry implements it.
type KindLookup interface {
	Lookup(id string) (step.Kind, bool)
}

// Engine runs pipelines. Set the required fields (Kinds, Store, Artifacts,
// Home); the zero values of the others are replaced by the defaults
// documented on each. An Engine is safe for concurrent use by several
// executions.
type Engine struct {
	Kinds     KindLookup
	Store     run.Store
	Artifacts artifact.Store
	// Home is FERRY_HOME: step logs go to Home/logs/<exec>/<step>.log and
	// attempts' scratch directories under Home/work.
	Home   string
	Logger *slog.Logger // default slog.Default()
	// Now is the clock (default time.Now).
	Now func() time.Time
	// PollInterval is how often a running execution checks for a stop
	// request (default 200ms); HeartbeatInterval is how often it records
	// that it is alive (default 2s).
	PollInterval      time.Duration
	HeartbeatInterval time.Duration
	// PID and Host identify the running process in execution records
	// (defaults os.Getpid() and os.Hostname()).
	PID  int
	Host string
	// Keys opens the keyring that protects secret values (secret
	// parameters and {from_env: NAME} arguments); it is called only for an
	// execution that has some. Nil: such executions fail to start.
	Keys func() (Keys, error)
	// LookupEnv resolves {from_env: NAME} arguments from the environment
	// of the process running the steps. Nil: no variable is set.
	LookupEnv func(name string) (string, bool)
	// Runner runs the steps that are not cache hits (nil: [Local], in
	// this process). The Temporal engine sets it to run them on workers.
	Runner StepRunner
}

// runner returns the StepRunner, by default the local one.
func (e *Engine) runner() StepRunner {
	if e.Runner != nil {
		return e.Runner
	}
	return Local{Attempter: &Attempter{Kinds: e.Kinds, Artifacts: e.Artifacts, Home: e.home()}}
}

// RunOptions configure one execution.
type RunOptions struct {
	// Source is the definition's text, stored by the pipeline's digest
	// (`ferry resume` parses it again). Empty means p.CanonicalJSON().
	Source []byte
	// Params are parameter overrides as given on the command line; they
	// are coerced to the parameters' declared types.
	Params map[string]string
	// NoCache disables cache hits for the whole execution.
	NoCache bool
	// Parallelism overrides the pipeline's limit when > 0.
	Parallelism int
	// Steps selects the steps to run (empty: all). Unselected steps that
	// selected ones depend on are taken from the execution From.
	Steps []string
	From  string
	// OnEvent, when set, receives progress events. Calls are serialized.
	OnEvent func(Event)
}

// Event is a progress event: an execution status change (Step empty) or a
// step status change, retry or cache decision.
type Event struct {
	Time        time.Time
	ExecutionID string
	Step        string
	Status      run.Status     // set on execution events
	StepStatus  run.StepStatus // set on step events
	Attempt     int
	// Message is a human note: a cache hit or miss and its reason, a retry
	// and its wait, a failure reason.
	Message string
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

func (e *Engine) check() error {
	switch {
	case e.Kinds == nil:
		return errors.New("engine: Kinds is not set")
	case e.Store == nil:
		return errors.New("engine: Store is not set")
	case e.Artifacts == nil:
		return errors.New("engine: Artifacts is not set")
	case e.Home == "":
		return errors.New("engine: Home is not set")
	}
	if _, err := filepath.Abs(e.Home); err != nil {
		return fmt.Errorf("engine: Home: %w", err)
	}
	return nil
}

// home returns Home made absolute: the paths under it (work directories,
// logs) are handed to step kinds, which may run programs in another
// working directory. (Home is not rewritten, so concurrent executions do
// not race on it.)
func (e *Engine) home() string {
	if abs, err := filepath.Abs(e.Home); err == nil {
		return abs
	}
	return e.Home
}

func (e *Engine) owner() (int, string) {
	pid, host := e.PID, e.Host
	if pid == 0 {
		pid = os.Getpid()
	}
	if host == "" {
		host, _ = os.Hostname()
	}
	return pid, host
}

// Run starts an execution of p, which must have passed pipeline.Validate
// with the same kinds, and runs it to the end. It returns the finished
// execution (Succeeded, Failed or Stopped) and a nil error, or an error
// when the execution could not be started or recorded. Cancelling ctx
// stops the execution.
func (e *Engine) Run(ctx context.Context, p *pipeline.Pipeline, opts RunOptions) (*run.Execution, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	params, err := p.CoerceParams(opts.Params)
	if err != nil {
		return nil, fmt.Errorf("pipeline %q parameters: %w", p.Name, err)
	}
	selected, reused, err := e.selection(ctx, p, opts)
	if err != nil {
		return nil, err
	}
	sec, err := e.newSecrets(p, params)
	if err != nil {
		return nil, err
	}
	stored, overrides, sealed, err := sec.record(p, params, opts.Params)
	if err != nil {
		return nil, err
	}
	source := opts.Source
	if len(source) == 0 {
		source = p.CanonicalJSON() // parses back to the same pipeline
	}
	if err := e.Store.SavePipeline(ctx, p.Digest, p.Name, source); err != nil {
		return nil, fmt.Errorf("recording pipeline %q: %w", p.Name, err)
	}
	pid, host := e.owner()
	now := e.now()
	id, err := newExecutionID(now)
	if err != nil {
		return nil, err
	}
	defPath := p.File
	if abs, err := filepath.Abs(defPath); err == nil && defPath != "" {
		defPath = abs // a resume may start in another directory
	}
	ex := &run.Execution{
		ID: id, PipelineName: p.Name, PipelineDigest: p.Digest, DefinitionPath: defPath,
		Params: stored, Overrides: overrides, SealedParams: sealed, Status: run.Executing, StartedAt: now,
		SourceExecution: opts.From, SelectedSteps: opts.Steps,
		Parallelism: opts.Parallelism, NoCache: opts.NoCache,
		OwnerPID: pid, OwnerHost: host, Heartbeat: now,
	}
	if err := e.Store.CreateExecution(ctx, ex); err != nil {
		return nil, fmt.Errorf("recording execution of %q: %w", p.Name, err)
	}
	runs := make(map[string]*run.StepRun, len(p.Steps))
	all := make([]*run.StepRun, 0, len(p.Steps))
	for _, st := range p.Steps {
		var r *run.StepRun
		if src, ok := reused[st.Name]; ok {
			c := *src
			c.ExecutionID, c.Provenance, c.SourceExecution = id, run.FromSelection, opts.From
			r = &c
		} else if selected == nil || selected[st.Name] {
			r = &run.StepRun{ExecutionID: id, Step: st.Name, Kind: st.Kind, Status: run.StepPending}
		} else {
			continue
		}
		runs[st.Name] = r
		all = append(all, r)
	}
	if err := e.Store.SaveStepRuns(ctx, all...); err != nil {
		return nil, fmt.Errorf("recording steps of execution %s: %w", id, err)
	}
	return e.execute(ctx, p, ex, params, sec, runs, selected, opts)
}

// Resume reruns the failed, stopped, interrupted and not-run steps of an
// earlier execution of p, reusing its succeeded, cached and skipped steps
// and its parameters. The execution keeps its ID. It refuses an execution
// that succeeded or is still running. opts.Params, Steps and From are
// ignored; NoCache, Parallelism and OnEvent apply.
func (e *Engine) Resume(ctx context.Context, p *pipeline.Pipeline, id string, opts RunOptions) (*run.Execution, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	ex, err := e.Store.Execution(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("resuming %s: %w", id, err)
	}
	pid, host := e.owner()
	switch ex.Effective(e.now(), host, e.staleAfter(), processAlive) {
	case run.Succeeded:
		return nil, fmt.Errorf("resuming %s: it already succeeded", id)
	case run.Executing, run.Stopping:
		return nil, fmt.Errorf("resuming %s: it is still running (pid %d on %s)", id, ex.OwnerPID, ex.OwnerHost)
	}
	if ex.PipelineDigest != p.Digest {
		return nil, fmt.Errorf("resuming %s: it ran pipeline version %.12s, not %.12s", id, ex.PipelineDigest, p.Digest)
	}
	overrides, err := e.unsealOverrides(ex)
	if err != nil {
		return nil, fmt.Errorf("resuming %s: %w", id, err)
	}
	params, err := p.CoerceParams(overrides)
	if err != nil {
		return nil, fmt.Errorf("resuming %s: parameters: %w", id, err)
	}
	sec, err := e.newSecrets(p, params)
	if err != nil {
		return nil, fmt.Errorf("resuming %s: %w", id, err)
	}
	masked, _, _, err := sec.record(p, params, nil)
	if err != nil {
		return nil, fmt.Errorf("resuming %s: %w", id, err)
	}
	stored, err := e.Store.StepRuns(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("resuming %s: %w", id, err)
	}
	var selected map[string]bool
	if len(ex.SelectedSteps) > 0 {
		selected = make(map[string]bool, len(ex.SelectedSteps))
		for _, s := range ex.SelectedSteps {
			selected[s] = true
		}
	}
	runs := make(map[string]*run.StepRun, len(stored))
	var reset []*run.StepRun
	for _, r := range stored {
		runs[r.Step] = r
		if r.Provenance == run.FromSelection || r.Status.Produced() || r.Status == run.StepSkipped {
			continue
		}
		*r = run.StepRun{ExecutionID: id, Step: r.Step, Kind: r.Kind, Status: run.StepPending}
		reset = append(reset, r)
	}
	for _, st := range p.Steps { // steps the interrupted run never recorded
		if _, ok := runs[st.Name]; !ok && (selected == nil || selected[st.Name]) {
			r := &run.StepRun{ExecutionID: id, Step: st.Name, Kind: st.Kind, Status: run.StepPending}
			runs[st.Name] = r
			reset = append(reset, r)
		}
	}
	// Claim the execution before changing anything: a concurrent resume
	// that read the same state loses here.
	was := *ex
	now := e.now()
	ex.Params, ex.Status, ex.EndedAt, ex.FailureReason = masked, run.Executing, time.Time{}, ""
	ex.OwnerPID, ex.OwnerHost, ex.Heartbeat, ex.StopRequested = pid, host, now, false
	ex.NoCache, ex.Parallelism = opts.NoCache, opts.Parallelism
	claimed, err := e.Store.ClaimExecution(ctx, ex, &was)
	if err != nil {
		return nil, fmt.Errorf("resuming %s: %w", id, err)
	}
	if !claimed {
		return nil, fmt.Errorf("resuming %s: it is already being resumed by another process", id)
	}
	if err := e.Store.SaveStepRuns(ctx, reset...); err != nil {
		err = fmt.Errorf("resuming %s: %w", id, err)
		ex.Status, ex.EndedAt, ex.FailureReason = run.Failed, e.now(), run.TruncateReason(err.Error())
		if uerr := e.Store.UpdateExecution(context.WithoutCancel(ctx), ex); uerr != nil {
			e.logger().Warn("recording a failed resume", "execution", id, "err", uerr)
		}
		return nil, err
	}
	// Scratch directories the dead run left behind, and the processes its
	// steps had started (a crash kills a step's program but not what the
	// program started).
	if left, err := filepath.Glob(filepath.Join(e.home(), "work", safeName(id)+"-*")); err == nil {
		for _, d := range left {
			if err := procgroup.EndRecorded(d); err != nil {
				e.logger().Warn("ending the processes of an interrupted step", "execution", id, "dir", d, "err", err)
			}
			artifact.RemoveTree(d)
		}
	}
	return e.execute(ctx, p, ex, params, sec, runs, selected, opts)
}

func (e *Engine) staleAfter() time.Duration { return 15 * e.heartbeatInterval() }

func (e *Engine) heartbeatInterval() time.Duration {
	if e.HeartbeatInterval > 0 {
		return e.HeartbeatInterval
	}
	return 2 * time.Second
}

// StaleAfter is how old a heartbeat must be before readers treat its
// execution as Interrupted, for an engine with the given heartbeat
// interval (0 means the default).
func StaleAfter(heartbeat time.Duration) time.Duration {
	return (&Engine{HeartbeatInterval: heartbeat}).staleAfter()
}

// ErrSourceWithoutSelection is returned by [Engine.Run] when
// RunOptions.From is set without RunOptions.Steps.
var ErrSourceWithoutSelection = errors.New("a source execution needs selected steps: name the steps to run")

// UnselectedError is returned by [Engine.Run] when a selected step needs
// the results of a step that is neither selected nor available from a
// source execution (RunOptions.From).
type UnselectedError struct {
	Step, Needs string
}

func (e *UnselectedError) Error() string {
	return fmt.Sprintf("step %q needs step %q, which is not selected: select it or name a source execution", e.Step, e.Needs)
}

// selection checks a selective run and returns the selected steps (nil for
// all) and the source execution's records of the unselected steps.
func (e *Engine) selection(ctx context.Context, p *pipeline.Pipeline, opts RunOptions) (map[string]bool, map[string]*run.StepRun, error) {
	if len(opts.Steps) == 0 {
		if opts.From != "" {
			return nil, nil, ErrSourceWithoutSelection
		}
		return nil, nil, nil
	}
	selected := make(map[string]bool, len(opts.Steps))
	for _, s := range opts.Steps {
		if p.Step(s) == nil {
			return nil, nil, fmt.Errorf("selected step %q: no such step in pipeline %q", s, p.Name)
		}
		selected[s] = true
	}
	g := newGraph(p)
	// Every step on a path between two selected steps must be selected,
	// or the run would mix old and new results.
	for _, s := range opts.Steps {
		for _, mid := range g.between(s, selected) {
			return nil, nil, fmt.Errorf("step %q lies between selected steps and must be selected too", mid)
		}
	}
	var source map[string]*run.StepRun
	if opts.From != "" {
		src, err := e.Store.Execution(ctx, opts.From)
		if err != nil {
			return nil, nil, fmt.Errorf("source execution %s: %w", opts.From, err)
		}
		if src.PipelineName != p.Name {
			return nil, nil, fmt.Errorf("source execution %s ran pipeline %q, not %q", src.ID, src.PipelineName, p.Name)
		}
		rs, err := e.Store.StepRuns(ctx, opts.From)
		if err != nil {
			return nil, nil, fmt.Errorf("source execution %s: %w", opts.From, err)
		}
		source = make(map[string]*run.StepRun, len(rs))
		for _, r := range rs {
			if !selected[r.Step] && p.Step(r.Step) != nil {
				source[r.Step] = r
			}
		}
	}
	// Only the unselected steps that selected ones depend on are taken
	// from the source execution.
	reused := make(map[string]*run.StepRun)
	for _, s := range opts.Steps {
		for _, up := range g.upstream(s) {
			if selected[up] {
				continue
			}
			r, ok := source[up]
			switch {
			case opts.From == "":
				return nil, nil, &UnselectedError{Step: s, Needs: up}
			case !ok || !(r.Status.Produced() || r.Status == run.StepSkipped):
				return nil, nil, fmt.Errorf("step %q needs step %q, which did not succeed in execution %s", s, up, opts.From)
			}
			reused[up] = r
		}
	}
	return selected, reused, nil
}

// LogPath returns the path of a step's log file.
func (e *Engine) LogPath(executionID, stepName string) string {
	return LogPath(e.home(), executionID, stepName)
}

// LogPath returns where the engine writes the log of a step of an
// execution, under home.
func LogPath(home, executionID, stepName string) string {
	return filepath.Join(home, "logs", safeName(executionID), safeName(stepName)+".log")
}

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] == '.' {
		return "_" + string(b)
	}
	return string(b)
}

// emitter serializes event callbacks.
type emitter struct {
	mu   sync.Mutex
	fn   func(Event)
	mask func(string) string // hides secret values in messages
}

func (em *emitter) emit(ev Event) {
	if em.fn == nil {
		return
	}
	if em.mask != nil {
		ev.Message = em.mask(ev.Message)
	}
	em.mu.Lock()
	defer em.mu.Unlock()
	em.fn(ev)
}
