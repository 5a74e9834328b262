//go:build !amd64 || purego

package gbdt

// havePartition16 reports whether the assembly partition runs here: it
// is AVX-512 assembly.
func havePartition16() bool { return false }

// partitionBytes moves no row where the assembly does not run:
// partitionRows' Go loop moves them all.
func partitionBytes(rows []int32, col []uint8, left, right []int32, sb, miss, ml int) (done, nl int) {
	return 0, 0
}
