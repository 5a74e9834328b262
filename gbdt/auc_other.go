//go:build !amd64 || purego

package gbdt

// pairLanes is the room aucLogistic leaves after its classes' values.
const pairLanes = 16

// pairWinsFast declines here: pairWinsSorted counts.
func pairWinsFast(pos, neg []float32) (uint64, bool) { return 0, false }
