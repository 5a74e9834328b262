package definition

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// KindQualityCheck is Ferry's quality_check kind, which QualityCheck steps
// become (internal/step/qualitycheck).
const KindQualityCheck = "quality_check"

// Arguments of the quality_check kind that a QualityCheck step fills.
const (
	qualityCheckType    = "check_type"
	qualityData         = "data"
	qualityDataURI      = "data_uri"
	qualityConfig       = "config"
	qualitySkip         = "skip_check"
	qualityRegister     = "register_new_baseline"
	qualitySuppliedStat = "supplied_baseline_statistics"
	qualitySuppliedCons = "supplied_baseline_constraints"
	qualityFail         = "fail_on_violation"
	qualityGroup        = "model_package_group_name"
)

// qualityProps maps QualityCheck properties (those SageMaker defines for
// the step type) to quality_check's outputs (when output is set) or
// properties.
var qualityProps = map[string]struct {
	name   string
	output bool
}{
	"CalculatedBaselineStatistics":         {"calculated_baseline_statistics", true},
	"CalculatedBaselineConstraints":        {"calculated_baseline_constraints", true},
	"BaselineUsedForDriftCheckStatistics":  {"baseline_used_for_drift_check_statistics", true},
	"BaselineUsedForDriftCheckConstraints": {"baseline_used_for_drift_check_constraints", true},
	"CheckType":                            {"check_type", false},
	"SkipCheck":                            {"skip_check", false},
	"RegisterNewBaseline":                  {"register_new_baseline", false},
	"ModelPackageGroupName":                {"model_package_group_name", false},
}

// The ProcessingInput names of the Model Monitor analyzer job a
// QualityCheckStep builds.
const (
	baselineDatasetInput = "baseline_dataset_input"
)

// qualityCheck maps a QualityCheck step onto the quality_check kind. The
// Model Monitor analyzer's processing request gives the data set (input
// "baseline_dataset_input": a Get of another step's output becomes data,
// an s3:// URI data_uri) and, in its Environment, the data set's format
// (CSV with a header row) and, for a model-quality check, the problem
// type and the columns (ground_truth_attribute, probability_attribute or
// inference_attribute, probability_threshold_attribute).
func (t *translator) qualityCheck(s *smStep, args *node) {
	st := s.st
	s.fields = map[string]string{}
	set := func(arg, key string) {
		if v := s.n.get(key); v != nil && v.kind != kindNull {
			st.Args[arg] = t.value(s, v, arg, key)
			s.fields[arg] = key
		}
	}
	ct := s.n.get("CheckType")
	checkType := ""
	switch {
	case ct == nil:
		t.add(s.n.pos, s.name, s.path, "a QualityCheck step needs CheckType (DATA_QUALITY or MODEL_QUALITY)")
	case ct.kind != kindString || (ct.str != "DATA_QUALITY" && ct.str != "MODEL_QUALITY"):
		t.add(ct.pos, s.name, s.path+".CheckType", "unknown CheckType %s (known: DATA_QUALITY, MODEL_QUALITY)", show(ct))
	default:
		checkType = strings.ToLower(ct.str)
		st.Args[qualityCheckType] = checkType
		st.ArgPos[qualityCheckType] = ct.pos
		s.fields[qualityCheckType] = "CheckType"
	}
	set(qualitySkip, "SkipCheck")
	set(qualityRegister, "RegisterNewBaseline")
	set(qualitySuppliedStat, "SuppliedBaselineStatistics")
	set(qualitySuppliedCons, "SuppliedBaselineConstraints")
	set(qualityFail, "FailOnViolation")
	set(qualityGroup, "ModelPackageGroupName")
	if args == nil || args.kind != kindObject {
		t.add(s.n.pos, s.name, s.path+".Arguments", "a QualityCheck step needs Arguments: the Model Monitor analyzer's CreateProcessingJob request")
		return
	}
	found := false
	for i, in := range inputsOf(args.get("ProcessingInputs")) {
		name := in.get("InputName")
		if name == nil || name.kind != kindString {
			continue
		}
		jpath := fmt.Sprintf("Arguments.ProcessingInputs[%d]", i)
		if name.str != baselineDatasetInput {
			t.add(name.pos, s.name, s.path+"."+jpath+".InputName",
				"ProcessingInput %q: Ferry's quality check reads only the baseline data set (%s); record preprocessor and post-analytics scripts are not run",
				name.str, baselineDatasetInput)
			continue
		}
		uri := in.get("S3Input").get("S3Uri")
		if uri == nil {
			t.add(in.pos, s.name, s.path+"."+jpath, "the baseline data set input has no S3Input.S3Uri")
			continue
		}
		found = true
		jpath += ".S3Input.S3Uri"
		arg := qualityDataURI
		if g := uri.get(exprGet); isExpr(uri) && g != nil && g.kind == kindString && strings.HasPrefix(g.str, "Steps.") {
			arg = qualityData // another step's output: an artifact
		}
		st.Args[arg] = t.value(s, uri, arg, jpath)
		s.fields[arg] = jpath
	}
	if !found {
		t.add(args.pos, s.name, s.path+".Arguments.ProcessingInputs", "the Model Monitor job has no ProcessingInput named %q (the baseline data set)", baselineDatasetInput)
	}
	t.qualityEnvironment(s, args.get("Environment"), checkType)
}

