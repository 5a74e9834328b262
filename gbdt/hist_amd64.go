//go:build amd64 && !purego

package gbdt

// histRows8 is histRowsGo for byte bins in assembly (hist_amd64.s): one
// 128-bit add per (row, column) instead of two scalar adds and stores.
// The caller guarantees what histRowsByte checks.
//
//go:noescape
func histRows8(hist []bucket, rows []int32, bins []uint8, offset, cols []int, gh []gradPair, stride int)

// histRowsByte adds the rows' gradient pairs into hist (see histRowsGo).
func histRowsByte(hist []bucket, rows []int32, bins []uint8, offset, cols []int, gh []gradPair, stride int) {
	n := len(offset)
	if len(rows) == 0 || n == 0 || (cols != nil && len(cols) == 0) {
		return
	}
	// The assembly indexes hist and bins unchecked: every slot a byte
	// bin can reach and every row's cells must be inside them.
	if stride < n || len(bins) < n {
		panic("gbdt: histRowsByte: inconsistent buffers")
	}
	if cols == nil {
		for _, o := range offset {
			if o < 0 || o+255 >= len(hist) {
				panic("gbdt: histRowsByte: histogram too short")
			}
		}
	} else {
		// Distinct and increasing: a slot never gets two additions per
		// row, so the four-row order is the plain loop's.
		prev := -1
		for _, c := range cols {
			if c <= prev || c >= n {
				panic("gbdt: histRowsByte: column list not increasing or out of range")
			}
			prev = c
			if o := offset[c]; o < 0 || o+255 >= len(hist) {
				panic("gbdt: histRowsByte: histogram too short")
			}
		}
	}
	hi := min((len(bins)-n)/stride+1, len(gh))
	for _, r := range rows {
		if uint(r) >= uint(hi) {
			panic("gbdt: histRowsByte: row out of range")
		}
	}
	histRows8(hist, rows, bins, offset, cols, gh, stride)
}
