package definition

import (
	"fmt"
	"strings"

	"github.com/ferryml/ferry/internal/pipeline"
)

// Arguments of the clarify_check kind that a ClarifyCheck step fills.
const (
	clarifyCheckType      = "check_type"
	clarifyData           = "data"
	clarifyModel          = "model"
	clarifyConfig         = "config"
	clarifyAnalysisConfig = "analysis_config"
	clarifySkip           = "skip_check"
	clarifyRegister       = "register_new_baseline"
	clarifySupplied       = "supplied_baseline_constraints"
	clarifyFail           = "fail_on_violation"
	clarifyGroup          = "model_package_group_name"
)

// clarify maps a ClarifyCheck step onto the clarify_check kind. The
// Clarify job's processing request gives the data (input "dataset") and
// the analysis configuration the SDK uploaded (input "analysis_config");
// ModelName, which must come from a Model step of the pipeline, gives the
// model.
func (t *translator) clarify(s *smStep, args *node) {
	st := s.st
	s.fields = map[string]string{}
	set := func(arg, key string) {
		if v := s.n.get(key); v != nil {
			st.Args[arg] = t.value(s, v, arg, key)
			s.fields[arg] = key
		}
	}
	ct := s.n.get("CheckType")
	switch {
	case ct == nil:
		t.add(s.n.pos, s.name, s.path, "a ClarifyCheck step needs CheckType (DATA_BIAS, MODEL_BIAS or MODEL_EXPLAINABILITY)")
	case ct.kind != kindString || !contains([]string{"DATA_BIAS", "MODEL_BIAS", "MODEL_EXPLAINABILITY"}, ct.str):
		t.add(ct.pos, s.name, s.path+".CheckType", "unknown CheckType %s (known: DATA_BIAS, MODEL_BIAS, MODEL_EXPLAINABILITY)", show(ct))
	default:
		st.Args[clarifyCheckType] = strings.ToLower(ct.str)
		st.ArgPos[clarifyCheckType] = ct.pos
		s.fields[clarifyCheckType] = "CheckType"
	}
	set(clarifySkip, "SkipCheck")
	set(clarifyRegister, "RegisterNewBaseline")
	set(clarifySupplied, "SuppliedBaselineConstraints")
	set(clarifyFail, "FailOnViolation")
	set(clarifyGroup, "ModelPackageGroupName")
	// The analysis configuration is in the object store, not in the
	// definition: the kind reads it from analysis_config.
	st.Args[clarifyConfig] = map[string]any{}
	if args == nil || args.kind != kindObject {
		t.add(s.n.pos, s.name, s.path+".Arguments", "a ClarifyCheck step needs Arguments: the Clarify job's CreateProcessingJob request")
		return
	}
	inputs := args.get("ProcessingInputs")
	for i, in := range inputsOf(inputs) {
		name := in.get("InputName")
		uri := in.get("S3Input").get("S3Uri")
		if name == nil || uri == nil {
			continue
		}
		jpath := fmt.Sprintf("Arguments.ProcessingInputs[%d].S3Input.S3Uri", i)
		switch name.str {
		case "dataset":
			st.Args[clarifyData] = t.value(s, uri, clarifyData, jpath)
			s.fields[clarifyData] = jpath
		case "analysis_config":
			st.Args[clarifyAnalysisConfig] = t.value(s, uri, clarifyAnalysisConfig, jpath)
			s.fields[clarifyAnalysisConfig] = jpath
			s.fields[clarifyConfig] = jpath
		}
	}
	if _, ok := st.Args[clarifyData]; !ok {
		t.add(args.pos, s.name, s.path+".Arguments.ProcessingInputs", "the Clarify job has no ProcessingInput named \"dataset\"")
	}
	if _, ok := st.Args[clarifyAnalysisConfig]; !ok {
		t.add(args.pos, s.name, s.path+".Arguments.ProcessingInputs", "the Clarify job has no ProcessingInput named \"analysis_config\"")
	}
	if ct == nil || ct.str == "DATA_BIAS" {
		return
	}
	mn := s.n.get("ModelName")
	if mn == nil {
		t.add(s.n.pos, s.name, s.path, "a %s check needs ModelName, a Get of a Model step's ModelName", ct.str)
		return
	}
	st.ArgPos[clarifyModel] = mn.pos
	s.fields[clarifyModel] = "ModelName"
	g := mn.get(exprGet)
	if !isExpr(mn) || g == nil || g.kind != kindString || !strings.HasPrefix(g.str, "Steps.") || !strings.HasSuffix(g.str, ".ModelName") {
		t.add(mn.pos, s.name, s.path+".ModelName", "ModelName must be {\"Get\": \"Steps.<Model step>.ModelName\"}: Ferry runs the model of a Model step of this pipeline, got %s", show(mn))
		return
	}
	name := strings.TrimSuffix(strings.TrimPrefix(g.str, "Steps."), ".ModelName")
	target := t.steps[name]
	switch {
	case target == nil:
		t.add(g.pos, s.name, s.path+".ModelName", "Get %s: unknown step %q%s", g.str, name, t.stepHint(name))
	case target.typ != "Model" && target.typ != "CreateModel":
		t.add(g.pos, s.name, s.path+".ModelName", "Get %s: step %q is a %s step, not a Model step", g.str, name, target.typ)
	default:
		st.Args[clarifyModel] = "${{ steps." + name + ".outputs." + OutModel + " }}"
	}
}

