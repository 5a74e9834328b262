package api

import "encoding/json"

// The request bodies of the API's POST, PUT and PATCH routes. The
// responses are the application layer's types (app.Execution,
// registry.Version, ...), encoded as they are.

// StartRequest is the body of POST /api/v1/executions: a definition's
// source (name is its file name: local paths in it resolve against the
// file's directory on the server) or a stored version's digest, and the
// run's options.
type StartRequest struct {
	Name           string                     `json:"name,omitempty"`
	Source         string                     `json:"source,omitempty"`
	PipelineDigest string                     `json:"pipeline_digest,omitempty"`
	Parameters     map[string]json.RawMessage `json:"parameters,omitempty"`
	NoCache        bool                       `json:"no_cache,omitempty"`
	Parallelism    int                        `json:"parallelism,omitempty"`
	Steps          []string                   `json:"steps,omitempty"`
	From           string                     `json:"from,omitempty"`
}

// ResumeRequest is the body of POST /api/v1/executions/{id}/resume.
type ResumeRequest struct {
	NoCache     bool `json:"no_cache,omitempty"`
	Parallelism int  `json:"parallelism,omitempty"`
}

// ApprovalRequest is the body of .../approve and .../reject. By is used
// only when the server runs without authentication; otherwise who
// decides is the token's name.
type ApprovalRequest struct {
	Reason string `json:"reason"`
	By     string `json:"by,omitempty"`
}

// GroupEndpointRequest is the body of PUT /api/v1/models/{group}/endpoint
// ("" turns auto-deploy off).
type GroupEndpointRequest struct {
	Endpoint string `json:"endpoint"`
}

// DeployRequest is the body of PUT /api/v1/endpoints/{name}: deploy a
// model package (GROUP/VERSION) to a variant.
type DeployRequest struct {
	ModelPackage  string  `json:"model_package"`
	Variant       string  `json:"variant,omitempty"`
	InstanceCount int     `json:"instance_count,omitempty"`
	Weight        float64 `json:"weight,omitempty"`
}

// WeightsRequest is the body of PUT /api/v1/endpoints/{name}/weights.
type WeightsRequest struct {
	Weights map[string]float64 `json:"weights"`
}

// ValidateRequest is the body of POST /api/v1/pipelines/validate.
type ValidateRequest struct {
	Name   string `json:"name,omitempty"`
	Source string `json:"source"`
}

// ValidateResponse lists a definition's problems (none when valid).
type ValidateResponse struct {
	Valid    bool      `json:"valid"`
	Name     string    `json:"name,omitempty"`
	Digest   string    `json:"digest,omitempty"`
	Problems []Problem `json:"problems"`
}

// Problem is one validation problem, located.
type Problem struct {
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Step    string `json:"step,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ArtifactResponse is GET /api/v1/artifacts/{ref}: the artifact's files
// and where it is stored on the server.
type ArtifactResponse struct {
	Ref   string     `json:"ref"`
	Path  string     `json:"path"`
	Files []FileInfo `json:"files"`
}

// FileInfo is one entry of an artifact.
type FileInfo struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	Type string `json:"type"`
}

// LogChunk is the data of a "log" server-sent event.
type LogChunk struct {
	Offset int64  `json:"offset"`
	Text   string `json:"text"`
}

// ErrorBody is every error response of /api/v1:
// {"error": {"code": "...", "message": "..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is an error's code (one of the Code constants) and message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes.
const (
	CodeInvalid         = "invalid_argument"
	CodeInvalidPipeline = "invalid_pipeline"
	CodeNotFound        = "not_found"
	CodeConflict        = "conflict"
	CodeUnauthenticated = "unauthenticated"
	CodeForbidden       = "forbidden"
	CodeTooLarge        = "payload_too_large"
	CodeUnsupported     = "unsupported_media_type"
	CodeNotAcceptable   = "not_acceptable"
	CodeMethod          = "method_not_allowed"
	CodeInternal        = "internal"
	CodeUnavailable     = "unavailable"
)
