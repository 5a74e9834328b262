package definition

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/ferryml/ferry/internal/pipeline"
)

// utf8BOM starts files some Windows editors write.
var utf8BOM = []byte("\xEF\xBB\xBF")

// FormatVersion is the one SageMaker definition version.
const FormatVersion = "2020-12-01"

// namePattern is SageMaker's rule for step and parameter names.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// IsDefinition reports whether data is a SageMaker pipeline definition
// rather than Ferry's own format: a JSON object with "Version" or "Steps"
// (Ferry's keys are lower case).
func IsDefinition(data []byte) bool {
	t := bytes.TrimSpace(bytes.TrimPrefix(data, utf8BOM))
	if !bytes.HasPrefix(t, []byte("{")) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	if _, err := dec.Token(); err != nil {
		return false
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		if k == "Version" || k == "Steps" {
			return true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			// Broken JSON: say yes when it starts the way the SDK's do.
			return bytes.Contains(t[:min(len(t), 200)], []byte(`"Version"`))
		}
	}
	return false
}

// Load reads a definition in either format, SageMaker's or Ferry's own,
// and validates it against kinds: the one call the CLI makes. Like
// [pipeline.Load] it returns every problem at once, and a Pipeline unless
// the file could not be read at all.
func Load(filename string, data []byte, kinds pipeline.KindLookup) (*pipeline.Pipeline, error) {
	if !IsDefinition(data) {
		return pipeline.Load(filename, data, kinds)
	}
	t, perr := parse(filename, data)
	if t == nil || t.p == nil {
		return nil, perr
	}
	verr := pipeline.Validate(t.p, kinds)
	return t.p, pipeline.MergeErrors(perr, t.relocate(verr, t.errs))
}

// Parse translates a SageMaker definition without validating it against
// the step kinds. Problems come back as *pipeline.ValidationErrors; the
// Pipeline is nil only when the file is not JSON.
func Parse(filename string, data []byte) (*pipeline.Pipeline, error) {
	t, err := parse(filename, data)
	if t == nil {
		return nil, err
	}
	return t.p, err
}

func parse(filename string, data []byte) (*translator, error) {
	t := &translator{file: filename, steps: map[string]*smStep{}}
	root, err := parseJSON(bytes.TrimPrefix(data, utf8BOM))
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			t.add(se.pos, "", "", "JSON syntax error: %s", se.msg)
		} else {
			t.add(pipeline.Pos{}, "", "", "JSON syntax error: %v", err)
		}
		return nil, t.err()
	}
	if root.kind != kindObject {
		t.add(root.pos, "", "", "a SageMaker pipeline definition is a JSON object with Version and Steps, got %s", root.describe())
		return nil, t.err()
	}
	t.p = &pipeline.Pipeline{Name: pipelineName(filename), Version: pipeline.FormatVersion, File: filename}
	t.p.Digest = digest(bytes.TrimPrefix(data, utf8BOM))
	t.top(root)
	return t, t.err()
}

