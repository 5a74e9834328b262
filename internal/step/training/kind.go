// Package training is the `training` step kind: it trains a built-in
// learner (xgboost, random_forest, linear_learner) on CSV artifacts and
// outputs a model directory (ferry-model.json + model file) with the final
// metrics as properties.
//
// # Arguments
//
//   - algorithm: xgboost, random_forest or linear_learner.
//   - hyperparameters: an object of the algorithm's hyperparameters
//     (XGBoost's names for xgboost); values may be strings ("5"). An
//     unknown name or a value out of range fails validation with the
//     allowed range, located at hyperparameters.<name>.
//   - inputs: train (required), validation (optional): directories
//     holding one CSV file each, with a header, label first; schema
//     (optional): tabular_prepare's schema output (schema.json), recorded
//     in the model's manifest as its feature transform.
//   - label: the label column's name (default: the first column).
//   - weight: (xgboost) the name of a column of sample weights (finite,
//     >= 0), not a feature; used as XGBoost uses weights (gradients,
//     quantile sketch, evaluation metrics). The validation set is
//     weighted by its own column of that name when it has one.
//   - categorical: (xgboost) the names of the categorical features, whose
//     cells are integer category codes (missing allowed), split as
//     XGBoost does with enable_categorical.
//
// # Properties
//
// best_iteration (xgboost: the 0-based best round; else 0) and one
// property per final metric, named <set>_<metric>: train_auc,
// validation_auc, validation_logloss, validation_rmse, ... For xgboost
// they are the eval_metric values (default: auc, error and logloss for
// binary objectives; mae and rmse for regression; merror and mlogloss for
// multi-class) at the best iteration; for the other algorithms auc,
// logloss and error (binary) or rmse and mae (regression).
package training

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/frame"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/step"
)

// ID is the kind's stable ID.
const ID = "training"

// version is part of the cache key: bump it when models change.
const version = "1+" + model.Version + "+frame/" + frame.Version

// Argument, input, output and property names.
const (
	ArgAlgorithm       = "algorithm"
	ArgHyperparameters = "hyperparameters"
	ArgInputs          = "inputs"
	ArgLabel           = "label"
	ArgWeight          = "weight"
	ArgCategorical     = "categorical"

	InputTrain      = "train"
	InputValidation = "validation"
	InputSchema     = "schema"

	OutputModel = "model"

	PropBestIteration = "best_iteration"
)

// Kind is the training step kind.
type Kind struct{}

// New returns the kind.
func New() *Kind { return &Kind{} }

// Spec declares the kind.
func (*Kind) Spec() step.Spec {
	return step.Spec{
		Kind:        ID,
		Description: "Trains a built-in learner (xgboost, random_forest, linear_learner) on CSV artifacts; outputs a model directory.",
		Version:     version,
		Args: []step.Field{
			{Name: ArgAlgorithm, Type: step.String, Required: true, Enum: Algorithms(), Description: "the learner"},
			{Name: ArgHyperparameters, Type: step.Object, Description: "the learner's hyperparameters; values may be strings"},
			{Name: ArgInputs, Type: step.ArtifactMap, Required: true, Description: "train (required), validation, schema (tabular_prepare's schema.json)"},
			{Name: ArgLabel, Type: step.String, Description: "label column name (default: the first column)"},
			{Name: ArgWeight, Type: step.String, Description: "xgboost: sample weight column name (not a feature)"},
			{Name: ArgCategorical, Type: step.StringList, Description: "xgboost: names of the categorical features (integer category codes)"},
		},
		Outputs: []step.Field{
			{Name: OutputModel, Type: step.Artifact, Description: "model directory: ferry-model.json and the model file"},
		},
		Properties: []step.Field{
			{Name: PropBestIteration, Type: step.Integer, Description: "0-based best boosting round (xgboost)"},
			{Name: "train_auc", Type: step.Float, Description: "AUC on the training set (binary)"},
			{Name: "validation_auc", Type: step.Float, Description: "AUC on the validation set (binary)"},
			{Name: "validation_logloss", Type: step.Float, Description: "log loss on the validation set (binary)"},
			{Name: "validation_rmse", Type: step.Float, Description: "RMSE on the validation set (regression)"},
		},
		DynamicProperties: true,
	}
}

