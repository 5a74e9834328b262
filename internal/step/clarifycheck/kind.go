// Package clarifycheck is the clarify_check step kind (SageMaker's
// ClarifyCheckStep): it runs a Clarify job for one check type (data_bias,
// model_bias, model_explainability), compares the result with the
// previous baseline (supplied, or the latest Approved version's
// drift-check baseline in a model group) and fails on drift. It also
// provides the processing step's "clarify" processor.
package clarifycheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/clarify"
	"github.com/ferryml/ferry/internal/step"
)

// ID is the kind's stable ID.
const ID = "clarify_check"

// BaselineSource finds previous baselines in the model registry.
type BaselineSource interface {
	// LatestApprovedBaseline returns the drift-check baseline stored under key
	// ("bias_pre_training_constraints" | "bias_post_training_constraints" | "explainability_constraints")
	// of the latest Approved version in group; ok is false when there is none.
	LatestApprovedBaseline(ctx context.Context, group, key string) (ref artifact.Ref, ok bool, err error)
}

// ModelLoaderFunc loads a model directory for a Clarify job.
type ModelLoaderFunc func(dir string) (clarify.Predictor, error)

// Objects reads the s3:// object namespace: Import stores the object (or
// every object under the prefix) named by uri as one artifact directory.
type Objects interface {
	Import(ctx context.Context, uri string) (artifact.Ref, error)
}

// Kind is the clarify_check step kind.
type Kind struct {
	src BaselineSource
	// LoadModel loads the model argument; New sets LoadModelDir.
	LoadModel ModelLoaderFunc
	// Objects resolves an s3:// analysis_config (SageMaker ClarifyCheck
	// steps); nil means only artifacts are accepted there.
	Objects Objects
}

// New returns the kind; src may be nil when no registry is available
// (then a previous baseline must be supplied).
func New(src BaselineSource) *Kind { return &Kind{src: src, LoadModel: LoadModelDir} }

var _ step.Kind = (*Kind)(nil)

// Output and property names.
const (
	OutCalculated   = "calculated_baseline_constraints"
	OutBaselineUsed = "baseline_used_for_drift_check_constraints"
	OutAnalysis     = "analysis"
	OutViolations   = "violation_report"
)

// Spec declares the kind.
func (k *Kind) Spec() step.Spec {
	return step.Spec{
		Kind: ID,
		Description: "Run a Clarify bias or explainability check against the previous baseline (SageMaker ClarifyCheckStep). " +
			"Never cached: the result depends on the model group's latest Approved baseline and on the content of a local " +
			"supplied_baseline_constraints path, neither of which is in the arguments' cache key.",
		Version: "1+" + clarify.Version,
		NoCache: true,
		Args: []step.Field{
			{Name: "check_type", Type: step.String, Required: true, Enum: []string{DataBias, ModelBias, ModelExplainability}, Description: "which check to run"},
			{Name: "model", Type: step.Artifact, Description: "model directory; needed for model_bias and model_explainability"},
			{Name: "data", Type: step.Artifact, Required: true, Description: "data set directory holding one CSV file with a header row, label first"},
			{Name: "config", Type: step.Object, Required: true, Description: "analysis-config fragments: label, label_values_or_threshold, facet, group_variable, probability_threshold, methods (bias); shap options (explainability)"},
			{Name: "skip_check", Type: step.Boolean, Default: false, Description: "skip the drift check"},
			{Name: "register_new_baseline", Type: step.Boolean, Default: false, Description: "use the newly calculated result as the drift-check baseline"},
			{Name: "supplied_baseline_constraints", Type: step.Any, Description: "previous baseline (wins over the registry): an artifact holding analysis.json, or the path of a local analysis.json; empty for none"},
			{Name: "fail_on_violation", Type: step.Boolean, Default: true, Description: "fail the step when the check finds violations"},
			{Name: "model_package_group_name", Type: step.String, Description: "model group whose latest Approved version holds the previous baseline"},
			{Name: "analysis_config", Type: step.Any, Description: "a SageMaker ClarifyCheck step's analysis_config.json (an artifact, or an s3:// URI): its keys fill in what config leaves out"},
		},
		Outputs: []step.Field{
			{Name: OutCalculated, Type: step.Artifact, Description: "the new analysis.json"},
			{Name: OutBaselineUsed, Type: step.Artifact, Description: "the analysis.json to register as drift-check baseline"},
			{Name: OutAnalysis, Type: step.Artifact, Description: "the whole Clarify output folder, with report.html"},
			{Name: OutViolations, Type: step.Artifact, Description: "constraint_violations.json"},
		},
		Properties: []step.Field{
			{Name: "check_type", Type: step.String},
			{Name: "skip_check", Type: step.Boolean},
			{Name: "register_new_baseline", Type: step.Boolean},
			{Name: "violations", Type: step.Integer, Description: "number of violations found"},
			{Name: "model_package_group_name", Type: step.String},
		},
	}
}

