package tree

import "math"

// Flat is an ensemble of trees flattened for fast prediction: every node of
// every tree in one array of 12-byte nodes, the two children of a node
// adjacent (right = left + 1) whatever the numbering of the source trees.
// A Flat is immutable and safe for concurrent use.
type Flat struct {
	nodes  []flatNode
	values []float64 // leaf value by flat node index
	roots  []int32

	// The complete layout, used when every tree is at most
	// maxCompleteDepth deep: each tree padded to depth depth (a shallow
	// leaf becomes splits that always go left), so a walk is depth
	// branch-free steps i = 2i + 1 + (go right).
	depth    int
	splits   []completeSplit // per tree 2^depth − 1
	leafVals []float64       // per tree 2^depth
}

// completeSplit is a split of the complete layout.
type completeSplit struct {
	feat uint32 // bit 31: missing goes left
	thr  float32
}

// maxCompleteDepth bounds the padded layout's size (2^depth per tree).
const maxCompleteDepth = 8

// flatNode is a split (left >= 0) or a leaf (left < 0).
type flatNode struct {
	feat uint32 // feature index; bit 31 set when missing goes left
	thr  float32
	left int32
}

const defaultLeftBit = 1 << 31

// NewFlat flattens trees, which must be valid ([Tree.Validate]).
func NewFlat(trees []Tree) *Flat {
	total := 0
	for i := range trees {
		total += trees[i].NumNodes()
	}
	f := &Flat{
		nodes:  make([]flatNode, 0, total),
		values: make([]float64, 0, total),
		roots:  make([]int32, len(trees)),
	}
	queue := make([]int32, 0, 64)
	for ti := range trees {
		t := &trees[ti]
		base := int32(len(f.nodes))
		f.roots[ti] = base
		if t.NumNodes() == 0 {
			f.nodes = append(f.nodes, flatNode{left: -1})
			f.values = append(f.values, 0)
			continue
		}
		// Breadth-first: a node's children are appended together.
		queue = append(queue[:0], 0)
		f.nodes = append(f.nodes, flatNode{})
		f.values = append(f.values, 0)
		for qi := 0; qi < len(queue); qi++ {
			src := queue[qi]
			dst := base + int32(qi)
			if t.Left[src] < 0 {
				f.nodes[dst] = flatNode{left: -1}
				f.values[dst] = t.Value[src]
				continue
			}
			left := int32(len(f.nodes))
			feat := uint32(t.Feature[src])
			if t.DefaultLeft[src] {
				feat |= defaultLeftBit
			}
			f.nodes[dst] = flatNode{feat: feat, thr: t.Threshold[src], left: left}
			f.nodes = append(f.nodes, flatNode{}, flatNode{})
			f.values = append(f.values, 0, 0)
			queue = append(queue, t.Left[src], t.Right[src])
		}
	}
	f.buildComplete(trees)
	return f
}

// buildComplete fills the complete layout when the trees are shallow.
func (f *Flat) buildComplete(trees []Tree) {
	d := 1
	for i := range trees {
		if trees[i].NumNodes() == 0 {
			return
		}
		d = max(d, trees[i].MaxDepth())
	}
	if d > maxCompleteDepth {
		return
	}
	f.depth = d
	ns, nl := 1<<d-1, 1<<d
	f.splits = make([]completeSplit, ns*len(trees))
	f.leafVals = make([]float64, nl*len(trees))
	var fill func(t *Tree, splits []completeSplit, leaves []float64, src int32, dst, level int)
	fill = func(t *Tree, splits []completeSplit, leaves []float64, src int32, dst, level int) {
		if level == d {
			leaves[dst-ns] = t.Value[src]
			return
		}
		l, r := src, src
		if t.Left[src] < 0 {
			// Padding: every value (and NaN) goes left.
			splits[dst] = completeSplit{feat: defaultLeftBit, thr: float32(math.Inf(1))}
		} else {
			feat := uint32(t.Feature[src])
			if t.DefaultLeft[src] {
				feat |= defaultLeftBit
			}
			splits[dst] = completeSplit{feat: feat, thr: t.Threshold[src]}
			l, r = t.Left[src], t.Right[src]
		}
		fill(t, splits, leaves, l, 2*dst+1, level+1)
		fill(t, splits, leaves, r, 2*dst+2, level+1)
	}
	for i := range trees {
		fill(&trees[i], f.splits[i*ns:(i+1)*ns], f.leafVals[i*nl:(i+1)*nl], 0, 0, 0)
	}
}

