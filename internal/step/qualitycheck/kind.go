// Package qualitycheck is the quality_check step kind (SageMaker's
// QualityCheckStep): it computes a data-quality baseline (statistics.json
// and constraints.json in Model Monitor's format) of a data set, or a
// model-quality baseline of an evaluation set with predictions, checks it
// against the previous baseline (supplied, or the latest Approved
// version's drift-check baseline in a model group) and fails on
// violations.
package qualitycheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/step"
)

// ID is the kind's stable ID.
const ID = "quality_check"

// Check types.
const (
	DataQuality  = "data_quality"
	ModelQuality = "model_quality"
)

// BaselineSource finds previous baselines in the model registry
// (*registry.Registry implements it).
type BaselineSource interface {
	LatestApprovedBaseline(ctx context.Context, group, key string) (ref artifact.Ref, ok bool, err error)
}

// Objects reads the s3:// object namespace: Import stores the object (or
// every object under the prefix) named by uri as one artifact directory.
type Objects interface {
	Import(ctx context.Context, uri string) (artifact.Ref, error)
}

// Kind is the quality_check step kind.
type Kind struct {
	src BaselineSource
	// Objects resolves s3:// URIs in data_uri and the supplied baselines
	// (SageMaker QualityCheck steps); nil means they are refused.
	Objects Objects
}

// New returns the kind; src may be nil (then a previous baseline must be
// supplied unless both skip_check and register_new_baseline are set).
func New(src BaselineSource) *Kind { return &Kind{src: src} }

var _ step.Kind = (*Kind)(nil)

// Output names.
const (
	OutCalculatedStatistics  = "calculated_baseline_statistics"
	OutCalculatedConstraints = "calculated_baseline_constraints"
	OutUsedStatistics        = "baseline_used_for_drift_check_statistics"
	OutUsedConstraints       = "baseline_used_for_drift_check_constraints"
	OutViolations            = "violation_report"
)

// registryKeys are the drift-check baseline keys of each check type
// (statistics, constraints), as register_model stores them.
var registryKeys = map[string][2]string{
	DataQuality:  {monitor.KeyModelDataStatistics, monitor.KeyModelDataConstraints},
	ModelQuality: {registry.KeyModelStatistics, registry.KeyModelConstraints},
}