type args struct {
	CheckType           string         `json:"check_type"`
	Model               artifact.Ref   `json:"model"`
	Data                artifact.Ref   `json:"data"`
	Config              map[string]any `json:"config"`
	SkipCheck           bool           `json:"skip_check"`
	RegisterNewBaseline bool           `json:"register_new_baseline"`
	Supplied            any            `json:"supplied_baseline_constraints"`
	FailOnViolation     *bool          `json:"fail_on_violation"`
	Group               string         `json:"model_package_group_name"`
	AnalysisConfig      any            `json:"analysis_config"`
}

// ValidateArgs checks the config fragment and the check type's needs
// before anything runs.
func (k *Kind) ValidateArgs(a map[string]any) []error {
	var errs []error
	ct, _ := a["check_type"].(string)
	// With an analysis_config the configuration is complete only at run
	// time.
	if ac, ok := a["analysis_config"]; ok && ac != nil && ac != "" {
		ct = ""
	}
	if cfg, ok := a["config"].(map[string]any); ok && ct != "" {
		if _, err := analysisConfig(ct, cfg); err != nil {
			errs = append(errs, &step.FieldError{Field: "config", Msg: err.Error()})
		}
	}
	if ct == ModelBias || ct == ModelExplainability {
		if v, ok := a["model"]; !ok || v == nil || v == "" {
			errs = append(errs, &step.FieldError{Field: "model", Msg: "required for a " + ct + " check"})
		}
	}
	return errs
}

// Run runs the check.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	a, err := step.Decode[args](req.Args)
	if err != nil {
		return step.Result{}, err
	}
	failOn := a.FailOnViolation == nil || *a.FailOnViolation
	if a.AnalysisConfig != nil && a.AnalysisConfig != "" {
		if a.Config, err = k.withAnalysisConfig(ctx, env, a); err != nil {
			return step.Result{}, err
		}
	}
	cfg, err := analysisConfig(a.CheckType, a.Config)
	if err != nil {
		return step.Result{}, step.Permanent(err)
	}
	dataDir, err := env.Store.Path(ctx, a.Data)
	if err != nil {
		return step.Result{}, fmt.Errorf("data: %w", err)
	}
	dataPath, err := dataFile(dataDir)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("data: %w", err))
	}
	var pred clarify.Predictor
	if a.CheckType != DataBias {
		if a.Model == "" {
			return step.Result{}, step.Permanent(fmt.Errorf("model: required for a %s check", a.CheckType))
		}
		dir, err := env.Store.Path(ctx, a.Model)
		if err != nil {
			return step.Result{}, fmt.Errorf("model: %w", err)
		}
		if pred, err = k.LoadModel(dir); err != nil {
			return step.Result{}, step.Permanent(fmt.Errorf("model: %w", err))
		}
	}

	// The previous baseline is needed unless both flags are set; then it
	// is neither looked up nor read.
	var previous *clarify.Analysis
	var prevRef artifact.Ref
	if !a.SkipCheck || !a.RegisterNewBaseline {
		if previous, prevRef, err = k.previous(ctx, env, a); err != nil {
			return step.Result{}, err
		}
	}
	if previous == nil && (!a.SkipCheck || !a.RegisterNewBaseline) {
		where := "supplied_baseline_constraints is empty"
		if a.Group != "" {
			where += fmt.Sprintf(" and model group %q has no Approved version with a %s baseline", a.Group, baselineKey[a.CheckType])
		} else {
			where += " and no model_package_group_name is set"
		}
		return step.Result{}, step.Permanent(fmt.Errorf("no previous baseline for the %s check (%s); set skip_check and register_new_baseline to create the first one", a.CheckType, where))
	}

	outDir := filepath.Join(env.WorkDir, OutAnalysis)
	res, err := clarify.Run(ctx, cfg, dataPath, pred, outDir, clarify.Options{BaselineDirs: []string{dataDir}})
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("running the Clarify job: %w", err))
	}
	calcDir := filepath.Join(env.WorkDir, OutCalculated)
	if err := os.MkdirAll(calcDir, 0o755); err != nil {
		return step.Result{}, fmt.Errorf("creating output: %w", err)
	}
	if err := res.Analysis.WriteFile(filepath.Join(calcDir, clarify.AnalysisFile)); err != nil {
		return step.Result{}, err
	}

	var violations []Violation
	if !a.SkipCheck {
		violations = drift(a.CheckType, res.Analysis, previous)
	}
	vDir := filepath.Join(env.WorkDir, OutViolations)
	if err := os.MkdirAll(vDir, 0o755); err != nil {
		return step.Result{}, fmt.Errorf("creating output: %w", err)
	}
	if err := (Violations{Version: "1.0", Violations: violations}).WriteFile(vDir); err != nil {
		return step.Result{}, err
	}

	out := map[string]artifact.Ref{}
	for _, name := range []string{OutAnalysis, OutCalculated, OutViolations} {
		ref, err := env.Store.PutDir(ctx, filepath.Join(env.WorkDir, name))
		if err != nil {
			return step.Result{}, fmt.Errorf("storing %s: %w", name, err)
		}
		out[name] = ref
	}
	if a.RegisterNewBaseline || previous == nil {
		out[OutBaselineUsed] = out[OutCalculated]
	} else {
		out[OutBaselineUsed] = prevRef
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "clarify_check %s: %d violation(s); report %s\n", a.CheckType, len(violations), out[OutAnalysis])
		for _, v := range violations {
			fmt.Fprintf(env.Log, "  violation: %s\n", describe(v))
		}
	}
	result := step.Result{Outputs: out, Properties: map[string]any{
		"check_type":               a.CheckType,
		"skip_check":               a.SkipCheck,
		"register_new_baseline":    a.RegisterNewBaseline,
		"violations":               int64(len(violations)),
		"model_package_group_name": a.Group,
	}}
	if len(violations) > 0 && failOn {
		return result, step.Permanent(&ViolationError{CheckType: a.CheckType, Violations: violations, Report: out[OutViolations]})
	}
	return result, nil
}

