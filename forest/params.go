package forest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/quote"
)

// Tasks a forest learns.
const (
	TaskRegression = "regression"
	TaskBinary     = "binary_classification"
)

// Params are the forest's hyperparameters, named as scikit-learn's
// RandomForestRegressor / RandomForestClassifier name them. The zero
// value of a field means its default; [Params.WithDefaults] fills them in.
type Params struct {
	// Task is "regression" (default) or "binary_classification" (labels 0/1).
	Task string `json:"task,omitempty"`
	// NEstimators is the number of trees (default 100).
	NEstimators int `json:"n_estimators,omitempty"`
	// MaxDepth limits the depth of each tree; 0 means unlimited.
	MaxDepth int `json:"max_depth,omitempty"`
	// MaxFeatures is the number of features tried at each split: "sqrt",
	// "log2", "all", a fraction such as 0.5, or a count such as 3. The
	// default is "sqrt" for classification and "all" (sklearn's 1.0) for
	// regression, as in scikit-learn 1.2 ("auto" means the same).
	MaxFeatures MaxFeatures `json:"max_features,omitempty"`
	// MinSamplesSplit is the least number of samples a node needs to be
	// split (default 2).
	MinSamplesSplit int `json:"min_samples_split,omitempty"`
	// MinSamplesLeaf is the least number of samples in each leaf (default 1).
	MinSamplesLeaf int `json:"min_samples_leaf,omitempty"`
	// Bootstrap, when true (the default), trains each tree on a bootstrap
	// sample of the rows. A nil pointer means true.
	Bootstrap *bool `json:"bootstrap,omitempty"`
	// Seed makes training deterministic: the same seed gives the same
	// model whatever the number of goroutines.
	Seed uint64 `json:"seed,omitempty"`
	// Workers is the number of goroutines building trees; 0 means
	// GOMAXPROCS. It does not change the model.
	Workers int `json:"-"`
}

// WithDefaults returns p with every unset field given its default.
func (p Params) WithDefaults() Params {
	if p.Task == "" {
		p.Task = TaskRegression
	}
	if p.NEstimators == 0 {
		p.NEstimators = 100
	}
	if p.MaxFeatures == "" || p.MaxFeatures == "auto" {
		// scikit-learn 1.2: "auto" is sqrt for classifiers, all features
		// for regressors, as are the defaults.
		if p.Task == TaskBinary {
			p.MaxFeatures = "sqrt"
		} else {
			p.MaxFeatures = "all"
		}
	}
	if p.MinSamplesSplit == 0 {
		p.MinSamplesSplit = 2
	}
	if p.MinSamplesLeaf == 0 {
		p.MinSamplesLeaf = 1
	}
	if p.Bootstrap == nil {
		t := true
		p.Bootstrap = &t
	}
	return p
}

// Validate reports the first hyperparameter out of its range, naming it
// and the allowed range. It expects [Params.WithDefaults] to have run.
func (p Params) Validate(numFeatures int) error {
	switch {
	case p.Task != TaskRegression && p.Task != TaskBinary:
		return fmt.Errorf("task %q: want %q or %q", p.Task, TaskRegression, TaskBinary)
	case p.NEstimators < 1 || p.NEstimators > 100000:
		return fmt.Errorf("n_estimators %d: want 1..100000", p.NEstimators)
	case p.MaxDepth < 0 || p.MaxDepth > 64:
		return fmt.Errorf("max_depth %d: want 0 (unlimited) or 1..64", p.MaxDepth)
	case p.MinSamplesSplit < 2:
		return fmt.Errorf("min_samples_split %d: want >= 2", p.MinSamplesSplit)
	case p.MinSamplesLeaf < 1:
		return fmt.Errorf("min_samples_leaf %d: want >= 1", p.MinSamplesLeaf)
	case p.Workers < 0:
		return fmt.Errorf("workers %d: want >= 0", p.Workers)
	}
	if _, err := p.MaxFeatures.Count(numFeatures); err != nil {
		return err
	}
	return nil
}

// MaxFeatures is the max_features hyperparameter in its canonical text
// form: "sqrt", "log2", "all", a fraction with a decimal point ("0.5",
// "1.0") or a whole count ("3"). In JSON it may be a string or a number;
// a number written with a decimal point or exponent is a fraction, as in
// scikit-learn where 1.0 means all features and 1 means one.
type MaxFeatures string

// UnmarshalJSON accepts a JSON string or number.
func (mf *MaxFeatures) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("max_features: %w", err)
		}
		*mf = MaxFeatures(s)
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return fmt.Errorf("max_features: want a string or a number: %w", err)
	}
	*mf = MaxFeatures(num.String())
	return nil
}

// Count returns the number of features to try per split for a model with
// m features: sqrt is max(1, int(sqrt(m))), log2 max(1, int(log2(m))), a
// fraction f max(1, int(f·m)), as scikit-learn computes them.
func (mf MaxFeatures) Count(m int) (int, error) {
	if m < 1 {
		return 0, fmt.Errorf("max_features: the data has %d features", m)
	}
	s := strings.TrimSpace(string(mf))
	switch s {
	case "sqrt":
		return max(1, int(math.Sqrt(float64(m)))), nil
	case "log2":
		return max(1, int(math.Log2(float64(m)))), nil
	case "all", "", "None":
		return m, nil
	}
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f > 0 && f <= 1) {
			return 0, fmt.Errorf("max_features %s: want sqrt, log2, all, a fraction in (0, 1] or a count in 1..%d", quote.Value(s), m)
		}
		return max(1, int(f*float64(m))), nil
	}
	k, err := strconv.Atoi(s)
	if err != nil || k < 1 || k > m {
		return 0, fmt.Errorf("max_features %s: want sqrt, log2, all, a fraction in (0, 1] or a count in 1..%d", quote.Value(s), m)
	}
	return k, nil
}
