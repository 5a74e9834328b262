package linear

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// FormatName identifies Ferry's linear-learner model file.
const FormatName = "ferry-linear-learner"

// FormatVersion is the version of the model file Write produces.
const FormatVersion = 1

// fileModel is the JSON model file:
//
//	{"format": "ferry-linear-learner", "version": 1,
//	 "predictor_type": "binary_classifier", "num_features": 3,
//	 "mean": [...], "scale": [...], "coef": [...], "intercept": -1.2,
//	 "weights": [...], "bias": -0.4, "params": {...}, "iterations": 12}
//
// margin = intercept + Σ coef_j·(x_j − mean_j)/scale_j, NaN x_j read as
// mean_j; weights and bias are the same model on the raw features, for
// readers (Read checks they agree).
type fileModel struct {
	Format        string    `json:"format"`
	Version       int       `json:"version"`
	PredictorType string    `json:"predictor_type"`
	NumFeatures   int       `json:"num_features"`
	Mean          []float64 `json:"mean"`
	Scale         []float64 `json:"scale"`
	Coef          []float64 `json:"coef"`
	Intercept     float64   `json:"intercept"`
	Weights       []float64 `json:"weights"`
	Bias          float64   `json:"bias"`
	Params        Params    `json:"params"`
	Iterations    int       `json:"iterations"`
}

// Write writes the model as JSON (see [Read]).
func (md *Model) Write(w io.Writer) error {
	wts, bias := md.Weights()
	f := fileModel{
		Format: FormatName, Version: FormatVersion, PredictorType: md.PredictorType, NumFeatures: len(md.Coef),
		Mean: md.Mean, Scale: md.Scale, Coef: md.Coef, Intercept: md.Intercept,
		Weights: wts, Bias: bias, Params: md.Params, Iterations: md.Iterations,
	}
	if err := json.NewEncoder(w).Encode(f); err != nil {
		return fmt.Errorf("writing linear model: %w", err)
	}
	return nil
}

// Read reads a model written by [Model.Write]: JSON with "format":
// "ferry-linear-learner", "version": 1, "predictor_type", "num_features",
// "mean", "scale", "coef" (num_features each), "intercept", "weights",
// "bias", "params" and "iterations". A malformed file, arrays of the wrong
// length, a scale <= 0 or a non-finite number is an error naming what.
func Read(r io.Reader) (*Model, error) {
	var f fileModel
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading linear model: %w", err)
	}
	switch {
	case f.Format != FormatName:
		return nil, fmt.Errorf("reading linear model: format is %q, want %q", f.Format, FormatName)
	case f.Version != FormatVersion:
		return nil, fmt.Errorf("reading linear model: version %d, want %d", f.Version, FormatVersion)
	case f.PredictorType != Regressor && f.PredictorType != BinaryClassifier:
		return nil, fmt.Errorf("reading linear model: predictor_type %q, want %q or %q", f.PredictorType, Regressor, BinaryClassifier)
	case f.NumFeatures < 1:
		return nil, fmt.Errorf("reading linear model: num_features %d, want >= 1", f.NumFeatures)
	}
	for _, a := range []struct {
		name string
		v    []float64
	}{{"mean", f.Mean}, {"scale", f.Scale}, {"coef", f.Coef}, {"weights", f.Weights}} {
		if len(a.v) != f.NumFeatures {
			return nil, fmt.Errorf("reading linear model: %s has %d values, want num_features = %d", a.name, len(a.v), f.NumFeatures)
		}
		for j, v := range a.v {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("reading linear model: %s[%d] is %v, want a finite number", a.name, j, v)
			}
			if a.name == "scale" && v <= 0 {
				return nil, fmt.Errorf("reading linear model: scale[%d] is %v, want > 0", j, v)
			}
		}
	}
	if math.IsNaN(f.Intercept) || math.IsInf(f.Intercept, 0) {
		return nil, fmt.Errorf("reading linear model: intercept is %v, want a finite number", f.Intercept)
	}
	md := &Model{PredictorType: f.PredictorType, Mean: f.Mean, Scale: f.Scale, Coef: f.Coef, Intercept: f.Intercept, Params: f.Params, Iterations: f.Iterations}
	w, bias := md.Weights()
	for j := range w {
		if !near(w[j], f.Weights[j]) {
			return nil, fmt.Errorf("reading linear model: weights[%d] = %v disagrees with coef/scale = %v", j, f.Weights[j], w[j])
		}
	}
	if !near(bias, f.Bias) {
		return nil, fmt.Errorf("reading linear model: bias %v disagrees with the intercept and means (%v)", f.Bias, bias)
	}
	return md, nil
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b))
}
