package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
)

// errStopRequested is the cancellation cause of `ferry stop`.
var errStopRequested = errors.New("stop requested")

// ErrStopped is the cancellation cause of an execution whose context was
// cancelled (for example by an interrupt signal).
var ErrStopped = errors.New("execution stopped")

// stepDone is what a step worker hands back to the scheduler.
type stepDone struct {
	r *run.StepRun
	// failMessage is the message of a fail step, which becomes the
	// execution's failure reason as it is.
	failMessage string
	err         error // a failure recording the run, not a step failure
}

// execution is the scheduler's state for one execution. Only the
// scheduler goroutine touches runs; a worker owns the one StepRun it was
// handed until it sends it back on done.
type execution struct {
	e        *Engine
	p        *pipeline.Pipeline
	ex       *run.Execution
	runs     map[string]*run.StepRun
	selected map[string]bool
	g        *graph
	opts     RunOptions
	em       *emitter
	done     chan stepDone
	// running names the steps a worker owns; the scheduler reads no field
	// of their records until they come back.
	running map[string]bool
	// params are the parameter values (ex.Params masks the secret ones);
	// sec are the execution's secret values.
	params map[string]any
	sec    *secrets
}

// status returns a step's status as the scheduler may read it.
func (x *execution) status(name string) (run.StepStatus, bool) {
	if x.running[name] {
		return run.StepExecuting, true
	}
	r, ok := x.runs[name]
	if !ok {
		return "", false
	}
	return r.Status, true
}

func (e *Engine) execute(parent context.Context, p *pipeline.Pipeline, ex *run.Execution, params map[string]any, sec *secrets, runs map[string]*run.StepRun, selected map[string]bool, opts RunOptions) (*run.Execution, error) {
	x := &execution{
		e: e, p: p, ex: ex, params: params, sec: sec, runs: runs, selected: selected, g: newGraph(p), opts: opts,
		em: &emitter{fn: opts.OnEvent, mask: sec.mask}, done: make(chan stepDone), running: make(map[string]bool),
	}
	// Records are written with a context that outlives cancellation, so a
	// stopped execution still records how it ended.
	rec := context.WithoutCancel(parent)
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		x.watch(rec, cancel, stopWatch)
	}()
	x.em.emit(Event{Time: e.now(), ExecutionID: ex.ID, Status: run.Executing})
	for _, name := range x.g.order { // results kept from a resumed or source execution
		if r, ok := runs[name]; ok && r.Status.Done() {
			msg := "kept from the earlier run"
			if r.Provenance == run.FromSelection {
				msg = "taken from " + r.SourceExecution
			}
			x.em.emit(Event{Time: e.now(), ExecutionID: ex.ID, Step: name, StepStatus: r.Status, Attempt: r.Attempts, Message: msg})
		}
	}
	failure, storeErr := x.loop(ctx, rec)
	close(stopWatch)
	<-watchDone
	if end, ok := e.runner().(ExecutionEnder); ok {
		end.EndExecution(rec, ex.ID)
	}

	ex.EndedAt = e.now()
	cause := context.Cause(ctx)
	switch {
	case storeErr != nil:
		ex.Status, ex.FailureReason = run.Failed, run.TruncateReason(storeErr.Error())
	case parent.Err() != nil || errors.Is(cause, errStopRequested):
		ex.Status = run.Stopped
		if errors.Is(cause, errStopRequested) {
			ex.FailureReason = "stopped by request"
		} else {
			ex.FailureReason = "stopped: " + context.Cause(parent).Error()
		}
	case failure != "":
		ex.Status, ex.FailureReason = run.Failed, run.TruncateReason(failure)
	default:
		var notRun, failed []string
		for _, name := range x.g.order {
			if r, ok := runs[name]; ok && !r.Status.Done() {
				notRun = append(notRun, name)
			} else if ok && r.Status == run.StepFailed {
				failed = append(failed, name)
			}
		}
		switch {
		case len(failed) > 0: // never Succeeded with a failed step
			r := runs[failed[0]]
			ex.Status, ex.FailureReason = run.Failed, run.TruncateReason(fmt.Sprintf("step %s: %s", r.Step, r.FailureReason))
		case len(notRun) > 0:
			ex.Status, ex.FailureReason = run.Failed, run.TruncateReason(fmt.Sprintf("steps not run: %v", notRun))
		default:
			ex.Status = run.Succeeded
		}
	}
	ex.FailureReason = sec.mask(ex.FailureReason)
	if err := x.store().UpdateExecution(rec, ex); err != nil {
		return ex, fmt.Errorf("recording the end of execution %s: %w", ex.ID, err)
	}
	x.em.emit(Event{Time: ex.EndedAt, ExecutionID: ex.ID, Status: ex.Status, Message: ex.FailureReason})
	if storeErr != nil {
		return ex, storeErr
	}
	return ex, nil
}

