package gbdt

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// logisticMargins are margins that exercise every path of the
// exponential and the float32 steps around it: random bits over the
// whole float64 range (NaN, infinities and denormals among them), the
// neighbourhood of 0, every float32 near ±88.7, where min clips, and the
// margins whose exponential is denormal or underflows, float64 values
// halfway between float32 values, dense runs of consecutive float32
// values (where float32(exp) and the division round differently), and
// the special values.
func logisticMargins(rng *rand.Rand, n int) []float64 {
	m := []float64{
		0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), -math.NaN(),
		math.Float64frombits(0x7ff0000000000001), math.Float64frombits(0xfff8000000001234),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
		math.MaxFloat32, -math.MaxFloat32, 88.7, -88.7, 708.39, 745.13, 745.2, 746, 1075 * math.Ln2,
		float64(float32(88.7)), -float64(float32(88.7)), 1e300, -1e300, 3e9, -3e9,
	}
	// Consecutive float32 values around the edges.
	for _, c := range []float32{0, 88.7, -88.7, 1, -1, 16.6, -16.6, 17, -17, 103.2, 708.4, 745.1, 745.2, 746} {
		b := math.Float32bits(c)
		for d := range uint32(2000) {
			m = append(m, float64(math.Float32frombits(b+d-1000)))
		}
	}
	for len(m) < n {
		var v float64
		switch rng.IntN(9) {
		case 0:
			v = math.Float64frombits(rng.Uint64())
		case 1:
			v = float64(math.Float32frombits(rng.Uint32()))
		case 2:
			v = rng.NormFloat64()
		case 3:
			v = (rng.Float64() - 0.5) * 40
		case 4:
			v = (rng.Float64() - 0.5) * 200
		case 5:
			v = (rng.Float64() - 0.5) * 2000
		case 6:
			// Halfway between two float32 values (and just off it).
			f := float32((rng.Float64() - 0.5) * 60)
			g := math.Nextafter32(f, float32(math.Inf(1)))
			v = (float64(f) + float64(g)) / 2
			v = math.Float64frombits(math.Float64bits(v) + uint64(rng.IntN(3)) - 1)
		case 7:
			// Denormal or underflowing exponentials.
			v = 700 + rng.Float64()*50
		default:
			v = rng.NormFloat64() * 1e-30 * math.Pow(10, float64(rng.IntN(40)))
		}
		m = append(m, v)
	}
	rng.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
	return m
}

// logisticLabels are labels 0, 1 and fractions in [0,1].
func logisticLabels(rng *rand.Rand, n int) []float64 {
	y := make([]float64, n)
	for i := range y {
		switch rng.IntN(3) {
		case 0:
		case 1:
			y[i] = 1
		default:
			y[i] = rng.Float64()
		}
	}
	return y
}

// logisticWeights are weights of every kind a caller may pass.
func logisticWeights(rng *rand.Rand, n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		switch rng.IntN(6) {
		case 0:
			w[i] = 1
		case 1:
			w[i] = rng.Float64() * 10
		case 2:
			w[i] = math.Float64frombits(rng.Uint64())
		case 3:
			w[i] = float64(math.Float32frombits(rng.Uint32()))
		case 4:
			w[i] = 0
		default:
			w[i] = rng.Float64() * 1e-3
		}
	}
	return w
}

// diffPairs describes the first pair of got that differs from want in
// its bits, or returns "".
func diffPairs(got, want []gradPair, margin []float64) string {
	for i := range want {
		if math.Float32bits(got[i].g) != math.Float32bits(want[i].g) || math.Float32bits(got[i].h) != math.Float32bits(want[i].h) {
			return fmt.Sprintf("row %d (margin %v, bits %#x): got {%v %v} (%#x %#x), want {%v %v} (%#x %#x)", i, margin[i], math.Float64bits(margin[i]),
				got[i].g, got[i].h, math.Float32bits(got[i].g), math.Float32bits(got[i].h),
				want[i].g, want[i].h, math.Float32bits(want[i].g), math.Float32bits(want[i].h))
		}
	}
	return ""
}

