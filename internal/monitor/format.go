package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// File names of a baseline and of a run's output, as Model Monitor names
// them.
const (
	StatisticsFile  = "statistics.json"
	ConstraintsFile = "constraints.json"
	ViolationsFile  = "constraint_violations.json"
	ReportFile      = "report.html"
)

// Inferred types of a feature.
const (
	Integral   = "Integral"
	Fractional = "Fractional"
	String     = "String"
	Unknown    = "Unknown"
)

// Statistics is Model Monitor's statistics.json: per-feature statistics
// of a data set (a baseline, or one window of captured data).
type Statistics struct {
	Version  float64             `json:"version"`
	Dataset  DatasetStatistics   `json:"dataset"`
	Features []FeatureStatistics `json:"features"`
}

// DatasetStatistics is the data-set level block.
type DatasetStatistics struct {
	ItemCount int64 `json:"item_count"`
}

// FeatureStatistics is one feature's statistics: numerical_statistics for
// Integral and Fractional features, string_statistics for String ones.
type FeatureStatistics struct {
	Name         string               `json:"name"`
	InferredType string               `json:"inferred_type"`
	Numerical    *NumericalStatistics `json:"numerical_statistics,omitempty"`
	String       *StringStatistics    `json:"string_statistics,omitempty"`
}

// Common holds the counts every feature has.
type Common struct {
	NumPresent int64 `json:"num_present"`
	NumMissing int64 `json:"num_missing"`
}

// NumericalStatistics describes a numeric feature.
type NumericalStatistics struct {
	Common       Common       `json:"common"`
	Mean         float64      `json:"mean"`
	Sum          float64      `json:"sum"`
	StdDev       float64      `json:"std_dev"`
	Min          float64      `json:"min"`
	Max          float64      `json:"max"`
	Distribution Distribution `json:"distribution"`
}

// Distribution holds a numeric feature's quantile sketch.
type Distribution struct {
	KLL KLLDistribution `json:"kll"`
}

// KLLDistribution is the sketch with its materialised buckets.
type KLLDistribution struct {
	Buckets []Bucket  `json:"buckets"`
	Sketch  KLLSketch `json:"sketch"`
}

// Bucket is one histogram bucket of a numeric distribution.
type Bucket struct {
	LowerBound float64 `json:"lower_bound"`
	UpperBound float64 `json:"upper_bound"`
	Count      float64 `json:"count"`
}

// KLLSketch is a KLL quantile sketch: Data[h] holds the items of level h,
// each standing for 2^h values.
type KLLSketch struct {
	Parameters KLLParameters `json:"parameters"`
	Data       [][]float64   `json:"data"`
}

// KLLParameters are the sketch's size parameters.
type KLLParameters struct {
	C float64 `json:"c"`
	K float64 `json:"k"`
}

// StringStatistics describes a String feature.
type StringStatistics struct {
	Common        Common                  `json:"common"`
	DistinctCount float64                 `json:"distinct_count"`
	Distribution  CategoricalDistribution `json:"distribution"`
}

// CategoricalDistribution holds the value counts of a String feature,
// most frequent first.
type CategoricalDistribution struct {
	Categorical struct {
		Buckets []CategoryBucket `json:"buckets"`
	} `json:"categorical"`
}

// CategoryBucket is one value and its count.
type CategoryBucket struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Feature returns the statistics of the named feature.
func (s *Statistics) Feature(name string) (*FeatureStatistics, bool) {
	for i := range s.Features {
		if s.Features[i].Name == name {
			return &s.Features[i], true
		}
	}
	return nil, false
}

// common returns the feature's counts whichever block holds them.
func (f *FeatureStatistics) common() Common {
	switch {
	case f.Numerical != nil:
		return f.Numerical.Common
	case f.String != nil:
		return f.String.Common
	}
	return Common{}
}

// Constraints is Model Monitor's constraints.json.
type Constraints struct {
	Version          float64             `json:"version"`
	Features         []FeatureConstraint `json:"features"`
	MonitoringConfig MonitoringConfig    `json:"monitoring_config"`
}

// FeatureConstraint holds the constraints on one feature.
type FeatureConstraint struct {
	Name         string `json:"name"`
	InferredType string `json:"inferred_type"`
	// Completeness is the lowest acceptable fraction of present values.
	Completeness *float64           `json:"completeness,omitempty"`
	Num          *NumConstraints    `json:"num_constraints,omitempty"`
	Str          *StringConstraints `json:"string_constraints,omitempty"`
	// Overrides is Model Monitor's per-feature monitoringConfigOverrides;
	// Ferry reads the thresholds it knows from it.
	Overrides *MonitoringConfig `json:"monitoringConfigOverrides,omitempty"`
}

