package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sagemaker/definition"
)

// RunRequest starts an execution of a definition.
type RunRequest struct {
	// Name is the definition's file name: error locations name it, and a
	// definition's local artifact paths resolve against its directory
	// (on the machine that runs the execution).
	Name string
	// Source is the definition's text. Digest, instead, names a stored
	// pipeline version to run again.
	Source []byte
	Digest string
	// Params override parameters (name to value as typed on a command
	// line); they are coerced to the declared types.
	Params map[string]string
	// NoCache disables cache hits; Parallelism (> 0) overrides the
	// pipeline's limit.
	NoCache     bool
	Parallelism int
	// Steps selects the steps to run (empty: all); From names the
	// execution whose results the unselected steps reuse.
	Steps []string
	From  string
}

// ResumeRequest resumes a failed, stopped or interrupted execution.
type ResumeRequest struct {
	NoCache     bool
	Parallelism int
}

// InvalidPipelineError is returned when a definition does not validate.
// Err holds every problem (a *pipeline.ValidationErrors when the text
// parsed at all).
type InvalidPipelineError struct {
	Name string
	Err  error
}

func (e *InvalidPipelineError) Error() string {
	return fmt.Sprintf("%s is not a valid pipeline:\n%v", e.Name, e.Err)
}

// Unwrap returns the problems and ErrInvalid.
func (e *InvalidPipelineError) Unwrap() []error { return []error{e.Err, ErrInvalid} }

// Validate parses and validates a definition, reporting every problem at
// once (an *InvalidPipelineError).
func (a *App) Validate(name string, src []byte) (*pipeline.Pipeline, error) {
	if name == "" {
		name = "pipeline.yaml"
	}
	p, err := definition.Load(name, src, a.cfg.Specs) // Ferry's format or a SageMaker definition
	if err != nil {
		return nil, &InvalidPipelineError{Name: name, Err: err}
	}
	return p, nil
}

// prepare loads the definition of req and checks everything the engine
// would refuse, so that a bad request is ErrInvalid before anything runs.
func (a *App) prepare(ctx context.Context, req RunRequest) (*pipeline.Pipeline, engine.RunOptions, error) {
	var opts engine.RunOptions
	src := req.Source
	switch {
	case len(src) > 0 && req.Digest != "":
		return nil, opts, fmt.Errorf("give a definition's source or a stored version's digest, not both: %w", ErrInvalid)
	case req.Digest != "":
		var err error
		if src, err = a.cfg.Executions.PipelineSource(ctx, req.Digest); err != nil {
			return nil, opts, err
		}
	case len(src) == 0:
		return nil, opts, fmt.Errorf("no pipeline definition given: %w", ErrInvalid)
	}
	if err := checkParallelism(req.Parallelism); err != nil {
		return nil, opts, err
	}
	p, err := a.Validate(req.Name, src)
	if err != nil {
		return nil, opts, err
	}
	if _, err := p.CoerceParams(req.Params); err != nil {
		return nil, opts, fmt.Errorf("pipeline %q parameters: %w: %w", p.Name, err, ErrInvalid)
	}
	for _, s := range req.Steps {
		if p.Step(s) == nil {
			return nil, opts, fmt.Errorf("selected step %q: no such step in pipeline %q: %w", s, p.Name, ErrInvalid)
		}
	}
	opts = engine.RunOptions{Source: src, Params: req.Params, NoCache: req.NoCache, Parallelism: req.Parallelism, Steps: req.Steps}
	if req.From != "" {
		from, err := a.cfg.Executions.ResolveExecution(ctx, req.From)
		if err != nil {
			return nil, opts, fmt.Errorf("source execution: %w", err)
		}
		opts.From = from.ID
	}
	return p, opts, nil
}

// Run runs an execution to its end in the caller's goroutine, sending
// progress to onEvent (may be nil), and returns it with its steps.
// Cancelling ctx stops it. An execution that fails is not an error: its
// status says so.
func (a *App) Run(ctx context.Context, req RunRequest, onEvent func(engine.Event)) (Execution, error) {
	p, opts, err := a.prepare(ctx, req)
	if err != nil {
		return Execution{}, err
	}
	opts.OnEvent = onEvent
	ex, err := a.engine.Run(ctx, p, opts)
	if err != nil {
		return Execution{}, err
	}
	// An interrupt cancels ctx and stops the execution; still report it.
	return a.Execution(context.WithoutCancel(ctx), ex.ID)
}

