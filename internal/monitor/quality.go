package monitor

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/metric"
)

// Problem types of a model-quality monitor (Model Monitor's names).
const (
	BinaryClassification = "BinaryClassification"
	Regression           = "Regression"
)

// Comparison operators of model-quality constraints.
const (
	LessThanThreshold    = "LessThanThreshold"
	GreaterThanThreshold = "GreaterThanThreshold"
)

// MetricValue is one metric with its standard deviation (Model Monitor's
// {"value", "standard_deviation"}).
type MetricValue struct {
	Value             float64 `json:"value"`
	StandardDeviation float64 `json:"standard_deviation"`
}

// QualityStatistics is a model-quality statistics.json.
type QualityStatistics struct {
	Version float64 `json:"version"`
	Dataset struct {
		ItemCount int64 `json:"item_count"`
	} `json:"dataset"`
	Binary     map[string]any         `json:"binary_classification_metrics,omitempty"`
	Regression map[string]MetricValue `json:"regression_metrics,omitempty"`
}

// MetricConstraint is one metric's threshold.
type MetricConstraint struct {
	Threshold          float64 `json:"threshold"`
	ComparisonOperator string  `json:"comparison_operator"`
}

// QualityConstraints is a model-quality constraints.json.
type QualityConstraints struct {
	Version    float64                     `json:"version"`
	Binary     map[string]MetricConstraint `json:"binary_classification_constraints,omitempty"`
	Regression map[string]MetricConstraint `json:"regression_constraints,omitempty"`
}

// QualityMetrics computes the model-quality metrics of predictions p
// against labels y: for binary classification accuracy, precision,
// recall, f1 (predicted positive when p >= threshold), auc and the
// confusion matrix; for regression mae, mse, rmse and r2. Standard
// deviations are written as 0 (Ferry does not bootstrap them).
func QualityMetrics(problem string, y, p []float64, threshold float64) (*QualityStatistics, error) {
	if len(y) == 0 {
		return nil, errors.New("no predictions have ground truth")
	}
	st := &QualityStatistics{}
	st.Dataset.ItemCount = int64(len(y))
	switch problem {
	case BinaryClassification:
		for i, v := range y {
			if v != 0 && v != 1 {
				return nil, fmt.Errorf("label %d is %v: a binary classification label is 0 or 1", i+1, v)
			}
		}
		c, err := metric.ConfusionAt(y, p, nil, threshold)
		if err != nil {
			return nil, err
		}
		m := map[string]any{
			"confusion_matrix": map[string]map[string]float64{
				"0": {"0": c.TN, "1": c.FP},
				"1": {"0": c.FN, "1": c.TP},
			},
			"accuracy":  MetricValue{Value: c.Accuracy()},
			"precision": MetricValue{Value: c.Precision()},
			"recall":    MetricValue{Value: c.Recall()},
			"f1":        MetricValue{Value: c.F1()},
		}
		if auc, err := metric.ROCAUC(y, p, nil); err == nil && !math.IsNaN(auc) {
			m["auc"] = MetricValue{Value: auc}
		}
		st.Binary = m
	case Regression:
		mae, err := metric.MAE(y, p, nil)
		if err != nil {
			return nil, err
		}
		mse, _ := metric.MSE(y, p, nil)
		r2, _ := metric.R2(y, p, nil)
		st.Regression = map[string]MetricValue{"mae": {Value: mae}, "mse": {Value: mse}, "rmse": {Value: math.Sqrt(mse)}}
		if !math.IsNaN(r2) && !math.IsInf(r2, 0) {
			st.Regression["r2"] = MetricValue{Value: r2}
		}
	default:
		return nil, fmt.Errorf("problem type %q: want %s or %s", problem, BinaryClassification, Regression)
	}
	return st, nil
}

// values returns the scalar metrics by name.
func (s *QualityStatistics) values() map[string]float64 {
	out := map[string]float64{}
	for k, v := range s.Binary {
		if mv, ok := v.(MetricValue); ok {
			out[k] = mv.Value
		} else if m, ok := v.(map[string]any); ok {
			if f, ok := m["value"].(float64); ok {
				out[k] = f
			}
		}
	}
	for k, v := range s.Regression {
		out[k] = v.Value
	}
	return out
}

// qualityLowerIsBetter lists the metrics whose constraint is an upper
// bound.
var qualityLowerIsBetter = map[string]bool{"mae": true, "mse": true, "rmse": true}

// SuggestQualityConstraints returns thresholds from a baseline's metrics:
// a metric that should be high may fall at most tolerance (a fraction) below
// its baseline value, an error metric rise at most tolerance above it.
func SuggestQualityConstraints(st *QualityStatistics, tolerance float64) *QualityConstraints {
	c := &QualityConstraints{}
	set := func(dst map[string]MetricConstraint, name string, v float64) {
		if qualityLowerIsBetter[name] {
			dst[name] = MetricConstraint{Threshold: v * (1 + tolerance), ComparisonOperator: GreaterThanThreshold}
		} else {
			dst[name] = MetricConstraint{Threshold: v * (1 - tolerance), ComparisonOperator: LessThanThreshold}
		}
	}
	vals := st.values()
	if st.Binary != nil {
		c.Binary = map[string]MetricConstraint{}
		for k, v := range vals {
			set(c.Binary, k, v)
		}
	}
	if st.Regression != nil {
		c.Regression = map[string]MetricConstraint{}
		for k, v := range vals {
			set(c.Regression, k, v)
		}
	}
	return c
}

// CheckQuality returns a violation per metric that breaks its constraint:
// LessThanThreshold is broken by a value below the threshold,
// GreaterThanThreshold by one above it.
func CheckQuality(st *QualityStatistics, c *QualityConstraints) []Violation {
	vals := st.values()
	cons := map[string]MetricConstraint{}
	for k, v := range c.Binary {
		cons[k] = v
	}
	for k, v := range c.Regression {
		cons[k] = v
	}
	keys := make([]string, 0, len(cons))
	for k := range cons {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []Violation
	for _, k := range keys {
		mc := cons[k]
		v, ok := vals[k]
		if !ok {
			continue
		}
		var broken bool
		switch mc.ComparisonOperator {
		case LessThanThreshold:
			broken = v < mc.Threshold
		case GreaterThanThreshold:
			broken = v > mc.Threshold
		default:
			continue
		}
		if broken {
			out = append(out, Violation{MetricName: k, ConstraintCheckType: mc.ComparisonOperator,
				Description: fmt.Sprintf("Metric %s with %s was %s '%s'", k, num(v), mc.ComparisonOperator, num(mc.Threshold))})
		}
	}
	return out
}

// ParseLabel reads a ground-truth label as a number; "true"/"false" are 1/0.
func ParseLabel(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if first, _, ok := strings.Cut(s, ","); ok {
		s = first
	}
	switch strings.ToLower(s) {
	case "true":
		return 1, nil
	case "false":
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("label %q is not a number", s)
	}
	return v, nil
}
