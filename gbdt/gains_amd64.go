//go:build amd64 && !purego

package gbdt

import "golang.org/x/sys/cpu"

// haveGains8 reports whether gains8 runs here: AVX-512 F and VL with the
// OS saving their registers.
func haveGains8() bool { return cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL }

// gains8 is splitGains for n rows, a multiple of 8, in assembly
// (gains_amd64.s). c holds G, H, min_child_weight, alpha, lambda and
// parent (as a float64) in that order.
//
//go:noescape
func gains8(ag, ah *float64, out *float32, n int, c *[6]float64)

// splitGainsFast computes the leading multiple of 8 of splitGains' out
// with gains8 and returns how many it did (0 where gains8 does not run).
func splitGainsFast(ag, ah []float64, out []float32, c *[6]float64) int {
	n := len(out) &^ 7
	if n == 0 || !haveGains8() {
		return 0
	}
	if len(ag) < n || len(ah) < n {
		panic("gbdt: splitGainsFast: inconsistent buffers")
	}
	gains8(&ag[0], &ah[0], &out[0], n, c)
	return n
}
