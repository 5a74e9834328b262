package shap

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// maxIter bounds the Lloyd / k-prototypes iterations.
const maxIter = 300

// KMeans clusters the n rows of x (n×m) into k clusters for a Kernel SHAP
// baseline, as shap.kmeans does: k-means++ initialisation, Lloyd
// iterations, then each centre coordinate snapped to the nearest value of
// that feature in the data (so centres hold values the model has seen).
// It returns the centres (k×m) and the cluster sizes as weights, to pass
// as KernelOptions.BaselineWeights. NaN values are replaced by their
// column's mean for clustering. k is lowered to n when n < k.
func KMeans(ctx context.Context, x []float64, n, m, k int, seed uint64) (centres, weights []float64, err error) {
	return cluster(ctx, x, n, m, k, nil, seed)
}

// KPrototypes clusters rows of mixed numeric and categorical features for
// a Kernel SHAP baseline (Huang's k-prototypes): the distance is the
// squared Euclidean distance over numeric features plus γ times the number
// of mismatched categorical features, γ = half the mean standard deviation
// of the numeric features (the kmodes library's default); centres hold
// means of numeric features (snapped to data values, as [KMeans]) and
// modes of categorical ones. categorical[j] marks feature j; categorical
// values are codes compared for equality. It returns the centres (k×m)
// and the cluster sizes.
func KPrototypes(ctx context.Context, x []float64, n, m int, categorical []bool, k int, seed uint64) (centres, weights []float64, err error) {
	if len(categorical) != m {
		return nil, nil, fmt.Errorf("k-prototypes baseline: %d categorical flags for %d features", len(categorical), m)
	}
	return cluster(ctx, x, n, m, k, categorical, seed)
}

func cluster(ctx context.Context, x []float64, n, m, k int, categorical []bool, seed uint64) ([]float64, []float64, error) {
	switch {
	case n < 1 || m < 1:
		return nil, nil, fmt.Errorf("clustering baseline: %d rows of %d features: want at least one of each", n, m)
	case len(x) != n*m:
		return nil, nil, fmt.Errorf("clustering baseline: data has %d values, want %d rows × %d features", len(x), n, m)
	case k < 1:
		return nil, nil, fmt.Errorf("clustering baseline: num_clusters %d: want >= 1", k)
	}
	k = min(k, n)
	isCat := func(j int) bool { return categorical != nil && categorical[j] }

	// Impute NaN with column means (numeric) or a NaN code (categorical).
	data := slices.Clone(x)
	mean := make([]float64, m)
	sd := make([]float64, m)
	for j := range m {
		s, c := 0.0, 0
		for i := range n {
			if v := data[i*m+j]; !math.IsNaN(v) {
				s += v
				c++
			}
		}
		if c > 0 {
			mean[j] = s / float64(c)
		}
		ss := 0.0
		for i := range n {
			v := data[i*m+j]
			if math.IsNaN(v) && !isCat(j) {
				data[i*m+j] = mean[j]
				v = mean[j]
			}
			ss += (v - mean[j]) * (v - mean[j])
		}
		sd[j] = math.Sqrt(ss / float64(n))
	}
	gamma := 0.0
	if categorical != nil {
		s, c := 0.0, 0
		for j := range m {
			if !isCat(j) {
				s += sd[j]
				c++
			}
		}
		if c > 0 {
			gamma = 0.5 * s / float64(c)
		}
		if gamma == 0 {
			gamma = 1
		}
	}
	dist := func(row, centre []float64) float64 {
		d := 0.0
		for j := range m {
			if isCat(j) {
				if row[j] != centre[j] && !(math.IsNaN(row[j]) && math.IsNaN(centre[j])) {
					d += gamma
				}
				continue
			}
			t := row[j] - centre[j]
			d += t * t
		}
		return d
	}

	// k-means++ initialisation.
	rng := rand.New(rand.NewPCG(seed, 0x6b6d65616e73))
	centres := make([]float64, k*m)
	first := rng.IntN(n)
	copy(centres, data[first*m:(first+1)*m])
	closest := make([]float64, n)
	for i := range n {
		closest[i] = dist(data[i*m:(i+1)*m], centres[:m])
	}
	for c := 1; c < k; c++ {
		total := 0.0
		for _, d := range closest {
			total += d
		}
		pick := rng.IntN(n)
		if total > 0 {
			u := rng.Float64() * total
			for i, d := range closest {
				if u < d {
					pick = i
					break
				}
				u -= d
			}
		}
		copy(centres[c*m:(c+1)*m], data[pick*m:(pick+1)*m])
		for i := range n {
			closest[i] = min(closest[i], dist(data[i*m:(i+1)*m], centres[c*m:(c+1)*m]))
		}
	}

	assign := make([]int, n)
	for i := range assign {
		assign[i] = -1
	}
	counts := make([]float64, k)
	for iter := 0; iter < maxIter; iter++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("clustering baseline: %w", err)
		}
		changed := false
		for i := range n {
			row := data[i*m : (i+1)*m]
			best, bestD := 0, math.Inf(1)
			for c := range k {
				if d := dist(row, centres[c*m:(c+1)*m]); d < bestD {
					best, bestD = c, d
				}
			}
			if assign[i] != best {
				assign[i] = best
				changed = true
			}
		}
		if !changed {
			break
		}
		updateCentres(data, n, m, k, assign, centres, counts, isCat)
	}
	updateCentres(data, n, m, k, assign, centres, counts, isCat)
	// Snap numeric centre coordinates to the nearest data value.
	for c := range k {
		for j := range m {
			if isCat(j) {
				continue
			}
			best, bestD := centres[c*m+j], math.Inf(1)
			for i := range n {
				v := x[i*m+j]
				if d := math.Abs(v - centres[c*m+j]); d < bestD {
					best, bestD = v, d
				}
			}
			centres[c*m+j] = best
		}
	}
	// Drop empty clusters.
	outC, outW := centres[:0], counts[:0]
	for c := range k {
		if counts[c] > 0 {
			outC = append(outC, centres[c*m:(c+1)*m]...)
			outW = append(outW, counts[c])
		}
	}
	return outC, outW, nil
}

// updateCentres sets each non-empty cluster's centre to the mean (numeric)
// or mode (categorical) of its rows and counts the rows.
func updateCentres(data []float64, n, m, k int, assign []int, centres, counts []float64, isCat func(int) bool) {
	clear(counts)
	sums := make([]float64, k*m)
	for i := range n {
		c := assign[i]
		counts[c]++
		for j := range m {
			sums[c*m+j] += data[i*m+j]
		}
	}
	for c := range k {
		if counts[c] == 0 {
			continue
		}
		for j := range m {
			if !isCat(j) {
				centres[c*m+j] = sums[c*m+j] / counts[c]
			}
		}
	}
	for j := range m {
		if !isCat(j) {
			continue
		}
		for c := range k {
			freq := map[float64]int{}
			best, bestN := centres[c*m+j], 0
			for i := range n {
				if assign[i] != c {
					continue
				}
				v := data[i*m+j]
				freq[v]++
				if f := freq[v]; f > bestN || (f == bestN && v < best) {
					best, bestN = v, f
				}
			}
			if bestN > 0 {
				centres[c*m+j] = best
			}
		}
	}
}
