package monitor

import (
	"math"
	"slices"
)

// radixMin is the batch size from which sortFloats sorts by radix: below
// it, pdqsort's comparisons cost less than eight counting passes.
const radixMin = 256

// sortFloats sorts xs (no NaNs) in increasing order, by LSD radix sort on
// the values' order-preserving 64-bit keys for large batches: the KLL
// sketch sorts every value it is given once, in batches of thousands,
// where radix sorting costs a few nanoseconds a value against pdqsort's
// dozens. keys and tmp are reused scratch space; the grown ones are
// returned.
func sortFloats(xs []float64, keys, tmp []uint64) ([]uint64, []uint64) {
	n := len(xs)
	if n < radixMin {
		slices.Sort(xs)
		return keys, tmp
	}
	keys = slices.Grow(keys[:0], n)[:n]
	tmp = slices.Grow(tmp[:0], n)[:n]
	var counts [8][256]int
	for i, x := range xs {
		k := floatKey(x)
		keys[i] = k
		for p := range 8 {
			counts[p][byte(k>>(8*p))]++
		}
	}
	src, dst := keys, tmp
	for p := range 8 {
		c := &counts[p]
		// A pass where every key has the same byte moves nothing.
		if c[byte(src[0]>>(8*p))] == n {
			continue
		}
		sum := 0
		for b := range c {
			c[b], sum = sum, sum+c[b]
		}
		shift := uint(8 * p)
		for _, k := range src {
			b := byte(k >> shift)
			dst[c[b]] = k
			c[b]++
		}
		src, dst = dst, src
	}
	for i, k := range src {
		xs[i] = keyFloat(k)
	}
	return keys, tmp
}

// floatKey maps a float64 to a uint64 whose unsigned order is the
// float's order: positive values get the sign bit set, negative ones all
// bits flipped.
func floatKey(x float64) uint64 {
	b := math.Float64bits(x)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func keyFloat(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}