// pipelineName derives the pipeline's name from the file name: a
// definition does not carry one.
func pipelineName(filename string) string {
	base := strings.TrimSuffix(filepath.Base(filename), filepath.Ext(filename))
	var b strings.Builder
	for _, c := range base {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 256 {
		name = name[:256]
	}
	if name == "" {
		return "sagemaker-pipeline"
	}
	return name
}

// digest is the sha256 of the definition's canonical JSON (keys sorted,
// no insignificant space), so reformatting does not change the version.
func digest(data []byte) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	canon := data
	if err := dec.Decode(&v); err == nil {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err == nil {
			canon = bytes.TrimSuffix(b.Bytes(), []byte("\n"))
		}
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}

// translator turns the JSON tree into a pipeline.Pipeline.
type translator struct {
	file  string
	errs  []*pipeline.ValidationError
	p     *pipeline.Pipeline
	steps map[string]*smStep
	order []*smStep
	pec   *node // PipelineExperimentConfig
	synth []*pipeline.Step
}

// smStep is one SageMaker step (top level or inside a condition branch).
type smStep struct {
	name, typ, kind string
	n               *node
	path            string // JSON path: Steps[3] or Steps[3].Arguments.IfSteps[0]
	st              *pipeline.Step
	refused         bool
	// Names the step declares, for ['name'] and [i] in property paths.
	outputs, inputs, channels, outParams []string
	// fields maps Ferry argument names to JSON paths inside the step when
	// they differ (clarify_check's arguments).
	fields map[string]string
	// gate is the condition whose branch (pipeline.BranchThen or
	// BranchElse) holds the step.
	gate   *smStep
	branch string
	// request is set when the kind's arguments are the fields of
	// Arguments (the job kinds).
	request bool
}

func (t *translator) add(pos pipeline.Pos, stepName, field, format string, args ...any) {
	t.errs = append(t.errs, &pipeline.ValidationError{File: t.file, Pos: pos, Step: stepName, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (t *translator) err() error {
	if len(t.errs) == 0 {
		return nil
	}
	return pipeline.MergeErrors(&pipeline.ValidationErrors{Errs: t.errs})
}

// Top-level keys the SDK emits that have no local meaning are accepted.
var topKeys = []string{"Version", "Metadata", "Parameters", "PipelineExperimentConfig", "Steps", "ParallelismConfiguration"}

func (t *translator) top(root *node) {
	var steps, params *node
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "Version":
			if v.kind != kindString || v.str != FormatVersion {
				t.add(v.pos, "", "Version", "unsupported definition version %s (want %q)", show(v), FormatVersion)
			}
		case "Metadata":
			if v.kind != kindObject {
				t.add(v.pos, "", "Metadata", "Metadata must be an object of strings, got %s", v.describe())
			}
		case "Parameters":
			params = v
		case "PipelineExperimentConfig":
			if v.kind != kindObject && v.kind != kindNull {
				t.add(v.pos, "", k, "PipelineExperimentConfig must be an object, got %s", v.describe())
			} else {
				t.pec = v
			}
		case "Steps":
			steps = v
		case "ParallelismConfiguration":
			t.parallelism(v)
		default:
			t.add(root.keyPos[i], "", k, "unknown top-level key %q%s", k, hint(k, topKeys))
		}
	}
	if params != nil {
		t.params(params)
	}
	if steps == nil {
		t.add(root.pos, "", "Steps", "the definition has no Steps")
		return
	}
	if steps.kind != kindArray {
		t.add(steps.pos, "", "Steps", "Steps must be a list of steps, got %s", steps.describe())
		return
	}
	if len(steps.elems) == 0 {
		t.add(steps.pos, "", "Steps", "a pipeline needs at least one step")
	}
	t.collect(steps, "Steps")
	for _, s := range t.order {
		t.step(s)
	}
	for _, s := range t.order {
		if s.st != nil {
			t.p.Steps = append(t.p.Steps, s.st)
		}
	}
	t.p.Steps = append(t.p.Steps, t.synth...)
}

func (t *translator) parallelism(v *node) {
	m := v.get("MaxParallelExecutionSteps")
	if v.kind != kindObject || m == nil {
		t.add(v.pos, "", "ParallelismConfiguration", "ParallelismConfiguration must be {\"MaxParallelExecutionSteps\": N}")
		return
	}
	n, ok := m.num.(int64)
	if m.kind != kindNumber || !ok || n < 1 || n > 10000 {
		t.add(m.pos, "", "ParallelismConfiguration.MaxParallelExecutionSteps", "MaxParallelExecutionSteps must be an integer from 1 to 10000, got %s", show(m))
		return
	}
	t.p.Parallelism = int(n)
}

// collect records every step, descending into condition branches, so that
// references may point at steps defined anywhere.
func (t *translator) collect(list *node, path string) {
	for i, sn := range list.elems {
		at := fmt.Sprintf("%s[%d]", path, i)
		if sn.kind != kindObject {
			t.add(sn.pos, "", at, "a step must be an object with Name, Type and Arguments, got %s", sn.describe())
			continue
		}
		s := &smStep{n: sn, path: at}
		name, typ := sn.get("Name"), sn.get("Type")
		switch {
		case name == nil:
			t.add(sn.pos, "", at, "step has no Name")
			continue
		case name.kind != kindString:
			t.add(name.pos, "", at+".Name", "Name must be a string, got %s", name.describe())
			continue
		case !namePattern.MatchString(name.str):
			t.add(name.pos, name.str, at+".Name", "bad step name %q: use 1 to 64 letters, digits, _ or -", name.str)
		}
		s.name = name.str
		if first, dup := t.steps[s.name]; dup {
			t.add(name.pos, s.name, at+".Name", "duplicate step name %q (first at %s, line %d)", s.name, first.path, first.n.pos.Line)
			continue
		}
		switch {
		case typ == nil:
			t.add(sn.pos, s.name, at, "step has no Type")
		case typ.kind != kindString:
			t.add(typ.pos, s.name, at+".Type", "Type must be a string, got %s", typ.describe())
		default:
			s.typ = typ.str
		}
		s.kind = kindOf[s.typ]
		t.steps[s.name] = s
		t.order = append(t.order, s)
		s.declare()
		if s.typ == "Condition" {
			args := sn.get("Arguments")
			for _, key := range []string{"IfSteps", "ElseSteps"} {
				if b := args.get(key); b != nil && b.kind == kindArray {
					t.collect(b, at+".Arguments."+key)
				}
			}
		}
	}
}

// declare records the names a step's property paths may index by.
func (s *smStep) declare() {
	args := s.n.get("Arguments")
	names := func(list *node, key string) []string {
		var out []string
		if list == nil || list.kind != kindArray {
			return nil
		}
		for _, e := range list.elems {
			if v := e.get(key); v != nil && v.kind == kindString {
				out = append(out, v.str)
			}
		}
		return out
	}
	switch s.typ {
	case "Processing":
		s.outputs = names(args.get("ProcessingOutputConfig").get("Outputs"), "OutputName")
		s.inputs = names(args.get("ProcessingInputs"), "InputName")
	case "Training":
		s.channels = names(args.get("InputDataConfig"), "ChannelName")
	case "Lambda", "Callback":
		s.outParams = names(s.n.get("OutputParameters"), "OutputName")
	}
}

// params translates Parameters.
func (t *translator) params(n *node) {
	if n.kind != kindArray {
		t.add(n.pos, "", "Parameters", "Parameters must be a list, got %s", n.describe())
		return
	}
	seen := map[string]bool{}
	for i, pn := range n.elems {
		at := fmt.Sprintf("Parameters[%d]", i)
		if pn.kind != kindObject {
			t.add(pn.pos, "", at, "a parameter must be an object with Name and Type, got %s", pn.describe())
			continue
		}
		pr := &pipeline.Parameter{Type: pipeline.ParamString, Pos: pn.pos}
		var def, enum *node
		for j, k := range pn.keys {
			v := pn.vals[j]
			switch k {
			case "Name":
				if v.kind != kindString {
					t.add(v.pos, "", at+".Name", "Name must be a string, got %s", v.describe())
					continue
				}
				pr.Name = v.str
			case "Type":
				ty, ok := map[string]pipeline.ParamType{"String": pipeline.ParamString, "Integer": pipeline.ParamInteger,
					"Float": pipeline.ParamFloat, "Boolean": pipeline.ParamBoolean}[v.str]
				if v.kind != kindString || !ok {
					t.add(v.pos, "", at+".Type", "unknown parameter type %s (known: String, Integer, Float, Boolean)", show(v))
					continue
				}
				pr.Type = ty
			case "DefaultValue":
				def = v
			case "EnumValues":
				enum = v
			case "Description":
				if v.kind == kindString {
					pr.Description = v.str
				}
			default:
				t.add(pn.keyPos[j], "", at+"."+k, "unknown parameter key %q (known: Name, Type, DefaultValue, EnumValues, Description)", k)
			}
		}
		switch {
		case pr.Name == "":
			t.add(pn.pos, "", at, "parameter has no Name")
			continue
		case !namePattern.MatchString(pr.Name):
			t.add(pn.pos, "", at+".Name", "bad parameter name %q: use 1 to 64 letters, digits, _ or -", pr.Name)
		case seen[pr.Name]:
			t.add(pn.pos, "", at+".Name", "duplicate parameter name %q", pr.Name)
			continue
		}
		seen[pr.Name] = true
		if enum != nil && enum.kind != kindNull {
			if enum.kind != kindArray || len(enum.elems) == 0 {
				t.add(enum.pos, "", at+".EnumValues", "EnumValues must be a non-empty list")
			} else {
				for k, e := range enum.elems {
					if v, ok := t.paramValue(pr, e, fmt.Sprintf("%s.EnumValues[%d]", at, k)); ok {
						pr.Enum = append(pr.Enum, v)
					}
				}
			}
		}
		if def != nil && def.kind != kindNull {
			if v, ok := t.paramValue(pr, def, at+".DefaultValue"); ok {
				pr.Default, pr.HasDefault = v, true
				if len(pr.Enum) > 0 && !inEnum(pr.Enum, v) {
					t.add(def.pos, "", at+".DefaultValue", "default %s is not one of EnumValues", show(def))
				}
			}
		}
		t.p.Parameters = append(t.p.Parameters, pr)
	}
}

func inEnum(enum []any, v any) bool {
	for _, e := range enum {
		if pipeline.Stringify(e) == pipeline.Stringify(v) {
			return true
		}
	}
	return false
}

// paramValue converts a default or enum value to the parameter's type.
func (t *translator) paramValue(pr *pipeline.Parameter, n *node, field string) (any, bool) {
	switch pr.Type {
	case pipeline.ParamString:
		if n.kind == kindString {
			return n.str, true
		}
	case pipeline.ParamInteger:
		if v, ok := n.num.(int64); ok {
			return v, true
		}
		if f, ok := n.num.(float64); ok && f == float64(int64(f)) {
			return int64(f), true
		}
	case pipeline.ParamFloat:
		switch v := n.num.(type) {
		case int64:
			return float64(v), true
		case float64:
			return v, true
		}
	case pipeline.ParamBoolean:
		if n.kind == kindBool {
			return n.b, true
		}
	}
	t.add(n.pos, "", field, "%s parameter %q: value must be %s, got %s", pr.Type, pr.Name, typeWord(pr.Type), show(n))
	return nil, false
}

func typeWord(t pipeline.ParamType) string {
	switch t {
	case pipeline.ParamInteger:
		return "an integer"
	case pipeline.ParamFloat:
		return "a number"
	case pipeline.ParamBoolean:
		return "true or false"
	}
	return "a string"
}

// show renders a JSON value briefly for messages.
func show(n *node) string {
	if n == nil {
		return "nothing"
	}
	switch n.kind {
	case kindString:
		s := n.str
		if len(s) > 60 {
			s = s[:60] + "..."
		}
		return fmt.Sprintf("%q", s)
	case kindNumber, kindBool, kindNull:
		s, _ := literal(n)
		return s
	}
	return n.describe()
}

// hint suggests the closest known name, or lists them.
func hint(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	s := append([]string(nil), known...)
	sort.Strings(s)
	return " (known: " + strings.Join(s, ", ") + ")"
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
