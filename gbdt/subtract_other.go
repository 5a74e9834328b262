//go:build !amd64 || purego

package gbdt

// subtractFast does nothing here: subtractHist subtracts every bucket in
// Go.
func subtractFast(a, b []bucket) int { return 0 }
