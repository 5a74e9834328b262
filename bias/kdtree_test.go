package bias

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The k-d tree finds exactly the brute-force neighbours, distance ties
// (broken by row index) included.
func TestKDTreeMatchesBruteForce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		n, m, k int
		levels  int // values per feature: small means many exact ties
	}{
		{"ties, 2 dims", 3000, 2, 5, 4},
		{"ties, 3 dims, k 1", 2000, 3, 1, 3},
		{"continuous, 5 dims", 4000, 5, 5, 0},
		{"one dim", 1500, 1, 5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.m)))
			val := func() float64 {
				if tc.levels > 0 {
					return float64(rng.IntN(tc.levels))
				}
				return rng.NormFloat64()
			}
			x := make([]float64, tc.n*tc.m)
			for i := range x {
				x[i] = val()
			}
			tree := newKDTree(x, tc.m)
			a := knn{d: make([]float64, tc.k), idx: make([]int, tc.k)}
			b := knn{d: make([]float64, tc.k), idx: make([]int, tc.k)}
			q := make([]float64, tc.m)
			for range 300 {
				for j := range q {
					q[j] = val()
				}
				tree.query(q, &a)
				bruteKNN(x, tc.m, q, &b)
				if !slices.Equal(a.idx, b.idx) || !slices.Equal(a.d, b.d) {
					t.Fatalf("query %v: tree %v %v, brute force %v %v", q, a.idx, a.d, b.idx, b.d)
				}
			}
		})
	}
}
