//go:build !amd64 || purego

package gbdt

// splitGainsFast does nothing here: splitGains computes every gain in Go.
func splitGainsFast(ag, ah []float64, out []float32, c *[6]float64) int { return 0 }
