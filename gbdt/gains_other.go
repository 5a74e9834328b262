//go:build !amd64 || purego

package gbdt

import "math"

// splitGainsFast does nothing here: splitGains computes every gain in Go.
func splitGainsFast(ag, ah []float64, out []float32, c *[6]float64) (int, float32) {
	return 0, float32(math.Inf(-1))
}

// haveScanPairs4 is false here: nodes scan feature by feature (scanL2).
func haveScanPairs4() bool { return false }

// scanGroupFast is never called here (haveScanPairs4).
func scanGroupFast(src *[groupFeats][]bucket, n int, c *[6]float64) (fwd, bwd [groupFeats]stepTop, tot [groupFeats]bucket) {
	return fwd, bwd, tot
}

// nonEmptyFast does nothing here: scanL2 lists the buckets in Go.
func nonEmptyFast(hf []bucket, idx *[histBins]int32) (done, k int) { return 0, 0 }
