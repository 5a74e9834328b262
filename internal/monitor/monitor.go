package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/webhook"
)

// Type is what a monitor checks.
type Type string

// Monitor types (SageMaker's four monitoring job types).
const (
	DataQuality        Type = "data_quality"
	ModelQuality       Type = "model_quality"
	BiasDrift          Type = "bias_drift"
	FeatureAttribution Type = "feature_attribution"
)

// Valid reports whether t is one of the four types.
func (t Type) Valid() bool {
	switch t {
	case DataQuality, ModelQuality, BiasDrift, FeatureAttribution:
		return true
	}
	return false
}

// Baseline keys: each names an artifact holding one file.
const (
	// BaselineStatistics and BaselineConstraints hold statistics.json and
	// constraints.json (data quality, model quality).
	BaselineStatistics  = "statistics"
	BaselineConstraints = "constraints"
	// BaselineAnalysis holds a Clarify analysis.json (bias drift, feature
	// attribution): the registered bias or explainability baseline.
	BaselineAnalysis = "analysis"
)

// Drift-check baseline keys of a model version that a data-quality
// monitor uses when none is given (SageMaker's DriftCheckBaselines
// ModelDataQuality, as the SDK names them).
const (
	KeyModelDataStatistics  = "model_data_statistics"
	KeyModelDataConstraints = "model_data_constraints"
)

// Monitor is a monitoring schedule on an endpoint.
type Monitor struct {
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	Type     Type   `json:"type"`
	// Schedule is a cron expression (see ParseSchedule); empty means the
	// monitor runs only on demand.
	Schedule string `json:"schedule,omitempty"`
	// Baseline maps baseline keys to artifacts.
	Baseline map[string]artifact.Ref `json:"baseline,omitempty"`
	Config   Config                  `json:"config"`
	// CreatedAt is when the monitor was created; a schedule's first
	// window ends after it.
	CreatedAt time.Time `json:"created_at"`
}

// Config tunes a monitor.
type Config struct {
	// ProblemType is BinaryClassification or Regression (model quality).
	ProblemType string `json:"problem_type,omitempty"`
	// ProbabilityThreshold turns scores into predicted labels (0.5).
	ProbabilityThreshold float64 `json:"probability_threshold,omitempty"`
	// Offset shifts a scheduled window back in time (SageMaker's
	// StartOffset/EndOffset): a model-quality monitor with Offset 2h run
	// at 12:00 checks the requests of 09:00 to 10:00, whose labels have had
	// time to arrive. Runs on demand take their window as given.
	Offset Duration `json:"offset,omitempty"`
	// Analysis is the Clarify analysis config (bias drift: label,
	// label_values_or_threshold, facet, methods.post_training_bias;
	// feature attribution: methods.shap).
	Analysis json.RawMessage `json:"analysis_config,omitempty"`
	// Webhook, when set, is called after runs with violations (or every
	// run): see Notification.
	Webhook *Webhook `json:"webhook,omitempty"`
}

// RunStatus is a monitoring run's status (SageMaker's execution statuses).
type RunStatus string

// Run statuses.
const (
	RunInProgress              RunStatus = "InProgress"
	RunCompleted               RunStatus = "Completed"
	RunCompletedWithViolations RunStatus = "CompletedWithViolations"
	RunFailed                  RunStatus = "Failed"
)

// Run is one monitoring execution over a window of captured data.
type Run struct {
	ID      int64  `json:"id"`
	Monitor string `json:"monitor"`
	// Scheduled is the end of the schedule's window for a scheduled run
	// (zero for a run on demand): a window is claimed once, by one server.
	Scheduled  time.Time    `json:"scheduled,omitzero"`
	Window     Window       `json:"window"`
	Status     RunStatus    `json:"status"`
	Records    int64        `json:"records"`
	Violations int          `json:"violations"`
	Output     artifact.Ref `json:"output,omitempty"`
	Failure    string       `json:"failure_reason,omitempty"`
	Owner      string       `json:"owner,omitempty"`
	StartedAt  time.Time    `json:"started_at"`
	EndedAt    time.Time    `json:"ended_at,omitzero"`
	// Webhook is the outcome of the monitor's webhook call for this run
	// (nil when none was made).
	Webhook *webhook.Delivery `json:"webhook,omitempty"`
}

