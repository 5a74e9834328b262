// Package processing is the processing step kind: it runs one built-in
// processor (tabular_prepare, evaluate, clarify) named by the step's
// "processor" argument.
package processing

import (
	"context"
	"io"
	"log/slog"

	"github.com/ferryml/ferry/internal/step"
)

// Processor is a built-in processor. Processors live in their own
// packages and are handed to New in cmd/ferry.
type Processor interface {
	// Name is the processor's stable ID, the step's "processor" argument.
	Name() string
	// Version is the processor's code version, part of the cache key.
	Version() string
	// Inputs and Outputs name the processor's input and output artifacts.
	Inputs() []step.Field
	Outputs() []step.Field
	// ValidateConfig checks the step's "config" argument before anything
	// runs; each error should be a *step.FieldError with a path inside
	// config.
	ValidateConfig(config map[string]any) []error
	// Process runs the processor. Inputs maps input names to local,
	// read-only directories; Process writes each declared output into
	// OutputDirs[name] (already created) and may return properties.
	Process(ctx context.Context, job Job) (map[string]any, error)
}

// Job is one processor run.
type Job struct {
	Inputs     map[string]string
	OutputDirs map[string]string
	Config     map[string]any
	Logger     *slog.Logger
	Log        io.Writer
}
