package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDropSampledMatchesFloat64 checks that dropSampled keeps exactly the
// rows a Float64 draw per row below the fraction keeps, and zeroes the
// others to +0.
func TestDropSampledMatchesFloat64(t *testing.T) {
	t.Parallel()
	const n = 20000
	for _, frac := range []float64{0, 1e-12, 0.25, 0.5, 0.5 + 1e-16, 0.6, 0.7, math.Nextafter(1, 0), 1} {
		gh := make([]gradPair, n)
		for r := range gh {
			gh[r] = gradPair{float32(r) - n/2, float32(r%7) + 0.5}
		}
		gh[3].g = float32(math.Copysign(0, -1))
		want := append([]gradPair(nil), gh...)
		ref := rand.New(rand.NewPCG(7, 11))
		for r := range want {
			if !(ref.Float64() < frac) {
				want[r] = gradPair{}
			}
		}
		src := rand.NewPCG(7, 11)
		dropSampled(src, gh, frac)
		for r := range gh {
			if math.Float32bits(gh[r].g) != math.Float32bits(want[r].g) || math.Float32bits(gh[r].h) != math.Float32bits(want[r].h) {
				t.Fatalf("frac %v: row %d is %v, want %v", frac, r, gh[r], want[r])
			}
		}
		// The source is left where n Float64 draws leave it.
		if got, next := src.Uint64(), ref.Uint64(); got != next {
			t.Fatalf("frac %v: the next draw is %x, want %x", frac, got, next)
		}
	}
}
