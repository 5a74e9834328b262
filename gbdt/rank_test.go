package gbdt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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
// fraud set (1,500 rows, 54 positive): from margins, aucLogistic's
// counted keys beside ranking probs' scores (radix and comparison sort).
func BenchmarkAUC(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 1500
	margin, y := make([]float64, n), make([]float64, n)
	for i := range n {
		margin[i] = rng.NormFloat64() * 2
		if i%28 == 0 {
			y[i] = 1
		}
	}
	buf := &metricBuf{}
	b.Run("counted", func(b *testing.B) {
		for b.Loop() {
			aucLogistic(margin, y, buf)
		}
	})
	pbuf := &metricBuf{p: make([]float64, n)}
	b.Run("radix", func(b *testing.B) {
		for b.Loop() {
			AUC(probs(BinaryLogistic, margin, pbuf), y, nil)
		}
	})
	b.Run("comparison", func(b *testing.B) {
		for b.Loop() {
			aucReference(probs(BinaryLogistic, margin, pbuf), y, nil)
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

// TestAUCLogisticIdentical checks aucLogistic against AUC over probs'
// ranked scores, to the bit, and that it declines what it cannot count.
func TestAUCLogisticIdentical(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	margins := map[string]func() float64{
		"normal":    func() float64 { return rng.NormFloat64() * 3 },
		"ties":      func() float64 { return math.Round(rng.NormFloat64()*20) / 10 },
		"saturated": func() float64 { return rng.NormFloat64() * 200 },
		"all equal": func() float64 { return 0.5 },
	}
	labels := map[string]func() float64{
		"balanced":     func() float64 { return float64(rng.IntN(2)) },
		"few positive": func() float64 { return float64(rng.IntN(30) / 29) },
		"one class":    func() float64 { return 0 },
	}
	for mname, mgen := range margins {
		for lname, lgen := range labels {
			for _, n := range []int{0, 1, 7, 8, 9, 255, 1500} {
				margin, y := make([]float64, n), make([]float64, n)
				for i := range n {
					margin[i], y[i] = mgen(), lgen()
				}
				name := mname + "/" + lname + "/" + strconv.Itoa(n)
				want := aucProbsReference(margin, y)
				got, ok := aucLogistic(margin, y, &metricBuf{})
				if !ok {
					t.Errorf("%s: declined", name)
					continue
				}
				if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
					t.Errorf("%s: AUC %v, reference %v", name, got, want)
				}
			}
		}
	}
	for name, c := range map[string]struct{ margin, y []float64 }{
		"NaN margin":       {[]float64{0, math.NaN(), 1}, []float64{0, 1, 1}},
		"fractional label": {[]float64{0, 2, 1}, []float64{0, 0.5, 1}},
		"label 2":          {[]float64{0, 2, 1}, []float64{0, 2, 1}},
	} {
		if _, ok := aucLogistic(c.margin, c.y, &metricBuf{}); ok {
			t.Errorf("%s: counted, want declined", name)
		}
	}
}

// aucProbsReference is AUC over probs' scores, comparison-sorted.
func aucProbsReference(margin, y []float64) float64 {
	buf := &metricBuf{p: make([]float64, len(margin))}
	return aucReference(probs(BinaryLogistic, margin, buf), y, nil)
}

// FuzzAUCLogistic checks aucLogistic against the ranked AUC on margins and
// labels read from bytes: two bytes a row, a margin from a small grid
// (ties) or any float32, and a label (mostly 0 or 1).
func FuzzAUCLogistic(f *testing.F) {
	f.Add([]byte{1, 0, 2, 1, 3, 0, 3, 1})
	f.Add([]byte{255, 255, 0, 0, 128, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		n := len(b) / 2
		margin, y := make([]float64, n), make([]float64, n)
		for i := range n {
			m, l := b[2*i], b[2*i+1]
			if m&1 == 0 {
				margin[i] = float64(int(m)-128) / 16
			} else {
				margin[i] = float64(math.Float32frombits(uint32(m) * 0x01010101))
			}
			y[i] = float64(l & 1)
			if l == 255 {
				y[i] = 0.5
			}
		}
		got, ok := aucLogistic(margin, y, &metricBuf{})
		if !ok {
			return
		}
		want := aucProbsReference(margin, y)
		if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("margins %v labels %v: AUC %v, reference %v", margin, y, got, want)
		}
	})
}

// TestPairWins checks the pair counts of the radix-sorted keys and of the
// AVX-512 kernel (where it runs) against comparing every pair, with
// either class the smaller one, ties and signed zeros.
func TestPairWins(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 10))
	gens := map[string]func() float32{
		"probabilities": func() float32 { return sigmoid32(float32(rng.NormFloat64() * 3)) },
		"ties":          func() float32 { return float32(rng.IntN(5)) / 4 },
		"zeros":         func() float32 { return float32(rng.IntN(2)) * 0.5 },
	}
	for name, gen := range gens {
		for _, size := range [][2]int{{0, 5}, {5, 0}, {1, 1}, {3, 40}, {40, 3}, {17, 17}, {54, 1446}, {1446, 54}, {128, 300}, {200, 300}} {
			draw := func(n int) []float32 {
				v := make([]float32, n, n+pairLanes)
				for i := range v {
					v[i] = gen()
				}
				return v
			}
			pos, neg := draw(size[0]), draw(size[1])
			want := pairWinsGo(pos, neg)
			label := fmt.Sprintf("%s/%dx%d", name, size[0], size[1])
			if got := pairWinsSorted(slices.Clone(pos), slices.Clone(neg), &metricBuf{}); got != want {
				t.Errorf("%s: sorted %d, want %d", label, got, want)
			}
			if got, ok := pairWinsFast(slices.Grow(slices.Clone(pos), pairLanes), slices.Grow(slices.Clone(neg), pairLanes)); ok && got != want {
				t.Errorf("%s: kernel %d, want %d", label, got, want)
			}
		}
	}
}

// FuzzPairWins checks both pair counts against comparing every pair on
// classes read from bytes: a byte a value (a small grid, with ties, or a
// float32 spread from it: non-negative and not NaN, as probabilities
// are), the first byte the split between the classes.
func FuzzPairWins(f *testing.F) {
	f.Add([]byte{2, 1, 3, 3, 0, 255})
	f.Add([]byte{40, 7, 7, 7, 9, 1, 200, 13, 13, 2, 0, 0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		vals := make([]float32, 0, len(b)-1)
		for _, c := range b[1:] {
			v := float32(c&15) / 8
			if c&16 != 0 {
				v = math.Float32frombits(uint32(c) * 0x00810101 & 0x7f7fffff)
			}
			vals = append(vals, v)
		}
		k := int(b[0]) % (len(vals) + 1)
		pos, neg := slices.Clone(vals[:k]), slices.Clone(vals[k:])
		want := pairWinsGo(pos, neg)
		if got := pairWinsSorted(slices.Clone(pos), slices.Clone(neg), &metricBuf{}); got != want {
			t.Fatalf("pos %v neg %v: sorted %d, want %d", pos, neg, got, want)
		}
		if got, ok := pairWinsFast(slices.Grow(slices.Clone(pos), pairLanes), slices.Grow(slices.Clone(neg), pairLanes)); ok && got != want {
			t.Fatalf("pos %v neg %v: kernel %d, want %d", pos, neg, got, want)
		}
	})
}
