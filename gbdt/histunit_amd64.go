//go:build amd64 && !purego

package gbdt

import "golang.org/x/sys/cpu"

// haveUnitKernel reports whether histUnits8 and histUnits16 run: they
// need AVX-512F and DQ (KMOVB), with the OS saving the registers.
func haveUnitKernel() bool { return cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ }

// histUnits16 adds the rows' gradient pairs into 16 units' sums (see
// unitLayout): acc holds 8 float64 per unit (four gradient/hessian
// pairs), row r's masks of the 16 units are masks[r*stride:][:16]. The
// caller guarantees every row's masks and pair are inside masks and gh.
//
//go:noescape
func histUnits16(acc *[unitPass * 8]float64, rows []int32, masks []uint8, stride int, gh []gradPair)

// histUnits8 is histUnits16 for the first 8 units of acc.
//
//go:noescape
func histUnits8(acc *[unitPass * 8]float64, rows []int32, masks []uint8, stride int, gh []gradPair)

// histSlots adds the rows' gradient pairs into hist: row r's buckets are
// slots[r*cols:][:cols] (doubled bucket indices, see unitLayout.rest). The
// caller guarantees every row's slots and pair and every slot are inside
// slots, gh and hist.
//
//go:noescape
func histSlots(hist []bucket, rows []int32, slots []uint16, cols int, gh []gradPair)

// histSlotsCols is histSlots over the columns in cols only (indexes into
// a row's slots, distinct): the other columns' buckets are not touched.
// The caller guarantees every row's slots and pair, every column and
// every slot are inside slots, gh, the row and hist.
//
//go:noescape
func histSlotsCols(hist []bucket, rows []int32, slots []uint16, stride int, cols []int, gh []gradPair)
