package temporal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/step"
)

const (
	// PartWorkflowName is the workflow that runs one part of a step (a
	// tuning step's trial): a child of no workflow, started by the worker
	// that runs the step, on WorkflowQueue.
	PartWorkflowName = "ferry.part"
	// PartActivityName is the activity that runs a part on the step's
	// part queue ([PartQueue]), so any worker polling the step's queue
	// may take it.
	PartActivityName = "ferry.part-attempt"
	// partNoTimeout bounds a part of a step without a timeout.
	partNoTimeout = 24 * time.Hour
)

// PartQueue is the task queue of the parts of steps on queue q. Workers
// poll it beside q with slots of their own, so a step waiting for its
// parts never holds the slots its parts need.
func PartQueue(q string) string { return q + "-parts" }

// partParams are a part workflow's input.
type partParams struct {
	Task             Task
	Name             string
	Input            []byte
	HeartbeatTimeout time.Duration
}

// partResult is a part's output and log.
type partResult struct {
	Output []byte `json:",omitempty"`
	Log    []byte `json:",omitempty"`
}

// partWorkflow runs a part's activity on the step's queue. A part is not
// retried on failure (the kind records its parts' failures itself), but a
// part whose worker stopped heartbeating runs again elsewhere, as a
// step's attempt does.
func partWorkflow(ctx workflow.Context, p partParams) (partResult, error) {
	queue := p.Task.Queue
	if queue == "" {
		queue = DefaultQueue
	}
	stc := partNoTimeout
	if p.Task.Timeout > 0 {
		stc = p.Task.Timeout
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           PartQueue(queue),
		StartToCloseTimeout: stc,
		HeartbeatTimeout:    p.HeartbeatTimeout,
		WaitForCancellation: true,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	for lost := 0; ; lost++ {
		var res partResult
		err := workflow.ExecuteActivity(actx, PartActivityName, p).Get(actx, &res)
		if err == nil || !lostAttempt(err) || lost >= maxLostWorkers || ctx.Err() != nil {
			return res, err
		}
	}
}

// partRunner is the step.PartRunner of a step running on a worker: each
// part is a workflow of its own whose activity any worker of the step's
// queue may take.
type partRunner struct {
	client           client.Client
	task             Task
	heartbeatTimeout time.Duration
}

// RunPart starts (or joins) the part's workflow and waits for it. The
// workflow's ID is the execution, step, part name and a digest of the
// input: a retried attempt of the step joins a part still running, or
// takes the result of one that completed, instead of running it again.
func (r *partRunner) RunPart(ctx context.Context, p step.Part) ([]byte, []byte, error) {
	sum := sha256.Sum256(p.Input)
	id := fmt.Sprintf("%s/%s/%s/%s", r.task.Request.ExecutionID, r.task.Request.StepName, p.Name, hex.EncodeToString(sum[:6]))
	run, err := r.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                WorkflowQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, PartWorkflowName, partParams{Task: r.task, Name: p.Name, Input: p.Input, HeartbeatTimeout: r.heartbeatTimeout})
	if err != nil {
		return nil, nil, fmt.Errorf("starting part %s: %w", p.Name, err)
	}
	var res partResult
	if err := run.Get(ctx, &res); err != nil {
		if ctx.Err() != nil {
			// The step was stopped or lost: stop its part too.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = r.client.CancelWorkflow(cctx, id, "")
			return nil, nil, ctx.Err()
		}
		var ae *temporal.ApplicationError
		var d failureDetails
		if errors.As(err, &ae) && ae.HasDetails() && ae.Details(&d) == nil {
			res.Log = d.Log
		}
		return nil, res.Log, fmt.Errorf("part %s: %w", p.Name, err)
	}
	return res.Output, res.Log, nil
}

// parts returns the Attempter's step.PartRunner factory for this worker.
func (w *Worker) parts(t engine.Task) step.PartRunner {
	wt, err := encodeTask(t)
	if err != nil {
		return nil // secret arguments: the kind runs its parts itself
	}
	hb := w.PartHeartbeatTimeout
	if hb <= 0 {
		hb = 30 * time.Second
	}
	return &partRunner{client: w.Client, task: wt, heartbeatTimeout: hb}
}

// runPart is the part activity: one part of another worker's step,
// heartbeating while it runs.
func (w *Worker) runPart(ctx context.Context, p partParams) (partResult, error) {
	t, err := p.Task.decode()
	if err != nil {
		return partResult{}, temporal.NewNonRetryableApplicationError(err.Error(), errPermanent, nil)
	}
	stop := w.heartbeat(ctx, 1)
	defer stop()
	log := &tailBuffer{}
	fmt.Fprintf(log, "--- %s %s on worker %s\n", time.Now().UTC().Format(time.RFC3339), p.Name, w.Identity)
	logger := w.logger().With("execution", t.Request.ExecutionID, "step", t.Request.StepName, "part", p.Name)
	out, err := w.Attempter.RunPart(ctx, t, p.Input, log, logger)
	if err != nil {
		fmt.Fprintf(log, "--- %s failed: %v\n", p.Name, err)
		d := failureDetails{Attempt: 1, Log: log.bytes()}
		if ctx.Err() != nil {
			return partResult{}, temporal.NewNonRetryableApplicationError(err.Error(), canceledType(ctx), nil, d)
		}
		return partResult{}, temporal.NewNonRetryableApplicationError(err.Error(), errRetryable, nil, d)
	}
	return partResult{Output: out, Log: log.bytes()}, nil
}