// qualityEnvironment reads the analyzer's Environment into the kind's
// config.
func (t *translator) qualityEnvironment(s *smStep, env *node, checkType string) {
	st := s.st
	cfg := map[string]any{}
	st.Args[qualityConfig] = cfg
	s.fields[qualityConfig] = "Arguments.Environment"
	at := s.path + ".Arguments.Environment"
	if env == nil || env.kind != kindObject {
		t.add(s.n.pos, s.name, at, "the Model Monitor job needs an Environment (dataset_format, and for MODEL_QUALITY the problem type and columns)")
		return
	}
	literal := func(key string) (string, *node, bool) {
		v := env.get(key)
		if v == nil {
			return "", nil, false
		}
		if v.kind != kindString {
			t.add(v.pos, s.name, at+"."+key, "%s must be a literal string: Ferry reads it when it translates the definition, got %s", key, show(v))
			return "", v, false
		}
		return v.str, v, true
	}
	if f, v, ok := literal("dataset_format"); ok {
		var format struct {
			CSV *struct {
				Header *bool `json:"header"`
			} `json:"csv"`
		}
		switch err := json.Unmarshal([]byte(f), &format); {
		case err != nil:
			t.add(v.pos, s.name, at+".dataset_format", "dataset_format %q is not JSON: %v", f, err)
		case format.CSV == nil:
			t.add(v.pos, s.name, at+".dataset_format", "dataset_format %s: Ferry's quality check reads CSV data sets only (DatasetFormat.csv(header=True))", f)
		case format.CSV.Header == nil || !*format.CSV.Header:
			t.add(v.pos, s.name, at+".dataset_format", "dataset_format %s: the CSV data set must have a header row (DatasetFormat.csv(header=True)): its columns are named by it", f)
		}
	} else if v == nil {
		t.add(env.pos, s.name, at, "the Model Monitor job's Environment has no dataset_format")
	}
	if checkType != "model_quality" {
		return
	}
	if pt, v, ok := literal("problem_type"); ok {
		if pt != "BinaryClassification" && pt != "Regression" {
			t.add(v.pos, s.name, at+".problem_type", "problem_type %q: Ferry's model-quality check handles BinaryClassification and Regression", pt)
		}
		cfg["problem_type"] = pt
	} else if v == nil {
		t.add(env.pos, s.name, at, "a MODEL_QUALITY check needs problem_type")
	}
	if label, v, ok := literal("ground_truth_attribute"); ok {
		cfg["label"] = label
	} else if v == nil {
		t.add(env.pos, s.name, at, "a MODEL_QUALITY check needs ground_truth_attribute, the label column")
	}
	pred, pv, ok := literal("probability_attribute")
	if !ok && pv == nil {
		pred, pv, ok = literal("inference_attribute")
	}
	switch {
	case ok:
		cfg["prediction"] = pred
	case pv == nil:
		t.add(env.pos, s.name, at, "a MODEL_QUALITY check needs probability_attribute or inference_attribute, the prediction column")
	}
	if thr, v, ok := literal("probability_threshold_attribute"); ok {
		x, err := strconv.ParseFloat(thr, 64)
		if err != nil || x < 0 || x > 1 {
			t.add(v.pos, s.name, at+".probability_threshold_attribute", "probability_threshold_attribute %q: want a number in [0, 1]", thr)
		} else {
			cfg["probability_threshold"] = x
		}
	}
}
