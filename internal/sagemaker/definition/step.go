package definition

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/pipeline"
)

// kindOf maps step types to kinds.
var kindOf = map[string]string{
	"Processing":    KindProcessing,
	"Training":      KindTraining,
	"Tuning":        KindTuning,
	"Transform":     KindTransform,
	"Model":         KindModel,
	"CreateModel":   KindModel,
	"RegisterModel": KindRegisterModel,
	"Lambda":        KindLambda,
	"Callback":      KindCallback,
	"ClarifyCheck":  KindClarifyCheck,
	"QualityCheck":  KindQualityCheck,
	"Condition":     pipeline.KindCondition,
	"Fail":          pipeline.KindFail,
}

// refusedTypes are step types Ferry knows but does not run yet, with why.
var refusedTypes = map[string]string{
	"EMR":           "EMR steps need an EMR cluster, which Ferry cannot provide locally",
	"EMRServerless": "EMR Serverless steps need an EMR application, which Ferry cannot provide locally",
	"AutoML":        "AutoML jobs (CreateAutoMLJob) are not supported",
}

// envelopeKeys are the step keys every type may carry.
var envelopeKeys = []string{"Name", "Type", "Arguments", "DependsOn", "DisplayName", "Description", "CacheConfig", "RetryPolicies"}

// typeKeys are the extra keys of some step types.
var typeKeys = map[string][]string{
	"Processing":   {"PropertyFiles"},
	"Lambda":       {"FunctionArn", "OutputParameters", "Timeout"},
	"Callback":     {"SqsQueueUrl", "OutputParameters"},
	"ClarifyCheck": {"CheckType", "ModelPackageGroupName", "SkipCheck", "FailOnViolation", "RegisterNewBaseline", "SuppliedBaselineConstraints", "ModelName"},
	"QualityCheck": {"CheckType", "ModelPackageGroupName", "SkipCheck", "FailOnViolation", "RegisterNewBaseline", "SuppliedBaselineStatistics", "SuppliedBaselineConstraints"},
}

func (t *translator) step(s *smStep) {
	if s.typ == "" {
		return
	}
	if why, ok := refusedTypes[s.typ]; ok {
		t.add(s.n.get("Type").pos, s.name, s.path+".Type", "step type %s is refused: %s", s.typ, why)
		s.refused = true
		// Keep a kindless step so references to it are not reported
		// again as unknown steps.
		s.st = &pipeline.Step{Name: s.name, Pos: s.n.pos}
		return
	}
	kind, ok := kindOf[s.typ]
	if !ok {
		known := make([]string, 0, len(kindOf))
		for k := range kindOf {
			if k != "CreateModel" {
				known = append(known, k)
			}
		}
		t.add(s.n.get("Type").pos, s.name, s.path+".Type", "unknown step type %q%s", s.typ, hint(s.typ, known))
		s.refused = true
		s.st = &pipeline.Step{Name: s.name, Pos: s.n.pos}
		return
	}
	s.kind = kind
	st := &pipeline.Step{
		Name: s.name, Kind: kind, Pos: s.n.pos,
		Args: map[string]any{}, ArgPos: map[string]pipeline.Pos{},
	}
	s.st = st
	allowed := append(append([]string(nil), envelopeKeys...), typeKeys[s.typ]...)
	for i, k := range s.n.keys {
		v := s.n.vals[i]
		switch k {
		case "Name", "Type", "Arguments":
		case "DisplayName":
			if v.kind == kindString {
				st.DisplayName = v.str
			}
		case "Description":
			if v.kind == kindString {
				st.Description = v.str
			}
		case "DependsOn":
			t.dependsOn(s, v)
		case "CacheConfig":
			t.cache(s, v)
		case "RetryPolicies":
			t.retry(s, v)
		case "PropertyFiles":
			if s.typ == "Processing" {
				t.propertyFiles(s, v)
				continue
			}
			fallthrough
		default:
			if !contains(allowed, k) {
				t.add(s.n.keyPos[i], s.name, s.path+"."+k, "unknown key %q of a %s step%s", k, s.typ, hint(k, allowed))
			}
		}
	}
	if (s.typ == "Condition" || s.typ == "Fail") && (s.n.get("CacheConfig") != nil || s.n.get("RetryPolicies") != nil) {
		t.add(s.n.pos, s.name, s.path, "%s steps take neither CacheConfig nor RetryPolicies", s.typ)
	}
	args := s.n.get("Arguments")
	switch s.typ {
	case "Condition":
		t.condition(s, args)
	case "Fail":
		if args != nil && args.kind != kindObject {
			t.add(args.pos, s.name, s.path+".Arguments", "Arguments must be an object, got %s", args.describe())
			return
		}
		if m := args.get("ErrorMessage"); m != nil {
			st.Args["message"] = t.value(s, m, "message", "Arguments.ErrorMessage")
		}
		for i, k := range keysOf(args) {
			if k != "ErrorMessage" {
				t.add(args.keyPos[i], s.name, s.path+".Arguments."+k, "unknown key %q of a Fail step's Arguments (known: ErrorMessage)", k)
			}
		}
	case "ClarifyCheck":
		t.clarify(s, args)
	case "QualityCheck":
		t.qualityCheck(s, args)
	case "Lambda", "Callback":
		for _, k := range typeKeys[s.typ] {
			if v := s.n.get(k); v != nil {
				st.Args[k] = t.value(s, v, k, k)
			}
		}
		if args != nil {
			st.Args[ArgArguments] = t.value(s, args, ArgArguments, ArgArguments)
		}
		t.outputParams(s)
	default:
		if args == nil || args.kind != kindObject {
			t.add(s.n.pos, s.name, s.path+".Arguments", "a %s step needs Arguments: the %s request", s.typ, requestOf(s.typ))
			return
		}
		// The request's fields are the kind's arguments.
		s.request = true
		for i, k := range args.keys {
			st.Args[k] = t.value(s, args.vals[i], k, "Arguments."+k)
		}
		if s.typ == "Transform" {
			if m := t.modelStep(args.get("ModelName")); m != "" {
				st.Args[ArgFerryModel] = "${{ steps." + m + ".outputs." + OutModel + " }}"
				s.fields = map[string]string{ArgFerryModel: "Arguments.ModelName"}
			}
		}
	}
}

