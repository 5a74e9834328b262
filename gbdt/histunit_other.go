//go:build !amd64 || purego

package gbdt

// haveUnitKernel reports whether histUnits8 and histUnits16 run: never
// without the assembly.
func haveUnitKernel() bool { return false }

func histUnits8(*[unitPass * 8]float64, []int32, []uint8, int, []gradPair) {
	panic("gbdt: no unit kernel")
}

func histUnits16(*[unitPass * 8]float64, []int32, []uint8, int, []gradPair) {
	panic("gbdt: no unit kernel")
}

func histSlots([]bucket, []int32, []uint16, int, []gradPair) {
	panic("gbdt: no unit kernel")
}

func histSlotsCols([]bucket, []int32, []uint16, int, []int, []gradPair) {
	panic("gbdt: no unit kernel")
}
