package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// gainsGo is splitGains' Go loop alone: the reference for gains8.
func gainsGo(ag, ah []float64, c *[6]float64) []float32 {
	G, H, mcw, alpha, lambda, parent := c[0], c[1], c[2], c[3], c[4], float32(c[5])
	out := make([]float32, len(ag))
	for i := range ag {
		out[i] = float32(math.Inf(-1))
		if ah[i] >= mcw && H-ah[i] >= mcw {
			out[i] = gainL2(ag[i], ah[i], mcw, alpha, lambda) + gainL2(G-ag[i], H-ah[i], mcw, alpha, lambda) - parent
		}
	}
	return out
}

// checkGains compares splitGains with gainsGo bit for bit (NaN with NaN).
func checkGains(t *testing.T, ag, ah []float64, c *[6]float64) {
	t.Helper()
	got := make([]float32, len(ag))
	top := splitGains(ag, ah, got, c)
	want := gainsGo(ag, ah, c)
	wantTop := float32(math.Inf(-1))
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
			t.Fatalf("consts %v, sums (%v, %v) at %d of %d: gain %v, want %v", *c, ag[i], ah[i], i, len(ag), got[i], want[i])
		}
		if want[i] > wantTop {
			wantTop = want[i]
		}
	}
	if top != wantTop {
		t.Fatalf("consts %v, %d sums: largest gain %v, want %v", *c, len(ag), top, wantTop)
	}
}

// TestFirstLastBest checks firstBest and lastBest against the scans they
// replace: take each gain greater than the best so far.
func TestFirstLastBest(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	vals := []float32{float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 1, 2, 2, float32(math.NaN()), float32(math.Inf(1))}
	for range 2000 {
		gains := make([]float32, rng.IntN(12))
		top := float32(math.Inf(-1))
		for i := range gains {
			gains[i] = vals[rng.IntN(len(vals))]
			if gains[i] > top {
				top = gains[i]
			}
		}
		best := vals[rng.IntN(6)]
		fwd, bwd := -1, -1
		for b, i := best, 0; i < len(gains); i++ {
			if gains[i] > b {
				b, fwd = gains[i], i
			}
		}
		for b, i := best, len(gains)-1; i >= 0; i-- {
			if gains[i] > b {
				b, bwd = gains[i], i
			}
		}
		if got := firstBest(gains, top, best); got != fwd {
			t.Fatalf("gains %v, best %v: firstBest %d, want %d", gains, best, got, fwd)
		}
		if got := lastBest(gains, top, best); got != bwd {
			t.Fatalf("gains %v, best %v: lastBest %d, want %d", gains, best, got, bwd)
		}
	}
}

// TestScanGroupMatchesBins checks evaluate with the grouped scans of a
// node with many rows (scanGroup) against scanL2Bins feature by feature,
// on features with one to five of the same bin count in a row or apart,
// twin features (ties between features), empty bins, and node sums equal
// to or off the features' totals.
func TestScanGroupMatchesBins(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(15, 16))
	for _, s := range []struct{ mcw, alpha, lambda float64 }{{0, 0, 1}, {1, 0, 1}, {20, 0, 10}, {1e-3, 0, 0}, {5, 0.5, 0.1}, {20, 2, 10}} {
		p := DefaultParams()
		p.MinChildWeight, p.Alpha, p.Lambda = s.mcw, s.alpha, s.lambda
		for i := range 200 {
			cols := 1 + rng.IntN(11)
			b := &binned{cols: cols}
			off := 0
			for range cols {
				nb := []int{2, compactBins + 1, 200, histBins}[rng.IntN(4)]
				if rng.IntN(3) > 0 && len(b.cuts) > 0 {
					nb = len(b.cuts[len(b.cuts)-1].cut)
				}
				b.offset = append(b.offset, off)
				b.cuts = append(b.cuts, cuts{cut: make([]float32, nb)})
				off += nb
			}
			b.offset = append(b.offset, off)
			hist := make([]bucket, off)
			fill := rng.Float64()
			for j := range hist {
				if rng.Float64() < fill {
					hist[j] = bucket{rng.NormFloat64() * 3, rng.Float64() * 4}
				}
			}
			if i%3 == 0 {
				// Twin features (equal gains, the first in order wins),
				// grouped or not.
				for f := 1; f < cols; f++ {
					if nb := len(b.cuts[f].cut); nb == len(b.cuts[0].cut) {
						copy(hist[b.offset[f]:b.offset[f]+nb], hist[:nb])
					}
				}
			}
			var G, H float64
			for _, hb := range hist[:b.offset[1]] {
				G += hb.g
				H += hb.h
			}
			if i%2 == 0 {
				G, H = G+rng.NormFloat64(), H+rng.Float64()
			}
			feats := rng.Perm(cols)[:1+rng.IntN(cols)]
			checkScanGroup(t, &p, b, hist, G, H, feats)
		}
	}
}

