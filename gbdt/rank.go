package gbdt

import (
	"math"
	"math/bits"
	"slices"
	"sync"
)

// radixMinRows is the row count from which rankDescending radix-sorts; a
// comparison sort is cheaper on fewer rows.
const radixMinRows = 256

// rankDescending fills idx with the row indices 0..len(score)-1 ordered by
// score, highest first, ties in ascending row order: the order [AUC]
// walks. It is a stable LSD radix sort on the scores' bit patterns, a
// byte per pass over only the bits that differ between scores (float32
// probabilities, as AUC's are, share their low 29 bits), so a per-round
// validation AUC costs a few linear passes instead of a comparison sort. Scores with a NaN, and short ones, take the comparison
// sort, whose order this one reproduces exactly.
func rankDescending(idx []int32, score []float64) {
	n := len(score)
	idx = idx[:n]
	for i := range idx {
		idx[i] = int32(i)
	}
	if n < radixMinRows {
		sortDescending(idx, score)
		return
	}
	sc := rankScratchFor(n)
	defer rankScratch.Put(sc)
	keys, keys2, dst := sc.keys[:n], sc.keys2[:n], sc.idx[:n]
	and, or := ^uint64(0), uint64(0)
	for i, v := range score {
		if v != v {
			sortDescending(idx, score)
			return
		}
		if v == 0 {
			v = 0 // -0 ranks with +0, as comparisons see them
		}
		// An order-preserving unsigned key, complemented so that
		// ascending keys are descending scores.
		b := math.Float64bits(v)
		if b>>63 == 0 {
			b |= 1 << 63
		} else {
			b = ^b
		}
		k := ^b
		keys[i] = k
		and &= k
		or |= k
	}
	// Only the bits that differ between keys need passes.
	varying := and ^ or
	if varying == 0 {
		return
	}
	lo, hi := bits.TrailingZeros64(varying), 64-bits.LeadingZeros64(varying)
	src := idx
	var c [256]int32
	for shift := lo; shift < hi; shift += 8 {
		clear(c[:])
		for _, k := range keys {
			c[byte(k>>shift)]++
		}
		if c[byte(keys[0]>>shift)] == int32(n) {
			continue // every key has this digit: the pass keeps the order
		}
		var sum int32
		for d := range c {
			sum, c[d] = sum+c[d], sum
		}
		for i, k := range keys {
			d := byte(k >> shift)
			j := c[d]
			c[d]++
			keys2[j] = k
			dst[j] = src[i]
		}
		keys, keys2 = keys2, keys
		src, dst = dst, src
	}
	if &src[0] != &idx[0] {
		copy(idx, src)
	}
}

// sortDescending orders idx (row indices) by score, highest first, ties in
// ascending index order.
func sortDescending(idx []int32, score []float64) {
	slices.SortFunc(idx, func(a, b int32) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return int(a - b)
	})
}

// rankBuf is rankDescending's scratch: two key buffers and one index
// buffer. Per-round AUCs rank the same rows again and again; reusing the
// buffers keeps them from being garbage every round.
type rankBuf struct {
	keys, keys2 []uint64
	idx         []int32
}

var rankScratch sync.Pool

func rankScratchFor(n int) *rankBuf {
	sc, _ := rankScratch.Get().(*rankBuf)
	if sc == nil || cap(sc.keys) < n {
		return &rankBuf{keys: make([]uint64, n), keys2: make([]uint64, n), idx: make([]int32, n)}
	}
	return sc
}
