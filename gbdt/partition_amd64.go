//go:build amd64 && !purego

package gbdt

import "golang.org/x/sys/cpu"

// havePartition16 reports whether partition16 runs here: AVX-512F with
// the OS saving its registers, and BMI2 (every AVX-512 CPU has it).
func havePartition16() bool { return cpu.X86.HasAVX512F && cpu.X86.HasBMI2 }

// partition16 is partitionRows' numerical loop for byte bins, 16 rows at
// a time in assembly (partition_amd64.s): it moves the n rows (a
// multiple of 16) at rows to left and right by bin col[row] (left: bin
// <= sb, or bin == miss when ml is 1), both in row order, and returns
// the number of left rows, or -1 (having moved some) if a row is not
// below ncol. It reads 4 bytes at col+row: col must have 3 bytes after
// its ncol bins.
//
//go:noescape
func partition16(rows *int32, n int, col *uint8, ncol int, left, right *int32, sb, miss, ml int) int

// partitionBytes moves the leading rows of rows, a multiple of 16, to
// left and right with partition16 as partitionRows' numerical loop does
// (goesLeft) and returns how many it moved and how many went left (0, 0
// where partition16 does not run or col lacks its padding, binned's
// colBins8).
func partitionBytes(rows []int32, col []uint8, left, right []int32, sb, miss, ml int) (done, nl int) {
	n := len(rows) &^ 15
	if n == 0 || !havePartition16() || cap(col)-len(col) < 3 {
		return 0, 0
	}
	if len(left) < n || len(right) < n {
		panic("gbdt: partitionBytes: inconsistent buffers")
	}
	nl = partition16(&rows[0], n, &col[0], len(col), &left[0], &right[0], sb, miss, ml)
	if nl < 0 {
		panic("gbdt: partitionBytes: row out of range")
	}
	return n, nl
}