// ValidateArgs checks the algorithm, its hyperparameters and the inputs.
func (*Kind) ValidateArgs(args map[string]any) []error {
	var errs []error
	alg, ok := args[ArgAlgorithm].(string)
	if !ok {
		if _, ref := args[ArgAlgorithm].(*step.RefPlaceholder); ref {
			return nil
		}
		return []error{&step.FieldError{Field: ArgAlgorithm, Msg: "required: one of " + strings.Join(Algorithms(), ", ")}}
	}
	known := false
	for _, a := range Algorithms() {
		known = known || a == alg
	}
	if !known {
		return []error{&step.FieldError{Field: ArgAlgorithm, Msg: fmt.Sprintf("unknown algorithm %q (want one of %s)", alg, strings.Join(Algorithms(), ", "))}}
	}
	if hp, ok := args[ArgHyperparameters].(map[string]any); ok {
		literal := make(map[string]any, len(hp))
		for k, v := range hp {
			if _, ref := v.(*step.RefPlaceholder); !ref {
				literal[k] = v
			}
		}
		for _, e := range CheckHyperparameters(alg, literal) {
			field := ArgHyperparameters
			if e.Name != "" {
				field += "." + e.Name
			}
			errs = append(errs, &step.FieldError{Field: field, Msg: e.Msg})
		}
	} else if v, present := args[ArgHyperparameters]; present && v != nil {
		if _, ref := v.(*step.RefPlaceholder); !ref {
			errs = append(errs, &step.FieldError{Field: ArgHyperparameters, Msg: fmt.Sprintf("want an object, got %T", v)})
		}
	}
	if alg != AlgorithmXGBoost {
		for _, name := range []string{ArgWeight, ArgCategorical} {
			if v, present := args[name]; present && v != nil {
				errs = append(errs, &step.FieldError{Field: name, Msg: "supported by algorithm xgboost only"})
			}
		}
	}
	if w, ok := args[ArgWeight].(string); ok && w != "" {
		if l, _ := args[ArgLabel].(string); l == w {
			errs = append(errs, &step.FieldError{Field: ArgWeight, Msg: fmt.Sprintf("%q is the label column", w)})
		}
	}
	if cats, ok := args[ArgCategorical].([]any); ok {
		for i, c := range cats {
			if s, isStr := c.(string); !isStr || s == "" {
				if _, ref := c.(*step.RefPlaceholder); !ref {
					errs = append(errs, &step.FieldError{Field: fmt.Sprintf("%s[%d]", ArgCategorical, i), Msg: "want a feature name"})
				}
			}
		}
	}
	if in, ok := args[ArgInputs].(map[string]any); ok {
		if _, ok := in[InputTrain]; !ok {
			errs = append(errs, &step.FieldError{Field: ArgInputs + "." + InputTrain, Msg: "required"})
		}
		for name := range in {
			if name != InputTrain && name != InputValidation && name != InputSchema {
				errs = append(errs, &step.FieldError{Field: ArgInputs + "." + name, Msg: "unknown input (want train, validation, schema)"})
			}
		}
	}
	return errs
}

// Run trains the model and stores its directory.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	if errs := k.ValidateArgs(req.Args); len(errs) > 0 {
		return step.Result{}, step.Permanent(fmt.Errorf("training: %w", errors.Join(errs...)))
	}
	alg, _ := req.Args[ArgAlgorithm].(string)
	hp, _ := req.Args[ArgHyperparameters].(map[string]any)
	label, _ := req.Args[ArgLabel].(string)
	ins, _ := req.Args[ArgInputs].(map[string]any)
	weight, _ := req.Args[ArgWeight].(string)
	var cats []string
	if raw, ok := req.Args[ArgCategorical].([]any); ok {
		for _, c := range raw {
			if s, ok := c.(string); ok {
				cats = append(cats, s)
			}
		}
	}
	job := Job{Algorithm: alg, Hyperparameters: hp, Label: label, Weight: weight, Categorical: cats, Log: env.Log,
		OutputDir: filepath.Join(env.WorkDir, "outputs", OutputModel)}
	for name, dst := range map[string]*string{InputTrain: &job.Train, InputValidation: &job.Validation, InputSchema: &job.Schema} {
		v, ok := ins[name]
		if !ok {
			continue
		}
		dir, err := inputDir(ctx, env.Store, v)
		if err != nil {
			return step.Result{}, fmt.Errorf("training: input %q: %w", name, err)
		}
		want := ".csv"
		if name == InputSchema {
			want = "schema.json"
		}
		if *dst, err = findFile(dir, want); err != nil {
			return step.Result{}, step.Permanent(fmt.Errorf("training: input %q: %w", name, err))
		}
	}
	s, err := Run(ctx, job)
	if err != nil {
		if ctx.Err() != nil {
			return step.Result{}, fmt.Errorf("training %s: %w", alg, err)
		}
		return step.Result{}, step.Permanent(fmt.Errorf("training %s: %w", alg, err))
	}
	if env.Logger != nil {
		env.Logger.Info("model trained", "algorithm", alg, "features", len(s.Manifest.FeatureNames), "best_iteration", s.BestIteration)
	}
	ref, err := env.Store.PutDir(ctx, job.OutputDir)
	if err != nil {
		return step.Result{}, fmt.Errorf("training: storing model: %w", err)
	}
	props := map[string]any{PropBestIteration: int64(s.BestIteration)}
	for name, v := range s.Metrics {
		props[name] = v
	}
	return step.Result{Outputs: map[string]artifact.Ref{OutputModel: ref}, Properties: props}, nil
}

func inputDir(ctx context.Context, store artifact.Store, v any) (string, error) {
	var ref artifact.Ref
	switch x := v.(type) {
	case artifact.Ref:
		ref = x
	case string:
		r, err := artifact.ParseRef(x)
		if err != nil {
			return "", step.Permanent(err)
		}
		ref = r
	default:
		return "", step.Permanent(fmt.Errorf("want an artifact reference, got %T", v))
	}
	return store.Path(ctx, ref)
}

// findFile returns the file in dir named want, or else the only file
// ending in want (searched recursively).
func findFile(dir, want string) (string, error) {
	if st, err := os.Stat(filepath.Join(dir, want)); err == nil && !st.IsDir() {
		return filepath.Join(dir, want), nil
	}
	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), want) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no %s file in the artifact", want)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%d %s files in the artifact; want exactly one", len(found), want)
}

// Interface guards.
var (
	_ step.Kind      = (*Kind)(nil)
	_ step.Validator = (*Kind)(nil)
)
