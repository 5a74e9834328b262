package temporal

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/step"
)

// Value is one argument value on the wire, tagged with its Go type, so a
// worker hands a kind exactly the values the local engine would (an
// int64 stays an int64, an artifact.Ref stays a Ref) although Temporal
// carries JSON. Exactly one field is set.
type Value struct {
	S   *string           `json:"s,omitempty"`
	R   *string           `json:"r,omitempty"` // artifact.Ref
	I   *int64            `json:"i,omitempty"`
	F   *float64          `json:"f,omitempty"`
	B   *bool             `json:"b,omitempty"`
	N   bool              `json:"n,omitempty"` // nil
	L   []Value           `json:"l,omitempty"`
	LE  bool              `json:"le,omitempty"` // an empty []any
	M   map[string]Value  `json:"m,omitempty"`
	ME  bool              `json:"me,omitempty"` // an empty map[string]any
	LS  []string          `json:"ls,omitempty"`
	LSE bool              `json:"lse,omitempty"` // an empty []string
	MS  map[string]string `json:"ms,omitempty"`
	MSE bool              `json:"mse,omitempty"` // an empty map[string]string
	J   json.RawMessage   `json:"j,omitempty"`   // any other type, as JSON
}

func encodeValue(v any) (Value, error) {
	switch t := v.(type) {
	case nil:
		return Value{N: true}, nil
	case string:
		return Value{S: &t}, nil
	case artifact.Ref:
		s := string(t)
		return Value{R: &s}, nil
	case int64:
		return Value{I: &t}, nil
	case int:
		i := int64(t)
		return Value{I: &i}, nil
	case float64:
		return Value{F: &t}, nil
	case bool:
		return Value{B: &t}, nil
	case []any:
		if len(t) == 0 {
			return Value{LE: true}, nil
		}
		l := make([]Value, len(t))
		for i, e := range t {
			ev, err := encodeValue(e)
			if err != nil {
				return Value{}, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = ev
		}
		return Value{L: l}, nil
	case map[string]any:
		if len(t) == 0 {
			return Value{ME: true}, nil
		}
		m := make(map[string]Value, len(t))
		for k, e := range t {
			ev, err := encodeValue(e)
			if err != nil {
				return Value{}, fmt.Errorf(".%s: %w", k, err)
			}
			m[k] = ev
		}
		return Value{M: m}, nil
	case []string:
		if len(t) == 0 {
			return Value{LSE: true}, nil
		}
		return Value{LS: t}, nil
	case map[string]string:
		if len(t) == 0 {
			return Value{MSE: true}, nil
		}
		return Value{MS: t}, nil
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return Value{}, fmt.Errorf("encoding %T: %w", v, err)
		}
		return Value{J: b}, nil
	}
}

func (v Value) decode() (any, error) {
	switch {
	case v.N:
		return nil, nil
	case v.S != nil:
		return *v.S, nil
	case v.R != nil:
		return artifact.Ref(*v.R), nil
	case v.I != nil:
		return *v.I, nil
	case v.F != nil:
		return *v.F, nil
	case v.B != nil:
		return *v.B, nil
	case v.LE:
		return []any{}, nil
	case v.L != nil:
		l := make([]any, len(v.L))
		for i, e := range v.L {
			d, err := e.decode()
			if err != nil {
				return nil, err
			}
			l[i] = d
		}
		return l, nil
	case v.ME:
		return map[string]any{}, nil
	case v.M != nil:
		m := make(map[string]any, len(v.M))
		for k, e := range v.M {
			d, err := e.decode()
			if err != nil {
				return nil, err
			}
			m[k] = d
		}
		return m, nil
	case v.LSE:
		return []string{}, nil
	case v.LS != nil:
		return v.LS, nil
	case v.MSE:
		return map[string]string{}, nil
	case v.MS != nil:
		return v.MS, nil
	case v.J != nil:
		var a any
		if err := json.Unmarshal(v.J, &a); err != nil {
			return nil, fmt.Errorf("decoding a JSON value: %w", err)
		}
		return a, nil
	}
	return nil, fmt.Errorf("empty tagged value")
}

// Task is an engine.Task on the wire: the activity's input.
type Task struct {
	// Request is the kind's request without its arguments (Args is nil);
	// they travel tagged in Args.
	Request       step.Request
	Args          map[string]Value
	Kind          string
	Queue         string
	Timeout       time.Duration
	Retry         pipeline.RetryPolicy
	PropertyFiles map[string]pipeline.PropertyFile
	Outputs       []string
}

func encodeTask(t engine.Task) (Task, error) {
	w := Task{
		Request: t.Request, Kind: t.Kind, Queue: t.Queue, Timeout: t.Timeout, Retry: t.Retry,
		PropertyFiles: t.PropertyFiles, Outputs: t.Outputs, Args: make(map[string]Value, len(t.Request.Args)),
	}
	if t.Secret {
		return Task{}, errors.New("the task holds secret values")
	}
	w.Request.Args = nil
	for _, k := range slices.Sorted(maps.Keys(t.Request.Args)) {
		v, err := encodeValue(t.Request.Args[k])
		if err != nil {
			return Task{}, fmt.Errorf("argument %s%s", k, err)
		}
		w.Args[k] = v
	}
	return w, nil
}

func (w Task) decode() (engine.Task, error) {
	t := engine.Task{
		Request: w.Request, Kind: w.Kind, Queue: w.Queue, Timeout: w.Timeout, Retry: w.Retry,
		PropertyFiles: w.PropertyFiles, Outputs: w.Outputs,
	}
	t.Request.Args = make(map[string]any, len(w.Args))
	for k, v := range w.Args {
		d, err := v.decode()
		if err != nil {
			return engine.Task{}, fmt.Errorf("argument %s: %w", k, err)
		}
		t.Request.Args[k] = d
	}
	return t, nil
}

// Outcome is what the workflow's run-step update returns: a result, or
// the last attempt's failure described so the server can tell permanent,
// fail-step and retryable failures apart as the local engine does.
type Outcome struct {
	Outputs    map[string]artifact.Ref `json:",omitempty"`
	Properties map[string]any          `json:",omitempty"`
	// Attempts is the number of attempts made; Log is the step's log
	// written by the worker (its last LogLimit bytes).
	Attempts int
	Log      []byte `json:",omitempty"`
	// ErrorType is empty on success, else one of the error types below;
	// Error is the failure's message and FailMessage a fail step's.
	ErrorType   string `json:",omitempty"`
	Error       string `json:",omitempty"`
	FailMessage string `json:",omitempty"`
	// LostWorkers counts attempts retried because their worker stopped
	// heartbeating.
	LostWorkers int `json:",omitempty"`
}

// The error types of a step's failure (Temporal application error types).
const (
	errPermanent = "FerryPermanent" // step.Permanent: never retried
	errFail      = "FerryFail"      // a fail step: never retried
	errRetryable = "FerryRetryable" // any other failure of the kind
	errTimeout   = "FerryTimeout"   // the worker or Temporal timed the attempt out
	errCanceled  = "FerryCanceled"  // the execution was stopped
	errLost      = "FerryLost"      // the worker gave the attempt up (its heartbeats failed)
)

// activityResult is the activity's output.
type activityResult struct {
	Outputs    map[string]artifact.Ref `json:",omitempty"`
	Properties map[string]any          `json:",omitempty"`
	Attempt    int
	Log        []byte `json:",omitempty"`
}

// failureDetails travel as an application error's details.
type failureDetails struct {
	Attempt     int
	FailMessage string `json:",omitempty"`
	Log         []byte `json:",omitempty"`
}