// NumConstraints are a numeric feature's constraints.
type NumConstraints struct {
	IsNonNegative bool `json:"is_non_negative"`
}

// StringConstraints are a String feature's constraints.
type StringConstraints struct {
	// Domains lists the values allowed (observed in the baseline, for
	// small cardinality).
	Domains []string `json:"domains"`
}

// MonitoringConfig tunes how constraints are evaluated.
type MonitoringConfig struct {
	EvaluateConstraints string `json:"evaluate_constraints,omitempty"` // "Enabled" | "Disabled"
	EmitMetrics         string `json:"emit_metrics,omitempty"`
	// DatatypeCheckThreshold is the largest fraction of values of another
	// type than the baseline's that is not a violation.
	DatatypeCheckThreshold *float64 `json:"datatype_check_threshold,omitempty"`
	// DomainContentThreshold is the largest fraction of String values
	// outside the domain that is not a violation.
	DomainContentThreshold  *float64                 `json:"domain_content_threshold,omitempty"`
	DistributionConstraints *DistributionConstraints `json:"distribution_constraints,omitempty"`
}

// DistributionConstraints configures the baseline drift check.
type DistributionConstraints struct {
	PerformComparison   string   `json:"perform_comparison,omitempty"` // "Enabled" | "Disabled"
	ComparisonThreshold *float64 `json:"comparison_threshold,omitempty"`
	// ComparisonMethod is "Simple" (the L-infinity distance above the
	// threshold) or "Robust" (also above the sample-size-aware
	// two-sample Kolmogorov-Smirnov critical value).
	ComparisonMethod               string   `json:"comparison_method,omitempty"`
	CategoricalComparisonThreshold *float64 `json:"categorical_comparison_threshold,omitempty"`
	CategoricalDriftMethod         string   `json:"categorical_drift_method,omitempty"`
}

// Comparison methods.
const (
	Simple = "Simple"
	Robust = "Robust"
)

// Defaults Ferry applies when constraints.json leaves a setting out.
const (
	DefaultDatatypeCheckThreshold = 0.1
	DefaultDomainContentThreshold = 0.1
	DefaultComparisonThreshold    = 0.1
	DefaultComparisonMethod       = Robust
	// KSAlpha is the significance level of the Robust comparison.
	KSAlpha = 0.05
)

// Violation is one entry of constraint_violations.json.
type Violation struct {
	FeatureName         string `json:"feature_name,omitempty"`
	MetricName          string `json:"metric_name,omitempty"`
	ConstraintCheckType string `json:"constraint_check_type"`
	Description         string `json:"description"`
}

// Violations is constraint_violations.json.
type Violations struct {
	Violations []Violation `json:"violations"`
}

// Constraint check types (Model Monitor's names).
const (
	DataTypeCheck          = "data_type_check"
	CompletenessCheck      = "completeness_check"
	BaselineDriftCheck     = "baseline_drift_check"
	MissingColumnCheck     = "missing_column_check"
	ExtraColumnCheck       = "extra_column_check"
	CategoricalValuesCheck = "categorical_values_check"
	// Model quality checks use the constraint's comparison operator.
	BiasDriftCheck             = "bias_drift_check"
	FeatureAttributionDriftChk = "feature_attribution_drift_check"
)

// ReadStatistics reads a statistics.json file.
func ReadStatistics(path string) (*Statistics, error) {
	var s Statistics
	if err := readJSON(path, &s); err != nil {
		return nil, err
	}
	for i, f := range s.Features {
		if f.Name == "" {
			return nil, fmt.Errorf("reading %s: feature %d has no name", path, i)
		}
	}
	return &s, nil
}

// ReadConstraints reads a constraints.json file.
func ReadConstraints(path string) (*Constraints, error) {
	var c Constraints
	if err := readJSON(path, &c); err != nil {
		return nil, err
	}
	for i, f := range c.Features {
		if f.Name == "" {
			return nil, fmt.Errorf("reading %s: feature %d has no name", path, i)
		}
	}
	return &c, nil
}

// ReadViolations reads a constraint_violations.json file.
func ReadViolations(path string) (*Violations, error) {
	var v Violations
	if err := readJSON(path, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Base(path), err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

// WriteJSON writes v as indented JSON to path.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	return nil
}

// WriteFile writes the violations into dir; an empty list is written as [].
func (v Violations) WriteFile(dir string) error {
	if v.Violations == nil {
		v.Violations = []Violation{}
	}
	return WriteJSON(filepath.Join(dir, ViolationsFile), v)
}
