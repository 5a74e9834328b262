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
	if len(gh) < len(rows) || len(hist) == 0 || len(hist)&(len(hist)-1) != 0 {
		panic("gbdt: histRowsByte: inconsistent buffers")
	}
	// The assembly reads bins unchecked: every row must be inside it
	// (one compare per row against cols loads and adds).
	if stride < cols || len(bins) < cols {
		panic("gbdt: histRowsByte: inconsistent buffers")
	}
	hi := (len(bins)-cols)/stride + 1
	for _, r := range rows {
		if uint(r) >= uint(hi) {
			panic("gbdt: histRowsByte: row out of range")
		}
	}
	histRows8(hist, rows, bins, offset, gh, stride)
}
