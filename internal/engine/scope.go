package engine

import (
	"github.com/ferryml/ferry/internal/pipeline"
	"time"

	"github.com/ferryml/ferry/internal/run"
)

// scope resolves references against an execution's parameters and the
// recorded results of its finished steps. It implements pipeline.Scope.
type scope struct {
	ex     *run.Execution
	params map[string]any    // with secret values (ex.Params masks them)
	env    map[string]string // the set {from_env: NAME} variables
	runs   map[string]*run.StepRun
	// now is the engine's clock, for current_time.
	now func() time.Time
}

var _ pipeline.EnvScope = (*scope)(nil)

// Param implements pipeline.Scope.
func (s *scope) Param(name string) (any, bool) {
	v, ok := s.params[name]
	return v, ok
}

// Env implements pipeline.EnvScope.
func (s *scope) Env(name string) (string, bool) {
	v, ok := s.env[name]
	return v, ok
}

// Execution implements pipeline.Scope. The variables are id, start_time
// and current_time (RFC 3339, UTC) and pipeline_name.
func (s *scope) Execution(name string) (any, bool) {
	switch name {
	case pipeline.ExecID:
		return s.ex.ID, true
	case pipeline.ExecStartTime:
		return s.ex.StartedAt.UTC().Format(time.RFC3339), true
	case pipeline.ExecCurrentTime:
		if s.now == nil {
			return nil, false
		}
		return s.now().UTC().Format(time.RFC3339), true
	case pipeline.ExecPipelineName:
		return s.ex.PipelineName, true
	}
	return nil, false
}

// StepOutput implements pipeline.Scope: an output artifact's reference.
func (s *scope) StepOutput(step, output string) (string, bool) {
	r, ok := s.runs[step]
	if !ok {
		return "", false
	}
	ref, ok := r.Outputs[output]
	return string(ref), ok
}

// StepProperty implements pipeline.Scope: a property the step returned, or
// the parsed content of one of its declared property files.
func (s *scope) StepProperty(step, property string) (any, bool) {
	r, ok := s.runs[step]
	if !ok {
		return nil, false
	}
	v, ok := r.Properties[property]
	return v, ok
}
