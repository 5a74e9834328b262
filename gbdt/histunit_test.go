package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// unitTestBinned is a byte-binned matrix whose feature f has slots[f]
// histogram slots (value bins and missing slot), bins drawn uniformly
// from the value bins, or from all slots with missing.
func unitTestBinned(rng *rand.Rand, rows int, slots []int, missing bool) *binned {
	cols := len(slots)
	b := &binned{rows: rows, cols: cols, bins8: make([]uint8, rows*cols), offset: make([]int, cols+1)}
	for f, n := range slots {
		b.offset[f+1] = b.offset[f] + n
	}
	for r := range rows {
		for f, n := range slots {
			if !missing && n > 1 {
				n--
			}
			b.bins8[r*cols+f] = uint8(rng.IntN(n))
		}
	}
	return b
}

// fraudSlots is a layout like the fraud benchmark's: 29 0/1 columns, ten
// few-valued ones and nine dense ones.
func fraudSlots() []int {
	var s []int
	for range 29 {
		s = append(s, 3)
	}
	s = append(s, 5, 6, 6, 6, 7, 7, 7, 8, 9, 13)
	return append(s, 17, 21, 25, 32, 54, 256, 256, 256, 256)
}

// TestUnitLayout checks that the unit kernel gives the plain loop's sums
// bit for bit, for mixes of few-slot and other features, row counts around
// the prefetch distance, sampled rows and both kernel widths.
func TestUnitLayout(t *testing.T) {
	t.Parallel()
	if !haveUnitKernel() {
		t.Skip("no unit kernel on this machine or build")
	}
	for _, tc := range []struct {
		name    string
		rows    int
		every   int
		slots   []int
		missing bool
		nil_    bool // newUnitLayout declines
	}{
		{"Fraud", 3500, 1, fraudSlots(), false, false},
		{"FraudMissing", 3500, 1, fraudSlots(), true, false},
		{"FraudSampled", 3500, 5, fraudSlots(), false, false},
		{"OneRow", 1, 1, fraudSlots(), false, false},
		{"SeventeenRows", 17, 1, fraudSlots(), true, false},
		{"AllSmall", 1000, 3, []int{1, 2, 3, 4, 5, 8, 3, 3, 2}, true, false},
		{"EightUnits", 300, 1, []int{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 100}, true, false},
		{"ManyPasses", 300, 1, func() []int {
			s := make([]int, 100)
			for f := range s {
				s[f] = 2 + f%4
			}
			return s
		}(), true, false},
		{"TooFew", 100, 1, []int{3, 3, 256}, false, true},
		{"Dense", 100, 1, []int{256, 256, 30}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tc.rows), uint64(len(tc.slots))))
			b := unitTestBinned(rng, tc.rows, tc.slots, tc.missing)
			u := newUnitLayout(b)
			if (u == nil) != tc.nil_ {
				t.Fatalf("newUnitLayout nil: %v, want %v", u == nil, tc.nil_)
			}
			if u == nil {
				return
			}
			gh := make([]gradPair, tc.rows)
			var rows []int32
			for r := range tc.rows {
				gh[r] = gradPair{float32(rng.NormFloat64()), float32(rng.Float64())}
				if rng.IntN(tc.every) == 0 {
					rows = append(rows, int32(r))
				}
			}
			n := histLen(b.offset[b.cols] + b.cols + histBins)
			want := make([]bucket, n)
			histRowsGo(want, rows, b.bins8, b.offset[:b.cols], nil, gh, b.cols)
			got := make([]bucket, n)
			u.build(got, rows, gh, nil)
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(bucket{})); diff != "" {
				t.Errorf("unit sums differ (-plain +unit):\n%s", diff)
			}
		})
	}
}