// Spec declares the kind.
func (k *Kind) Spec() step.Spec {
	return step.Spec{
		Kind: ID,
		Description: "Compute a data-quality or model-quality baseline in Model Monitor's format and check it against the previous baseline " +
			"(SageMaker QualityCheckStep). Never cached: the previous baseline comes from the model group's latest Approved version " +
			"or from local supplied paths, neither of which is in the cache key.",
		Version: "1",
		NoCache: true,
		Args: []step.Field{
			{Name: "check_type", Type: step.String, Required: true, Enum: []string{DataQuality, ModelQuality}, Description: "which check to run"},
			{Name: "data", Type: step.Artifact, Description: "data set directory holding one CSV file with a header row (model_quality: with the label and prediction columns); this or data_uri"},
			{Name: "data_uri", Type: step.Any, Description: "the data set as an s3:// URI of Ferry's object namespace (a SageMaker QualityCheck step's baseline dataset); this or data"},
			{Name: "config", Type: step.Object, Description: "data_quality: exclude (columns to leave out); model_quality: problem_type (BinaryClassification | Regression), label, prediction, probability_threshold (0.5), tolerance (0.1)"},
			{Name: "skip_check", Type: step.Boolean, Default: false, Description: "skip the drift check"},
			{Name: "register_new_baseline", Type: step.Boolean, Default: false, Description: "use the newly calculated baseline as the drift-check baseline"},
			{Name: "supplied_baseline_statistics", Type: step.Any, Description: "previous statistics.json (an artifact, a local path or an s3:// URI); empty for none"},
			{Name: "supplied_baseline_constraints", Type: step.Any, Description: "previous constraints.json (an artifact, a local path or an s3:// URI); wins over the registry"},
			{Name: "fail_on_violation", Type: step.Boolean, Default: true, Description: "fail the step when the check finds violations"},
			{Name: "model_package_group_name", Type: step.String, Description: "model group whose latest Approved version holds the previous baseline"},
		},
		Outputs: []step.Field{
			{Name: OutCalculatedStatistics, Type: step.Artifact, Description: "the new statistics.json"},
			{Name: OutCalculatedConstraints, Type: step.Artifact, Description: "the new constraints.json"},
			{Name: OutUsedStatistics, Type: step.Artifact, Description: "the statistics.json to register as drift-check baseline"},
			{Name: OutUsedConstraints, Type: step.Artifact, Description: "the constraints.json to register as drift-check baseline"},
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

type config struct {
	Exclude              []string `json:"exclude"`
	ProblemType          string   `json:"problem_type"`
	Label                string   `json:"label"`
	Prediction           string   `json:"prediction"`
	ProbabilityThreshold *float64 `json:"probability_threshold"`
	Tolerance            *float64 `json:"tolerance"`
}

type args struct {
	CheckType           string       `json:"check_type"`
	Data                artifact.Ref `json:"data"`
	DataURI             string       `json:"data_uri"`
	Config              config       `json:"config"`
	SkipCheck           bool         `json:"skip_check"`
	RegisterNewBaseline bool         `json:"register_new_baseline"`
	SuppliedStatistics  any          `json:"supplied_baseline_statistics"`
	SuppliedConstraints any          `json:"supplied_baseline_constraints"`
	FailOnViolation     *bool        `json:"fail_on_violation"`
	Group               string       `json:"model_package_group_name"`
}

// ValidateArgs checks that the data is given once, and the config of a
// model_quality check, before anything runs.
func (k *Kind) ValidateArgs(a map[string]any) []error {
	var errs []error
	data, uri := a["data"], a["data_uri"]
	switch {
	case data == nil && (uri == nil || uri == ""):
		errs = append(errs, &step.FieldError{Field: "data", Msg: "required: the data set (or data_uri, an s3:// URI)"})
	case data != nil && uri != nil && uri != "":
		errs = append(errs, &step.FieldError{Field: "data_uri", Msg: "give data or data_uri, not both"})
	}
	if s, ok := uri.(string); ok && s != "" && !strings.HasPrefix(s, "s3://") {
		errs = append(errs, &step.FieldError{Field: "data_uri", Msg: fmt.Sprintf("%q: want an s3:// URI", s)})
	}
	ct, _ := a["check_type"].(string)
	cfg, _ := a["config"].(map[string]any)
	if ct != ModelQuality {
		return errs
	}
	if pt, _ := cfg["problem_type"].(string); pt != monitor.BinaryClassification && pt != monitor.Regression {
		errs = append(errs, &step.FieldError{Field: "config.problem_type", Msg: "want BinaryClassification or Regression"})
	}
	for _, f := range []string{"label", "prediction"} {
		if s, _ := cfg[f].(string); s == "" {
			errs = append(errs, &step.FieldError{Field: "config." + f, Msg: "required for a model_quality check"})
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
	if a.DataURI != "" {
		if a.Data, err = k.importURI(ctx, "data_uri", a.DataURI); err != nil {
			return step.Result{}, err
		}
	}
	dataDir, err := env.Store.Path(ctx, a.Data)
	if err != nil {
		return step.Result{}, fmt.Errorf("data: %w", err)
	}
	dataPath, err := dataFile(dataDir)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("data: %w", err))
	}
	calcStats := filepath.Join(env.WorkDir, OutCalculatedStatistics)
	calcCons := filepath.Join(env.WorkDir, OutCalculatedConstraints)
	vDir := filepath.Join(env.WorkDir, OutViolations)
	for _, d := range []string{calcStats, calcCons, vDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return step.Result{}, fmt.Errorf("creating output: %w", err)
		}
	}
	// The new baseline.
	f, err := os.Open(dataPath)
	if err != nil {
		return step.Result{}, fmt.Errorf("data: %w", err)
	}
	var newStats, newCons any
	var profile *monitor.Profile
	var quality *monitor.QualityStatistics
	switch a.CheckType {
	case DataQuality:
		p := monitor.NewProfiler(nil)
		err = p.AddCSV(f)
		if err == nil {
			profile = p.Profile()
			st := profile.Statistics
			drop := a.Config.Exclude
			kept := st.Features[:0]
			for _, x := range st.Features {
				if !contains(drop, x.Name) {
					kept = append(kept, x)
				}
			}
			st.Features = kept
			newStats, newCons = st, monitor.SuggestConstraints(st)
		}
	case ModelQuality:
		thr, tol := 0.5, 0.1
		if a.Config.ProbabilityThreshold != nil {
			thr = *a.Config.ProbabilityThreshold
		}
		if a.Config.Tolerance != nil {
			tol = *a.Config.Tolerance
		}
		var qc *monitor.QualityConstraints
		quality, qc, err = monitor.QualityBaseline(f, a.Config.ProblemType, a.Config.Label, a.Config.Prediction, thr, tol)
		newStats, newCons = quality, qc
	default:
		err = fmt.Errorf("check_type %q: want data_quality or model_quality", a.CheckType)
	}
	f.Close()
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("computing the baseline: %w", err))
	}
	if err := monitor.WriteJSON(filepath.Join(calcStats, monitor.StatisticsFile), newStats); err != nil {
		return step.Result{}, err
	}
	if err := monitor.WriteJSON(filepath.Join(calcCons, monitor.ConstraintsFile), newCons); err != nil {
		return step.Result{}, err
	}

	// The previous baseline, unless both flags say it is not needed.
	var prevStats, prevCons artifact.Ref
	if !a.SkipCheck || !a.RegisterNewBaseline {
		if prevStats, prevCons, err = k.previous(ctx, env, a); err != nil {
			return step.Result{}, err
		}
		if prevCons == "" {
			where := "supplied_baseline_constraints is empty"
			if a.Group != "" {
				where += fmt.Sprintf(" and model group %q has no Approved version with a %s baseline", a.Group, registryKeys[a.CheckType][1])
			} else {
				where += " and no model_package_group_name is set"
			}
			return step.Result{}, step.Permanent(fmt.Errorf("no previous baseline for the %s check (%s); set skip_check and register_new_baseline to create the first one", a.CheckType, where))
		}
	}
	var violations []monitor.Violation
	if !a.SkipCheck {
		if violations, err = check(ctx, env, a.CheckType, profile, quality, prevStats, prevCons); err != nil {
			return step.Result{}, err
		}
	}
	if err := (monitor.Violations{Violations: violations}).WriteFile(vDir); err != nil {
		return step.Result{}, err
	}
	out := map[string]artifact.Ref{}
	for name, dir := range map[string]string{OutCalculatedStatistics: calcStats, OutCalculatedConstraints: calcCons, OutViolations: vDir} {
		ref, err := env.Store.PutDir(ctx, dir)
		if err != nil {
			return step.Result{}, fmt.Errorf("storing %s: %w", name, err)
		}
		out[name] = ref
	}
	out[OutUsedStatistics], out[OutUsedConstraints] = out[OutCalculatedStatistics], out[OutCalculatedConstraints]
	if !a.RegisterNewBaseline && prevCons != "" {
		out[OutUsedConstraints] = prevCons
		if prevStats != "" {
			out[OutUsedStatistics] = prevStats
		}
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "quality_check %s: %d violation(s)\n", a.CheckType, len(violations))
		for _, v := range violations {
			fmt.Fprintf(env.Log, "  violation: %s %s: %s\n", strings.TrimSpace(v.FeatureName+" "+v.MetricName), v.ConstraintCheckType, v.Description)
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

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// check compares the new data or metrics with the previous baseline.
func check(ctx context.Context, env step.Env, checkType string, profile *monitor.Profile, quality *monitor.QualityStatistics, prevStats, prevCons artifact.Ref) ([]monitor.Violation, error) {
	consPath, err := baselinePath(ctx, env, prevCons, monitor.ConstraintsFile)
	if err != nil {
		return nil, err
	}
	if checkType == ModelQuality {
		var qc monitor.QualityConstraints
		b, err := os.ReadFile(consPath)
		if err == nil {
			err = json.Unmarshal(b, &qc)
		}
		if err != nil {
			return nil, step.Permanent(fmt.Errorf("previous constraints: %w", err))
		}
		return monitor.CheckQuality(quality, &qc), nil
	}
	cons, err := monitor.ReadConstraints(consPath)
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("previous constraints: %w", err))
	}
	var base *monitor.Statistics
	if prevStats != "" {
		p, err := baselinePath(ctx, env, prevStats, monitor.StatisticsFile)
		if err != nil {
			return nil, err
		}
		if base, err = monitor.ReadStatistics(p); err != nil {
			return nil, step.Permanent(fmt.Errorf("previous statistics: %w", err))
		}
	}
	vs, _ := monitor.Check(profile, base, cons)
	return vs, nil
}

