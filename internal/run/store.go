package run

import (
	"context"
	"errors"
	"time"
)

// Store persists pipeline versions, executions and step runs: what the
// engine writes as it runs and reads to resume, cache and select. Implementations
// must be safe for concurrent use. Methods that look up an execution
// return an error wrapping ErrNotFound when it does not exist.
type Store interface {
	// SavePipeline records a pipeline version by its digest; saving the
	// same digest again is a no-op.
	SavePipeline(ctx context.Context, digest, name string, source []byte) error
	// PipelineSource returns a stored definition's text.
	PipelineSource(ctx context.Context, digest string) ([]byte, error)
	// CreateExecution inserts a new execution.
	CreateExecution(ctx context.Context, e *Execution) error
	// UpdateExecution writes an execution's status, times, failure reason,
	// owner and heartbeat, and clears its stop request when the status is
	// Executing.
	UpdateExecution(ctx context.Context, e *Execution) error
	// ClaimExecution writes e as UpdateExecution does, but only if the
	// stored execution still has the status, owner and heartbeat of was
	// (as read before); it reports whether it wrote. Of two processes
	// resuming one execution, only one can claim it.
	ClaimExecution(ctx context.Context, e, was *Execution) (bool, error)
	// Execution returns one execution.
	Execution(ctx context.Context, id string) (*Execution, error)
	// Heartbeat records that the owner of execution id is alive at t.
	Heartbeat(ctx context.Context, id string, t time.Time) error
	// StopRequested reports whether `ferry stop` asked execution id to stop.
	StopRequested(ctx context.Context, id string) (bool, error)
	// SaveStepRuns inserts or replaces step runs, all in one transaction.
	SaveStepRuns(ctx context.Context, runs ...*StepRun) error
	// StepRuns returns an execution's step runs.
	StepRuns(ctx context.Context, executionID string) ([]*StepRun, error)
	// CachedRun returns the most recent Succeeded step run with the given
	// cache key, or nil when there is none.
	CachedRun(ctx context.Context, key string) (*StepRun, error)
	// PreviousRun returns the most recent step run of the named pipeline
	// step that recorded cache inputs, in an execution other than
	// excludeExecution, or nil.
	PreviousRun(ctx context.Context, pipelineName, stepName, excludeExecution string) (*StepRun, error)
}

// ErrPipelineNotFound is returned by stores when no pipeline version has
// the given digest.
var ErrPipelineNotFound = errors.New("pipeline version not found")

// Query selects executions for a listing, newest first.
type Query struct {
	// Pipeline keeps the executions of the pipeline of this name ("": all).
	Pipeline string
	// Statuses keeps the executions whose stored status is one of these
	// (empty: all). Interrupted is derived, never stored: ask for
	// Executing and Stopping and derive it ([Execution.Effective]).
	Statuses []Status
	// Offset skips that many executions; Limit returns at most that many
	// (<= 0: all).
	Offset, Limit int
}

// PipelineVersion is one stored version of a pipeline definition, named
// by the digest of its canonical form.
type PipelineVersion struct {
	Name      string    `json:"name"`
	Digest    string    `json:"digest"`
	CreatedAt time.Time `json:"created_at"`
	// Executions counts the executions of this version.
	Executions int `json:"executions"`
}