// BenchmarkUnitHist compares the unit kernel with the byte kernel on the
// fraud-like layout (3,500 rows × 48 features): all rows and a 1/8
// sample, the unit kernel also over the rest columns of 70% of the
// features (Unit70). ns/row is per row over all features.
func BenchmarkUnitHist(b *testing.B) {
	if !haveUnitKernel() {
		b.Skip("no unit kernel on this machine or build")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	bn := unitTestBinned(rng, 3500, fraudSlots(), false)
	u := newUnitLayout(bn)
	gh := make([]gradPair, bn.rows)
	var all, some []int32
	for r := range bn.rows {
		gh[r] = gradPair{float32(rng.NormFloat64()), 0.25}
		all = append(all, int32(r))
		if rng.IntN(8) == 0 {
			some = append(some, int32(r))
		}
	}
	hist := make([]bucket, histLen(bn.offset[bn.cols]+bn.cols+histBins))
	for _, bc := range []struct {
		name string
		rows []int32
	}{{"All", all}, {"Sampled", some}} {
		b.Run(bc.name+"/Byte", func(b *testing.B) {
			for range b.N {
				buildHist(hist, bc.rows, bn.bins8, bn.offset, nil, gh, nil, histRowsByte)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(bc.rows)), "ns/row")
		})
		b.Run(bc.name+"/Unit", func(b *testing.B) {
			for range b.N {
				u.build(hist, bc.rows, gh, nil)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(bc.rows)), "ns/row")
		})
		// A tree of colsample_bytree 0.7: 7 of every 10 features.
		var feats []int
		for f := range bn.cols {
			if f%10 < 7 {
				feats = append(feats, f)
			}
		}
		cols := u.restList(feats)
		b.Run(bc.name+"/Unit70", func(b *testing.B) {
			for range b.N {
				u.build(hist, bc.rows, gh, cols)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(bc.rows)), "ns/row")
		})
	}
}

// TestLiveRows checks that leaving out the rows with zero gradient pairs
// (±0 parts) gives the same histogram bit for bit, and keeps the others
// in order.
func TestLiveRows(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	b := unitTestBinned(rng, 2000, fraudSlots(), true)
	negZero := float32(math.Copysign(0, -1))
	gh := make([]gradPair, b.rows)
	var rows, want []int32
	for r := range b.rows {
		switch rng.IntN(4) {
		case 0:
			gh[r] = gradPair{[]float32{0, negZero}[rng.IntN(2)], []float32{0, negZero}[rng.IntN(2)]}
		case 1:
			gh[r] = gradPair{negZero, 0.5} // not zero: a hessian
		default:
			gh[r] = gradPair{float32(rng.NormFloat64()), float32(rng.Float64())}
		}
		if rng.IntN(3) > 0 {
			rows = append(rows, int32(r))
			if gh[r].g != 0 || gh[r].h != 0 {
				want = append(want, int32(r))
			}
		}
	}
	if !hasZeroPair(gh) || hasZeroPair([]gradPair{{1, 0}, {0, 1}}) {
		t.Fatal("hasZeroPair wrong")
	}
	live := liveRows(make([]int32, len(rows)), rows, gh)
	if diff := cmp.Diff(want, live); diff != "" {
		t.Fatalf("live rows (-want +got):\n%s", diff)
	}
	n := histLen(b.offset[b.cols] + b.cols + histBins)
	all, some := make([]bucket, n), make([]bucket, n)
	histRowsGo(all, rows, b.bins8, b.offset[:b.cols], nil, gh, b.cols)
	histRowsGo(some, live, b.bins8, b.offset[:b.cols], nil, gh, b.cols)
	for i := range all {
		if math.Float64bits(all[i].g) != math.Float64bits(some[i].g) || math.Float64bits(all[i].h) != math.Float64bits(some[i].h) {
			t.Fatalf("slot %d: %v with every row, %v with the live ones", i, all[i], some[i])
		}
	}
}

// TestScanL2Compact checks that the split scan over the compacted
// non-empty bins picks the split the bin-by-bin scan picks, field for
// field, on histograms with runs of empty bins, ±0 sums and a missing
// share (so that the backward pass runs).
func TestScanL2Compact(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	p := DefaultParams()
	p.MinChildWeight, p.Lambda = 0.5, 1
	gr := &grower{p: &p}
	negZero := math.Copysign(0, -1)
	for i := range 500 {
		nb := compactBins + 1 + rng.IntN(histBins-compactBins)
		hf := make([]bucket, nb)
		var G, H float64
		for b := range hf {
			switch rng.IntN(4) {
			case 0, 1:
			case 2:
				hf[b] = bucket{negZero, []float64{0, negZero}[rng.IntN(2)]}
			default:
				hf[b] = bucket{rng.NormFloat64(), rng.Float64()}
			}
			G += hf[b].g
			H += hf[b].h
		}
		if i%2 == 0 {
			G, H = G+rng.NormFloat64(), H+rng.Float64() // missing rows
		}
		parent := gr.gain(G, H)
		start := split{feature: -1, gain: float32(rng.IntN(2)) * 0.01}
		want, got := start, start
		gr.scanL2Bins(3, hf, G, H, parent, &want)
		gr.scanL2(new(scanScratch), 3, hf, G, H, parent, &got)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(split{})); diff != "" {
			t.Fatalf("histogram %d: splits differ (-bin by bin +compacted):\n%s", i, diff)
		}
	}
}