// ViolationError is the failure of a check that found drift.
type ViolationError struct {
	CheckType  string
	Violations []Violation
	Report     artifact.Ref // the violation_report artifact
}

func (e *ViolationError) Error() string {
	parts := make([]string, 0, len(e.Violations))
	for i, v := range e.Violations {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Violations)-5))
			break
		}
		parts = append(parts, describe(v))
	}
	return fmt.Sprintf("%s check found %d violation(s) of the baseline (report %s): %s", e.CheckType, len(e.Violations), e.Report, strings.Join(parts, "; "))
}

func describe(v Violation) string {
	if v.Facet != "" {
		return fmt.Sprintf("%s for facet %s=%s: %s", v.MetricName, v.Facet, v.FacetValue, v.Description)
	}
	return fmt.Sprintf("%s of %s: %s", v.MetricName, v.Label, v.Description)
}

func drift(checkType string, cur, prev *clarify.Analysis) []Violation {
	if prev == nil {
		return nil
	}
	switch checkType {
	case DataBias:
		return BiasDrift(cur.PreTraining, prev.PreTraining)
	case ModelBias:
		return BiasDrift(cur.PostTraining, prev.PostTraining)
	}
	return ExplainabilityDrift(cur.Explanations, prev.Explanations)
}

// previous returns the previous baseline: the supplied artifact, else
// the registry's; nil when there is none.
func (k *Kind) previous(ctx context.Context, env step.Env, a args) (*clarify.Analysis, artifact.Ref, error) {
	var ref artifact.Ref
	switch s := a.Supplied.(type) {
	case nil:
	case string:
		switch {
		case strings.HasPrefix(s, "sha256:"):
			r, err := artifact.ParseRef(s)
			if err != nil {
				return nil, "", step.Permanent(fmt.Errorf("supplied_baseline_constraints: %w", err))
			}
			ref = r
		case s != "":
			// A local analysis.json (or a folder holding one): store it,
			// like every output, as a folder holding analysis.json (PutFile
			// makes a one-file folder), so that
			// baseline_used_for_drift_check_constraints can name it.
			path := findAnalysis(s)
			an, err := clarify.ReadAnalysis(path)
			if err != nil {
				return nil, "", step.Permanent(fmt.Errorf("supplied_baseline_constraints: %w", err))
			}
			r, err := env.Store.PutFile(ctx, path, clarify.AnalysisFile)
			if err != nil {
				return nil, "", fmt.Errorf("storing the supplied baseline: %w", err)
			}
			return an, r, nil
		}
	default:
		return nil, "", step.Permanent(fmt.Errorf("supplied_baseline_constraints: want an artifact reference, got %T", s))
	}
	if ref == "" && a.Group != "" && k.src != nil {
		r, ok, err := k.src.LatestApprovedBaseline(ctx, a.Group, baselineKey[a.CheckType])
		if err != nil {
			return nil, "", fmt.Errorf("finding the previous baseline in model group %q: %w", a.Group, err)
		}
		if ok {
			ref = r
		}
	}
	if ref == "" {
		return nil, "", nil
	}
	dir, err := env.Store.Path(ctx, ref)
	if err != nil {
		if errors.Is(err, artifact.ErrNotFound) {
			return nil, "", step.Permanent(fmt.Errorf("previous baseline %s: %w", ref, err))
		}
		return nil, "", fmt.Errorf("previous baseline %s: %w", ref, err)
	}
	an, err := clarify.ReadAnalysis(findAnalysis(dir))
	if err != nil {
		return nil, "", step.Permanent(fmt.Errorf("previous baseline %s: %w", ref, err))
	}
	return an, ref, nil
}

// findAnalysis returns the analysis.json of a baseline artifact: at its
// top, or its only JSON file; a file path is returned as is.
func findAnalysis(dir string) string {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return dir
	}
	p := filepath.Join(dir, clarify.AnalysisFile)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(matches) == 1 {
		return matches[0]
	}
	return p
}
