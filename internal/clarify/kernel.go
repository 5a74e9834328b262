package clarify

import (
	"context"
	"fmt"
	"sync"

	"github.com/ferryml/ferry/shap"
)

// kernelSHAP explains every row with Kernel SHAP against the baseline and
// returns the local values (n × k × m) and the expected values.
func kernelSHAP(ctx context.Context, p Predictor, x []float64, n, m, k int, base, weights []float64, sc *SHAPConfig) ([]float64, []float64, error) {
	f, errp := predictFunc(ctx, p, m)
	opts := shap.KernelOptions{
		NumSamples:      sc.NumSamples,
		AggMethod:       sc.AggMethod,
		UseLogit:        sc.UseLogit,
		Seed:            uint64(sc.Seed),
		Outputs:         k,
		BaselineWeights: weights,
	}
	e, err := shap.Kernel(ctx, f, x, n, m, base, len(base)/m, opts)
	if perr := errp(); perr != nil {
		return nil, nil, fmt.Errorf("kernel SHAP: calling the model: %w", perr)
	}
	if err != nil {
		return nil, nil, err
	}
	local := make([]float64, n*k*m)
	for c := range k {
		for i := range n {
			copy(local[(i*k+c)*m:(i*k+c+1)*m], e.Local[(c*n+i)*m:(c*n+i+1)*m])
		}
	}
	return local, e.Expected, nil
}

// DefaultClusters is the number of k-means clusters of the automatic
// baseline when methods.shap.num_clusters is not set.
const DefaultClusters = 10

// autoBaseline clusters the data (k-means, num_clusters or
// DefaultClusters) and returns the centres and cluster sizes.
func autoBaseline(ctx context.Context, x []float64, n, m int, sc *SHAPConfig) ([]float64, []float64, error) {
	k := sc.NumClusters
	if k == 0 {
		k = DefaultClusters
	}
	centres, weights, err := shap.KMeans(ctx, x, n, m, min(k, n), uint64(sc.Seed))
	if err != nil {
		return nil, nil, fmt.Errorf("computing the SHAP baseline: %w", err)
	}
	return centres, weights, nil
}

// predictFunc adapts p to shap.PredictFunc; errp returns the first error
// a call met (the func then wrote nothing useful).
func predictFunc(ctx context.Context, p Predictor, m int) (f shap.PredictFunc, errp func() error) {
	var (
		mu       sync.Mutex
		firstErr error
	)
	f = func(dst, rows []float64) {
		if err := p.Predict(ctx, dst, rows, len(rows)/m); err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}
	}
	return f, func() error {
		mu.Lock()
		defer mu.Unlock()
		return firstErr
	}
}
