package shap

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// PartialDependence computes Clarify's partial dependence of the model on
// one numeric feature over the n rows of x (n×m): the feature's range
// [min, max] is cut into gridResolution equal-width buckets; grid holds
// the bucket centres (Clarify's feature_values), distribution the fraction
// of the rows (with a non-missing value) in each bucket (data_distribution;
// the maximum falls in the last bucket), and preds, for each of the
// model's outputs outputs×G values, the mean model output over all rows
// with the feature set to the grid value (model_predictions[k][g]). A
// feature with one distinct value gives a single grid point. It checks ctx
// between grid points.
func PartialDependence(ctx context.Context, f PredictFunc, x []float64, n, m, feature, gridResolution, outputs int) (grid, preds, distribution []float64, err error) {
	if err := checkPDP(f, x, n, m, feature, gridResolution, outputs); err != nil {
		return nil, nil, nil, err
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range n {
		if v := x[i*m+feature]; !math.IsNaN(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil, nil, nil, fmt.Errorf("partial dependence: feature %d has no finite values", feature)
	}
	g := gridResolution
	if lo == hi {
		g = 1
	}
	width := (hi - lo) / float64(g)
	grid = make([]float64, g)
	distribution = make([]float64, g)
	for b := range g {
		grid[b] = lo + (float64(b)+0.5)*width
	}
	seen := 0
	for i := range n {
		v := x[i*m+feature]
		if math.IsNaN(v) {
			continue
		}
		b := g - 1
		if width > 0 {
			b = min(g-1, int((v-lo)/width))
		}
		distribution[b]++
		seen++
	}
	for b := range distribution {
		distribution[b] /= float64(seen)
	}
	preds, err = pdpPredictions(ctx, f, x, n, m, feature, grid, outputs)
	if err != nil {
		return nil, nil, nil, err
	}
	return grid, preds, distribution, nil
}

// PartialDependenceCategorical is [PartialDependence] for a categorical
// feature: grid holds the feature's distinct values (ascending, NaN
// excluded), distribution their frequencies among the rows with a value.
func PartialDependenceCategorical(ctx context.Context, f PredictFunc, x []float64, n, m, feature, outputs int) (grid, preds, distribution []float64, err error) {
	if err := checkPDP(f, x, n, m, feature, 1, outputs); err != nil {
		return nil, nil, nil, err
	}
	counts := map[float64]int{}
	seen := 0
	for i := range n {
		if v := x[i*m+feature]; !math.IsNaN(v) {
			counts[v]++
			seen++
		}
	}
	if seen == 0 {
		return nil, nil, nil, fmt.Errorf("partial dependence: feature %d has no values", feature)
	}
	for v := range counts {
		grid = append(grid, v)
	}
	slices.Sort(grid)
	distribution = make([]float64, len(grid))
	for b, v := range grid {
		distribution[b] = float64(counts[v]) / float64(seen)
	}
	preds, err = pdpPredictions(ctx, f, x, n, m, feature, grid, outputs)
	if err != nil {
		return nil, nil, nil, err
	}
	return grid, preds, distribution, nil
}

func checkPDP(f PredictFunc, x []float64, n, m, feature, gridResolution, outputs int) error {
	switch {
	case f == nil:
		return fmt.Errorf("partial dependence: no model")
	case n < 1 || m < 1:
		return fmt.Errorf("partial dependence: %d rows of %d features: want at least one of each", n, m)
	case len(x) != n*m:
		return fmt.Errorf("partial dependence: data has %d values, want %d rows × %d features", len(x), n, m)
	case feature < 0 || feature >= m:
		return fmt.Errorf("partial dependence: feature %d out of range [0, %d)", feature, m)
	case gridResolution < 1:
		return fmt.Errorf("partial dependence: grid_resolution %d: want >= 1", gridResolution)
	case outputs < 1:
		return fmt.Errorf("partial dependence: %d outputs: want >= 1", outputs)
	}
	return nil
}

// pdpPredictions returns outputs×len(grid) mean predictions.
func pdpPredictions(ctx context.Context, f PredictFunc, x []float64, n, m, feature int, grid []float64, outputs int) ([]float64, error) {
	g := len(grid)
	preds := make([]float64, outputs*g)
	rows := slices.Clone(x)
	out := make([]float64, n*outputs)
	for b, v := range grid {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("partial dependence: %w", err)
		}
		for i := range n {
			rows[i*m+feature] = v
		}
		f(out, rows)
		for i := range n {
			for c := range outputs {
				preds[c*g+b] += out[i*outputs+c]
			}
		}
	}
	for i := range preds {
		preds[i] /= float64(n)
	}
	return preds, nil
}
