package gbdt

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchNode is a node of rows rows whose histogram has cols features of
// nb bins, each bin filled with probability fill.
func benchNode(cols, nb, rows int, fill float64) (*grower, *growNode, []int) {
	p := DefaultParams()
	b := &binned{cols: cols}
	for f := 0; f <= cols; f++ {
		b.offset = append(b.offset, f*nb)
		if f < cols {
			b.cuts = append(b.cuts, cuts{cut: make([]float32, nb)})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	h := make([]bucket, cols*nb)
	for i := range h {
		if rng.Float64() < fill {
			h[i] = bucket{rng.NormFloat64(), rng.Float64() * 0.25}
		}
	}
	var G, H float64
	for _, hb := range h[:nb] {
		G += hb.g
		H += hb.h
	}
	feats := make([]int, cols)
	for i := range feats {
		feats[i] = i
	}
	// G off the features' totals: both scans run, as they mostly do.
	return &grower{p: &p, b: b}, &growNode{g: G + 1e-9, h: H, hist: h, end: rows}, feats
}

// BenchmarkEvaluate is one node's split scans over 20 features of 256
// bins: a node of few rows (the non-empty bins listed first, scanL2) and
// one of many (grouped, scanGroup), with all, half or a tenth of the bins
// filled.
func BenchmarkEvaluate(b *testing.B) {
	for _, rows := range []int{histBins - 1, histBins} {
		for _, fill := range []float64{1, 0.5, 0.1} {
			b.Run(fmt.Sprintf("rows=%d/fill=%v", rows, fill), func(b *testing.B) {
				gr, nd, feats := benchNode(20, histBins, rows, fill)
				for b.Loop() {
					gr.evaluate(nd, feats)
				}
			})
		}
	}
}
