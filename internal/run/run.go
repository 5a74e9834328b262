// Package run holds the records of pipeline executions and their step
// runs: the statuses, what each record carries, and which status changes
// are allowed. The engine writes these records, the store persists them,
// and the CLI and the API read them.
package run

import (
	"errors"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
)

// Status is an execution's status.
type Status string

// Execution statuses. Interrupted is never written by a running engine: it
// is what an execution whose owning process died (its status still says
// Executing or Stopping) is shown as; see [Execution.Effective].
const (
	Executing   Status = "Executing"
	Stopping    Status = "Stopping"
	Stopped     Status = "Stopped"
	Failed      Status = "Failed"
	Succeeded   Status = "Succeeded"
	Interrupted Status = "Interrupted"
)

// Terminal reports whether s is final: nothing runs any more.
func (s Status) Terminal() bool {
	switch s {
	case Stopped, Failed, Succeeded, Interrupted:
		return true
	}
	return false
}

// StepStatus is a step run's status.
type StepStatus string

// Step statuses.
const (
	StepPending   StepStatus = "Pending"
	StepStarting  StepStatus = "Starting"
	StepExecuting StepStatus = "Executing"
	StepSucceeded StepStatus = "Succeeded"
	StepFailed    StepStatus = "Failed"
	StepSkipped   StepStatus = "Skipped"
	StepStopped   StepStatus = "Stopped"
	StepCacheHit  StepStatus = "CacheHit"
)

// Done reports whether s is final for the step.
func (s StepStatus) Done() bool {
	switch s {
	case StepSucceeded, StepFailed, StepSkipped, StepStopped, StepCacheHit:
		return true
	}
	return false
}

// Produced reports whether a step with status s has outputs and
// properties later steps can read.
func (s StepStatus) Produced() bool { return s == StepSucceeded || s == StepCacheHit }

// MaxFailureReason is the longest failure reason kept, in bytes.
const MaxFailureReason = 1024

// TruncateReason shortens a failure reason to MaxFailureReason bytes,
// keeping valid UTF-8.
func TruncateReason(s string) string {
	if len(s) <= MaxFailureReason {
		return s
	}
	const ell = "…"
	cut := MaxFailureReason - len(ell)
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a rune
		cut--
	}
	return s[:cut] + ell
}

// Execution is one run of a pipeline version.
type Execution struct {
	ID             string
	PipelineName   string
	PipelineDigest string
	// DefinitionPath is the definition file as given to `ferry run`; local
	// artifact paths resolve against its directory on resume.
	DefinitionPath string
	// Params are the typed parameter values (defaults applied); Overrides
	// are the -p values as given, kept so a resume coerces them again.
	Params    map[string]any
	Overrides map[string]string
	Status    Status
	StartedAt time.Time
	EndedAt   time.Time // zero while running
	// FailureReason says why the execution failed or stopped (<= 1024 bytes).
	FailureReason string
	// SourceExecution is the execution a selective run took its unselected
	// steps from; SelectedSteps are the steps it ran (empty: all).
	SourceExecution string
	SelectedSteps   []string
	Parallelism     int
	NoCache         bool
	// OwnerPID and OwnerHost name the process running the execution;
	// Heartbeat is the last time it said it was alive.
	OwnerPID      int
	OwnerHost     string
	Heartbeat     time.Time
	StopRequested bool
	// SealedParams holds the values of the secret parameters given, sealed
	// by the engine's keyring (Params and Overrides show them as "***").
	SealedParams []byte `json:"-"`
}

// Effective returns the status to show: Interrupted for an execution that
// is still marked running but whose owner is gone. alive reports whether
// the owning process exists (it is consulted only on this host); a
// heartbeat older than stale means the owner is gone wherever it ran.
func (e *Execution) Effective(now time.Time, host string, stale time.Duration, alive func(pid int) bool) Status {
	if e.Status != Executing && e.Status != Stopping {
		return e.Status
	}
	if e.OwnerHost == host && alive != nil && !alive(e.OwnerPID) {
		return Interrupted
	}
	if !e.Heartbeat.IsZero() && now.Sub(e.Heartbeat) > stale {
		return Interrupted
	}
	return e.Status
}

// Provenance says where a step run's result came from when it did not run.
type Provenance string

// Provenances.
const (
	// Ran: the step ran in this execution (or has not finished).
	Ran Provenance = ""
	// FromCache: a cache hit; SourceExecution is the run it reused.
	FromCache Provenance = "cache"
	// FromSelection: a step left out of a selective run; its record is
	// copied from SourceExecution.
	FromSelection Provenance = "selection"
)

// StepRun is one step's record in an execution.
type StepRun struct {
	ExecutionID string
	Step        string
	Kind        string
	Status      StepStatus
	Attempts    int
	StartedAt   time.Time
	EndedAt     time.Time
	// FailureReason is at most MaxFailureReason bytes.
	FailureReason string
	Outputs       map[string]artifact.Ref
	Properties    map[string]any
	// CacheKey is the step's cache key (empty when caching did not apply);
	// CacheInputs is the canonical JSON the key hashes, kept to explain a
	// later miss; CacheNote says why the step hit or missed.
	CacheKey    string
	CacheInputs string
	CacheNote   string
	// Provenance and SourceExecution say where a result that did not run
	// here came from.
	Provenance      Provenance
	SourceExecution string
}

// ErrNotFound is returned by stores when no execution has the given ID.
var ErrNotFound = errors.New("execution not found")
