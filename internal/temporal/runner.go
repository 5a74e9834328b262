// Package temporal is Ferry's Temporal engine: the scheduler of
// internal/engine decides (graph, cache, records, stop, resume, selective
// runs) and a Runner hands each step to Temporal, where an execution is a
// workflow (its ID is the execution's ID) and a step is an activity on a
// task queue that `ferry worker` processes ([Worker]) poll. Workers run
// each attempt through engine.Attempter, as the local engine does, and
// need no database: the server records every step.
//
// The package links only Temporal's SDK; the Temporal server is imported
// only by tests behind the temporal build tag.
package temporal

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/step"
)

// Runner is the engine.StepRunner of the Temporal engine, used by the
// server. It implements engine.ExecutionEnder.
type Runner struct {
	Client client.Client
	// HeartbeatTimeout is how long a step's activity may go without a
	// heartbeat before Temporal gives its attempt to another worker
	// (default 30s). Workers heartbeat every second by default.
	HeartbeatTimeout time.Duration
	// ServerQueue and ServerKinds: steps of these kinds (those that act
	// on the registry and endpoints, which live behind the server) run on
	// ServerQueue, polled by the server's own [Worker], unless the step
	// names a queue.
	ServerQueue string
	ServerKinds map[string]bool
	// InstanceQueues sends the steps of SageMaker definitions to a queue
	// by the instance type they request (ResourceConfig,
	// ProcessingResources.ClusterConfig, TransformResources), unless the
	// step names a queue or runs on ServerQueue.
	InstanceQueues InstanceQueues
	// MaxInFlight bounds the steps of one execution running at once
	// (default 10, Temporal's default limit of in-flight updates per
	// workflow).
	MaxInFlight int

	once   sync.Once
	nonce  string
	calls  atomic.Int64 // numbers update IDs
	mu     sync.Mutex
	execs  map[string]*execState
	active map[string]*activeStep // running steps by execution/step
}

// activeStep is a step that runs on a worker: reports of its attempts
// reach its Observer under mu.
type activeStep struct {
	mu   sync.Mutex
	obs  engine.Observer
	last int // the highest attempt recorded
	done bool
}

// attempt records attempt n unless a later one is recorded.
func (a *activeStep) attempt(n int) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done || n <= a.last {
		return nil
	}
	a.last = n
	return a.obs.Attempt(n)
}

// ErrNotRunning is returned by [Runner.ReportAttempt] for a step that is
// not running here.
var ErrNotRunning = errors.New("the step is not running on a worker")

// ReportAttempt records that a worker starts attempt n of a running step
// (reported through the server's API); it implements
// app.AttemptReporter.
func (r *Runner) ReportAttempt(ctx context.Context, executionID, stepName string, n int) error {
	r.init()
	r.mu.Lock()
	a, ok := r.active[executionID+"/"+stepName]
	r.mu.Unlock()
	if !ok {
		return ErrNotRunning
	}
	return a.attempt(n)
}

type execState struct {
	sem chan struct{}
}

var (
	_ engine.StepRunner     = (*Runner)(nil)
	_ engine.ExecutionEnder = (*Runner)(nil)
)

func (r *Runner) init() {
	r.once.Do(func() {
		r.nonce = strconv.FormatInt(time.Now().UnixNano(), 36)
		r.execs = make(map[string]*execState)
		r.active = make(map[string]*activeStep)
	})
}

func (r *Runner) heartbeatTimeout() time.Duration {
	if r.HeartbeatTimeout > 0 {
		return r.HeartbeatTimeout
	}
	return 30 * time.Second
}

// execution starts the execution's workflow when this process has not
// yet (a running one with the same ID is reused: a resume after a crash).
func (r *Runner) execution(ctx context.Context, id string) (*execState, error) {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.execs[id]; ok {
		return st, nil
	}
	_, err := r.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: WorkflowQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, WorkflowName, workflowParams{HeartbeatTimeout: r.heartbeatTimeout(), Grace: time.Minute, NoTimeout: 7 * 24 * time.Hour})
	if err != nil {
		return nil, fmt.Errorf("starting the workflow of execution %s: %w", id, err)
	}
	n := r.MaxInFlight
	if n <= 0 {
		n = 10
	}
	st := &execState{sem: make(chan struct{}, n)}
	r.execs[id] = st
	return st, nil
}

// forget drops what this process knows of an execution's workflow.
func (r *Runner) forget(id string) {
	r.init()
	r.mu.Lock()
	delete(r.execs, id)
	r.mu.Unlock()
}

// EndExecution implements engine.ExecutionEnder: it lets the workflow
// complete.
func (r *Runner) EndExecution(ctx context.Context, id string) {
	r.init()
	r.mu.Lock()
	_, ok := r.execs[id]
	delete(r.execs, id)
	r.mu.Unlock()
	if ok {
		_ = r.Client.SignalWorkflow(ctx, id, "", signalEnd, nil)
	}
}

