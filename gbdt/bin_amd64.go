//go:build amd64 && !purego

package gbdt

import "golang.org/x/sys/cpu"

// haveSearch16 reports whether search16 runs here: AVX-512F with the OS
// saving its registers.
func haveSearch16() bool { return cpu.X86.HasAVX512F }

// searchTable is search16's view of at most 256 cuts: their sortKey
// values padded to 256 with the largest key (above every non-NaN value's),
// then the keys at 16j, at 16j+8 and at 8j+4, which the first six
// halvings look up in registers.
type searchTable struct {
	keys   [256]uint32
	keys16 [16]uint32
	keys8  [16]uint32
	keys4  [32]uint32
}

// search16 stores searchBin's bin of each of the n values at col (a
// multiple of 16) at out, missing values as miss, 16 values at a time
// in assembly (bin_amd64.s): a branch-free binary search over the padded
// keys (whose result, the number of cuts <= v, is searchBin's for
// sorted cuts) clamped to last.
//
//go:noescape
func search16(t *searchTable, col *float32, n int, out *uint8, last, miss int)

// searchBytes stores the bins of the leading values of col, a multiple
// of 16, in out with search16 and returns how many it did (0 where
// search16 does not run or there are more than 256 cuts).
func searchBytes(cut []float32, col []float32, out []uint8, miss uint8) int {
	n := len(col) &^ 15
	if n == 0 || len(cut) == 0 || len(cut) > 256 || !haveSearch16() {
		return 0
	}
	if len(out) < n {
		panic("gbdt: searchBytes: output too short")
	}
	var t searchTable
	for i := range t.keys {
		t.keys[i] = ^uint32(0)
		if i < len(cut) {
			t.keys[i] = sortKey(cut[i])
		}
	}
	for j := range t.keys16 {
		t.keys16[j], t.keys8[j] = t.keys[16*j], t.keys[16*j+8]
	}
	for j := range t.keys4 {
		t.keys4[j] = t.keys[8*j+4]
	}
	search16(&t, &col[0], n, &out[0], len(cut)-1, int(miss))
	return n
}