// completeLeaf walks tree ti of the complete layout for a float32 row and
// returns the index into leafVals.
func (f *Flat) completeLeaf(ti int, x []float32) int {
	ns := 1<<f.depth - 1
	splits := f.splits[ti*ns : (ti+1)*ns]
	i := 0
	for range f.depth {
		s := splits[i]
		v := x[s.feat&^defaultLeftBit]
		d := 0
		if v >= s.thr {
			d = 1
		}
		if v != v {
			d = int(s.feat>>31) ^ 1
		}
		i = 2*i + 1 + d
	}
	return ti*(ns+1) + i - ns
}

// completeLeaf4 is completeLeaf for four rows in lockstep.
func (f *Flat) completeLeaf4(ti int, x []float32, m int) (int, int, int, int) {
	ns := 1<<f.depth - 1
	splits := f.splits[ti*ns : (ti+1)*ns]
	x0, x1, x2, x3 := x[:m], x[m:2*m], x[2*m:3*m], x[3*m:4*m]
	i0, i1, i2, i3 := 0, 0, 0, 0
	for range f.depth {
		i0 = completeStep(splits, i0, x0)
		i1 = completeStep(splits, i1, x1)
		i2 = completeStep(splits, i2, x2)
		i3 = completeStep(splits, i3, x3)
	}
	base := ti*(ns+1) - ns
	return base + i0, base + i1, base + i2, base + i3
}

func completeStep(splits []completeSplit, i int, x []float32) int {
	s := splits[i]
	v := x[s.feat&^defaultLeftBit]
	d := 0
	if v >= s.thr {
		d = 1
	}
	if v != v {
		d = int(s.feat>>31) ^ 1
	}
	return 2*i + 1 + d
}

// NumTrees returns the number of trees.
func (f *Flat) NumTrees() int { return len(f.roots) }

// leaf returns the flat index of the leaf of tree ti that x reaches.
func (f *Flat) leaf(ti int, x []float64) int32 {
	nodes := f.nodes
	i := f.roots[ti]
	for {
		n := &nodes[i]
		if n.left < 0 {
			return i
		}
		v := x[n.feat&^defaultLeftBit]
		i = n.left
		if v != v {
			if n.feat&defaultLeftBit == 0 {
				i++
			}
		} else if !(float32(v) < n.thr) {
			i++
		}
	}
}

// Value returns the leaf value of tree ti for row x. It does not allocate.
func (f *Flat) Value(ti int, x []float64) float64 {
	if f.depth > 0 {
		return f.leafVals[f.completeLeaf64(ti, x)]
	}
	return f.values[f.leaf(ti, x)]
}

// Sum returns the sum of the leaf values of trees [lo, hi) for row x.
func (f *Flat) Sum(x []float64, lo, hi int) float64 {
	s := 0.0
	if f.depth > 0 {
		for ti := lo; ti < hi; ti++ {
			s += f.leafVals[f.completeLeaf64(ti, x)]
		}
		return s
	}
	for ti := lo; ti < hi; ti++ {
		s += f.values[f.leaf(ti, x)]
	}
	return s
}

// completeLeaf64 is completeLeaf for a float64 row.
func (f *Flat) completeLeaf64(ti int, x []float64) int {
	ns := 1<<f.depth - 1
	splits := f.splits[ti*ns : (ti+1)*ns]
	i := 0
	for range f.depth {
		s := splits[i]
		v := float32(x[s.feat&^defaultLeftBit])
		d := 0
		if v >= s.thr {
			d = 1
		}
		if v != v {
			d = int(s.feat>>31) ^ 1
		}
		i = 2*i + 1 + d
	}
	return ti*(ns+1) + i - ns
}

