//go:build amd64 && !purego

package gbdt

import (
	"math"

	"golang.org/x/sys/cpu"
)

// pairWins16 adds, for each of the nx values at x and each of the 16·ny16
// values at y, one to a lane of lanes when y < x and one when y <= x
// (comparisons false for NaN), in assembly (auc_amd64.s). lanes holds
// two accumulators of 16 lanes.
//
//go:noescape
func pairWins16(x *float32, nx int, y *float32, ny16 int, lanes *[2 * pairLanes]uint32)

// pairLanes is pairWins16's vector width.
const pairLanes = 16

// pairMaxMinority is the largest minority class pairWinsFast compares
// pair by pair: its nx·ny/16 vector steps then cost about what the
// radix sort's passes do.
const pairMaxMinority = 128

// pairWinsFast is pairWinsSorted with the AVX-512 kernel, when the
// smaller class has at most pairMaxMinority rows. pos and neg are
// scratch, with room for pairLanes more values: it may negate both and
// pads the larger class with NaN, which no comparison counts.
func pairWinsFast(pos, neg []float32) (uint64, bool) {
	if min(len(pos), len(neg)) > pairMaxMinority || !cpu.X86.HasAVX512F {
		return 0, false
	}
	// Twice q < p plus q == p is [q < p] + [q <= p]; with the negatives
	// the smaller class, negating both sides keeps the comparisons'
	// direction: q < p is -p < -q.
	x, y := pos, neg
	if len(neg) < len(pos) {
		for i := range pos {
			pos[i] = -pos[i]
		}
		for i := range neg {
			neg[i] = -neg[i]
		}
		x, y = neg, pos
	}
	nan := float32(math.NaN())
	for len(y)%pairLanes != 0 {
		y = append(y, nan)
	}
	if len(x) == 0 {
		return 0, true
	}
	var lanes [2 * pairLanes]uint32
	pairWins16(&x[0], len(x), &y[0], len(y)/pairLanes, &lanes)
	var wins uint64
	for _, c := range lanes {
		wins += uint64(c)
	}
	return wins, true
}
