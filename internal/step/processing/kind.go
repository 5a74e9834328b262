package processing

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/step"
)

// ID is the kind's stable ID.
const ID = "processing"

// Argument names.
const (
	ArgProcessor = "processor"
	ArgInputs    = "inputs"
	ArgConfig    = "config"
	ArgOutputs   = "outputs"
)

// kindVersion is the version of this package's run logic; a run's
// Version also names the processor's version.
const kindVersion = "1"

// Kind is the processing step kind.
type Kind struct {
	procs map[string]Processor
	names []string
}

// New returns the processing kind running the given processors. It
// panics on two processors with one name (a wiring error at start-up).
func New(procs ...Processor) *Kind {
	k := &Kind{procs: make(map[string]Processor, len(procs))}
	for _, p := range procs {
		if _, dup := k.procs[p.Name()]; dup {
			panic(fmt.Sprintf("processing: processor %q registered twice", p.Name()))
		}
		k.procs[p.Name()] = p
		k.names = append(k.names, p.Name())
	}
	sort.Strings(k.names)
	return k
}

// Processor returns the named processor.
func (k *Kind) Processor(name string) (Processor, bool) {
	p, ok := k.procs[name]
	return p, ok
}

// Spec declares the kind. The outputs are dynamic: the step's outputs
// argument, or by default the processor's declared outputs.
func (k *Kind) Spec() step.Spec {
	version := kindVersion
	for _, n := range k.names {
		version += "," + n + "=" + k.procs[n].Version()
	}
	return step.Spec{
		Kind:        ID,
		Description: "Runs a built-in processor (" + joinNames(k.names) + ") on input artifacts.",
		Version:     version,
		Args: []step.Field{
			{Name: ArgProcessor, Type: step.String, Required: true, Enum: slices.Clone(k.names), Description: "the built-in processor to run"},
			{Name: ArgInputs, Type: step.ArtifactMap, Description: "input artifacts by name; each is a directory"},
			{Name: ArgConfig, Type: step.Object, Description: "the processor's configuration"},
			{Name: ArgOutputs, Type: step.StringList, Description: "output names; default the processor's outputs"},
		},
		DynamicOutputs:    true,
		DynamicProperties: true,
	}
}

