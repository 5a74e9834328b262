package definition

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ferryml/ferry/internal/pipeline"
)

// Synthetic ARNs: a local execution has no AWS account or region.
const (
	arnPrefix = "arn:aws:sagemaker:local:000000000000:pipeline/"
)

// executionVars are the Execution.<name> variables a definition may read.
var executionVars = []string{"PipelineExecutionId", "PipelineExecutionArn", "PipelineName", "PipelineArn",
	"StartDateTime", "CurrentDateTime", "TrainingJobName", "ProcessingJobName"}

// get translates a Get path into Ferry expression source.
func (t *translator) get(s *smStep, ref string, pos pipeline.Pos, field string) (string, bool) {
	root, rest, _ := strings.Cut(ref, ".")
	switch root {
	case "Parameters":
		if t.p.Param(rest) == nil {
			names := make([]string, len(t.p.Parameters))
			for i, pr := range t.p.Parameters {
				names[i] = pr.Name
			}
			known := " (the definition declares no Parameters)"
			if len(names) > 0 {
				known = hint(rest, names)
			}
			t.add(pos, s.name, field, "Get %s: unknown parameter %q%s", ref, rest, known)
			return "", false
		}
		return "params." + rest, true
	case "Execution":
		switch rest {
		case "PipelineExecutionId":
			return "execution." + pipeline.ExecID, true
		case "PipelineName":
			return "execution." + pipeline.ExecPipelineName, true
		case "StartDateTime":
			return "execution." + pipeline.ExecStartTime, true
		case "CurrentDateTime":
			return "execution." + pipeline.ExecCurrentTime, true
		case "PipelineArn":
			return "join('', " + quote(arnPrefix) + ", execution." + pipeline.ExecPipelineName + ")", true
		case "PipelineExecutionArn":
			return "join('', " + quote(arnPrefix) + ", execution." + pipeline.ExecPipelineName + ", '/execution/', execution." + pipeline.ExecID + ")", true
		case "TrainingJobName", "ProcessingJobName":
			// What the job of this step is called.
			return "join('-', 'pipelines', execution." + pipeline.ExecID + ", " + quote(s.name) + ")", true
		}
		t.add(pos, s.name, field, "Get %s: unknown execution variable %q%s", ref, rest, hint(rest, executionVars))
		return "", false
	case "PipelineExperimentConfig":
		return t.experiment(s, rest, ref, pos, field)
	case "Steps":
		name := rest
		if i := strings.IndexAny(rest, ".["); i >= 0 {
			name = rest[:i]
			rest = strings.TrimPrefix(rest[i:], ".")
		} else {
			rest = ""
		}
		target, ok := t.steps[name]
		if !ok {
			t.add(pos, s.name, field, "Get %s: unknown step %q%s", ref, name, t.stepHint(name))
			return "", false
		}
		elems, err := parsePath(rest)
		if err != nil {
			t.add(pos, s.name, field, "Get %s: bad property path: %v", ref, err)
			return "", false
		}
		return t.stepRef(s, target, elems, ref, pos, field)
	}
	t.add(pos, s.name, field, "Get %s: a path starts with Parameters., Execution., Steps. or PipelineExperimentConfig.", ref)
	return "", false
}

// experiment reads PipelineExperimentConfig.ExperimentName or TrialName:
// the top-level config's value, by default the pipeline name and the
// execution ID.
func (t *translator) experiment(s *smStep, name, ref string, pos pipeline.Pos, field string) (string, bool) {
	def := map[string]string{"ExperimentName": "execution." + pipeline.ExecPipelineName, "TrialName": "execution." + pipeline.ExecID}
	d, ok := def[name]
	if !ok {
		t.add(pos, s.name, field, "Get %s: PipelineExperimentConfig has ExperimentName and TrialName", ref)
		return "", false
	}
	v := t.pec.get(name)
	if v == nil {
		return d, true
	}
	if isExpr(v) && v.get(exprGet) != nil && strings.HasPrefix(v.get(exprGet).str, "PipelineExperimentConfig.") {
		t.add(v.pos, s.name, "PipelineExperimentConfig."+name, "PipelineExperimentConfig cannot refer to itself")
		return "", false
	}
	return t.operand(&smStep{name: s.name, path: "PipelineExperimentConfig", st: s.st, n: s.n, typ: s.typ}, v, name)
}

// Location properties: SageMaker properties that name where a step's data
// went. They read the step's output artifact instead.
func locationOutput(s *smStep, elems []elem) (string, bool) {
	keys := make([]string, len(elems))
	for i, e := range elems {
		if e.isIndex {
			return "", false
		}
		keys[i] = e.key
	}
	path := strings.Join(keys, "\x00")
	switch s.typ {
	case "Processing":
		if len(keys) == 5 && keys[0] == "ProcessingOutputConfig" && keys[1] == "Outputs" && keys[3] == "S3Output" && keys[4] == "S3Uri" && isPlain(keys[2]) {
			return keys[2], true
		}
	case "Training":
		if path == "ModelArtifacts\x00S3ModelArtifacts" {
			return OutModel, true
		}
	case "Transform":
		if path == "TransformOutput\x00S3OutputPath" {
			return OutOutput, true
		}
	}
	return "", false
}

// clarifyProps maps ClarifyCheck properties to clarify_check's outputs
// (when output is set) or properties.
var clarifyProps = map[string]struct {
	name   string
	output bool
}{
	"CalculatedBaselineConstraints":        {"calculated_baseline_constraints", true},
	"BaselineUsedForDriftCheckConstraints": {"baseline_used_for_drift_check_constraints", true},
	"ViolationReport":                      {"violation_report", true},
	"CheckType":                            {"check_type", false},
	"SkipCheck":                            {"skip_check", false},
	"RegisterNewBaseline":                  {"register_new_baseline", false},
	"ModelPackageGroupName":                {"model_package_group_name", false},
}

