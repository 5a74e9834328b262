//go:build amd64 && !purego

package gbdt

import "golang.org/x/sys/cpu"

// haveLogistic8 reports whether logistic8 runs here: AVX-512 F, DQ and VL
// with the OS saving their registers, and AVX with FMA, which is what
// makes math.Exp take its FMA path (math.useFMA), the sequence
// logistic8 repeats.
func haveLogistic8() bool {
	return cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL && cpu.X86.HasAVX && cpu.X86.HasFMA
}

// logistic8 is logisticGo for blocks of 8 rows in assembly
// (objective_amd64.s): margin, y, gh and (when not nil) w hold at least
// 8·blocks values. With w nil and scalePos 1 it is logisticUnweighted.
//
//go:noescape
func logistic8(margin, y, w *float64, scalePos float32, gh *gradPair, blocks int)

// logisticBlocks computes the logistic gradients of the leading rows of
// margin, a multiple of 8, with logistic8 and returns how many it did
// (0 where logistic8 does not run). w is nil or as long as margin.
func logisticBlocks(margin, y, w []float64, scalePos float32, gh []gradPair) int {
	blocks := len(margin) / 8
	if blocks == 0 || !haveLogistic8() {
		return 0
	}
	n := blocks * 8
	// The assembly reads and writes unchecked.
	if len(y) < n || len(gh) < n || (w != nil && len(w) < n) {
		panic("gbdt: logisticBlocks: inconsistent buffers")
	}
	var wp *float64
	if w != nil {
		wp = &w[0]
	}
	logistic8(&margin[0], &y[0], wp, scalePos, &gh[0], blocks)
	return n
}
