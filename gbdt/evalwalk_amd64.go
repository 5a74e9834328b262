//go:build amd64 && !purego

package gbdt

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// walk32 is the coded walk of thirty-two rows at a time in assembly
// (evalwalk_amd64.s).
//
//go:noescape
func walk32(nodes *walkNode, codes *uint16, cols, n, depth int, out *int32)

// walkFast walks rows lo..lo+len(out)-1 (a multiple of 32 of them) of e
// through nodes with walk32, setting out to each row's last node, and
// reports whether it did (not without AVX-512, or when the codes cannot
// be read two bytes past the last row, or the offsets do not fit 32
// bits).
func (e *evalCodes) walkFast(nodes []walkNode, depth, lo int, out []int32) bool {
	n := len(out)
	if n == 0 || n%32 != 0 || !cpu.X86.HasAVX512F || len(nodes) == 0 {
		return false
	}
	if unsafe.Sizeof(walkNode{}) != 24 || cap(e.codes) < len(e.codes)+2 || e.rows*e.cols >= 1<<30 || len(nodes) >= 1<<26 {
		return false
	}
	if lo < 0 || lo+n > e.rows {
		panic("gbdt: walkFast: rows out of range")
	}
	walk32(&nodes[0], &e.codes[lo*e.cols], e.cols, n, depth, &out[0])
	return true
}
