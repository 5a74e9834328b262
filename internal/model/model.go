// Package model defines Ferry's model artifact: a directory holding a
// manifest (ferry-model.json) and the model file, and the interfaces that
// every built-in learner's model satisfies for evaluation, serving and
// explanation.
//
// For boosted trees the model file is XGBoost's JSON model format, so the
// directory's model.json loads in XGBoost unchanged.
package model

import "encoding/json"

// ManifestFile is the manifest's file name inside a model directory.
const ManifestFile = "ferry-model.json"

// Flavors: the learner that wrote the model file.
const (
	FlavorXGBoost      = "xgboost"
	FlavorRandomForest = "random_forest"
	FlavorLinear       = "linear_learner"
)

// Tasks.
const (
	TaskBinary     = "binary_classification"
	TaskMulticlass = "multiclass_classification"
	TaskRegression = "regression"
)

// Manifest describes a model directory.
type Manifest struct {
	FormatVersion int    `json:"format_version"`
	Flavor        string `json:"flavor"`
	// ModelFile is the model file's path relative to the directory.
	ModelFile string `json:"model_file"`
	Objective string `json:"objective,omitempty"`
	Task      string `json:"task"`
	NumClass  int    `json:"num_class,omitempty"`
	// Label is the name of the training label column, when known.
	Label        string   `json:"label,omitempty"`
	FeatureNames []string `json:"feature_names"`
	FeatureTypes []string `json:"feature_types,omitempty"`
	// Transform is the feature transform written by tabular_prepare
	// (schema.json), which turns raw named records into model inputs.
	Transform json.RawMessage `json:"transform,omitempty"`
	// Training records how the model was made: algorithm,
	// hyperparameters, final metrics, Ferry version, time.
	Training map[string]any `json:"training,omitempty"`
}

// Predictor is what every loaded model does.
type Predictor interface {
	// NumFeatures is the number of input columns.
	NumFeatures() int
	// NumOutputs is 1, or the number of classes for multi-class models.
	NumOutputs() int
	// Predict writes, for each row of x (row-major, n×NumFeatures, NaN for
	// a missing value), NumOutputs values into dst (n×NumOutputs):
	// probabilities for classifiers, values for regressors.
	Predict(dst, x []float64)
}

// Explainer is implemented by models with exact SHAP values (trees).
type Explainer interface {
	// Contribs writes path-dependent TreeSHAP values for each row of x into
	// dst: n×NumOutputs×(NumFeatures+1), the last of each block being the
	// bias (expected margin). Each block sums to the row's margin.
	Contribs(dst, x []float64)
}

// InterventionalExplainer is implemented by models with exact
// interventional SHAP values against background rows (trees): the
// Shapley values that Kernel SHAP estimates with the same baseline.
type InterventionalExplainer interface {
	// ContribsInterventional writes, for each row of x, the interventional
	// SHAP values against the background rows (row-major, each weighing
	// equally) into dst: n×NumOutputs×(NumFeatures+1), the last of each
	// block the mean output over the background. Each block sums to the
	// row's output in the units Contribs uses.
	ContribsInterventional(dst, x, background []float64)
}
