package bias

import (
	"math"
)

// features is the row-major numeric matrix of the flip test's feature
// columns.
type features struct {
	x    []float64
	cols int
	err  error
}

// newFeatures builds the flip test's X from the given columns: every
// column must be numeric (int, float, bool) and free of missing values.
func newFeatures(cols []*Column, n int) features {
	for _, c := range cols {
		if c.Type == String {
			return features{err: errFTText}
		}
	}
	f := features{x: make([]float64, n*len(cols)), cols: len(cols)}
	for j, c := range cols {
		for i, v := range c.Num {
			if math.IsNaN(v) {
				return features{err: errFTNaN}
			}
			f.x[i*f.cols+j] = v
		}
	}
	return f
}

// flipTest fits a k-nearest-neighbour classifier (Euclidean, uniform
// weights, k = 5 when group a has more than 9 rows, else 1) on group a's
// rows with targets yhat, predicts every d row, and returns
// (F+ - F-)/n_d: F+ counts d rows predicted positive whose neighbours say
// negative, F- the reverse.
func flipTest(f features, d, yhat []bool) (float64, error) {
	if f.err != nil {
		return 0, f.err
	}
	var aRows, dRows []int
	for i, di := range d {
		if di {
			dRows = append(dRows, i)
		} else {
			aRows = append(aRows, i)
		}
	}
	if len(dRows) == 0 {
		return 0, errFacetEmpty
	}
	if len(aRows) == 0 {
		return 0, errNegatedEmpty
	}
	k := 1
	if len(aRows) > 9 {
		k = 5
	}
	m := f.cols
	// Pack group a contiguously for cache-friendly scans.
	ax := make([]float64, len(aRows)*m)
	ay := make([]bool, len(aRows))
	for r, i := range aRows {
		copy(ax[r*m:(r+1)*m], f.x[i*m:(i+1)*m])
		ay[r] = yhat[i]
	}
	h := knn{d: make([]float64, k), idx: make([]int, k)}
	var tree *kdTree
	if m > 0 && m <= kdMaxDims && len(aRows) >= kdMinRows {
		tree = newKDTree(ax, m)
	}
	var fPlus, fMinus int
	for _, i := range dRows {
		row := f.x[i*m : (i+1)*m]
		if tree != nil {
			tree.query(row, &h)
		} else {
			bruteKNN(ax, m, row, &h)
		}
		votes := 0
		for _, r := range h.idx {
			if r != math.MaxInt && ay[r] {
				votes++
			}
		}
		knnPositive := 2*votes > k
		switch {
		case yhat[i] && !knnPositive:
			fPlus++
		case !yhat[i] && knnPositive:
			fMinus++
		}
	}
	return float64(fPlus-fMinus) / float64(len(dRows)), nil
}

// The k-d tree serves the flip test's neighbour search on large groups
// with few features; elsewhere a brute-force scan is as fast.
const (
	kdMinRows = 1024
	kdMaxDims = 16
)

// bruteKNN fills h with the nearest rows of ax (row-major, m columns) to
// q by scanning them all, stopping each distance once it cannot win.
func bruteKNN(ax []float64, m int, q []float64, h *knn) {
	h.reset()
	k := len(h.d) - 1
	n := len(ax) / max(m, 1)
	if m == 0 {
		n = len(h.d)
	}
	for r := range n {
		ar := ax[r*m : (r+1)*m]
		var s float64
		worst := h.d[k]
		for j, v := range q {
			t := v - ar[j]
			s += t * t
			if s > worst {
				break
			}
		}
		h.add(s, r)
	}
}