// Event types a run writes to the registry's event log.
const (
	EventRunCompleted = "monitor.run_completed"
	EventViolations   = "monitor.violations"
	EventRunFailed    = "monitor.run_failed"
)

// Store persists monitors and their runs. Errors are registry's
// sentinels (ErrNotFound, ErrConflict), so that one mapping to HTTP
// statuses serves both.
type Store interface {
	// CreateMonitor stores a new monitor; ErrConflict when the name is taken.
	CreateMonitor(ctx context.Context, m Monitor) error
	// Monitor returns a monitor, or ErrNotFound.
	Monitor(ctx context.Context, name string) (Monitor, error)
	// Monitors returns every monitor, by name.
	Monitors(ctx context.Context) ([]Monitor, error)
	// DeleteMonitor deletes a monitor and its runs. ErrNotFound.
	DeleteMonitor(ctx context.Context, name string) error
	// ClaimRun records r as InProgress and returns it with its ID. A
	// scheduled run (r.Scheduled set) is claimed at most once per
	// monitor and window end, across processes: ok is false when the
	// window was already claimed.
	ClaimRun(ctx context.Context, r Run) (run Run, ok bool, err error)
	// LastScheduled returns the window end of the monitor's latest
	// claimed scheduled run (ok false when none).
	LastScheduled(ctx context.Context, monitor string) (t time.Time, ok bool, err error)
	// FinishRun records a run's outcome (its webhook delivery included)
	// and writes its event (with the endpoint) in the same transaction.
	FinishRun(ctx context.Context, r Run, endpoint string) error
	// Runs returns a monitor's runs, newest first, at most limit (<= 0: all).
	Runs(ctx context.Context, monitor string, limit int) ([]Run, error)
}

// Validate checks a monitor's definition.
func (m Monitor) Validate() error {
	if err := registry.ValidateName("monitor", m.Name); err != nil {
		return err
	}
	if err := registry.ValidateName("endpoint", m.Endpoint); err != nil {
		return err
	}
	if !m.Type.Valid() {
		return fmt.Errorf("monitor type %q: want data_quality, model_quality, bias_drift or feature_attribution: %w", m.Type, registry.ErrInvalid)
	}
	if m.Schedule != "" {
		if _, err := ParseSchedule(m.Schedule); err != nil {
			return fmt.Errorf("schedule: %w: %w", err, registry.ErrInvalid)
		}
	}
	for k, ref := range m.Baseline {
		if err := ref.Validate(); err != nil {
			return fmt.Errorf("baseline %q: %w: %w", k, err, registry.ErrInvalid)
		}
	}
	c := m.Config
	if c.Offset < 0 {
		return fmt.Errorf("offset %s: want a duration >= 0: %w", time.Duration(c.Offset), registry.ErrInvalid)
	}
	if c.ProbabilityThreshold < 0 || c.ProbabilityThreshold > 1 {
		return fmt.Errorf("probability threshold %v: want a number in [0, 1]: %w", c.ProbabilityThreshold, registry.ErrInvalid)
	}
	if err := validateWebhook(c.Webhook); err != nil {
		return err
	}
	switch m.Type {
	case ModelQuality:
		if c.ProblemType != BinaryClassification && c.ProblemType != Regression {
			return fmt.Errorf("problem type %q: a model_quality monitor needs %s or %s: %w", c.ProblemType, BinaryClassification, Regression, registry.ErrInvalid)
		}
	case BiasDrift, FeatureAttribution:
		if len(c.Analysis) == 0 {
			return fmt.Errorf("a %s monitor needs a Clarify analysis config: %w", m.Type, registry.ErrInvalid)
		}
		var v map[string]any
		if err := json.Unmarshal(c.Analysis, &v); err != nil {
			return fmt.Errorf("analysis config: %w: %w", err, registry.ErrInvalid)
		}
	}
	return nil
}

// Duration is a time.Duration that reads and writes JSON as text ("2h").
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads text ("90m") or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("duration %s: want text such as \"2h\"", b)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}
