//go:build !amd64 || purego

package gbdt

// histRowsByte adds the rows' gradient pairs into hist (see histRowsGo).
func histRowsByte(hist []bucket, rows []int32, bins []uint8, offset, cols []int, gh []gradPair, stride int) {
	histRowsGo(hist, rows, bins, offset, cols, gh, stride)
}
