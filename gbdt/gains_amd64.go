//go:build amd64 && !purego

package gbdt

import (
	"math"

	"golang.org/x/sys/cpu"
)

// haveGains8 reports whether gains8 runs here: AVX-512 F and VL with the
// OS saving their registers.
func haveGains8() bool { return cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL }

// gains8 is splitGains for n rows, a multiple of 8, in assembly
// (gains_amd64.s). c holds G, H, min_child_weight, alpha, lambda and
// parent (as a float64) in that order. It returns the largest gain, NaN
// left out (-Inf if there is none).
//
//go:noescape
func gains8(ag, ah *float64, out *float32, n int, c *[6]float64) float32

// splitGainsFast computes the leading multiple of 8 of splitGains' out
// with gains8 and returns how many it did (0 where gains8 does not run)
// and the largest of them (as gains8).
func splitGainsFast(ag, ah []float64, out []float32, c *[6]float64) (int, float32) {
	n := len(out) &^ 7
	if n == 0 || !haveGains8() {
		return 0, float32(math.Inf(-1))
	}
	if len(ag) < n || len(ah) < n {
		panic("gbdt: splitGainsFast: inconsistent buffers")
	}
	return n, gains8(&ag[0], &ah[0], &out[0], n, c)
}

// scanPairs4 is scanGroup's scans of four features in assembly (see
// gains_amd64.s).
//
//go:noescape
func scanPairs4(src *[groupFeats]*bucket, n int, c *[6]float64, tops *[16]float32, steps *[16]int32, tot *[groupFeats]bucket, simple bool)

// haveScanPairs4 reports whether scanPairs4 runs here (gains8's
// instructions).
func haveScanPairs4() bool { return haveGains8() }

// scanGroupFast runs the forward and backward scans of the group's
// features src (n value bins each, 1 <= n <= histBins) with scanPairs4
// (step j: bin j forward, bin n−1−j backward): each feature's largest
// forward and backward gain (NaN left out), the first step that had it,
// and its forward total. Only where haveScanPairs4.
func scanGroupFast(src *[groupFeats][]bucket, n int, c *[6]float64) (fwd, bwd [groupFeats]stepTop, tot [groupFeats]bucket) {
	var s [groupFeats]*bucket
	for k := range s {
		if len(src[k]) < n || n < 1 || n > histBins {
			panic("gbdt: scanGroupFast: inconsistent buffers")
		}
		s[k] = &src[k][0]
	}
	var tops [16]float32
	var steps [16]int32
	simple := c[2] > 0 && c[3] == 0 // min_child_weight, alpha
	scanPairs4(&s, n, c, &tops, &steps, &tot, simple)
	for k := range groupFeats {
		fwd[k] = firstTop(tops[k], int(steps[k]), tops[4+k], int(steps[4+k]))
		bwd[k] = firstTop(tops[8+k], int(steps[8+k]), tops[12+k], int(steps[12+k]))
	}
	return fwd, bwd, tot
}

// nonEmpty8 lists the non-empty buckets among hf's first n (a multiple
// of 8) in assembly (gains_amd64.s).
//
//go:noescape
func nonEmpty8(hf *bucket, n int, idx *int32) int

// nonEmptyFast lists the non-empty buckets (either sum not ±0) among the
// leading multiple of 8 of hf into idx with nonEmpty8, and returns how
// many buckets it looked at and how many it listed (0, 0 without AVX-512
// or BMI2).
func nonEmptyFast(hf []bucket, idx *[histBins]int32) (done, k int) {
	n := len(hf) &^ 7
	if n == 0 || n > histBins || !cpu.X86.HasAVX512F || !cpu.X86.HasAVX512VL || !cpu.X86.HasAVX512BW || !cpu.X86.HasBMI2 || !cpu.X86.HasPOPCNT {
		return 0, 0
	}
	return n, nonEmpty8(&hf[0], n, &idx[0])
}

// firstTop combines the largest gains of a scan's even steps (a, first at
// step sa) and odd steps (b, at sb), neither NaN: the larger, and on a
// tie the earlier step.
func firstTop(a float32, sa int, b float32, sb int) stepTop {
	switch {
	case b > a:
		return stepTop{b, sb}
	case a > b:
		return stepTop{a, sa}
	}
	return stepTop{a, min(sa, sb)}
}
