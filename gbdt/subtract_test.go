package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"
)

// checkSubtract compares subtractHist (subPairs where it runs) with the Go
// loop bit for bit, NaN payloads included.
func checkSubtract(t *testing.T, a, b []bucket) {
	t.Helper()
	want := make([]bucket, len(a))
	for j := range a {
		want[j] = bucket{a[j].g - b[j].g, a[j].h - b[j].h}
	}
	got := append([]bucket(nil), a...)
	subtractHist(got, b)
	for j := range want {
		if math.Float64bits(got[j].g) != math.Float64bits(want[j].g) || math.Float64bits(got[j].h) != math.Float64bits(want[j].h) {
			t.Fatalf("slot %d of %d: %v - %v = %v, want %v", j, len(a), a[j], b[j], got[j], want[j])
		}
	}
}

// TestSubtractHistMatchesGo checks subtractHist on every length 0-40 with
// random and special values.
func TestSubtractHistMatchesGo(t *testing.T) {
	t.Parallel()
	special := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 1e300, math.Inf(1), math.Inf(-1), math.NaN(),
		math.Float64frombits(0x7ff0000000000123), math.Float64frombits(0xfff8000000000456), 0.1}
	rng := rand.New(rand.NewPCG(21, 22))
	val := func() float64 {
		if rng.IntN(4) == 0 {
			return special[rng.IntN(len(special))]
		}
		return rng.NormFloat64()
	}
	for n := range 41 {
		for range 20 {
			a, b := make([]bucket, n), make([]bucket, n)
			for j := range n {
				a[j], b[j] = bucket{val(), val()}, bucket{val(), val()}
			}
			checkSubtract(t, a, b)
		}
	}
}

// FuzzSubtractHist compares subtractHist with the Go loop on fuzzed
// values.
func FuzzSubtractHist(f *testing.F) {
	f.Add(1.5, -2.0, 3.0, math.Inf(1), uint8(9))
	f.Add(0.0, math.Copysign(0, -1), math.NaN(), 1e-310, uint8(17))
	f.Fuzz(func(t *testing.T, x, y, z, w float64, n uint8) {
		a, b := make([]bucket, n%40), make([]bucket, n%40)
		for j := range a {
			a[j] = bucket{x * float64(j+1), y - float64(j)}
			b[j] = bucket{z / float64(j+1), w * float64(j%3)}
		}
		checkSubtract(t, a, b)
	})
}