// checkScanGroup compares evaluate on a node with many rows (grouped
// scans) with scanL2Bins feature by feature.
func checkScanGroup(t *testing.T, p *Params, b *binned, hist []bucket, G, H float64, feats []int) {
	t.Helper()
	gr := &grower{p: p, b: b}
	nd := &growNode{g: G, h: H, hist: hist, end: histBins}
	gr.evaluate(nd, feats)
	want := split{feature: -1}
	parent := gr.gain(G, H)
	for _, f := range feats {
		gr.scanL2Bins(f, hist[b.offset[f]:b.offset[f]+len(b.cuts[f].cut)], G, H, parent, &want)
	}
	if gr.unsplittable(H) {
		want = split{feature: -1}
	}
	if diff := cmp.Diff(want, nd.best, cmp.AllowUnexported(split{})); diff != "" {
		t.Fatalf("settings mcw %v alpha %v lambda %v, node (%v, %v): splits differ (-bin by bin +grouped):\n%s", p.MinChildWeight, p.Alpha, p.Lambda, G, H, diff)
	}
}

// FuzzScanGroup compares the grouped scans with scanL2Bins on fuzzed
// histograms: five features of nb bins, values from a seed (NaN and ±Inf
// sums where G or H is), node sums and settings fuzzed.
func FuzzScanGroup(f *testing.F) {
	f.Add(uint64(1), uint8(200), 0.5, 10.0, 30.0, 1.0, 0.0, 1.0)
	f.Add(uint64(2), uint8(33), 1.0, -3.0, 0.0, 0.0, 0.5, 0.0)
	f.Fuzz(func(t *testing.T, seed uint64, nbByte uint8, fill, G, H, mcw, alpha, lambda float64) {
		nb := compactBins + 1 + int(nbByte)%(histBins-compactBins)
		p := DefaultParams()
		p.MinChildWeight, p.Alpha, p.Lambda = mcw, alpha, lambda
		if seed&1 == 0 {
			p.Alpha = 0 // the common case (GAINS8F with min_child_weight > 0)
		}
		const cols = 5
		b := &binned{cols: cols}
		for k := range cols + 1 {
			b.offset = append(b.offset, k*nb)
			if k < cols {
				b.cuts = append(b.cuts, cuts{cut: make([]float32, nb)})
			}
		}
		rng := rand.New(rand.NewPCG(seed, 3))
		hist := make([]bucket, cols*nb)
		for j := range hist {
			if rng.Float64() < fill {
				hist[j] = bucket{rng.NormFloat64() * G, rng.Float64() * H / float64(nb)}
			}
		}
		checkScanGroup(t, &p, b, hist, G, H, []int{0, 1, 2, 3, 4})
	})
}

// TestSplitGainsMatchesGo checks the gains of splitGains (gains8 where it
// runs) against the Go formula on random and extreme sums, for each
// setting of min_child_weight, alpha and lambda and every length 0-40.
func TestSplitGainsMatchesGo(t *testing.T) {
	t.Parallel()
	special := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 1e300, -1e300, math.Inf(1), math.Inf(-1), math.NaN(), 0.5, 1, 20}
	settings := []struct{ mcw, alpha, lambda float64 }{
		{1, 0, 1}, {0, 0, 1}, {0, 0, 0}, {20, 0, 1}, {1, 0.5, 1}, {0.5, 3, 10}, {1e-3, 1e-6, 1e-3},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range settings {
		for n := range 41 {
			ag, ah := make([]float64, n), make([]float64, n)
			G, H := rng.NormFloat64()*50, rng.Float64()*100
			for i := range n {
				switch rng.IntN(6) {
				case 0:
					ag[i], ah[i] = special[rng.IntN(len(special))], special[rng.IntN(len(special))]
				case 1:
					ag[i], ah[i] = G*rng.Float64(), H // one side empty
				default:
					ag[i], ah[i] = G*rng.Float64()+rng.NormFloat64(), H*rng.Float64()
				}
			}
			parent := float64(float32(rng.NormFloat64()))
			checkGains(t, ag, ah, &[6]float64{G, H, s.mcw, s.alpha, s.lambda, parent})
		}
	}
}

// TestScanL2VecSettings checks scanL2 (its vector scans for eight or more
// non-empty bins) against scanL2Bins, bin by bin, under several
// min_child_weight, alpha and lambda settings.
func TestScanL2VecSettings(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(13, 14))
	for _, s := range []struct{ mcw, alpha, lambda float64 }{{0, 0, 1}, {1, 0, 1}, {5, 0.5, 0.1}, {20, 2, 10}} {
		p := DefaultParams()
		p.MinChildWeight, p.Alpha, p.Lambda = s.mcw, s.alpha, s.lambda
		gr := &grower{p: &p}
		for i := range 300 {
			nb := compactBins + 1 + rng.IntN(histBins-compactBins)
			hf := make([]bucket, nb)
			var G, H float64
			for b := range hf {
				if rng.IntN(3) > 0 {
					hf[b] = bucket{rng.NormFloat64() * 3, rng.Float64() * 4}
				}
				G += hf[b].g
				H += hf[b].h
			}
			if i%2 == 0 {
				G, H = G+rng.NormFloat64(), H+rng.Float64()
			}
			parent := gr.gain(G, H)
			want, got := split{feature: -1}, split{feature: -1}
			gr.scanL2Bins(2, hf, G, H, parent, &want)
			gr.scanL2(new(scanScratch), 2, hf, G, H, parent, &got)
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(split{})); diff != "" {
				t.Fatalf("settings %+v, histogram %d: splits differ (-bin by bin +vector):\n%s", s, i, diff)
			}
		}
	}
}