// stepRef translates a Get into a step: checks the property path against
// the step type's shape and returns an output or property reference.
func (t *translator) stepRef(s, target *smStep, elems []elem, ref string, pos pipeline.Pos, field string) (string, bool) {
	bad := func(format string, args ...any) (string, bool) {
		t.add(pos, s.name, field, "Get %s: "+format, append([]any{ref}, args...)...)
		return "", false
	}
	if len(elems) == 0 || elems[0].isIndex {
		return bad("name a property of step %q", target.name)
	}
	base := "steps." + target.name
	if target.refused || target.typ == "" {
		return base + ".properties" + renderPath(elems), true
	}
	first := elems[0].key
	if first == "PropertyFiles" {
		return bad("read a property file with {\"Std:JsonGet\": {\"PropertyFile\": {\"Get\": %q}, \"Path\": ...}}", "Steps."+target.name+".PropertyFiles."+showPath(elems[1:]))
	}
	switch target.typ {
	case "Condition":
		if len(elems) != 1 || first != "Outcome" {
			return bad("a Condition step has one property, Outcome")
		}
		return base + ".properties." + pipeline.PropOutcome, true
	case "Fail":
		return bad("a Fail step has no properties")
	case "ClarifyCheck", "QualityCheck":
		props := clarifyProps
		if target.typ == "QualityCheck" {
			props = qualityProps
		}
		m, ok := props[first]
		if !ok {
			names := make([]string, 0, len(props))
			for k := range props {
				names = append(names, k)
			}
			sort.Strings(names)
			return bad("step %q (%s) has no property %q%s", target.name, target.typ, first, hint(first, names))
		}
		if len(elems) > 1 {
			return bad("%s of step %q has no fields", first, target.name)
		}
		if m.output {
			return base + ".outputs." + m.name, true
		}
		return base + ".properties." + m.name, true
	}
	sh, ok := shapeOf(target.kind)
	if !ok {
		return bad("step %q (%s) exposes no properties", target.name, target.typ)
	}
	canon := make([]elem, 0, len(elems))
	// named is canon with list positions replaced by the names the step
	// declares, to recognise location properties.
	named := make([]elem, 0, len(elems))
	for i, e := range elems {
		at := showPath(elems[:i])
		switch {
		case sh.open:
			canon = append(canon, elems[i:]...)
			return t.finishRef(s, target, canon, named)
		case sh.fields != nil:
			if e.isIndex {
				return bad("%s of step %q is an object, not a list", at, target.name)
			}
			next, ok := sh.fields[e.key]
			if !ok {
				names := make([]string, 0, len(sh.fields))
				for k := range sh.fields {
					names = append(names, k)
				}
				sort.Strings(names)
				where := "step " + fmt.Sprintf("%q (%s)", target.name, target.typ)
				if i > 0 {
					where = at + " of " + where
				}
				return bad("%s has no property %q%s", where, e.key, hint(e.key, names))
			}
			canon = append(canon, elem{key: e.key})
			named = append(named, elem{key: e.key})
			sh = next
		case sh.keyed != nil:
			names := target.namesFor(sh.names)
			key := e.key
			switch {
			case e.isIndex && sh.names != namesAny && e.index >= len(names):
				return bad("%s of step %q has %d elements, no [%d]", at, target.name, len(names), e.index)
			case e.isIndex && sh.names != namesAny:
				key = names[e.index]
			case !e.isIndex && sh.names != namesAny && !contains(names, key):
				list := "none"
				if len(names) > 0 {
					list = strings.Join(names, ", ")
				}
				return bad("step %q declares no %s %q (it declares: %s)", target.name, at, key, list)
			}
			canon = append(canon, e)
			named = append(named, elem{key: key, bracket: true})
			sh = sh.keyed
		case sh.list:
			if !e.isIndex {
				return bad("%s of step %q is a list; index it with [n]", at, target.name)
			}
			canon = append(canon, e)
			if i+1 < len(elems) {
				return bad("%s of step %q holds strings; it has no fields", showPath(elems[:i+1]), target.name)
			}
			return t.finishRef(s, target, canon, nil)
		default:
			return bad("%s of step %q is a value; it has no fields or elements", at, target.name)
		}
	}
	return t.finishRef(s, target, canon, named)
}

// finishRef renders a checked property path: an output for location
// properties read by a step that takes artifacts, else a property.
// Lambda, Callback, Condition and Fail steps see what SageMaker shows:
// the S3 URI the data was published under.
func (t *translator) finishRef(s, target *smStep, canon, named []elem) (string, bool) {
	base := "steps." + target.name
	takesArtifacts := s.request || s.kind == KindClarifyCheck || s.kind == KindQualityCheck || s.kind == KindJSONGet || s.typ == "JsonGet"
	if out, ok := locationOutput(target, named); ok && len(named) == len(canon) && takesArtifacts {
		return base + ".outputs." + out, true
	}
	return base + ".properties." + canon[0].key + renderPath(canon[1:]), true
}

func (s *smStep) namesFor(src nameSource) []string {
	switch src {
	case namesOutputs:
		return s.outputs
	case namesInputs:
		return s.inputs
	case namesChannels:
		return s.channels
	case namesOutputParams:
		return s.outParams
	}
	return nil
}
