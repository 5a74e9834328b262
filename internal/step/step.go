// Package step defines the step-kind contract: the seam through which every
// built-in step (processing, training, clarify_check, register_model, ...)
// plugs into the engine without the engine knowing it.
//
// A kind has a stable ID, a [Spec] of typed arguments, outputs and
// properties, and a Run function. A run is a self-contained unit: resolved
// arguments (artifact references, never data) in; output artifact references
// and properties out. Runs must be idempotent, because the engine may retry
// them and a distributed engine may run them on another machine.
//
// Kinds are registered explicitly in cmd/ferry ([Registry.Register]); there
// is no init-time registration.
package step

import (
	"context"
	"io"
	"log/slog"

	"github.com/ferryml/ferry/internal/artifact"
)

// Type is the type of an argument, output or property in a Spec.
type Type string

// The types a Spec can declare.
const (
	String   Type = "string"
	Integer  Type = "integer"
	Float    Type = "float"
	Boolean  Type = "boolean"
	Artifact Type = "artifact" // an artifact.Ref; in a definition, a local path (imported) or a reference
	// ArtifactMap is an object of name → artifact.
	ArtifactMap Type = "map<artifact>"
	StringList  Type = "list<string>"
	StringMap   Type = "map<string>"
	Object      Type = "object" // a JSON object; the kind validates its content
	List        Type = "list"   // a JSON array
	Any         Type = "any"
)

// Field describes one argument, output or property.
type Field struct {
	Name        string
	Type        Type
	Required    bool
	Default     any
	Enum        []string
	Description string
	// Min and Max bound numeric arguments when non-nil.
	Min, Max *float64
}

// Spec is a kind's declaration. It drives validation before anything
// runs, reference type checks, and the generated docs.
type Spec struct {
	// Kind is the stable ID stored in the database (snake_case of the
	// SageMaker step type): never renamed.
	Kind        string
	Description string
	// Version is the version of the code that runs; it is part of the cache
	// key, so bump it when a kind's behaviour changes.
	Version string
	// Args are the kind's arguments: the keys of a step in a definition
	// other than the envelope (name, kind, depends_on, cache, retry,
	// timeout, property_files, description, display_name).
	Args []Field
	// Outputs are the named output artifacts. When DynamicOutputs is set,
	// the step's own "outputs" argument (a list of names) declares them.
	Outputs        []Field
	DynamicOutputs bool
	// Properties are the values the step exposes to later steps.
	// DynamicProperties allows any property name (for example a command
	// step's JSON output parameters).
	Properties        []Field
	DynamicProperties bool
	// NoCache marks kinds whose runs must never be served from the cache
	// (they act on the world: register, deploy).
	NoCache bool
}

// Request is one resolved step run.
type Request struct {
	ExecutionID  string
	PipelineName string
	// PipelineDigest is the content digest of the pipeline definition
	// being run (pipeline.Pipeline.Digest, the ID under which the engine
	// stores it): it names the pipeline version, where PipelineName names
	// only the pipeline. It may be empty for a pipeline not parsed from a
	// definition.
	PipelineDigest string
	StepName       string
	Attempt        int // 1-based
	// Parallelism is the execution's bound on work running at once (0:
	// none). Kinds that fan out (tuning's trials) stay within it.
	Parallelism int
	// Args holds resolved argument values: string, float64, int64, bool,
	// artifact.Ref, []any, map[string]any (artifact maps hold artifact.Ref).
	Args map[string]any
}

// Env is what the engine provides to a run.
type Env struct {
	Store artifact.Store
	// WorkDir is an empty scratch directory owned by this attempt; it is
	// removed after the run. Outputs are built here, then stored with
	// Store.PutDir.
	WorkDir string
	Logger  *slog.Logger
	// Log receives the step's log (what `ferry logs` shows).
	Log io.Writer
	// Parts, when set, runs parts of this step (a tuning step's trials)
	// elsewhere: on the Temporal engine, each on whichever worker takes
	// it. Nil means the kind runs its parts itself.
	Parts PartRunner
}

// Part is one piece of a step's work that may run on another worker: the
// kind, which implements [Parter], gives it a name unique within the step
// and an input it encodes itself.
type Part struct {
	Name  string
	Input []byte
}

// PartRunner runs a part of a step through the step's kind ([Parter]) in
// another process and returns the part's output and log.
type PartRunner interface {
	RunPart(ctx context.Context, p Part) (output, log []byte, err error)
}

// Parter is implemented by kinds whose steps fan out into parts: RunPart
// does one part, given the step's request (its arguments resolved) and
// the part's input, in an environment of its own (a fresh work directory,
// no Parts).
type Parter interface {
	RunPart(ctx context.Context, env Env, req Request, input []byte) ([]byte, error)
}

// Result is what a run produces.
type Result struct {
	Outputs    map[string]artifact.Ref
	Properties map[string]any
}

// Kind is a step kind.
type Kind interface {
	Spec() Spec
	Run(ctx context.Context, env Env, req Request) (Result, error)
}

// Validator is implemented by kinds that check their arguments beyond the
// Spec's types (for example a processor's config). args holds the step's
// literal arguments; values that are references are *Ref placeholders.
// Each returned error should be a *FieldError naming the field.
type Validator interface {
	ValidateArgs(args map[string]any) []error
}

// CodeDigester is implemented by kinds whose cache key must include the
// digest of code outside Ferry (a user script, a command binary).
type CodeDigester interface {
	CodeDigest(ctx context.Context, req Request) (string, error)
}

// CacheArgser is implemented by kinds whose cache key leaves some of the
// resolved arguments out: where outputs are published, job names,
// machine sizes (the SageMaker job kinds, whose definitions put the
// execution ID in output locations). CacheArgs returns the arguments to
// hash; it must not modify args.
type CacheArgser interface {
	CacheArgs(args map[string]any) map[string]any
}

// RefPlaceholder stands for a reference in args passed to ValidateArgs: its
// value is not known before the run.
type RefPlaceholder struct {
	Expr string // the expression text
	Type Type   // the type of the referenced value, when known
}

// FieldError is a problem with one argument, located by a dotted path
// inside the step's arguments ("config.split.train").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }
