//go:build amd64 && !purego

package gbdt

// histRows8 is histRowsGo for byte bins in assembly (hist_amd64.s): one
// 128-bit add per (row, feature) instead of two scalar adds and stores.
// The caller guarantees what histRows8Checked checks.
//
//go:noescape
func histRows8(hist []bucket, rows []int32, bins []uint8, offset []int, gh []gradPair, stride int)

// histRowsByte adds the rows' gradient pairs into hist (see histRowsGo).
func histRowsByte(hist []bucket, rows []int32, bins []uint8, offset []int, gh []gradPair, stride int) {
	cols := len(offset)
	if len(rows) == 0 || cols == 0 {
		return
	}
	// The assembly indexes hist and bins unchecked: every slot a byte
	// bin can reach and every row's cells must be inside them.
	if stride < cols || len(bins) < cols {
		panic("gbdt: histRowsByte: inconsistent buffers")
	}
	for _, o := range offset {
		if o < 0 || o+255 >= len(hist) {
			panic("gbdt: histRowsByte: histogram too short")
		}
	}
	hi := min((len(bins)-cols)/stride+1, len(gh))
	for _, r := range rows {
		if uint(r) >= uint(hi) {
			panic("gbdt: histRowsByte: row out of range")
		}
	}
	histRows8(hist, rows, bins, offset, gh, stride)
}
