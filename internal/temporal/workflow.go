package temporal

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Names on the Temporal side (contracts between the server and workers of
// different versions: never renamed).
const (
	// WorkflowName is the workflow of one execution; its ID is the
	// execution's ID.
	WorkflowName = "ferry.execution"
	// ActivityName is the activity that runs one step.
	ActivityName = "ferry.step"
	// updateRunStep asks the execution's workflow to run a step and
	// returns its Outcome; signalStopStep cancels a running step;
	// signalEnd lets the workflow complete.
	updateRunStep  = "run-step"
	signalStopStep = "stop-step"
	signalEnd      = "end"
	// DefaultQueue is the task queue of steps without `queue:`;
	// WorkflowQueue is where the server runs the executions' workflows.
	DefaultQueue  = "default"
	WorkflowQueue = "ferry-executions"
	// maxLostWorkers bounds how often one step is rerun because its
	// worker stopped heartbeating, beyond its retry policy.
	maxLostWorkers = 5
)

// workflowParams are the execution workflow's settings, chosen by the
// server when it starts it.
type workflowParams struct {
	HeartbeatTimeout time.Duration
	// Grace is added to a step's timeout for the activity's
	// start-to-close timeout (the worker enforces the step's own);
	// NoTimeout is the start-to-close timeout of steps without one.
	Grace     time.Duration
	NoTimeout time.Duration
}

// executionWorkflow is one execution: it runs the steps the server's
// scheduler asks for (run-step updates) as activities on their task
// queues, with the step's retry policy, until the server ends it.
func executionWorkflow(ctx workflow.Context, p workflowParams) error {
	cancels := map[string]workflow.CancelFunc{}
	ended := false
	if err := workflow.SetUpdateHandler(ctx, updateRunStep, func(ctx workflow.Context, t Task) (Outcome, error) {
		actx, cancel := workflow.WithCancel(ctx)
		cancels[t.Request.StepName] = cancel
		defer delete(cancels, t.Request.StepName)
		return runStep(actx, p, t), nil
	}); err != nil {
		return err
	}
	stops := workflow.GetSignalChannel(ctx, signalStopStep)
	ends := workflow.GetSignalChannel(ctx, signalEnd)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var name string
			stops.Receive(ctx, &name)
			if c, ok := cancels[name]; ok {
				c()
			}
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		ends.Receive(ctx, nil)
		ended = true
	})
	return workflow.Await(ctx, func() bool { return ended && workflow.AllHandlersFinished(ctx) })
}

// runStep runs one step's activity with its retry policy mapped onto
// Temporal's: attempts, interval, backoff and maximum interval; permanent
// and fail-step errors are not retryable. An attempt whose worker stopped
// heartbeating is rerun (up to maxLostWorkers times) even when the step's
// attempts are spent, so a lost worker does not fail a step.
func runStep(ctx workflow.Context, p workflowParams, t Task) Outcome {
	queue := t.Queue
	if queue == "" {
		queue = DefaultQueue
	}
	stc := p.NoTimeout
	if t.Timeout > 0 {
		stc = t.Timeout + p.Grace
	}
	rate := t.Retry.BackoffRate
	if rate < 1 {
		rate = 1
	}
	maxAttempts := t.Retry.MaxAttempts
	if maxAttempts < 1 {
		maxAttempts = 1
	}
	ao := workflow.ActivityOptions{
		TaskQueue:           queue,
		StartToCloseTimeout: stc,
		HeartbeatTimeout:    p.HeartbeatTimeout,
		WaitForCancellation: true,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        t.Retry.Interval,
			BackoffCoefficient:     rate,
			MaximumInterval:        t.Retry.MaxInterval,
			MaximumAttempts:        int32(maxAttempts),
			NonRetryableErrorTypes: []string{errPermanent, errFail, errCanceled, errLost},
		},
	}
	actx := workflow.WithActivityOptions(ctx, ao)
	var out Outcome
	for lost := 0; ; lost++ {
		var res activityResult
		err := workflow.ExecuteActivity(actx, ActivityName, t).Get(actx, &res)
		if err == nil {
			out.Outputs, out.Properties, out.Attempts = res.Outputs, res.Properties, res.Attempt
			out.Log = append(out.Log, res.Log...)
			out.LostWorkers = lost
			return out
		}
		if lostAttempt(err) && lost < maxLostWorkers && ctx.Err() == nil {
			continue
		}
		out.LostWorkers = lost
		describe(err, &out)
		return out
	}
}

// lostAttempt reports whether an attempt failed for want of its worker:
// its heartbeats stopped reaching Temporal (the worker died or was cut
// off), or the worker gave it up because they failed.
func lostAttempt(err error) bool {
	var te *temporal.TimeoutError
	if errors.As(err, &te) && te.TimeoutType() == enumspb.TIMEOUT_TYPE_HEARTBEAT {
		return true
	}
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == errLost
}

// describe fills the failure fields of out from an activity's error.
func describe(err error, out *Outcome) {
	var ae *temporal.ApplicationError
	var te *temporal.TimeoutError
	var ce *temporal.CanceledError
	switch {
	case errors.As(err, &ae):
		out.ErrorType, out.Error = ae.Type(), ae.Message()
		var d failureDetails
		if ae.HasDetails() && ae.Details(&d) == nil {
			out.FailMessage, out.Attempts = d.FailMessage, d.Attempt
			out.Log = append(out.Log, d.Log...)
		}
		switch ae.Type() {
		case errPermanent, errFail, errRetryable, errTimeout, errCanceled:
		case errLost:
			out.ErrorType, out.Error = errRetryable, "the worker lost Temporal mid-step ("+ae.Message()+")"
		default:
			out.ErrorType = errRetryable
		}
	case errors.As(err, &ce):
		out.ErrorType, out.Error = errCanceled, "step canceled"
	case errors.As(err, &te):
		out.ErrorType = errTimeout
		switch te.TimeoutType() {
		case enumspb.TIMEOUT_TYPE_HEARTBEAT:
			out.Error = "the worker running the step stopped heartbeating"
		default:
			out.Error = "timed out (" + te.TimeoutType().String() + ")"
		}
	default:
		out.ErrorType, out.Error = errRetryable, err.Error()
	}
	if out.Attempts == 0 {
		out.Attempts = 1
	}
}