// watch polls for a stop request and writes heartbeats until stop closes.
func (x *execution) watch(ctx context.Context, cancel context.CancelCauseFunc, stop <-chan struct{}) {
	poll := x.e.PollInterval
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	last := x.e.now()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if req, err := x.e.Store.StopRequested(ctx, x.ex.ID); err != nil {
			x.e.logger().Warn("checking for a stop request", "execution", x.ex.ID, "err", err)
		} else if req {
			cancel(errStopRequested)
		}
		if now := x.e.now(); now.Sub(last) >= x.e.heartbeatInterval() {
			last = now
			if err := x.e.Store.Heartbeat(ctx, x.ex.ID, now); err != nil {
				x.e.logger().Warn("recording heartbeat", "execution", x.ex.ID, "err", err)
			}
		}
	}
}

func (x *execution) limit() int {
	if x.opts.Parallelism > 0 {
		return x.opts.Parallelism
	}
	return x.p.Parallelism
}

// loop schedules ready steps until nothing runs and nothing more can
// start. It returns the first step failure and any error recording state.
func (x *execution) loop(ctx, rec context.Context) (failure string, storeErr error) {
	running := 0
	halted := false
	stopping := false
	for {
		if !halted && ctx.Err() == nil {
			for _, name := range x.g.order {
				if st, _ := x.status(name); st != run.StepPending || (x.selected != nil && !x.selected[name]) {
					continue
				}
				r := x.runs[name]
				if lim := x.limit(); lim > 0 && running >= lim {
					break
				}
				started, err := x.decide(ctx, rec, name, r)
				if err != nil {
					// Workers may be running: halt and keep draining
					// done until they return, as on a worker's error.
					if storeErr == nil {
						storeErr = err
					}
					halted = true
					break
				}
				if started {
					running++
				}
				if !started && r.Status == run.StepFailed && failure == "" {
					// A condition failed in place (decide ran it).
					failure = fmt.Sprintf("step %s: %s", name, r.FailureReason)
					halted = true
					break
				}
			}
		}
		if running == 0 {
			return failure, storeErr
		}
		select {
		case d := <-x.done:
			running--
			delete(x.running, d.r.Step)
			if d.err != nil && storeErr == nil {
				storeErr, halted = d.err, true
			}
			if d.r.Status == run.StepFailed && failure == "" {
				failure = fmt.Sprintf("step %s: %s", d.r.Step, d.r.FailureReason)
				if d.failMessage != "" {
					failure = d.failMessage
				}
				halted = true
			}
		case <-ctx.Done():
			if !stopping {
				stopping = true
				// UpdateExecution writes the heartbeat too: write a
				// current one, or the execution would read as
				// Interrupted until the next heartbeat.
				x.ex.Status, x.ex.Heartbeat = run.Stopping, x.e.now()
				if err := x.store().UpdateExecution(rec, x.ex); err != nil && storeErr == nil {
					storeErr = err
				}
				x.em.emit(Event{Time: x.e.now(), ExecutionID: x.ex.ID, Status: run.Stopping, Message: context.Cause(ctx).Error()})
			}
			// Keep receiving until the running steps return.
			d := <-x.done
			running--
			delete(x.running, d.r.Step)
			if d.err != nil && storeErr == nil {
				storeErr = d.err
			}
		}
	}
}

