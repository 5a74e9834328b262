package registry

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
)

// ApprovalStatus is a model version's approval status (SageMaker's
// ModelApprovalStatus).
type ApprovalStatus string

// Approval statuses.
const (
	PendingManualApproval ApprovalStatus = "PendingManualApproval"
	Approved              ApprovalStatus = "Approved"
	Rejected              ApprovalStatus = "Rejected"
)

// Valid reports whether s is one of the three statuses.
func (s ApprovalStatus) Valid() bool {
	switch s {
	case PendingManualApproval, Approved, Rejected:
		return true
	}
	return false
}

// CanBecome reports whether a version in status s may move to t.
// Pending may become Approved or Rejected; Approved may be revoked to
// Rejected; Rejected may be re-approved (a reviewer's mistake). Nothing
// returns to Pending, and a status never "changes" to itself.
func (s ApprovalStatus) CanBecome(t ApprovalStatus) bool {
	switch s {
	case PendingManualApproval:
		return t == Approved || t == Rejected
	case Approved:
		return t == Rejected
	case Rejected:
		return t == Approved
	}
	return false
}

// Group is a model package group.
type Group struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	// Endpoint, when set, is updated to a version of this group as soon as
	// that version becomes Approved.
	Endpoint string `json:"endpoint,omitempty"`
	// LatestVersion is the highest version number (0: none yet).
	LatestVersion int `json:"latest_version"`
}

// Approval is one entry of a version's approval history.
type Approval struct {
	Status ApprovalStatus `json:"status"`
	By     string         `json:"by"`
	Reason string         `json:"reason,omitempty"`
	At     time.Time      `json:"at"`
}

// InferenceSpec lists the MIME types a version accepts and returns.
type InferenceSpec struct {
	ContentTypes  []string `json:"content_types,omitempty"`
	ResponseTypes []string `json:"response_types,omitempty"`
}

// Lineage says where a version came from.
type Lineage struct {
	PipelineName   string `json:"pipeline_name,omitempty"`
	PipelineDigest string `json:"pipeline_digest,omitempty"`
	ExecutionID    string `json:"execution_id,omitempty"`
	Step           string `json:"step,omitempty"`
	// Inputs maps each input argument (model, model_metrics.x, ...) to the
	// digest of its artifact.
	Inputs map[string]artifact.Ref `json:"inputs,omitempty"`
}

// Well-known metric and baseline keys (SageMaker's ModelMetrics and
// DriftCheckBaselines leaves, snake_cased as in the SDK's arguments).
const (
	KeyModelStatistics             = "model_statistics"
	KeyModelConstraints            = "model_constraints"
	KeyBiasPreTraining             = "bias_pre_training"
	KeyBiasPostTraining            = "bias_post_training"
	KeyExplainability              = "explainability"
	KeyBiasPreTrainingConstraints  = "bias_pre_training_constraints"
	KeyBiasPostTrainingConstraints = "bias_post_training_constraints"
	KeyBiasConfigFile              = "bias_config_file"
	KeyExplainabilityConstraints   = "explainability_constraints"
	KeyExplainabilityConfigFile    = "explainability_config_file"
)

// Version is one model package: a numbered version in a group.
type Version struct {
	Group       string       `json:"group"`
	Version     int          `json:"version"`
	Model       artifact.Ref `json:"model"`
	Description string       `json:"description,omitempty"`
	// Status is the current approval status; History holds every status
	// the version had, oldest first (the first entry is the registration).
	Status  ApprovalStatus `json:"approval_status"`
	History []Approval     `json:"approval_history"`
	// Metrics are model metrics (quality, bias, explainability reports)
	// by key; DriftBaselines the drift-check baselines by key.
	Metrics        map[string]artifact.Ref `json:"model_metrics,omitempty"`
	DriftBaselines map[string]artifact.Ref `json:"drift_check_baselines,omitempty"`
	Inference      InferenceSpec           `json:"inference_spec"`
	Metadata       map[string]string       `json:"customer_metadata,omitempty"`
	Lineage        Lineage                 `json:"lineage"`
	CreatedAt      time.Time               `json:"created_at"`
	UpdatedAt      time.Time               `json:"updated_at"`
}

// Ref returns the version's "group/version" reference.
func (v Version) Ref() PackageRef { return PackageRef{Group: v.Group, Version: v.Version} }

// Model is a named, deployable model (create_model's record).
type Model struct {
	Name      string       `json:"name"`
	Artifact  artifact.Ref `json:"artifact"`
	CreatedAt time.Time    `json:"created_at"`
}

// EndpointStatus is an endpoint's status.
type EndpointStatus string

// Endpoint statuses (a subset of SageMaker's).
const (
	EndpointCreating  EndpointStatus = "Creating"
	EndpointUpdating  EndpointStatus = "Updating"
	EndpointInService EndpointStatus = "InService"
	EndpointFailed    EndpointStatus = "Failed"
)

// Variant is one production variant of an endpoint.
type Variant struct {
	Name          string       `json:"name"`
	Group         string       `json:"model_package_group_name,omitempty"`
	Version       int          `json:"model_package_version,omitempty"`
	Model         artifact.Ref `json:"model"`
	Weight        float64      `json:"weight"`
	InstanceCount int          `json:"instance_count"`
}

// Source is what the variant serves: GROUP/VERSION, or "model DIGEST"
// (the short digest) for a model that is no registered version (a SageMaker API
// model made from an image and a ModelDataUrl).
func (v Variant) Source() string {
	if v.Group == "" {
		return "model " + v.Model.Short()
	}
	return fmt.Sprintf("%s/%d", v.Group, v.Version)
}

// DataCapture configures request/response capture.
type DataCapture struct {
	Enabled            bool    `json:"enabled"`
	SamplingPercentage float64 `json:"sampling_percentage"`
	// Destination is a directory; files go under
	// Destination/ENDPOINT/VARIANT/yyyy/mm/dd/hh/.
	Destination string `json:"destination,omitempty"`
}

// EndpointConfig is one version of an endpoint's configuration.
type EndpointConfig struct {
	Variants    []Variant   `json:"variants"`
	DataCapture DataCapture `json:"data_capture"`
}

// Endpoint is a served endpoint with its current configuration.
type Endpoint struct {
	Name string `json:"name"`
	// ConfigVersion numbers the configurations, 1, 2, ...
	ConfigVersion int            `json:"config_version"`
	Config        EndpointConfig `json:"config"`
	Status        EndpointStatus `json:"status"`
	// FailureReason explains the last failed update, if any.
	FailureReason string    `json:"failure_reason,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Event types.
const (
	EventGroupCreated       = "group.created"
	EventGroupUpdated       = "group.updated"
	EventGroupDeleted       = "group.deleted"
	EventVersionCreated     = "version.created"
	EventApprovalChanged    = "version.approval_changed"
	EventModelCreated       = "model.created"
	EventEndpointConfigured = "endpoint.configured"
	EventEndpointStatus     = "endpoint.status"
	EventEndpointDeleted    = "endpoint.deleted"
)

// Event records one change.
type Event struct {
	ID       int64           `json:"id"`
	Time     time.Time       `json:"time"`
	Type     string          `json:"type"`
	Group    string          `json:"group,omitempty"`
	Version  int             `json:"version,omitempty"`
	Endpoint string          `json:"endpoint,omitempty"`
	Model    string          `json:"model,omitempty"`
	Detail   json.RawMessage `json:"detail,omitempty"`
}
