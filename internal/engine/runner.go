package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/step"
)

// Task is a step ready to run: the scheduler has resolved its arguments,
// imported its local artifacts and decided that it is not a cache hit.
// Everything in it can cross a process boundary (a Temporal activity's
// input), so a worker on another machine runs it as the local engine does.
type Task struct {
	// Request is the kind's request; Request.Attempt is set per attempt.
	Request step.Request
	Kind    string
	// Queue is the step's task queue (`queue:` in the definition; empty
	// means the default queue). The local engine ignores it.
	Queue string
	// Timeout bounds each attempt (0: none); Retry is the step's retry
	// policy with its defaults filled in.
	Timeout       time.Duration
	Retry         pipeline.RetryPolicy
	PropertyFiles map[string]pipeline.PropertyFile
	// Outputs are the outputs the kind must produce.
	Outputs []string
	// Secret reports that the execution has secret values (secret
	// parameters, {from_env} arguments), which Request.Args may hold in
	// clear: a runner that sends tasks elsewhere must not.
	Secret bool
}

// Observer receives what a [StepRunner] does with a task: the step's log,
// the start of each attempt and each retry.
type Observer struct {
	// Log receives the step's log (the file `ferry logs` shows).
	Log io.Writer
	// Logger is the engine's logger, scoped to the step.
	Logger *slog.Logger
	// Attempt is called before attempt n (1-based) starts; an error
	// (recording it failed) ends the step.
	Attempt func(n int) error
	// Retry is called when attempt n failed with err and the next starts
	// after wait.
	Retry func(n int, err error, wait time.Duration)
}

// StepRunner runs tasks: the seam between the scheduler (graph, cache
// decisions, records) and where a step's kind runs. [Local] runs it in
// this process; the Temporal engine (internal/temporal) runs it as an
// activity on a worker. Both run each attempt with an [Attempter].
//
// RunStep returns the successful attempt's result, or the last attempt's
// error: a *step.FailError or a step.Permanent error as the kind returned
// it, a *RecordError when an Observer callback failed, or the cause of ctx
// when the execution was stopped.
type StepRunner interface {
	RunStep(ctx context.Context, t Task, obs Observer) (step.Result, error)
}

// ExecutionEnder is implemented by StepRunners that keep state per
// execution (a Temporal workflow): the engine calls EndExecution once an
// execution (a run or a resume) has ended and no step runs any more.
type ExecutionEnder interface {
	EndExecution(ctx context.Context, executionID string)
}

// RecordError is a failure to record a step's progress, returned by
// StepRunner.RunStep when an Observer callback failed.
type RecordError struct{ Err error }

func (e *RecordError) Error() string { return e.Err.Error() }
func (e *RecordError) Unwrap() error { return e.Err }

// Attempter runs one attempt of a task: the kind in a fresh work
// directory under the step's timeout, then the checks of its outputs and
// its property files. Both engines run every attempt through it.
type Attempter struct {
	Kinds     KindLookup
	Artifacts artifact.Store
	// Home holds the attempts' work directories (Home/work).
	Home string
	// Parts, when set, gives each attempt of t a step.PartRunner that
	// runs the step's parts elsewhere (the Temporal worker's: each part on
	// any worker); nil lets kinds run their parts themselves.
	Parts func(t Task) step.PartRunner
}

// Attempt runs attempt n of t. log receives the kind's log; logger is
// handed to the kind.
func (a *Attempter) Attempt(ctx context.Context, t Task, n int, log io.Writer, logger *slog.Logger) (step.Result, error) {
	kind, ok := a.Kinds.Lookup(t.Kind)
	if !ok {
		return step.Result{}, step.Permanent(fmt.Errorf("unknown step kind %q", t.Kind))
	}
	req := t.Request
	req.Attempt = n
	res, err := a.run(ctx, t, req, log, logger, func(ctx context.Context, env step.Env) (step.Result, error) {
		if a.Parts != nil {
			env.Parts = a.Parts(t)
		}
		return kind.Run(ctx, env, req)
	})
	if err != nil {
		return res, err
	}
	if err := a.collect(ctx, t, &res); err != nil {
		return res, err
	}
	return res, nil
}

// RunPart runs one part of an attempt of t (step.Parter) in a fresh work
// directory of its own, under the step's timeout: what a worker does for
// another worker's step.PartRunner.
func (a *Attempter) RunPart(ctx context.Context, t Task, input []byte, log io.Writer, logger *slog.Logger) ([]byte, error) {
	kind, ok := a.Kinds.Lookup(t.Kind)
	if !ok {
		return nil, step.Permanent(fmt.Errorf("unknown step kind %q", t.Kind))
	}
	parter, ok := kind.(step.Parter)
	if !ok {
		return nil, step.Permanent(fmt.Errorf("step kind %q has no parts", t.Kind))
	}
	var out []byte
	_, err := a.run(ctx, t, t.Request, log, logger, func(ctx context.Context, env step.Env) (step.Result, error) {
		var err error
		out, err = parter.RunPart(ctx, env, t.Request, input)
		return step.Result{}, err
	})
	if err != nil {
		// Not out: a part abandoned after cancellation may still write it.
		return nil, err
	}
	return out, nil
}