// decide looks at a pending step whose turn may have come: it waits while
// a dependency is unfinished, skips it when a dependency was skipped or
// its branch was not taken, evaluates a condition in place, or starts a
// worker. It reports whether a worker started.
func (x *execution) decide(ctx, rec context.Context, name string, r *run.StepRun) (bool, error) {
	for _, d := range x.g.deps[name] {
		ds, ok := x.status(d)
		if !ok || !ds.Done() || ds == run.StepFailed || ds == run.StepStopped {
			return false, nil
		}
	}
	st := x.p.Step(name)
	if reason, skip := x.skipReason(st); skip {
		now := x.e.now()
		r.Status, r.StartedAt, r.EndedAt, r.CacheNote = run.StepSkipped, now, now, reason
		if err := x.store().SaveStepRuns(rec, r); err != nil {
			return false, fmt.Errorf("recording step %s: %w", name, err)
		}
		x.em.emit(Event{Time: now, ExecutionID: x.ex.ID, Step: name, StepStatus: run.StepSkipped, Message: reason})
		return false, nil
	}
	sc := x.scope(name)
	if st.Kind == pipeline.KindCondition {
		x.condition(st, r, sc)
		if err := x.store().SaveStepRuns(rec, r); err != nil {
			return false, fmt.Errorf("recording step %s: %w", name, err)
		}
		msg := r.FailureReason
		if r.Status == run.StepSucceeded {
			msg = fmt.Sprintf("outcome %v", r.Properties["outcome"])
		}
		x.em.emit(Event{Time: r.EndedAt, ExecutionID: x.ex.ID, Step: name, StepStatus: r.Status, Message: msg})
		return false, nil
	}
	r.Status, r.StartedAt = run.StepStarting, x.e.now()
	x.em.emit(Event{Time: r.StartedAt, ExecutionID: x.ex.ID, Step: name, StepStatus: run.StepStarting})
	x.running[name] = true
	go func() {
		msg, err := x.runStep(ctx, rec, st, r, sc)
		x.done <- stepDone{r: r, failMessage: msg, err: err}
	}()
	return true, nil
}

// skipReason reports whether st must be skipped: a dependency was skipped,
// or the condition that gates it took the other branch.
func (x *execution) skipReason(st *pipeline.Step) (string, bool) {
	if cond, branch, ok := x.p.Gate(st); ok {
		if cs, _ := x.status(cond); cs.Produced() {
			cr := x.runs[cond]
			outcome, _ := cr.Properties["outcome"].(bool)
			taken := pipeline.BranchElse
			if outcome {
				taken = pipeline.BranchThen
			}
			if branch != taken {
				return fmt.Sprintf("condition %s took the %s branch", cond, taken), true
			}
		}
	}
	for _, d := range x.g.deps[st.Name] {
		if ds, _ := x.status(d); ds == run.StepSkipped {
			return fmt.Sprintf("upstream step %s was skipped", d), true
		}
	}
	return "", false
}

// condition evaluates a condition step and records its outcome.
func (x *execution) condition(st *pipeline.Step, r *run.StepRun, sc *scope) {
	r.StartedAt = x.e.now()
	r.Attempts = 1
	defer func() { r.EndedAt = x.e.now() }()
	if st.If == nil {
		r.Status, r.FailureReason = run.StepFailed, "condition step has no if expression"
		return
	}
	v, err := st.If.Eval(sc)
	if err != nil {
		r.Status, r.FailureReason = run.StepFailed, run.TruncateReason(fmt.Sprintf("evaluating condition: %v", err))
		return
	}
	b, ok := v.(bool)
	if !ok {
		r.Status, r.FailureReason = run.StepFailed, fmt.Sprintf("condition evaluated to %T %v, want a boolean", v, v)
		return
	}
	r.Status, r.Properties = run.StepSucceeded, map[string]any{"outcome": b}
}

// scope snapshots the results of name's dependencies (the only steps its
// expressions can reference) for argument resolution.
func (x *execution) scope(name string) *scope {
	deps := x.g.deps[name]
	done := make(map[string]*run.StepRun, len(deps))
	for _, d := range deps {
		if st, _ := x.status(d); st.Produced() {
			r := x.runs[d]
			c := *r
			c.Outputs, c.Properties = maps.Clone(r.Outputs), maps.Clone(r.Properties)
			done[d] = &c
		}
	}
	return &scope{ex: x.ex, params: x.params, env: x.sec.env, runs: done, now: x.e.now}
}