// RunStep implements engine.StepRunner.
func (r *Runner) RunStep(ctx context.Context, t engine.Task, obs engine.Observer) (step.Result, error) {
	if r.ServerKinds[t.Kind] && t.Queue == "" && r.ServerQueue != "" {
		t.Queue = r.ServerQueue
	}
	if t.Queue == "" {
		t.Queue = r.InstanceQueues.Queue(InstanceType(t.Request.Args))
	}
	if t.Secret {
		// Temporal keeps activity inputs in its history: secret values
		// would be stored there in clear.
		return step.Result{}, step.Permanent(errors.New("the execution has secret values, which the Temporal engine does not send to workers (they would be stored in Temporal's history): run it with --engine local"))
	}
	wt, err := encodeTask(t)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("encoding the step for Temporal: %w", err))
	}
	id := t.Request.ExecutionID
	st, err := r.execution(ctx, id)
	if err != nil {
		return step.Result{}, err
	}
	select {
	case st.sem <- struct{}{}:
	case <-ctx.Done():
		return step.Result{}, context.Cause(ctx)
	}
	defer func() { <-st.sem }()
	act := &activeStep{obs: obs}
	if err := act.attempt(1); err != nil {
		return step.Result{}, &engine.RecordError{Err: err}
	}
	key := id + "/" + t.Request.StepName
	r.mu.Lock()
	r.active[key] = act
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.active, key)
		r.mu.Unlock()
		act.mu.Lock()
		act.done = true
		act.mu.Unlock()
	}()
	update := func() (client.WorkflowUpdateHandle, error) {
		return r.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateID: fmt.Sprintf("%s/%s/%d", t.Request.StepName, r.nonce, r.calls.Add(1)),
			UpdateName: updateRunStep, Args: []any{wt}, WaitForStage: client.WorkflowUpdateStageAccepted,
		})
	}
	h, err := update()
	if err != nil && ctx.Err() == nil {
		// The workflow may have completed under us (an execution ended
		// and was resumed at once): start a new run and ask again.
		r.forget(id)
		if _, serr := r.execution(ctx, id); serr == nil {
			h, err = update()
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return step.Result{}, context.Cause(ctx)
		}
		return step.Result{}, fmt.Errorf("asking Temporal to run step %s: %w", t.Request.StepName, err)
	}
	type got struct {
		out Outcome
		err error
	}
	ch := make(chan got, 1)
	go func() {
		var g got
		g.err = h.Get(context.WithoutCancel(ctx), &g.out)
		ch <- g
	}()
	var g got
	select {
	case g = <-ch:
	case <-ctx.Done():
		if err := r.Client.SignalWorkflow(context.WithoutCancel(ctx), id, "", signalStopStep, t.Request.StepName); err != nil {
			obs.Logger.Warn("asking Temporal to cancel a step", "execution", id, "step", t.Request.StepName, "err", err)
		}
		timer := time.NewTimer(r.heartbeatTimeout() + 10*time.Second)
		defer timer.Stop()
		select {
		case g = <-ch:
			obs.Log.Write(g.out.Log)
		case <-timer.C:
		}
		return step.Result{}, context.Cause(ctx)
	}
	if g.err != nil {
		return step.Result{}, fmt.Errorf("running step %s on Temporal: %w", t.Request.StepName, g.err)
	}
	out := g.out
	if out.LostWorkers > 0 {
		fmt.Fprintf(obs.Log, "--- %d attempt(s) lost with their worker were run again\n", out.LostWorkers)
	}
	obs.Log.Write(out.Log)
	if err := act.attempt(out.Attempts); err != nil {
		return step.Result{}, &engine.RecordError{Err: err}
	}
	switch out.ErrorType {
	case "":
		return step.Result{Outputs: out.Outputs, Properties: out.Properties}, nil
	case errPermanent:
		return step.Result{}, step.Permanent(errors.New(out.Error))
	case errFail:
		return step.Result{}, &step.FailError{Message: out.FailMessage}
	case errCanceled:
		if ctx.Err() != nil {
			return step.Result{}, context.Cause(ctx)
		}
		return step.Result{}, step.Permanent(errors.New(out.Error))
	default:
		// Temporal spent the retry policy: the last attempt's error.
		return step.Result{}, step.Permanent(errors.New(out.Error))
	}
}

// ExecutionWorker returns a worker that runs the executions' workflows and
// the steps' part workflows (on WorkflowQueue); the server runs it beside
// its scheduler.
func ExecutionWorker(c client.Client) worker.Worker {
	w := worker.New(c, WorkflowQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(executionWorkflow, workflow.RegisterOptions{Name: WorkflowName})
	w.RegisterWorkflowWithOptions(partWorkflow, workflow.RegisterOptions{Name: PartWorkflowName})
	return w
}