func joinNames(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// ValidateArgs checks the outputs, the required inputs and, through the
// processor, the config. A missing or unknown processor name is left to
// the Spec (required argument with an enum), which the validator checks.
func (k *Kind) ValidateArgs(args map[string]any) []error {
	name, _ := args[ArgProcessor].(string)
	p, ok := k.procs[name]
	if !ok {
		return nil
	}
	var errs []error
	if outs, ok := args[ArgOutputs].([]any); ok {
		declared := fieldNames(p.Outputs())
		for i, o := range outs {
			s, isStr := o.(string)
			if isStr && !slices.Contains(declared, s) {
				errs = append(errs, &step.FieldError{Field: fmt.Sprintf("%s[%d]", ArgOutputs, i), Msg: fmt.Sprintf("processor %s has no output %q (it has %s)", name, s, joinNames(declared))})
			}
		}
	}
	if _, ref := args[ArgInputs].(*step.RefPlaceholder); !ref {
		ins, _ := args[ArgInputs].(map[string]any)
		for _, in := range p.Inputs() {
			if _, ok := ins[in.Name]; !ok && in.Required {
				errs = append(errs, &step.FieldError{Field: ArgInputs + "." + in.Name, Msg: fmt.Sprintf("required by processor %s", name)})
			}
		}
	}
	if _, ref := args[ArgConfig].(*step.RefPlaceholder); ref {
		return errs // known only at run time
	}
	config, _ := args[ArgConfig].(map[string]any)
	if config == nil {
		config = map[string]any{}
	}
	for _, err := range p.ValidateConfig(config) {
		errs = append(errs, prefixConfig(err))
	}
	return errs
}

// prefixConfig makes sure a processor's field error is located under
// "config".
func prefixConfig(err error) error {
	fe, ok := err.(*step.FieldError)
	if !ok {
		return &step.FieldError{Field: ArgConfig, Msg: err.Error()}
	}
	if fe.Field != ArgConfig && !hasPrefix(fe.Field, ArgConfig+".") && !hasPrefix(fe.Field, ArgConfig+"[") {
		return &step.FieldError{Field: ArgConfig + "." + fe.Field, Msg: fe.Msg}
	}
	return fe
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func fieldNames(fs []step.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// OutputNames returns the outputs of a step without an "outputs" list:
// the named processor's declared outputs (the pipeline checker's
// OutputNamer interface).
func (k *Kind) OutputNames(args map[string]any) ([]string, bool) {
	if outs, ok := args[ArgOutputs].([]any); ok {
		names := make([]string, 0, len(outs))
		for _, o := range outs {
			s, ok := o.(string)
			if !ok {
				return nil, false
			}
			names = append(names, s)
		}
		return names, true
	}
	name, ok := args[ArgProcessor].(string)
	if !ok {
		return nil, false
	}
	p, ok := k.procs[name]
	if !ok {
		return nil, false
	}
	return fieldNames(p.Outputs()), true
}

// Run materialises the input artifacts, creates one directory per output
// under env.WorkDir, runs the processor, and stores each output.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	name, _ := req.Args[ArgProcessor].(string)
	p, ok := k.procs[name]
	if !ok {
		return step.Result{}, step.Permanent(fmt.Errorf("processing: unknown processor %q", name))
	}
	if errs := k.ValidateArgs(req.Args); len(errs) > 0 {
		return step.Result{}, step.Permanent(fmt.Errorf("processing %s: %w", name, errs[0]))
	}
	inputs := map[string]string{}
	if raw, ok := req.Args[ArgInputs].(map[string]any); ok {
		for in, v := range raw {
			ref, err := toRef(v)
			if err != nil {
				return step.Result{}, step.Permanent(fmt.Errorf("processing %s: input %q: %w", name, in, err))
			}
			dir, err := env.Store.Path(ctx, ref)
			if err != nil {
				return step.Result{}, fmt.Errorf("processing %s: input %q: %w", name, in, err)
			}
			inputs[in] = dir
		}
	}
	outputs := fieldNames(p.Outputs())
	if raw, ok := req.Args[ArgOutputs].([]any); ok {
		outputs = outputs[:0]
		for _, o := range raw {
			s, _ := o.(string)
			outputs = append(outputs, s)
		}
	} else if raw, ok := req.Args[ArgOutputs].([]string); ok {
		outputs = slices.Clone(raw)
	}
	dirs := make(map[string]string, len(outputs))
	for _, o := range outputs {
		if !filepath.IsLocal(o) || filepath.Base(o) != o {
			return step.Result{}, step.Permanent(fmt.Errorf("processing %s: output name %q is not a plain name", name, o))
		}
		dir := filepath.Join(env.WorkDir, "outputs", o)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return step.Result{}, fmt.Errorf("processing %s: creating output %q: %w", name, o, err)
		}
		dirs[o] = dir
	}
	config, _ := req.Args[ArgConfig].(map[string]any)
	if config == nil {
		config = map[string]any{}
	}
	logger := env.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	props, err := p.Process(ctx, Job{Inputs: inputs, OutputDirs: dirs, Config: config, Logger: logger, Log: env.Log})
	if err != nil {
		return step.Result{}, fmt.Errorf("processing %s: %w", name, err)
	}
	res := step.Result{Outputs: make(map[string]artifact.Ref, len(dirs)), Properties: props}
	if res.Properties == nil {
		res.Properties = map[string]any{}
	}
	for _, o := range outputs {
		ref, err := env.Store.PutDir(ctx, dirs[o])
		if err != nil {
			return step.Result{}, fmt.Errorf("processing %s: storing output %q: %w", name, o, err)
		}
		res.Outputs[o] = ref
	}
	return res, nil
}

func toRef(v any) (artifact.Ref, error) {
	switch x := v.(type) {
	case artifact.Ref:
		return x, x.Validate()
	case string:
		return artifact.ParseRef(x)
	}
	return "", fmt.Errorf("want an artifact reference, got %T", v)
}

// Interface guards.
var (
	_ step.Kind      = (*Kind)(nil)
	_ step.Validator = (*Kind)(nil)
)
