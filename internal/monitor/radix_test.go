package monitor

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestSortFloatsMatchesSlicesSort checks the radix sort against
// slices.Sort on batches above and below radixMin: signs, zeros,
// infinities, subnormals, repeats, and values sharing their high bytes.
func TestSortFloatsMatchesSlicesSort(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	gens := map[string]func() float64{
		"normal":     func() float64 { return r.NormFloat64() * 1e3 },
		"integers":   func() float64 { return float64(r.IntN(50) - 25) },
		"tiny range": func() float64 { return 1 + r.Float64()*1e-12 },
		"extremes": func() float64 {
			return []float64{math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), math.SmallestNonzeroFloat64,
				-math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, 1, -1}[r.IntN(10)]
		},
	}
	var keys, tmp []uint64
	for name, gen := range gens {
		for _, n := range []int{0, 1, 2, radixMin - 1, radixMin, 1000, 5000} {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = gen()
			}
			want := slices.Clone(xs)
			slices.Sort(want)
			keys, tmp = sortFloats(xs, keys, tmp)
			for i := range xs {
				// -0 and +0 compare equal; their order between them is free.
				if xs[i] != want[i] {
					t.Fatalf("%s, %d values: [%d] = %v, want %v", name, n, i, xs[i], want[i])
				}
			}
		}
	}
}

func TestFloatKeyOrder(t *testing.T) {
	t.Parallel()
	xs := []float64{math.Inf(-1), -math.MaxFloat64, -1, -math.SmallestNonzeroFloat64, math.Copysign(0, -1), 0,
		math.SmallestNonzeroFloat64, 1, math.MaxFloat64, math.Inf(1)}
	for i := range xs {
		if got := keyFloat(floatKey(xs[i])); math.Float64bits(got) != math.Float64bits(xs[i]) {
			t.Errorf("keyFloat(floatKey(%v)) = %v", xs[i], got)
		}
		if i > 0 && floatKey(xs[i-1]) >= floatKey(xs[i]) {
			t.Errorf("floatKey(%v) >= floatKey(%v)", xs[i-1], xs[i])
		}
	}
}

// TestPlainString checks the word-at-a-time test against a byte loop on
// every single byte value at every position of short and long strings.
func TestPlainString(t *testing.T) {
	t.Parallel()
	naive := func(b []byte) bool {
		for _, c := range b {
			if c < 0x20 || c == '\\' {
				return false
			}
		}
		return true
	}
	for _, n := range []int{1, 7, 8, 9, 17, 40} {
		for pos := range n {
			for c := range 256 {
				b := []byte(strings.Repeat("aé\xff ]", n)[:n])
				b[pos] = byte(c)
				if got, want := plainString(b), naive(b); got != want {
					t.Fatalf("plainString(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}
