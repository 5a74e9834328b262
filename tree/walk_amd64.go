//go:build amd64 && !purego

package tree

import "golang.org/x/sys/cpu"

// haveWalk16 reports whether the CPU runs walk16: AVX-512F with the OS
// saving its registers (and BMI2, which fill16 uses; every AVX-512 CPU
// has it).
func haveWalk16() bool { return cpu.X86.HasAVX512F && cpu.X86.HasBMI2 }

// walk16 walks lane groups of 16 rows through ntrees trees of the
// complete layout of depth levels0 (+1 when level5) with AVX-512 and adds
// each row's leaf values, tree by tree in order, to acc
// (groups×16 values, lane order).
//
// feat and thr hold 64 entries per tree: entries 0-31 are splits 0-31
// and entries 32-63 splits 31-62 (the sixth level), so every level looks
// its splits up with two-register permutes. feat is the split's slot in a
// lane group (2·feature + default right) times 16; leaves holds 64 leaf
// values per tree, leaf i at split index ns+i. xb holds groups lane
// groups of groupLen float32 values: value of slot s, lane l at
// s·16 + l.
//
//go:noescape
func walk16(feat *int32, thr *float32, leaves *float64, ntrees, levels0, level5, ns int, xb *float32, groupLen, groups int, acc *float64)

// walk16d6 is walk16 for trees of depth 6 (levels0 5, level5 1, ns 63),
// or padded to it (buildWalk16), with leaf values from leaves32 (64
// float32 values per tree) when it is not nil.
//
//go:noescape
func walk16d6(feat *int32, thr *float32, leaves *float64, leaves32 *float32, ntrees int, xb *float32, groupLen, groups int, acc *float64)

// fill16 is fillLanes(xb, x, m, 16) for n rows of x: every lane group's
// values, lanes past the last row zero.
//
//go:noescape
func fill16(xb *float32, x *float64, m, n int)

// walk16deep is walk16 for trees of depth 6+deep (deep 1 or 2): all holds
// every split's slot (times 16) and threshold bits as a pair, and leaves
// every leaf value, stride per tree; ns is the number of splits of the
// layout.
//
//go:noescape
func walk16deep(feat *int32, thr *float32, all *int32, leaves *float64, ntrees, deep, stride, ns int, xb *float32, groupLen, groups int, acc *float64)