func inputsOf(n *node) []*node {
	if n == nil || n.kind != kindArray {
		return nil
	}
	return n.elems
}

// relocate rewrites the problems pipeline.Validate found so their fields
// are JSON paths of the definition (Steps[2].Arguments...) rather than
// Ferry's argument names. Problems of a step the translation already
// found problems in are dropped: they are most often the same problem
// seen again through the translated arguments.
func (t *translator) relocate(err error, found []*pipeline.ValidationError) error {
	verrs, ok := err.(*pipeline.ValidationErrors)
	if !ok || verrs == nil {
		return err
	}
	bad := map[string]bool{}
	for _, e := range found {
		bad[e.Step] = true
	}
	out := make([]*pipeline.ValidationError, 0, len(verrs.Errs))
	for _, e := range verrs.Errs {
		if e.Step != "" && bad[e.Step] && !strings.HasPrefix(e.Msg, "dependency cycle") {
			continue
		}
		c := *e
		s := t.steps[e.Step]
		if s != nil {
			c.Field = s.path
			if f := t.field(s, e.Field); f != "" {
				c.Field += "." + f
			}
			if e.Field == "kind" && strings.HasPrefix(e.Msg, "unknown step kind") {
				c.Field = s.path + ".Type"
				c.Msg = fmt.Sprintf("step type %s runs as kind %s, which is not registered in this build", s.typ, s.kind)
			}
		}
		out = append(out, &c)
	}
	return &pipeline.ValidationErrors{Errs: out}
}

// field maps a Ferry field of step s to its JSON path inside the step.
func (t *translator) field(s *smStep, f string) string {
	head, rest := f, ""
	if i := strings.IndexAny(f, ".["); i >= 0 {
		head, rest = f[:i], f[i:]
	}
	if m, ok := s.fields[head]; ok {
		return m + rest
	}
	switch head {
	case "":
		return ""
	case "kind":
		return "Type"
	case "name":
		return "Name"
	case "depends_on":
		return "DependsOn"
	case "cache":
		return "CacheConfig"
	case "retry":
		return "RetryPolicies"
	case "property_files":
		return "PropertyFiles"
	case "if":
		return "Arguments.Conditions"
	case "then":
		return "Arguments.IfSteps"
	case "else":
		return "Arguments.ElseSteps"
	case "message":
		return "Arguments.ErrorMessage" + rest
	}
	if s.request {
		return "Arguments." + f
	}
	return f
}
