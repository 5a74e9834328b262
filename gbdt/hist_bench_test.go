package gbdt

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// BenchmarkBuildHist measures histogram passes over 1,000,000 × 28 bins:
// all rows (the root) and a sorted 1/16 sample (a deep node, whose rows
// are scattered), over every column and over half of them (a tree's
// features with colsample_bytree 0.5). ns/update is per (row, visited
// column).
func BenchmarkBuildHist(b *testing.B) {
	const rows, cols = 1000000, 28
	rng := rand.New(rand.NewPCG(1, 2))
	bins := make([]uint8, rows*cols)
	for i := range bins {
		bins[i] = uint8(rng.IntN(256))
	}
	gh := make([]gradPair, rows)
	all := make([]int32, rows)
	var sparse []int32
	for i := range gh {
		gh[i] = gradPair{float32(rng.NormFloat64()), 0.25}
		all[i] = int32(i)
		if rng.IntN(16) == 0 {
			sparse = append(sparse, int32(i))
		}
	}
	slices.Sort(sparse)
	hist := make([]bucket, histLen(cols*histBins+cols+histBins))
	offset := make([]int, cols+1)
	for f := range offset {
		offset[f] = f * histBins
	}
	// Half the columns (every other one): a tree of colsample_bytree 0.5.
	var half []int
	for f := 0; f < cols; f += 2 {
		half = append(half, f)
	}
	for _, bc := range []struct {
		name string
		idx  []int32
		gh   []gradPair
	}{{"Root", all, gh}, {"Scattered", sparse, gh}} {
		for _, cc := range []struct {
			name  string
			feats []int
		}{{"", nil}, {"/Half", half}} {
			n := cols
			if cc.feats != nil {
				n = len(cc.feats)
			}
			b.Run(bc.name+cc.name+"/Go", func(b *testing.B) {
				for range b.N {
					buildHist(hist, bc.idx, bins, offset, cc.feats, bc.gh, nil, histRowsGo[uint8])
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(bc.idx))/float64(n), "ns/update")
			})
			b.Run(bc.name+cc.name+"/Kernel", func(b *testing.B) {
				for range b.N {
					buildHist(hist, bc.idx, bins, offset, cc.feats, bc.gh, nil, histRowsByte)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(bc.idx))/float64(n), "ns/update")
			})
		}
	}
}
