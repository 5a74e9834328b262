package run

import (
	"context"
	"fmt"
	"time"
)

// Trial is one trial of a tuning step run: a step run of its own, named
// STEP/trial-NNN, a child record of the tuning step's run. The tuning
// kind writes it as the trial ends; `ferry trials`, the API and the
// console read it; its cache key makes a re-run or a resumed run reuse it.
type Trial struct {
	// ExecutionID and Step name the tuning step run the trial belongs to.
	ExecutionID string `json:"execution_id,omitempty"`
	Step        string `json:"step,omitempty"`
	// Trial is the 1-based trial number; Name is STEP/trial-NNN.
	Trial int    `json:"trial"`
	Name  string `json:"name"`
	// CacheKey hashes everything the trial's training depends on.
	CacheKey string `json:"cache_key"`
	// Hyperparameters are the tuned values (as strings, SageMaker's
	// TunedHyperParameters).
	Hyperparameters map[string]string `json:"hyperparameters"`
	// Status is SageMaker's TrainingJobStatus: Completed, Stopped or Failed.
	Status string `json:"status"`
	// Objective is the objective metric's final value (null when the trial
	// did not report it); ObjectiveMetric and Direction say what it is.
	Objective       *float64 `json:"objective"`
	ObjectiveMetric string   `json:"objective_metric"`
	Direction       string   `json:"direction"`
	// Metrics are the trial's final metrics (training's properties).
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// History is the objective after each boosting round.
	History      []float64 `json:"history,omitempty"`
	StoppedEarly bool      `json:"stopped_early"`
	// Rounds is the number of rounds the trial ran.
	Rounds int `json:"rounds,omitempty"`
	// Model is the trial's model artifact (completed trials).
	Model     string    `json:"model,omitempty"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Seconds   float64   `json:"seconds"`
	// Reused says the trial was not trained in this run but taken from
	// the trial cache (an earlier run or execution with the same inputs).
	Reused bool   `json:"reused"`
	Error  string `json:"error,omitempty"`
}

// TrialName is the name of trial n (1-based) of a step: STEP/trial-NNN.
func TrialName(stepName string, n int) string { return fmt.Sprintf("%s/trial-%03d", stepName, n) }

// TrialStore persists trial records. Implementations must be safe for
// concurrent use (trials run in parallel).
type TrialStore interface {
	// SaveTrial inserts or replaces the record of trial t.Trial of the
	// step run t.ExecutionID/t.Step.
	SaveTrial(ctx context.Context, t *Trial) error
	// Trials returns the trials of an execution's step, by trial number
	// (none: an empty list).
	Trials(ctx context.Context, executionID, step string) ([]Trial, error)
	// CachedTrial returns the newest trial with the cache key that was
	// trained (not reused) and did not fail, or nil.
	CachedTrial(ctx context.Context, key string) (*Trial, error)
}
