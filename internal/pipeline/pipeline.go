// Package pipeline is Ferry's pipeline definition: parsing YAML or JSON
// with source positions, typed parameters, the expression language of
// references and conditions, validation that reports every problem at
// once, and the step graph. It is pure: no I/O beyond the bytes it is
// given, no goroutines.
package pipeline

import "time"

// Pipeline is a parsed definition.
type Pipeline struct {
	Name        string
	Version     int // format version; 1
	Description string
	Parameters  []*Parameter
	// Steps holds every step in definition order, including the steps that
	// condition branches name.
	Steps []*Step
	// Parallelism caps concurrently running steps; 0 means no cap.
	Parallelism int
	// File is the definition's file name as given to Parse; relative
	// artifact paths resolve against its directory.
	File string
	// Digest is the sha256 (hex) of the definition's canonical JSON form:
	// the pipeline version id.
	Digest string
}

// ParamType is a parameter's declared type.
type ParamType string

// Parameter types.
const (
	ParamString  ParamType = "string"
	ParamInteger ParamType = "integer"
	ParamFloat   ParamType = "float"
	ParamBoolean ParamType = "boolean"
)

// Parameter is a typed pipeline parameter. Values are string, int64,
// float64 or bool according to Type.
type Parameter struct {
	Name        string
	Type        ParamType
	Default     any
	HasDefault  bool
	Enum        []any
	Description string
	Pos         Pos
}

// Pos is a location in the definition file (1-based).
type Pos struct {
	Line, Column int
}

// Step is one step of the definition.
type Step struct {
	Name        string
	Kind        string
	Description string
	DependsOn   []string
	// Args are the kind's arguments: every key that is not part of the
	// envelope. Values are literals (string, int64, float64, bool, []any,
	// map[string]any) in which strings may hold ${{ expr }} templates.
	Args map[string]any
	// ArgPos locates each argument by dotted path ("config.split.train").
	ArgPos        map[string]Pos
	PropertyFiles map[string]PropertyFile
	Cache         CachePolicy
	Retry         *RetryPolicy
	Timeout       time.Duration
	// Condition steps (Kind == "condition"): If is the condition, Then and
	// Else name the steps each outcome gates.
	If         *Expr
	Then, Else []string
	Pos        Pos
}

// PropertyFile declares a JSON file in one of the step's outputs whose
// content later steps read as steps.<name>.properties.<file>.<path>.
type PropertyFile struct {
	Output string // output artifact name; empty means the only output
	Path   string // file path inside that output
}

// CachePolicy is a step's cache setting. Enabled defaults to true for
// kinds that allow caching.
type CachePolicy struct {
	Enabled     bool
	ExpireAfter time.Duration // 0 means never expires
}

// RetryPolicy retries retryable failures.
type RetryPolicy struct {
	MaxAttempts int           // total attempts including the first (1..20)
	Interval    time.Duration // wait before the first retry (default 1s)
	BackoffRate float64       // multiplier per retry (default 2.0)
	MaxInterval time.Duration // cap on the wait; 0 means no cap
}
