package table

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ferryml/ferry/internal/quote"
)

// FeatureCategorical is the feature type (XGBoost's "c") of a categorical
// feature in [Dataset.FeatureTypes]: its values are integer category
// codes 0, 1, 2, ... (NaN for missing).
const FeatureCategorical = "c"

// Dataset is a training or evaluation matrix, the input of every
// learner's Train: row-major features (NaN for a missing value), one
// label per row and optional sample weights. It is XGBoost's DMatrix and
// scikit-learn's (X, y, sample_weight) in one value. Build one directly,
// or from a [Table] with [Table.Dataset].
type Dataset struct {
	// X holds Rows()×NumFeature values, row-major; NaN is missing.
	X []float64
	// Y holds one label per row.
	Y []float64
	// Weight holds one sample weight per row (finite, >= 0); nil means
	// every row weighs 1.
	Weight []float64
	// NumFeature is the number of features (columns of X).
	NumFeature int
	// FeatureNames, when not nil, names the features; models record them.
	FeatureNames []string
	// FeatureTypes, when not nil, holds XGBoost's feature type of each
	// feature: "float", "int", "i", "q" or [FeatureCategorical]. Only
	// gbdt reads it (categorical splits); models record it.
	FeatureTypes []string
}

// Rows returns the number of rows.
func (d *Dataset) Rows() int { return len(d.Y) }

// ValidateLayout is Validate without the scan of the feature values for
// infinities: for a matrix already validated (tuning's trials train on
// the same rows).
func (d *Dataset) ValidateLayout(role string) error {
	if d == nil || d.NumFeature <= 0 {
		return fmt.Errorf("%s dataset has no features", role)
	}
	if len(d.Y) == 0 {
		return fmt.Errorf("%s dataset has no rows", role)
	}
	if len(d.X) != len(d.Y)*d.NumFeature {
		return fmt.Errorf("%s dataset has %d values for %d rows × %d features", role, len(d.X), len(d.Y), d.NumFeature)
	}
	if d.Weight != nil && len(d.Weight) != len(d.Y) {
		return fmt.Errorf("%s dataset has %d weights for %d rows", role, len(d.Weight), len(d.Y))
	}
	if d.Weight != nil {
		var sum float64
		for i, v := range d.Weight {
			if !(v >= 0) || math.IsInf(v, 0) {
				return fmt.Errorf("%s dataset row %d has weight %v; weights must be finite and >= 0", role, i+1, v)
			}
			sum += v
		}
		if sum == 0 {
			return fmt.Errorf("%s dataset has every weight 0", role)
		}
	}
	if len(d.FeatureTypes) != 0 && len(d.FeatureTypes) != d.NumFeature {
		return fmt.Errorf("%s dataset has %d feature types for %d features", role, len(d.FeatureTypes), d.NumFeature)
	}
	if len(d.FeatureNames) != 0 && len(d.FeatureNames) != d.NumFeature {
		return fmt.Errorf("%s dataset has %d feature names for %d features", role, len(d.FeatureNames), d.NumFeature)
	}
	return nil
}

// Validate checks that d is a usable dataset: at least one row and one
// feature, consistent lengths, finite features (NaN allowed), finite
// weights >= 0 that are not all 0. Errors name the dataset by role
// ("training", "validation") and give the offending row (1-based) or
// feature (0-based). Labels are the learner's to check.
func (d *Dataset) Validate(role string) error {
	if err := d.ValidateLayout(role); err != nil {
		return err
	}
	for i, v := range d.X {
		if math.IsInf(v, 0) {
			return fmt.Errorf("%s dataset row %d feature %d is infinite", role, i/d.NumFeature+1, i%d.NumFeature)
		}
	}
	return nil
}

// SetCategorical marks the named features categorical (XGBoost's
// enable_categorical with feature type "c"): FeatureTypes becomes
// "float" for every other feature and [FeatureCategorical] for these.
// Their values must be integer category codes (NaN for missing); gbdt
// checks them when it trains. It needs FeatureNames, and an unknown name
// is an error listing the features.
func (d *Dataset) SetCategorical(names ...string) error {
	types := make([]string, d.NumFeature)
	for i := range types {
		types[i] = "float"
	}
	for _, name := range names {
		i := slices.Index(d.FeatureNames, name)
		if i < 0 || i >= d.NumFeature {
			return fmt.Errorf("categorical feature %s is not a feature column (features: %s)", quote.Value(name), strings.Join(d.FeatureNames, ", "))
		}
		types[i] = FeatureCategorical
	}
	d.FeatureTypes = types
	return nil
}
