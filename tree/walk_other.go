//go:build !amd64 || purego

package tree

// haveWalk16 reports whether walk16 runs here: it is AVX-512 assembly.
func haveWalk16() bool { return false }

// walk16 is never called where haveWalk16 is false.
func walk16(feat *int32, thr *float32, leaves *float64, ntrees, levels0, level5, ns int, xb *float32, groupLen, groups int, acc *float64) {
	panic("tree: walk16 without AVX-512")
}

// walk16d6 is never called where haveWalk16 is false.
func walk16d6(feat *int32, thr *float32, leaves *float64, leaves32 *float32, ntrees int, xb *float32, groupLen, groups int, acc *float64) {
	panic("tree: walk16d6 without AVX-512")
}

// fill16 is never called where haveWalk16 is false.
func fill16(xb *float32, x *float64, m, n int) {
	panic("tree: fill16 without AVX-512")
}

// walk16deep is never called where haveWalk16 is false.
func walk16deep(feat *int32, thr *float32, all *int32, leaves *float64, ntrees, deep, stride, ns int, xb *float32, groupLen, groups int, acc *float64) {
	panic("tree: walk16deep without AVX-512")
}
