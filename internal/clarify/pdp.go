package clarify

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/ferryml/ferry/bias"
	"github.com/ferryml/ferry/shap"
)

// pdp computes partial dependence for the configured features, or the
// top_k_features by global SHAP (label0) when none are listed (the first
// top_k_features columns when SHAP was not computed).
func (j *job) pdp(ctx context.Context, res *Result) error {
	cfg := j.cfg.Methods.PDP
	var names []string
	for i := range cfg.Features {
		n, err := j.ds.resolve(&cfg.Features[i], fmt.Sprintf("methods.pdp.features[%d]", i))
		if err != nil {
			return err
		}
		if !slices.Contains(j.features, n) {
			return fmt.Errorf("methods.pdp.features[%d]: %q is not a model feature", i, n)
		}
		names = append(names, n)
	}
	if names == nil {
		names = topFeatures(res, j.features, cfg.TopKFeatures)
	}
	x, err := j.matrix()
	if err != nil {
		return err
	}
	n, m := j.ds.Table.Rows(), len(j.features)
	if ep, ok := j.pred.(*Endpoint); ok {
		if err := ep.Probe(ctx, x[:m]); err != nil {
			return err
		}
	}
	k := j.pred.NumOutputs()
	f, errp := predictFunc(ctx, j.pred, m)
	entries := make([]PDPEntry, 0, len(names))
	for _, name := range names {
		col := slices.Index(j.features, name)
		c := &j.ds.Table.Columns[j.ds.Table.Index(name)]
		e := PDPEntry{FeatureName: name, DataType: "numerical"}
		var grid, preds, dist []float64
		var err error
		if categoricalFeature(c, cfg.GridResolution) {
			e.DataType = "categorical"
			grid, preds, dist, err = shap.PartialDependenceCategorical(ctx, f, x, n, m, col, k)
		} else {
			grid, preds, dist, err = shap.PartialDependence(ctx, f, x, n, m, col, cfg.GridResolution, k)
		}
		if perr := errp(); perr != nil {
			return fmt.Errorf("partial dependence of %q: calling the model: %w", name, perr)
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			e.Error = err.Error()
			entries = append(entries, e)
			continue
		}
		e.FeatureValues, e.DataDistribution = grid, dist
		e.ModelPredictions = make([][]float64, k)
		for o := range k {
			e.ModelPredictions[o] = preds[o*len(grid) : (o+1)*len(grid)]
		}
		entries = append(entries, e)
	}
	if res.Analysis.Explanations == nil {
		res.Analysis.Explanations = &Explanations{}
	}
	res.Analysis.Explanations.PDP = entries
	return nil
}

// topFeatures returns the k features with the largest global SHAP value
// of the first output, or the first k features without SHAP.
func topFeatures(res *Result, features []string, k int) []string {
	var order []string
	if e := res.Analysis.Explanations; e != nil && len(e.KernelSHAP) > 0 {
		l := e.KernelSHAP[0]
		idx := make([]int, len(l.Features))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return math.Abs(l.GlobalValues[idx[a]]) > math.Abs(l.GlobalValues[idx[b]]) })
		for _, i := range idx {
			order = append(order, l.Features[i])
		}
	} else {
		order = features
	}
	if k < len(order) {
		order = order[:k]
	}
	return slices.Clone(order)
}

// categoricalFeature reports whether a feature's partial dependence uses
// its distinct values: integer and bool columns with at most res distinct
// values. Others get res equal-width buckets.
func categoricalFeature(c *bias.Column, res int) bool {
	if c.Type != bias.Int && c.Type != bias.Bool {
		return false
	}
	distinct := map[float64]bool{}
	for _, v := range c.Num {
		distinct[v] = true
		if len(distinct) > res {
			return false
		}
	}
	return true
}
