package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSearchBins8 checks the lock-step, branch-free search against a
// plain binary search (XGBoost's SearchBin) for cut lists of every length
// up to 300 with repeated values, values on, between and outside the
// cuts, signed zeros and NaN.
func TestSearchBins8(t *testing.T) {
	t.Parallel()
	plain := func(cut []float32, v float32) int {
		lo, hi := 0, len(cut)
		for lo < hi {
			m := (lo + hi) / 2
			if cut[m] <= v {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return min(lo, len(cut)-1)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var vals []float32
	for v := float32(-2); v < 53; v += 0.25 {
		vals = append(vals, v)
	}
	vals = append(vals, float32(math.Copysign(0, -1)), 0, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)))
	for len(vals)%8 != 0 {
		vals = append(vals, float32(rng.IntN(50)))
	}
	for n := 1; n <= 300; n++ {
		cut := make([]float32, n)
		for i := range cut {
			cut[i] = float32(rng.IntN(50)) - 1
		}
		slices.Sort(cut)
		want := make([]uint8, len(vals))
		for i, v := range vals {
			want[i] = uint8(plain(cut, v))
			if searchBin(cut, v) != plain(cut, v) {
				t.Fatalf("%d cuts: searchBin(%v) = %d, want %d", n, v, searchBin(cut, v), plain(cut, v))
			}
			if v != v {
				want[i] = missingBin
			}
		}
		got := make([]uint8, len(vals))
		searchBins8(cut, vals, got, missingBin)
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("%d cuts: bins differ (-want +got):\n%s", n, d)
		}
	}
}