// Start starts an execution in the background and returns it as soon as
// it is recorded. It runs until it ends, is stopped, or Close is called.
func (a *App) Start(ctx context.Context, req RunRequest) (Execution, error) {
	p, opts, err := a.prepare(ctx, req)
	if err != nil {
		return Execution{}, err
	}
	return a.background1(ctx, func(bctx context.Context, opts engine.RunOptions) error {
		_, err := a.engine.Run(bctx, p, opts)
		return err
	}, opts)
}

// resumable loads an execution to resume and its definition.
func (a *App) resumable(ctx context.Context, id string) (*run.Execution, *pipeline.Pipeline, error) {
	ex, err := a.cfg.Executions.ResolveExecution(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	switch st := a.Status(ex); st {
	case run.Succeeded:
		return nil, nil, fmt.Errorf("execution %s already succeeded: %w", ex.ID, ErrConflict)
	case run.Executing, run.Stopping:
		return nil, nil, fmt.Errorf("execution %s is still running (pid %d on %s): %w", ex.ID, ex.OwnerPID, ex.OwnerHost, ErrConflict)
	}
	src, err := a.cfg.Executions.PipelineSource(ctx, ex.PipelineDigest)
	if err != nil {
		return nil, nil, err
	}
	name := ex.DefinitionPath
	if name == "" {
		name = ex.PipelineName + ".yaml"
	}
	p, err := a.Validate(name, src)
	if err != nil {
		return nil, nil, err
	}
	return ex, p, nil
}

// Resume resumes an execution in the caller's goroutine (see Run).
func (a *App) Resume(ctx context.Context, id string, req ResumeRequest, onEvent func(engine.Event)) (Execution, error) {
	if err := checkParallelism(req.Parallelism); err != nil {
		return Execution{}, err
	}
	ex, p, err := a.resumable(ctx, id)
	if err != nil {
		return Execution{}, err
	}
	opts := engine.RunOptions{NoCache: req.NoCache, Parallelism: req.Parallelism, OnEvent: onEvent}
	if _, err := a.engine.Resume(ctx, p, ex.ID, opts); err != nil {
		return Execution{}, err
	}
	return a.Execution(context.WithoutCancel(ctx), ex.ID)
}

// StartResume resumes an execution in the background (see Start).
func (a *App) StartResume(ctx context.Context, id string, req ResumeRequest) (Execution, error) {
	if err := checkParallelism(req.Parallelism); err != nil {
		return Execution{}, err
	}
	ex, p, err := a.resumable(ctx, id)
	if err != nil {
		return Execution{}, err
	}
	return a.background1(ctx, func(bctx context.Context, opts engine.RunOptions) error {
		_, err := a.engine.Resume(bctx, p, ex.ID, opts)
		return err
	}, engine.RunOptions{NoCache: req.NoCache, Parallelism: req.Parallelism})
}

// background1 runs start in the background and returns the execution
// once the engine reports it running, or start's error if it ends first.
func (a *App) background1(ctx context.Context, start func(context.Context, engine.RunOptions) error, opts engine.RunOptions) (Execution, error) {
	bctx, release, err := a.background()
	if err != nil {
		return Execution{}, err
	}
	started := make(chan string, 1)
	done := make(chan error, 1)
	opts.OnEvent = func(ev engine.Event) {
		if ev.Step == "" && ev.Status == run.Executing {
			select {
			case started <- ev.ExecutionID:
			default:
			}
		}
	}
	go func() {
		defer release()
		err := start(bctx, opts)
		if err != nil && !errors.Is(err, errShutdown) {
			a.cfg.Logger.Warn("background execution", "err", err)
		}
		done <- err
	}()
	select {
	case id := <-started:
		return a.Execution(ctx, id)
	case err := <-done:
		// A short execution may have started and ended before this
		// select ran: the record exists then, whatever its outcome.
		select {
		case id := <-started:
			return a.Execution(ctx, id)
		default:
		}
		if err == nil {
			err = errors.New("the execution ended before it was recorded")
		}
		return Execution{}, err
	case <-ctx.Done():
		return Execution{}, ctx.Err()
	}
}

// MaxParallelism bounds the parallelism a run may ask for.
const MaxParallelism = 10000 // as in a definition

func checkParallelism(n int) error {
	if n < 0 || n > MaxParallelism {
		return fmt.Errorf("parallelism %d: want 0 (the pipeline's limit) to %d: %w", n, MaxParallelism, ErrInvalid)
	}
	return nil
}
