package gbdt

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRankDescending checks that the radix ranking orders rows exactly as
// the comparison sort does (ties in row order), so AUC is unchanged to
// the bit.
func TestRankDescending(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func() float64{
		"float32 probabilities": func() float64 { return float64(sigmoid32(float32(rng.NormFloat64() * 3))) },
		"margins":               func() float64 { return rng.NormFloat64() * 5 },
		"few values":            func() float64 { return float64(rng.IntN(7)) - 3 },
		"signed zeros": func() float64 {
			switch rng.IntN(3) {
			case 0:
				return math.Copysign(0, -1)
			case 1:
				return 0
			}
			return rng.NormFloat64()
		},
		"infinities": func() float64 {
			if rng.IntN(10) == 0 {
				return math.Inf(1 - 2*rng.IntN(2))
			}
			return rng.NormFloat64() * 1e300
		},
		"all equal": func() float64 { return 0.25 },
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 7, radixMinRows - 1, radixMinRows, 1500, 10000} {
			// Drawn here: the parallel subtests must not share rng.
			score := make([]float64, n)
			for i := range score {
				score[i] = gen()
			}
			t.Run(name+"/"+strconv.Itoa(n), func(t *testing.T) {
				t.Parallel()
				want := make([]int32, n)
				for i := range want {
					want[i] = int32(i)
				}
				sortDescending(want, score)
				got := make([]int32, n)
				rankDescending(got, score)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("order (-comparison sort +radix):\n%s", diff)
				}
			})
		}
	}
}

// TestAUCRadixIdentical checks AUC against the comparison-sorted walk on
// weighted and unweighted scores with many ties.
func TestAUCRadixIdentical(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, weighted := range []bool{false, true} {
		n := 3000
		score, y, w := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			score[i] = float64(sigmoid32(float32(math.Round(rng.NormFloat64()*20) / 10)))
			y[i] = float64(rng.IntN(2))
			w[i] = rng.Float64() * 3
		}
		if !weighted {
			w = nil
		}
		got := AUC(score, y, w)
		want := aucReference(score, y, w)
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("weighted %v: AUC %v, reference %v", weighted, got, want)
		}
	}
}

// aucReference is AUC over the comparison sort.
func aucReference(score, y, w []float64) float64 {
	idx := make([]int32, len(score))
	for i := range idx {
		idx[i] = int32(i)
	}
	sortDescending(idx, score)
	return aucRanked(idx, score, y, w)
}

// BenchmarkAUC is the per-round validation AUC of a tuning trial on the
// fraud set (1,500 rows): radix ranking beside the comparison sort.
func BenchmarkAUC(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 1500
	score, y := make([]float64, n), make([]float64, n)
	for i := range n {
		score[i] = float64(sigmoid32(float32(rng.NormFloat64())))
		y[i] = float64(rng.IntN(2))
	}
	b.Run("radix", func(b *testing.B) {
		for b.Loop() {
			AUC(score, y, nil)
		}
	})
	b.Run("comparison", func(b *testing.B) {
		for b.Loop() {
			aucReference(score, y, nil)
		}
	})
}

// TestProbsMatchSigmoid32 checks that probs' logistic scores, computed
// with the gradient kernel where it runs, are sigmoid32's bit for bit.
func TestProbsMatchSigmoid32(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 8, 9, 17, 1500} {
		margin := make([]float64, n)
		for r := range margin {
			switch r % 5 {
			case 0:
				margin[r] = rng.NormFloat64() * 3
			case 1:
				margin[r] = rng.NormFloat64() * 100
			case 2:
				margin[r] = []float64{0, math.Copysign(0, -1), 88.7, -88.7, 1e300, math.Inf(1), math.Inf(-1), math.NaN()}[rng.IntN(8)]
			default:
				margin[r] = float64(float32(rng.Float64()*40 - 20))
			}
		}
		buf := &metricBuf{p: make([]float64, n)}
		got := probs(BinaryLogistic, margin, buf)
		for r, m := range margin {
			want := float64(sigmoid32(float32(m)))
			if math.Float64bits(got[r]) != math.Float64bits(want) && !(math.IsNaN(got[r]) && math.IsNaN(want)) {
				t.Fatalf("n %d: row %d (margin %v): %v, want %v", n, r, m, got[r], want)
			}
		}
	}
}