// TestLogistic8MatchesGo checks the AVX-512 logistic gradients against
// the Go loops bit for bit on millions of margins, with and without
// weights and scale_pos_weight, and every tail length 0-17 at every
// alignment; where the assembly does not run it checks the fallback.
func TestLogistic8MatchesGo(t *testing.T) {
	t.Parallel()
	if !haveLogistic8() {
		t.Log("no AVX-512: checking the Go fallback only")
	}
	const n = 3 << 20
	rng := rand.New(rand.NewPCG(15, 3))
	margin := logisticMargins(rng, n)
	y := logisticLabels(rng, len(margin))
	w := logisticWeights(rng, len(margin))
	tests := []struct {
		name     string
		w        []float64
		scalePos float32
	}{
		{"unweighted", nil, 1},
		{"weights", w, 1},
		{"scale_pos_weight", nil, 2.5},
		{"weights and scale_pos_weight", w, 0.3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := make([]gradPair, len(margin))
			want := make([]gradPair, len(margin))
			if tt.w == nil && tt.scalePos == 1 {
				logisticUnweighted(margin, y, got)
				logisticUnweightedGo(margin, y, want)
			} else {
				logistic(margin, y, tt.w, tt.scalePos, got)
				logisticGo(margin, y, tt.w, tt.scalePos, want)
			}
			if d := diffPairs(got, want, margin); d != "" {
				t.Fatal(d)
			}
			// Every tail length at every start.
			for lo := range 8 {
				for k := range 18 {
					hi := lo + k
					g := make([]gradPair, k)
					wr := tt.w
					if wr != nil {
						wr = wr[lo:hi]
					}
					if tt.w == nil && tt.scalePos == 1 {
						logisticUnweighted(margin[lo:hi], y[lo:hi], g)
					} else {
						logistic(margin[lo:hi], y[lo:hi], wr, tt.scalePos, g)
					}
					if d := diffPairs(g, want[lo:hi], margin[lo:hi]); d != "" {
						t.Fatalf("rows [%d,%d): %s", lo, hi, d)
					}
				}
			}
		})
	}
}

// TestGradientsLogisticMatchesSigmoid checks gradients' logistic
// objectives against the formula row by row (XGBoost's, with weight).
func TestGradientsLogisticMatchesSigmoid(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(15, 4))
	const n = 1000
	margin := logisticMargins(rng, n)[:n]
	y := logisticLabels(rng, n)
	w := logisticWeights(rng, n)
	for _, tt := range []struct {
		name     string
		w        []float64
		scalePos float64
	}{{"unweighted", nil, 1}, {"weights", w, 1}, {"scale_pos_weight", nil, 3}, {"both", w, 0.5}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := make([]gradPair, n)
			gradients(BinaryLogistic, 1, margin, y, tt.w, tt.scalePos, 0, got, 0, n)
			want := make([]gradPair, n)
			for r := range want {
				label := float32(y[r])
				wt := float32(1)
				if tt.w != nil {
					wt = float32(tt.w[r])
				}
				if label == 1 && tt.scalePos != 1 {
					wt *= float32(tt.scalePos)
				}
				p := sigmoid32(float32(margin[r]))
				want[r] = gradPair{(p - label) * wt, max(p*(1-p), 1e-16) * wt}
			}
			if d := diffPairs(got, want, margin); d != "" {
				t.Fatal(d)
			}
		})
	}
}

// FuzzLogistic8 compares the AVX-512 logistic gradients with the Go loop
// on margins and weights made of the input's bytes.
func FuzzLogistic8(f *testing.F) {
	f.Add([]byte{}, float32(1), false)
	f.Add(binary.LittleEndian.AppendUint64(nil, math.Float64bits(88.7)), float32(1), false)
	seed := []byte{}
	for _, v := range []float64{0, -1, 1, 745.2, 708.4, math.Inf(1), math.Inf(-1), math.NaN(), -88.7, 17, 1e-300, 3} {
		seed = binary.LittleEndian.AppendUint64(seed, math.Float64bits(v))
	}
	f.Add(seed, float32(2), true)
	f.Add(seed, float32(1), false)
	f.Fuzz(func(t *testing.T, data []byte, scalePos float32, weighted bool) {
		n := len(data) / 8
		margin := make([]float64, n)
		y := make([]float64, n)
		var w []float64
		if weighted {
			w = make([]float64, n)
		}
		for i := range n {
			b := binary.LittleEndian.Uint64(data[8*i:])
			margin[i] = math.Float64frombits(b)
			y[i] = float64(b>>7&1) / float64(1+b>>8&1)
			if w != nil {
				w[i] = margin[(i+1)%n]
			}
		}
		got := make([]gradPair, n)
		want := make([]gradPair, n)
		if w == nil && scalePos == 1 {
			logisticUnweighted(margin, y, got)
			logisticUnweightedGo(margin, y, want)
		} else {
			logistic(margin, y, w, scalePos, got)
			logisticGo(margin, y, w, scalePos, want)
		}
		if d := diffPairs(got, want, margin); d != "" {
			t.Fatal(d)
		}
	})
}

// BenchmarkLogistic is the logistic gradients of 1M rows: the Go loop
// and the AVX-512 kernel (where it runs).
func BenchmarkLogistic(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	margin := make([]float64, n)
	for i := range margin {
		margin[i] = rng.NormFloat64() * 3
	}
	y := logisticLabels(rng, n)
	gh := make([]gradPair, n)
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			logisticUnweightedGo(margin, y, gh)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	})
	b.Run("avx512", func(b *testing.B) {
		if !haveLogistic8() {
			b.Skip("no AVX-512")
		}
		for b.Loop() {
			logisticUnweighted(margin, y, gh)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	})
}