func requestOf(typ string) string {
	switch typ {
	case "Processing":
		return "CreateProcessingJob"
	case "Training":
		return "CreateTrainingJob"
	case "Tuning":
		return "CreateHyperParameterTuningJob"
	case "Transform":
		return "CreateTransformJob"
	case "RegisterModel":
		return "CreateModelPackage"
	}
	return "CreateModel"
}

func keysOf(n *node) []string {
	if n == nil || n.kind != kindObject {
		return nil
	}
	return n.keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (t *translator) dependsOn(s *smStep, v *node) {
	if v.kind != kindArray {
		t.add(v.pos, s.name, s.path+".DependsOn", "DependsOn must be a list of step names, got %s", v.describe())
		return
	}
	for i, e := range v.elems {
		at := fmt.Sprintf("%s.DependsOn[%d]", s.path, i)
		if e.kind != kindString {
			t.add(e.pos, s.name, at, "DependsOn must name steps, got %s", e.describe())
			continue
		}
		if _, ok := t.steps[e.str]; !ok {
			t.add(e.pos, s.name, at, "DependsOn names unknown step %q%s", e.str, t.stepHint(e.str))
			continue
		}
		s.st.DependsOn = append(s.st.DependsOn, e.str)
	}
}

func (t *translator) stepHint(name string) string {
	names := make([]string, 0, len(t.order))
	for _, s := range t.order {
		names = append(names, s.name)
	}
	return hint(name, names)
}

// cache maps CacheConfig. Like SageMaker, a step without CacheConfig (or
// with Enabled false) is not cached.
func (t *translator) cache(s *smStep, v *node) {
	at := s.path + ".CacheConfig"
	if v.kind != kindObject {
		t.add(v.pos, s.name, at, "CacheConfig must be an object {Enabled, ExpireAfter}, got %s", v.describe())
		return
	}
	for i, k := range v.keys {
		x := v.vals[i]
		switch k {
		case "Enabled":
			if x.kind != kindBool {
				t.add(x.pos, s.name, at+".Enabled", "Enabled must be true or false, got %s", show(x))
				continue
			}
			s.st.Cache.Enabled = x.b
		case "ExpireAfter":
			if x.kind != kindString {
				t.add(x.pos, s.name, at+".ExpireAfter", "ExpireAfter must be an ISO 8601 duration such as P30D, PT1H or 30d, got %s", show(x))
				continue
			}
			d, err := pipeline.ParseDuration(x.str)
			if err != nil {
				t.add(x.pos, s.name, at+".ExpireAfter", "%v", err)
				continue
			}
			s.st.Cache.ExpireAfter = d
		default:
			t.add(v.keyPos[i], s.name, at+"."+k, "unknown CacheConfig key %q (known: Enabled, ExpireAfter)", k)
		}
	}
}

// retry maps RetryPolicies onto one retry policy: the most generous of
// them (Ferry does not tell SageMaker's exception types apart; every
// retryable failure is retried).
func (t *translator) retry(s *smStep, v *node) {
	at := s.path + ".RetryPolicies"
	if v.kind != kindArray {
		t.add(v.pos, s.name, at, "RetryPolicies must be a list, got %s", v.describe())
		return
	}
	var best *pipeline.RetryPolicy
	for i, pn := range v.elems {
		pat := fmt.Sprintf("%s[%d]", at, i)
		if pn.kind != kindObject {
			t.add(pn.pos, s.name, pat, "a retry policy must be an object, got %s", pn.describe())
			continue
		}
		r := &pipeline.RetryPolicy{Interval: pipeline.DefaultRetryInterval, BackoffRate: pipeline.DefaultBackoffRate}
		var maxAttempts, expireMin int64 = -1, -1
		ok := true
		num := func(x *node, key string, lo, hi float64) (float64, bool) {
			f, isNum := asFloat(x)
			if !isNum || f < lo || f > hi {
				t.add(x.pos, s.name, pat+"."+key, "%s must be a number from %g to %g, got %s", key, lo, hi, show(x))
				ok = false
				return 0, false
			}
			return f, true
		}
		for j, k := range pn.keys {
			x := pn.vals[j]
			switch k {
			case "ExceptionType":
				if x.kind != kindArray || len(x.elems) == 0 {
					t.add(x.pos, s.name, pat+".ExceptionType", "ExceptionType must be a non-empty list")
					ok = false
					continue
				}
				for e, en := range x.elems {
					if en.kind != kindString || !knownException(en.str) {
						t.add(en.pos, s.name, fmt.Sprintf("%s.ExceptionType[%d]", pat, e), "unknown exception type %s (known: Step.SERVICE_FAULT, Step.THROTTLING, SageMaker.JOB_INTERNAL_ERROR, SageMaker.CAPACITY_ERROR, SageMaker.RESOURCE_LIMIT)", show(en))
						ok = false
					}
				}
			case "IntervalSeconds":
				if f, good := num(x, k, 1, 300); good {
					r.Interval = time.Duration(f * float64(time.Second))
				}
			case "BackoffRate":
				if f, good := num(x, k, 1, 100); good {
					r.BackoffRate = f
				}
			case "MaxAttempts":
				if f, good := num(x, k, 1, 20); good {
					maxAttempts = int64(f)
				}
			case "ExpireAfterMin":
				if f, good := num(x, k, 0, 14400); good {
					expireMin = int64(f)
				}
			default:
				t.add(pn.keyPos[j], s.name, pat+"."+k, "unknown retry policy key %q (known: ExceptionType, IntervalSeconds, BackoffRate, MaxAttempts, ExpireAfterMin)", k)
				ok = false
			}
		}
		if maxAttempts >= 0 && expireMin >= 0 || maxAttempts < 0 && expireMin < 0 {
			t.add(pn.pos, s.name, pat, "a retry policy needs exactly one of MaxAttempts and ExpireAfterMin")
			continue
		}
		if !ok {
			continue
		}
		if maxAttempts >= 0 {
			// SageMaker's MaxAttempts counts retries; Ferry's counts attempts.
			r.MaxAttempts = min(int(maxAttempts)+1, pipeline.MaxRetryAttempts)
		} else {
			r.MaxAttempts = attemptsWithin(r, time.Duration(expireMin)*time.Minute)
		}
		if best == nil || r.MaxAttempts > best.MaxAttempts {
			best = r
		}
	}
	s.st.Retry = best
}

// attemptsWithin counts the attempts whose waits fit in d.
func attemptsWithin(r *pipeline.RetryPolicy, d time.Duration) int {
	n, wait, total := 1, float64(r.Interval), 0.0
	for n < pipeline.MaxRetryAttempts && total+wait <= float64(d) {
		total += wait
		wait = math.Min(wait*r.BackoffRate, float64(24*time.Hour))
		n++
	}
	return n
}

func knownException(s string) bool {
	switch s {
	case "Step.SERVICE_FAULT", "Step.THROTTLING", "SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR",
		"SageMaker.RESOURCE_LIMIT", "Emr.RESOURCE_LIMIT":
		return true
	}
	return false
}

func asFloat(n *node) (float64, bool) {
	if n == nil || n.kind != kindNumber {
		return 0, false
	}
	switch v := n.num.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func (t *translator) propertyFiles(s *smStep, v *node) {
	at := s.path + ".PropertyFiles"
	if v.kind != kindArray {
		t.add(v.pos, s.name, at, "PropertyFiles must be a list, got %s", v.describe())
		return
	}
	s.st.PropertyFiles = map[string]pipeline.PropertyFile{}
	for i, pn := range v.elems {
		pat := fmt.Sprintf("%s[%d]", at, i)
		str := func(key string) string {
			x := pn.get(key)
			if x == nil || x.kind != kindString || x.str == "" {
				t.add(pn.pos, s.name, pat+"."+key, "a property file needs %s (a string)", key)
				return ""
			}
			return x.str
		}
		if pn.kind != kindObject {
			t.add(pn.pos, s.name, pat, "a property file must be {PropertyFileName, OutputName, FilePath}, got %s", pn.describe())
			continue
		}
		name, out, path := str("PropertyFileName"), str("OutputName"), str("FilePath")
		if name == "" || out == "" || path == "" {
			continue
		}
		switch {
		case !namePattern.MatchString(name):
			t.add(pn.pos, s.name, pat+".PropertyFileName", "bad property file name %q: use 1 to 64 letters, digits, _ or -", name)
		case !contains(s.outputs, out):
			t.add(pn.get("OutputName").pos, s.name, pat+".OutputName", "property file %q reads output %q, which the step does not declare%s", name, out, outputsHint(s.outputs))
		case strings.HasPrefix(path, "/") || strings.Contains("/"+path+"/", "/../"):
			t.add(pn.get("FilePath").pos, s.name, pat+".FilePath", "property file path %q must be relative and stay inside the output", path)
		}
		if _, dup := s.st.PropertyFiles[name]; dup {
			t.add(pn.pos, s.name, pat+".PropertyFileName", "duplicate property file %q", name)
		}
		s.st.PropertyFiles[name] = pipeline.PropertyFile{Output: out, Path: path}
	}
}

func outputsHint(outputs []string) string {
	if len(outputs) == 0 {
		return " (it declares none in ProcessingOutputConfig.Outputs)"
	}
	return " (outputs: " + strings.Join(outputs, ", ") + ")"
}

// outputParams checks a Lambda or Callback step's OutputParameters.
func (t *translator) outputParams(s *smStep) {
	v := s.n.get("OutputParameters")
	if v == nil {
		return
	}
	at := s.path + ".OutputParameters"
	if v.kind != kindArray {
		t.add(v.pos, s.name, at, "OutputParameters must be a list of {OutputName, OutputType}, got %s", v.describe())
		return
	}
	for i, e := range v.elems {
		pat := fmt.Sprintf("%s[%d]", at, i)
		name, typ := e.get("OutputName"), e.get("OutputType")
		if name == nil || name.kind != kindString || name.str == "" {
			t.add(e.pos, s.name, pat+".OutputName", "an output parameter needs OutputName")
		}
		if typ != nil && (typ.kind != kindString || !contains([]string{"String", "Integer", "Float", "Boolean"}, typ.str)) {
			t.add(typ.pos, s.name, pat+".OutputType", "unknown OutputType %s (known: String, Integer, Float, Boolean)", show(typ))
		}
	}
}

// modelStep returns the name of the Model step whose ModelName n reads
// ({"Get": "Steps.M.ModelName"}), or "".
func (t *translator) modelStep(n *node) string {
	if !isExpr(n) || n.get(exprGet) == nil {
		return ""
	}
	ref := n.get(exprGet).str
	name, ok := strings.CutSuffix(strings.TrimPrefix(ref, "Steps."), ".ModelName")
	if !ok || !strings.HasPrefix(ref, "Steps.") {
		return ""
	}
	if m := t.steps[name]; m != nil && (m.typ == "Model" || m.typ == "CreateModel") {
		return name
	}
	return ""
}