// baselinePath returns the file of a baseline artifact: name in it, or
// its only file.
func baselinePath(ctx context.Context, env step.Env, ref artifact.Ref, name string) (string, error) {
	dir, err := env.Store.Path(ctx, ref)
	if err != nil {
		if errors.Is(err, artifact.ErrNotFound) {
			return "", step.Permanent(fmt.Errorf("previous baseline %s: %w", ref, err))
		}
		return "", fmt.Errorf("previous baseline %s: %w", ref, err)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	es, _ := os.ReadDir(dir)
	if len(es) == 1 && !es[0].IsDir() {
		return filepath.Join(dir, es[0].Name()), nil
	}
	return "", step.Permanent(fmt.Errorf("previous baseline %s holds no %s", ref, name))
}

// previous returns the previous statistics and constraints: the supplied
// ones, else the registry's; empty refs when there are none.
func (k *Kind) previous(ctx context.Context, env step.Env, a args) (stats, cons artifact.Ref, err error) {
	if stats, err = k.supplied(ctx, env, "supplied_baseline_statistics", a.SuppliedStatistics, monitor.StatisticsFile); err != nil {
		return "", "", err
	}
	if cons, err = k.supplied(ctx, env, "supplied_baseline_constraints", a.SuppliedConstraints, monitor.ConstraintsFile); err != nil {
		return "", "", err
	}
	if cons != "" || a.Group == "" || k.src == nil {
		return stats, cons, nil
	}
	keys := registryKeys[a.CheckType]
	if cons, _, err = k.src.LatestApprovedBaseline(ctx, a.Group, keys[1]); err != nil {
		return "", "", fmt.Errorf("finding the previous baseline in model group %q: %w", a.Group, err)
	}
	if stats == "" && cons != "" {
		if stats, _, err = k.src.LatestApprovedBaseline(ctx, a.Group, keys[0]); err != nil {
			return "", "", fmt.Errorf("finding the previous baseline in model group %q: %w", a.Group, err)
		}
	}
	return stats, cons, nil
}

// importURI imports an s3:// object (or prefix) of the namespace.
func (k *Kind) importURI(ctx context.Context, field, uri string) (artifact.Ref, error) {
	if !strings.HasPrefix(uri, "s3://") {
		return "", step.Permanent(fmt.Errorf("%s %q: want an s3:// URI", field, uri))
	}
	if k.Objects == nil {
		return "", step.Permanent(fmt.Errorf("%s %s: reading s3:// objects needs Ferry's object namespace, which this run does not have", field, uri))
	}
	ref, err := k.Objects.Import(ctx, uri)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return ref, nil
}

// supplied stores a supplied local file as a one-file artifact, imports a
// supplied s3:// object, or checks a supplied artifact reference.
func (k *Kind) supplied(ctx context.Context, env step.Env, field string, v any, name string) (artifact.Ref, error) {
	if r, ok := v.(artifact.Ref); ok {
		v = string(r)
	}
	s, ok := v.(string)
	switch {
	case v == nil || (ok && s == ""):
		return "", nil
	case !ok:
		return "", step.Permanent(fmt.Errorf("%s: want an artifact reference, a path or an s3:// URI, got %T", field, v))
	case strings.HasPrefix(s, "s3://"):
		return k.importURI(ctx, field, s)
	case strings.HasPrefix(s, "sha256:"):
		r, err := artifact.ParseRef(s)
		if err != nil {
			return "", step.Permanent(fmt.Errorf("%s: %w", field, err))
		}
		return r, nil
	}
	path := s
	if st, err := os.Stat(s); err == nil && st.IsDir() {
		path = filepath.Join(s, name)
	}
	if _, err := os.Stat(path); err != nil {
		return "", step.Permanent(fmt.Errorf("%s: %w", field, err))
	}
	r, err := env.Store.PutFile(ctx, path, name)
	if err != nil {
		return "", fmt.Errorf("storing %s: %w", field, err)
	}
	return r, nil
}

// dataFile returns the one CSV file of a data artifact.
func dataFile(dir string) (string, error) {
	var found []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".csv") {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("listing data artifact: %w", err)
	}
	if len(found) != 1 {
		return "", fmt.Errorf("data artifact holds %d .csv files; a check reads exactly one", len(found))
	}
	return found[0], nil
}

// ViolationError is the failure of a check that found violations.
type ViolationError struct {
	CheckType  string
	Violations []monitor.Violation
	Report     artifact.Ref
}

func (e *ViolationError) Error() string {
	parts := make([]string, 0, len(e.Violations))
	for i, v := range e.Violations {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Violations)-5))
			break
		}
		parts = append(parts, strings.TrimSpace(v.FeatureName+" "+v.MetricName)+" "+v.ConstraintCheckType)
	}
	return fmt.Sprintf("%s check found %d violation(s) of the baseline (report %s): %s", e.CheckType, len(e.Violations), e.Report, strings.Join(parts, "; "))
}
