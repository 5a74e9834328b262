//go:build !amd64 || purego

package gbdt

// walkFast does nothing here: add walks in Go.
func (e *evalCodes) walkFast(nodes []walkNode, depth, lo int, out []int32) bool { return false }