// FuzzSplitGains compares splitGains with the Go formula on fuzzed sums
// and settings.
func FuzzSplitGains(f *testing.F) {
	f.Add(1.5, 3.0, 10.0, 20.0, 1.0, 0.0, 1.0, 0.25, uint8(9))
	f.Add(-1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, uint8(8))
	f.Fuzz(func(t *testing.T, g, h, G, H, mcw, alpha, lambda, parent float64, n uint8) {
		ag, ah := make([]float64, n%40), make([]float64, n%40)
		for i := range ag {
			ag[i], ah[i] = g*float64(i+1)/8, h*float64(i%5)
		}
		checkGains(t, ag, ah, &[6]float64{G, H, mcw, alpha, lambda, float64(float32(parent))})
	})
}

// TestScanGroupTieOrder: a grouped feature (256 bins) whose only
// non-empty bins equal a 2-bin feature's has the same best candidate;
// whichever comes first in the node's features must keep it, as in
// scans in order.
func TestScanGroupTieOrder(t *testing.T) {
	t.Parallel()
	p := DefaultParams()
	b := &binned{cols: 3, offset: []int{0, 2, 2 + histBins, 2 + 2*histBins}}
	b.cuts = []cuts{{cut: make([]float32, 2)}, {cut: make([]float32, histBins)}, {cut: make([]float32, histBins)}}
	hist := make([]bucket, 2+2*histBins)
	hist[0], hist[1] = bucket{-8, 10}, bucket{6, 12}
	hist[2], hist[2+histBins-1] = hist[0], hist[1]
	rng := rand.New(rand.NewPCG(3, 4))
	for j := 2 + histBins; j < len(hist); j++ {
		hist[j] = bucket{rng.NormFloat64() * 0.01, 22.0 / histBins}
	}
	G, H := -2.0, 22.0
	for _, feats := range [][]int{{0, 1, 2}, {1, 0, 2}, {2, 1, 0}} {
		checkScanGroup(t, &p, b, hist, G, H, feats)
	}
}

// checkNonEmpty compares scanL2's list of non-empty bins (nonEmptyFast,
// then the Go loop) with the Go loop alone.
func checkNonEmpty(t *testing.T, hf []bucket) {
	t.Helper()
	var want []int32
	for b, hb := range hf {
		if (math.Float64bits(hb.g)|math.Float64bits(hb.h))<<1 != 0 {
			want = append(want, int32(b))
		}
	}
	var idx [histBins]int32
	done, k := nonEmptyFast(hf, &idx)
	for b := done; b < len(hf); b++ {
		hb := hf[b]
		idx[k&(histBins-1)] = int32(b)
		k += b2i((math.Float64bits(hb.g)|math.Float64bits(hb.h))<<1 != 0)
	}
	if diff := cmp.Diff(want, append([]int32(nil), idx[:k]...), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("%d bins: non-empty list differs (-want +got):\n%s", len(hf), diff)
	}
}

// TestNonEmptyMatchesGo checks the listing on every length up to 256
// with ±0, NaN, ±Inf and tiny values in either sum.
func TestNonEmptyMatchesGo(t *testing.T) {
	t.Parallel()
	vals := []float64{0, math.Copysign(0, -1), 1, -2.5, math.NaN(), math.Inf(-1), 5e-324, -5e-324}
	rng := rand.New(rand.NewPCG(9, 10))
	for n := range histBins + 1 {
		hf := make([]bucket, n)
		for b := range hf {
			hf[b] = bucket{vals[rng.IntN(len(vals))], vals[rng.IntN(len(vals))]}
			if rng.IntN(3) == 0 {
				hf[b] = bucket{}
			}
		}
		checkNonEmpty(t, hf)
	}
}

// FuzzNonEmpty compares the listing with the Go loop on fuzzed bit
// patterns.
func FuzzNonEmpty(f *testing.F) {
	f.Add(uint64(1), uint64(1<<63), uint8(40))
	f.Add(uint64(0), uint64(0x7ff8000000000001), uint8(255))
	f.Fuzz(func(t *testing.T, a, b uint64, n uint8) {
		hf := make([]bucket, n)
		for i := range hf {
			if (a>>(i%64))&1 != 0 {
				hf[i].g = math.Float64frombits(b ^ uint64(i)<<52)
			}
			if (b>>(i%64))&1 != 0 {
				hf[i].h = math.Float64frombits(a &^ (uint64(i) << 40))
			}
		}
		checkNonEmpty(t, hf)
	})
}
