//go:build !amd64 || purego

package gbdt

// haveLogistic8 reports whether the assembly kernel runs here: it is
// AVX-512 assembly.
func haveLogistic8() bool { return false }

// logisticBlocks does nothing where the assembly kernel does not run:
// the callers compute every row with logisticGo or logisticUnweighted.
func logisticBlocks(margin, y, w []float64, scalePos float32, gh []gradPair) int { return 0 }