// leaf32 is leaf for a row already converted to float32, with the
// branch on the comparison turned into arithmetic: right = left + 1 when
// v >= threshold, or when v is missing and the default is right.
func (f *Flat) leaf32(ti int, x []float32) int32 {
	nodes := f.nodes
	i := f.roots[ti]
	for {
		n := &nodes[i]
		if n.left < 0 {
			return i
		}
		v := x[n.feat&^defaultLeftBit]
		var step int32
		if v >= n.thr {
			step = 1
		}
		if v != v {
			step = int32(n.feat>>31) ^ 1
		}
		i = n.left + step
	}
}

// step moves from split node i one level down for value v.
func (f *Flat) step(i int32, x []float32) int32 {
	n := &f.nodes[i]
	if n.left < 0 {
		return i
	}
	v := x[n.feat&^defaultLeftBit]
	var d int32
	if v >= n.thr {
		d = 1
	}
	if v != v {
		d = int32(n.feat>>31) ^ 1
	}
	return n.left + d
}

// leaf4 walks four consecutive rows of x (m features each) through tree
// ti in lockstep.
func (f *Flat) leaf4(ti int, x []float32, m int) (int32, int32, int32, int32) {
	x0, x1, x2, x3 := x[:m], x[m:2*m], x[2*m:3*m], x[3*m:4*m]
	r := f.roots[ti]
	i0, i1, i2, i3 := r, r, r, r
	nodes := f.nodes
	for nodes[i0].left >= 0 || nodes[i1].left >= 0 || nodes[i2].left >= 0 || nodes[i3].left >= 0 {
		i0 = f.step(i0, x0)
		i1 = f.step(i1, x1)
		i2 = f.step(i2, x2)
		i3 = f.step(i3, x3)
	}
	return i0, i1, i2, i3
}

// BlockRows is the number of rows [Flat.AddBlock] walks through each tree
// at a time.
const BlockRows = 64

// AddBlock adds, for each of the n rows of x (row-major, m features), the
// value of every tree t into dst[row*stride + group[t]] (group nil: all
// into dst[row*stride]). Rows are taken BlockRows at a time through each
// tree so a tree stays in cache. buf is float32 scratch of at least
// BlockRows×m values. It does not allocate.
func (f *Flat) AddBlock(dst []float64, stride int, group []int32, x []float64, m int, buf []float32) {
	n := len(x) / m
	for r0 := 0; r0 < n; r0 += BlockRows {
		r1 := min(r0+BlockRows, n)
		rows := r1 - r0
		xb := buf[:rows*m]
		for k, v := range x[r0*m : r1*m] {
			xb[k] = float32(v)
		}
		for ti := range f.roots {
			off := 0
			if group != nil {
				off = int(group[ti])
			}
			if f.depth > 0 {
				r := 0
				for ; r+4 <= rows; r += 4 {
					l0, l1, l2, l3 := f.completeLeaf4(ti, xb[r*m:(r+4)*m], m)
					dst[(r0+r)*stride+off] += f.leafVals[l0]
					dst[(r0+r+1)*stride+off] += f.leafVals[l1]
					dst[(r0+r+2)*stride+off] += f.leafVals[l2]
					dst[(r0+r+3)*stride+off] += f.leafVals[l3]
				}
				for ; r < rows; r++ {
					dst[(r0+r)*stride+off] += f.leafVals[f.completeLeaf(ti, xb[r*m:r*m+m])]
				}
				continue
			}
			r := 0
			// Four rows walk the tree together: their loads overlap.
			for ; r+4 <= rows; r += 4 {
				l0, l1, l2, l3 := f.leaf4(ti, xb[r*m:(r+4)*m], m)
				dst[(r0+r)*stride+off] += f.values[l0]
				dst[(r0+r+1)*stride+off] += f.values[l1]
				dst[(r0+r+2)*stride+off] += f.values[l2]
				dst[(r0+r+3)*stride+off] += f.values[l3]
			}
			for ; r < rows; r++ {
				dst[(r0+r)*stride+off] += f.values[f.leaf32(ti, xb[r*m:r*m+m])]
			}
		}
	}
}
