package shap_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ferryml/ferry/shap"
)

// blobs returns rows around the given centres (sd 0.1), 50 per centre.
func blobs(centres [][]float64, seed uint64) (x []float64, n int) {
	r := rand.New(rand.NewPCG(seed, 0))
	for _, c := range centres {
		for range 50 {
			for _, v := range c {
				x = append(x, v+0.1*r.NormFloat64())
			}
			n++
		}
	}
	return x, n
}

func TestKMeansFindsBlobs(t *testing.T) {
	t.Parallel()
	want := [][]float64{{0, 0}, {5, 5}, {-5, 5}}
	x, n := blobs(want, 1)
	x[3] = math.NaN() // a missing value is imputed, not fatal
	centres, weights, err := shap.KMeans(t.Context(), x, n, 2, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(centres) != 6 || len(weights) != 3 {
		t.Fatalf("got %d centre values and %d weights, want 6 and 3", len(centres), len(weights))
	}
	slices.Sort(weights)
	if !slices.Equal(weights, []float64{50, 50, 50}) {
		t.Errorf("cluster sizes %v, want 50 each", weights)
	}
	for _, w := range want {
		found := false
		for c := range 3 {
			if math.Hypot(centres[2*c]-w[0], centres[2*c+1]-w[1]) < 0.1 {
				found = true
			}
		}
		if !found {
			t.Errorf("no centre near %v in %v", w, centres)
		}
	}
	// Centres are snapped to data values.
	for c, v := range centres {
		if !slices.Contains(x, v) {
			t.Errorf("centre value %d (%v) is not a data value", c, v)
		}
	}
}

func TestKPrototypesMixed(t *testing.T) {
	t.Parallel()
	// Feature 1 is a category (0 or 1) that follows the numeric cluster.
	var x []float64
	r := rand.New(rand.NewPCG(2, 0))
	for i := range 100 {
		c := float64(i % 2)
		x = append(x, c*10+r.NormFloat64()*0.2, c)
	}
	centres, weights, err := shap.KPrototypes(t.Context(), x, 100, 2, []bool{false, true}, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(weights) != 2 || weights[0] != 50 || weights[1] != 50 {
		t.Fatalf("cluster sizes %v, want [50 50]", weights)
	}
	for c := range 2 {
		if cat := centres[2*c+1]; (centres[2*c] > 5) != (cat == 1) {
			t.Errorf("centre %d = %v: category does not follow its cluster", c, centres[2*c:2*c+2])
		}
	}
}

func TestClusterErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		x       []float64
		n, m, k int
		cat     []bool
		wantErr string
	}{
		{name: "NoRows", n: 0, m: 2, k: 1, wantErr: "want at least one"},
		{name: "Short", x: []float64{1}, n: 1, m: 2, k: 1, wantErr: "data has 1 values"},
		{name: "K", x: []float64{1, 2}, n: 1, m: 2, k: 0, wantErr: "num_clusters 0"},
		{name: "Flags", x: []float64{1, 2}, n: 1, m: 2, k: 1, cat: []bool{true}, wantErr: "1 categorical flags"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.cat != nil {
				_, _, err = shap.KPrototypes(t.Context(), tc.x, tc.n, tc.m, tc.cat, tc.k, 0)
			} else {
				_, _, err = shap.KMeans(t.Context(), tc.x, tc.n, tc.m, tc.k, 0)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestPartialDependence(t *testing.T) {
	t.Parallel()
	// f = 2·x0 + x1, outputs (f, −f): the PDP of x0 at g is 2g + mean(x1).
	f := func(dst, x []float64) {
		for i := range len(x) / 2 {
			v := 2*x[2*i] + x[2*i+1]
			dst[2*i], dst[2*i+1] = v, -v
		}
	}
	x := []float64{0, 1, 1, 2, 2, 3, 10, 4, math.NaN(), 5}
	grid, preds, dist, err := shap.PartialDependence(t.Context(), f, x, 5, 2, 0, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	wantGrid := []float64{1, 3, 5, 7, 9}
	wantDist := []float64{0.5, 0.25, 0, 0, 0.25} // 0,1 | 2 | - | - | 10
	if !slices.Equal(grid, wantGrid) || !slices.Equal(dist, wantDist) {
		t.Errorf("grid %v, distribution %v; want %v, %v", grid, dist, wantGrid, wantDist)
	}
	for b, g := range wantGrid {
		want := 2*g + 3
		if math.Abs(preds[b]-want) > 1e-12 || math.Abs(preds[5+b]+want) > 1e-12 {
			t.Errorf("grid %v: predictions %v, %v; want %v, %v", g, preds[b], preds[5+b], want, -want)
		}
	}
	cg, _, cdist, err := shap.PartialDependenceCategorical(t.Context(), f, x, 5, 2, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cg, []float64{1, 2, 3, 4, 5}) || !slices.Equal(cdist, []float64{0.2, 0.2, 0.2, 0.2, 0.2}) {
		t.Errorf("categorical grid %v, distribution %v", cg, cdist)
	}
	if _, _, _, err := shap.PartialDependence(t.Context(), f, x, 5, 2, 2, 5, 2); err == nil || !strings.Contains(err.Error(), "feature 2 out of range") {
		t.Errorf("got error %v for an out-of-range feature", err)
	}
	if _, _, _, err := shap.PartialDependence(t.Context(), f, x, 5, 2, 0, 0, 2); err == nil || !strings.Contains(err.Error(), "grid_resolution 0") {
		t.Errorf("got error %v for grid resolution 0", err)
	}
}
