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
	e := &evalCodes{rows: d.Rows(), cols: cols, codes: make([]uint16, d.Rows()*cols), split: make([][]float32, cols)}
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

// walkNode is a split or leaf of the coded walk: a row goes to kid[1]
// (left) when its code is at most j or it is missing and missLeft.
type walkNode struct {
	feat     int32
	j        uint16
	missLeft bool
	leaf     bool
	kid      [2]int32
	value    float64
}

// nodes is t's coded walk, false when it has a split the codes cannot
// decide.
func (e *evalCodes) nodes(t *tree.Tree, buf []walkNode) ([]walkNode, bool) {
	if t.Categories != nil {
		return nil, false
	}
	buf = buf[:0]
	for i := range t.Left {
		n := walkNode{value: t.Value[i], kid: [2]int32{t.Right[i], t.Left[i]}}
		if t.Left[i] < 0 {
			n.leaf = true
			buf = append(buf, n)
			continue
		}
		f := int(t.Feature[i])
		if f < 0 || f >= e.cols || e.split[f] == nil {
			return nil, false
		}
		s, thr := e.split[f], t.Threshold[i]
		j := sort.Search(len(s), func(j int) bool { return s[j] >= thr })
		if j == len(s) || s[j] != thr || int(t.Left[i]) >= len(t.Left) || t.Right[i] < 0 || int(t.Right[i]) >= len(t.Left) {
			return nil, false
		}
		n.feat, n.j, n.missLeft = int32(f), uint16(j), t.DefaultLeft[i]
		buf = append(buf, n)
	}
	return buf, true
}

// add adds the leaf value each row reaches through nodes into
// margins[row*k+c].
func (e *evalCodes) add(nodes []walkNode, margins []float64, k, c int) {
	parallelRows(e.rows, 4096, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := e.codes[r*e.cols : (r+1)*e.cols]
			n := &nodes[0]
			for !n.leaf {
				code := row[n.feat]
				left := 0
				if code <= n.j || (code == codeMissing && n.missLeft) {
					left = 1
				}
				n = &nodes[n.kid[left]]
			}
			margins[r*k+c] += n.value
		}
	})
}
