package gbdt

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// searchWant is searchBin's bin of every value, miss for NaN.
func searchWant(cut, col []float32, miss uint8) []uint8 {
	want := make([]uint8, len(col))
	for i, v := range col {
		want[i] = miss
		if v == v {
			want[i] = uint8(searchBin(cut, v))
		}
	}
	return want
}

// searchGot is searchBytes followed by the Go search on the rest, as
// binColumn runs them.
func searchGot(cut, col []float32, miss uint8) []uint8 {
	got := make([]uint8, len(col))
	start := searchBytes(cut, col, got, miss)
	for i := start; i < len(col); i++ {
		got[i] = miss
		if v := col[i]; v == v {
			got[i] = uint8(searchBin(cut, v))
		}
	}
	return got
}

// TestSearch16MatchesSearchBin checks the AVX-512 bin search against
// searchBin: every cut count 1 to 256, cuts with repeats, ±0 and
// infinities, values equal to every cut and its neighbours, random
// values, NaN, and lengths 0 to 40.
func TestSearch16MatchesSearchBin(t *testing.T) {
	t.Parallel()
	if !haveSearch16() {
		t.Log("no AVX-512: checking the Go fallback only")
	}
	rng := rand.New(rand.NewPCG(15, 7))
	for n := 1; n <= 256; n++ {
		cut := make([]float32, n)
		for i := range cut {
			switch rng.IntN(4) {
			case 0:
				cut[i] = float32(rng.IntN(50)) - 25
			case 1:
				cut[i] = float32(rng.NormFloat64() * 1e3)
			case 2:
				cut[i] = []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32}[rng.IntN(6)]
			default:
				cut[i] = math.Float32frombits(rng.Uint32() &^ (0xff << 23)) // denormals
			}
		}
		slices.Sort(cut)
		var col []float32
		for _, c := range cut {
			col = append(col, c, math.Nextafter32(c, float32(math.Inf(1))), math.Nextafter32(c, float32(math.Inf(-1))), -c)
		}
		col = append(col, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)))
		for range 200 {
			col = append(col, float32(rng.NormFloat64()*1e3), math.Float32frombits(rng.Uint32()))
		}
		rng.Shuffle(len(col), func(i, j int) { col[i], col[j] = col[j], col[i] })
		for _, miss := range []uint8{missingBin, uint8(min(n, 255))} {
			if d := cmp.Diff(searchWant(cut, col, miss), searchGot(cut, col, miss)); d != "" {
				t.Fatalf("%d cuts %v: bins differ (-want +got):\n%s", n, cut, d)
			}
			for k := range 41 {
				if d := cmp.Diff(searchWant(cut, col[:k], miss), searchGot(cut, col[:k], miss)); d != "" {
					t.Fatalf("%d cuts, %d values: bins differ (-want +got):\n%s", n, k, d)
				}
			}
		}
	}
}

// FuzzSearch16 compares the AVX-512 bin search with searchBin on cuts
// and values made of the input's bytes.
func FuzzSearch16(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64}, []byte{0, 0, 192, 63, 0, 0, 192, 127}, uint8(255))
	f.Fuzz(func(t *testing.T, cutBytes, valBytes []byte, miss uint8) {
		var cut, col []float32
		for i := 0; i+4 <= len(cutBytes) && len(cut) < 256; i += 4 {
			if v := math.Float32frombits(binary.LittleEndian.Uint32(cutBytes[i:])); v == v {
				cut = append(cut, v)
			}
		}
		if len(cut) == 0 {
			return
		}
		slices.Sort(cut)
		for i := 0; i+4 <= len(valBytes); i += 4 {
			col = append(col, math.Float32frombits(binary.LittleEndian.Uint32(valBytes[i:])))
		}
		col = append(col, cut...)
		if d := cmp.Diff(searchWant(cut, col, miss), searchGot(cut, col, miss)); d != "" {
			t.Fatalf("cuts %v: bins differ (-want +got):\n%s", cut, d)
		}
	})
}

// BenchmarkSearchBins is the bins of 1M normal values against 255 cuts:
// the Go search (searchBins8) and the AVX-512 one.
func BenchmarkSearchBins(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	col := make([]float32, n)
	for i := range col {
		col[i] = float32(rng.NormFloat64())
	}
	c := sketchCuts(col, 256)
	out := make([]uint8, n)
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			searchBins8(c.cut, col, out, missingBin)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/value")
	})
	b.Run("avx512", func(b *testing.B) {
		if !haveSearch16() {
			b.Skip("no AVX-512")
		}
		for b.Loop() {
			searchBytes(c.cut, col, out, missingBin)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/value")
	})
}
