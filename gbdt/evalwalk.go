package gbdt

import (
	"math"
	"sort"

	"github.com/ferryml/ferry/table"
	"github.com/ferryml/ferry/tree"
)

// evalCodes is an eval set's rows coded once against the training cuts,
// so that each round's new tree walks small codes instead of float rows
// (addTree). A value's code is the number of leading entries of its
// feature's split values (minVal, then the cuts: every threshold a trained
// tree can hold) that it is not below, so for a split value at position j
// (its first), float32(x) < threshold exactly when code ≤ j; missing
// values have codeMissing. The walk takes the same branch as tree.Leaf for
// every row, values equal to a cut, ±Inf and NaN included; a tree it cannot
// walk so (categorical splits, a threshold or feature without usable split
// values) goes through tree.Predict.
type evalCodes struct {
	rows, cols int
	codes      []uint16 // rows×cols, row-major
	// split[f] is feature f's split values, nil when not sorted (codes
	// then unusable for it).
	split [][]float32
}

// codeMissing is the code of a missing value; real codes are at most 257.
const codeMissing = math.MaxUint16

// newEvalCodes codes d's rows against b's cuts (nil when d's feature count
// differs).
func newEvalCodes(b *binned, d *table.Dataset) *evalCodes {
	cols := d.NumFeature
	if cols != b.cols || cols == 0 {
		return nil
	}
	// Two codes of room after the last row: walk32 reads a code as the
	// low half of four bytes.
	e := &evalCodes{rows: d.Rows(), cols: cols, codes: make([]uint16, d.Rows()*cols, d.Rows()*cols+2), split: make([][]float32, cols)}
	for f := range cols {
		c := b.cuts[f]
		s := append([]float32{c.minVal}, c.cut...)
		sorted := len(s) < codeMissing
		for j := 1; j < len(s); j++ {
			if !(s[j-1] <= s[j]) {
				sorted = false
			}
		}
		if sorted {
			e.split[f] = s
		}
	}
	parallelRows(e.rows, 1024, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x := d.X[r*cols : (r+1)*cols]
			out := e.codes[r*cols : (r+1)*cols]
			for f, v := range x {
				s := e.split[f]
				switch {
				case v != v:
					out[f] = codeMissing
				case s == nil:
					out[f] = 0
				default:
					v32 := float32(v)
					out[f] = uint16(sort.Search(len(s), func(j int) bool { return v32 < s[j] }))
				}
			}
		}
	})
	return e
}

// walkNode is a split or leaf of the coded walk: a row with code c goes
// to kid[1] (left) when uint16(c+a) ≤ jb, which is c ≤ j for a split
// sending missing values right (a = 0, jb = j: codeMissing is above every
// j) and c ≤ j or c = codeMissing for one sending them left (a = 1, jb =
// j+1: codeMissing+1 wraps to 0). A leaf's kids are itself, so every row
// takes the same number of steps (no mispredicted exit).
type walkNode struct {
	feat  int32
	a, jb uint16
	kid   [2]int32
	value float64
}

// nodes is t's coded walk and its depth, false when it has a split the
// codes cannot decide.
func (e *evalCodes) nodes(t *tree.Tree, buf []walkNode) ([]walkNode, int, bool) {
	if t.Categories != nil || len(t.Left) == 0 {
		return nil, 0, false
	}
	buf = buf[:0]
	for i := range t.Left {
		n := walkNode{value: t.Value[i], kid: [2]int32{t.Right[i], t.Left[i]}}
		if t.Left[i] < 0 {
			n.kid = [2]int32{int32(i), int32(i)}
			buf = append(buf, n)
			continue
		}
		f := int(t.Feature[i])
		if f < 0 || f >= e.cols || e.split[f] == nil {
			return nil, 0, false
		}
		s, thr := e.split[f], t.Threshold[i]
		j := sort.Search(len(s), func(j int) bool { return s[j] >= thr })
		// Children after their parent (a tree, and the depth below).
		if j == len(s) || s[j] != thr || int(t.Left[i]) <= i || int(t.Right[i]) <= i || int(t.Left[i]) >= len(t.Left) || int(t.Right[i]) >= len(t.Left) {
			return nil, 0, false
		}
		n.feat, n.jb = int32(f), uint16(j)
		if t.DefaultLeft[i] {
			n.a, n.jb = 1, uint16(j+1)
		}
		buf = append(buf, n)
	}
	// Depth: children come after their parent.
	depth := make([]int, len(buf))
	maxDepth := 0
	for i, n := range buf {
		if n.kid[0] != int32(i) {
			depth[n.kid[0]] = depth[i] + 1
			depth[n.kid[1]] = depth[i] + 1
			maxDepth = max(maxDepth, depth[i]+1)
		}
	}
	return buf, maxDepth, true
}

// add adds the leaf value each row reaches through nodes (depth steps)
// into margins[row*k+c]. Four rows walk together: their steps are
// independent chains of loads that overlap.
func (e *evalCodes) add(nodes []walkNode, depth int, margins []float64, k, c int) {
	cols := e.cols
	parallelRows(e.rows, 4096, func(lo, hi int) {
		r := lo
		// Thirty-two rows at a time where walk32 runs.
		var leaf [256]int32
		for r+32 <= hi {
			m := min(hi-r, len(leaf)) &^ 31
			if !e.walkFast(nodes, depth, r, leaf[:m]) {
				break
			}
			for j, i := range leaf[:m] {
				margins[(r+j)*k+c] += nodes[i].value
			}
			r += m
		}
		for ; r+4 <= hi; r += 4 {
			row0 := e.codes[r*cols : (r+1)*cols]
			row1 := e.codes[(r+1)*cols : (r+2)*cols]
			row2 := e.codes[(r+2)*cols : (r+3)*cols]
			row3 := e.codes[(r+3)*cols : (r+4)*cols]
			var i0, i1, i2, i3 int32
			for range depth {
				n0, n1, n2, n3 := &nodes[i0], &nodes[i1], &nodes[i2], &nodes[i3]
				i0 = n0.kid[b2i(row0[n0.feat]+n0.a <= n0.jb)]
				i1 = n1.kid[b2i(row1[n1.feat]+n1.a <= n1.jb)]
				i2 = n2.kid[b2i(row2[n2.feat]+n2.a <= n2.jb)]
				i3 = n3.kid[b2i(row3[n3.feat]+n3.a <= n3.jb)]
			}
			margins[r*k+c] += nodes[i0].value
			margins[(r+1)*k+c] += nodes[i1].value
			margins[(r+2)*k+c] += nodes[i2].value
			margins[(r+3)*k+c] += nodes[i3].value
		}
		for ; r < hi; r++ {
			row := e.codes[r*cols : (r+1)*cols]
			i := int32(0)
			for range depth {
				n := &nodes[i]
				i = n.kid[b2i(row[n.feat]+n.a <= n.jb)]
			}
			margins[r*k+c] += nodes[i].value
		}
	})
}

// b2i is 1 for true, 0 for false (a SETcc, no branch).
func b2i(b bool) int {
	i := 0
	if b {
		i = 1
	}
	return i
}
