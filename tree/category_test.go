package tree

import (
	"math"
	"testing"
)

func TestCategoryGoesRight(t *testing.T) {
	t.Parallel()
	// Categories 1, 3 and 40 go right.
	set := []uint32{1<<1 | 1<<3, 1 << (40 - 32)}
	tests := []struct {
		v    float64
		want bool
	}{
		{1, true}, {3, true}, {40, true}, {3.7, true}, // truncated to 3
		{0, false}, {2, false}, {39, false}, {41, false},
		{64, false},          // past the set's words
		{-1, false},          // negative
		{-0.5, false},        // negative, though it truncates to 0
		{1 << 24, false},     // at MaxCategory
		{math.Inf(1), false}, // not a category
	}
	for _, tc := range tests {
		if got := CategoryGoesRight(set, tc.v); got != tc.want {
			t.Errorf("CategoryGoesRight(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// TestCategoricalRouting: Leaf, Flat and TreeSHAP route a categorical
// split alike, missing values to the default child.
func TestCategoricalRouting(t *testing.T) {
	t.Parallel()
	// Node 0 splits feature 0 on categories {2}: right leaf 2 (value 5),
	// left leaf 1 (value -1); missing goes left.
	tr := Tree{
		Left: []int32{1, -1, -1}, Right: []int32{2, -1, -1}, Feature: []int32{0, 0, 0},
		Threshold: []float32{0, 0, 0}, DefaultLeft: []bool{true, false, false},
		Value: []float64{0, -1, 5}, Cover: []float64{4, 3, 1},
		Categories: [][]uint32{{1 << 2}, nil, nil},
	}
	if err := tr.Validate(1); err != nil {
		t.Fatal(err)
	}
	flat := NewFlat([]Tree{tr})
	st := NewShapTrees([]Tree{tr})
	for _, tc := range []struct{ x, want float64 }{{2, 5}, {1, -1}, {math.NaN(), -1}, {300, -1}} {
		x := []float64{tc.x}
		if got := tr.Predict(x); got != tc.want {
			t.Errorf("Predict(%v) = %v, want %v", tc.x, got, tc.want)
		}
		if got := flat.Value(0, x); got != tc.want {
			t.Errorf("Flat.Value(%v) = %v, want %v", tc.x, got, tc.want)
		}
		phi := make([]float64, 2)
		NewShapScratch(1).PathDependentTrees(st, x, phi, 1)
		if s := phi[0] + phi[1]; math.Abs(s-tc.want) > 1e-12 {
			t.Errorf("TreeSHAP(%v) sums to %v, want %v", tc.x, s, tc.want)
		}
	}
}
