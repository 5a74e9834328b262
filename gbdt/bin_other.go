//go:build !amd64 || purego

package gbdt

// searchBytes bins no value where the assembly does not run: the Go
// search bins them all.
func searchBytes(cut []float32, col []float32, out []uint8, miss uint8) int { return 0 }

// haveSearch16 reports whether the assembly search runs here: it is
// AVX-512 assembly.
func haveSearch16() bool { return false }
