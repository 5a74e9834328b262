//go:build amd64 && !purego

package gbdt

import "golang.org/x/sys/cpu"

// subPairs is subtractHist for n buckets, a multiple of 8, in assembly
// (subtract_amd64.s).
//
//go:noescape
func subPairs(a, b *bucket, n int)

// subtractFast subtracts the leading multiple of 8 of b's buckets from
// a's with subPairs and returns how many it did (0 without AVX-512).
func subtractFast(a, b []bucket) int {
	n := len(a) &^ 7
	if n == 0 || !cpu.X86.HasAVX512F {
		return 0
	}
	if len(b) < n {
		panic("gbdt: subtractFast: inconsistent buffers")
	}
	subPairs(&a[0], &b[0], n)
	return n
}