// run runs the kind once (call) in a fresh work directory, under the
// step's timeout, turning a panic into a permanent failure.
func (a *Attempter) run(ctx context.Context, t Task, req step.Request, log io.Writer, logger *slog.Logger, call func(context.Context, step.Env) (step.Result, error)) (step.Result, error) {
	actx := ctx
	if t.Timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeoutCause(ctx, t.Timeout, timeoutError{t.Timeout})
		defer cancel()
	}
	home := a.Home
	if abs, err := filepath.Abs(home); err == nil {
		home = abs
	}
	workRoot := filepath.Join(home, "work")
	if err := os.MkdirAll(workRoot, 0o700); err != nil { // owner only: programs may write secrets
		return step.Result{}, fmt.Errorf("creating work directory: %w", err)
	}
	wd, err := os.MkdirTemp(workRoot, safeName(req.ExecutionID+"-"+req.StepName)+"-")
	if err != nil {
		return step.Result{}, fmt.Errorf("creating work directory: %w", err)
	}
	env := step.Env{
		Store: a.Artifacts, WorkDir: wd, Log: log,
		Logger: logger.With("execution", req.ExecutionID, "step", req.StepName, "kind", t.Kind),
	}
	type outcome struct {
		res step.Result
		err error
	}
	ch := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			if p := recover(); p != nil {
				fmt.Fprintf(log, "panic: %v\n%s", p, debug.Stack())
				o = outcome{err: step.Permanent(fmt.Errorf("step kind %s panicked: %v", t.Kind, p))}
			}
			ch <- o
		}()
		o.res, o.err = call(actx, env)
	}()
	var o outcome
	select {
	case o = <-ch:
	case <-actx.Done():
		timer := time.NewTimer(abandonAfter)
		select {
		case o = <-ch:
			timer.Stop()
		case <-timer.C:
			// The kind ignores cancellation: leave it and its work dir.
			return step.Result{}, fmt.Errorf("step kind %s did not return within %s of cancellation: %w", t.Kind, abandonAfter, context.Cause(actx))
		}
	}
	artifact.RemoveTree(wd) // a program may have copied read-only input trees
	if o.err != nil && ctx.Err() == nil && actx.Err() != nil {
		if cause := context.Cause(actx); !errors.Is(o.err, cause) {
			return o.res, fmt.Errorf("%w: %v", cause, o.err)
		}
	}
	if o.err == nil && ctx.Err() == nil && actx.Err() != nil {
		return o.res, context.Cause(actx)
	}
	return o.res, o.err
}

// collect checks a successful run's outputs and reads the step's property
// files into its properties.
func (a *Attempter) collect(ctx context.Context, t Task, res *step.Result) error {
	for _, name := range t.Outputs {
		if _, ok := res.Outputs[name]; !ok {
			return step.Permanent(fmt.Errorf("output %q was not produced", name))
		}
	}
	for name, ref := range res.Outputs {
		ok, err := a.Artifacts.Exists(ctx, ref)
		if err != nil {
			return fmt.Errorf("output %q: %w", name, err)
		}
		if !ok {
			return step.Permanent(fmt.Errorf("output %q: artifact %s is not in the store", name, ref))
		}
	}
	props, err := properties(ctx, a.Artifacts, t.PropertyFiles, res.Properties, res.Outputs)
	if err != nil {
		return step.Permanent(err)
	}
	res.Properties = props
	return nil
}

// Local is the in-process StepRunner: attempts run in this process, with
// the step's retry policy's waits between them.
type Local struct {
	Attempter *Attempter
}

// RunStep implements StepRunner.
func (l Local) RunStep(ctx context.Context, t Task, obs Observer) (step.Result, error) {
	wait := t.Retry.Interval
	for n := 1; ; n++ {
		if err := obs.Attempt(n); err != nil {
			return step.Result{}, &RecordError{err}
		}
		fmt.Fprintf(obs.Log, "--- %s attempt %d\n", time.Now().UTC().Format(time.RFC3339), n)
		res, err := l.Attempter.Attempt(ctx, t, n, obs.Log, obs.Logger)
		if err == nil {
			return res, nil
		}
		fmt.Fprintf(obs.Log, "--- attempt %d failed: %v\n", n, err)
		if ctx.Err() != nil {
			return step.Result{}, context.Cause(ctx)
		}
		if !Retryable(err) || n >= t.Retry.MaxAttempts {
			return step.Result{}, err
		}
		obs.Retry(n, err, wait)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return step.Result{}, context.Cause(ctx)
		case <-timer.C:
		}
		wait = time.Duration(float64(wait) * t.Retry.BackoffRate)
		if t.Retry.MaxInterval > 0 && wait > t.Retry.MaxInterval {
			wait = t.Retry.MaxInterval
		}
	}
}

// Retryable reports whether a step's retry policy may retry err: neither
// step.Permanent nor a fail step's *step.FailError.
func Retryable(err error) bool {
	var fe *step.FailError
	return !step.IsPermanent(err) && !errors.As(err, &fe)
}

// RetryPolicy fills in a step's retry defaults: one attempt, 1s interval,
// backoff rate 2.
func RetryPolicy(p *pipeline.RetryPolicy) pipeline.RetryPolicy { return retryPolicy(p) }
