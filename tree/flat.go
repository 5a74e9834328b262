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
	// cats holds the category sets of categorical splits, whose nodes
	// have catBit set in feat and the set's index as the bits of thr. A
	// Flat with categorical splits walks every tree node by node
	// (leafCat); the complete layout is not built.
	cats [][]uint32

	// The complete layout, used when every tree is at most
	// maxCompleteDepth deep and every threshold is finite or +Inf: each
	// tree padded to depth depth (a shallow leaf is copied to every leaf
	// below it, so the padding splits do not matter), so a walk is depth
	// branch-free steps i = 2i + 1 + (go right).
	depth  int
	stride int             // per tree: max(64, 2^depth)
	splits []completeSplit // per tree 2^depth − 1 used of stride
	// The splits again as two arrays (feat, thr) when stride is 64: the
	// masked walk loads each with one scaled-index instruction.
	splitFeat []uint32
	splitThr  []float32
	leafVals  []float64 // per tree 2^depth used of stride
	// The splits once more for walk16 (AVX-512; nil where it does not
	// run): per tree 64 slots times lanes16 and 64 thresholds, entries
	// 0-31 holding splits 0-31 and entries 32-63 splits 31-62, so each of
	// the first six levels' splits fit two vector registers.
	w16Feat []int32
	w16Thr  []float32
	// w16Leaf32 holds leafVals as float32 when every leaf value is one
	// (XGBoost's are), so walk16d6 picks them from registers.
	w16Leaf32 []float32
	// w16Leaves is leafVals, or for trees padded to depth 6 (see
	// buildWalk16) their 64 leaves per tree.
	w16Leaves []float64
	// Every split's slot (times lanes16) and threshold bits, in pairs, for
	// walk16deep, stride splits per tree, when depth is 7 or 8.
	w16All []int32
}

// completeSplit is a split of the complete layout. The batch path reads
// rows from a lane-interleaved buffer holding each feature twice: slot
// 2f with NaN turned into −Inf (so a missing value goes left) and slot
// 2f+1 with NaN turned into +Inf (goes right). feat is the slot of the
// node's feature and default direction, times laneWidth, so routing a
// row is a single comparison with no test for missing values.
type completeSplit struct {
	feat uint32 // (2·feature + default right)·laneWidth
	thr  float32
}

// maxCompleteDepth bounds the padded layout's size (2^depth per tree).
const maxCompleteDepth = 8

// laneWidth is the number of rows walked through a tree in lockstep.
const laneWidth = 8

// flatNode is a split (left >= 0) or a leaf (left < 0).
type flatNode struct {
	feat uint32 // feature index; bit 31 set when missing goes left
	thr  float32
	left int32
}

const (
	defaultLeftBit = 1 << 31
	catBit         = 1 << 30
)

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
			thr := t.Threshold[src]
			if t.IsCategorical(int(src)) {
				feat |= catBit
				thr = math.Float32frombits(uint32(len(f.cats)))
				f.cats = append(f.cats, t.Categories[src])
			}
			f.nodes[dst] = flatNode{feat: feat, thr: thr, left: left}
			f.nodes = append(f.nodes, flatNode{}, flatNode{})
			f.values = append(f.values, 0, 0)
			queue = append(queue, t.Left[src], t.Right[src])
		}
	}
	if f.cats == nil {
		f.buildComplete(trees)
	}
	return f
}

// leafCat is leaf for a Flat with categorical splits.
func (f *Flat) leafCat(ti int, x []float64) int32 {
	nodes := f.nodes
	i := f.roots[ti]
	for {
		n := &nodes[i]
		if n.left < 0 {
			return i
		}
		v := x[n.feat&^(defaultLeftBit|catBit)]
		i = n.left
		switch {
		case v != v:
			if n.feat&defaultLeftBit == 0 {
				i++
			}
		case n.feat&catBit != 0:
			if CategoryGoesRight(f.cats[math.Float32bits(n.thr)], v) {
				i++
			}
		case !(float32(v) < n.thr):
			i++
		}
	}
}

// buildComplete fills the complete layout when the trees are shallow and
// their thresholds suit it.
func (f *Flat) buildComplete(trees []Tree) {
	d := 1
	for i := range trees {
		t := &trees[i]
		if t.NumNodes() == 0 {
			return
		}
		for j, thr := range t.Threshold {
			// −Inf or NaN thresholds would mis-route missing values.
			if t.Left[j] >= 0 && !(thr > float32(math.Inf(-1))) {
				return
			}
		}
		d = max(d, t.MaxDepth())
	}
	if d > maxCompleteDepth {
		return
	}
	f.depth = d
	ns, nl := 1<<d-1, 1<<d
	f.stride = max(64, nl)
	f.splits = make([]completeSplit, f.stride*len(trees))
	f.leafVals = make([]float64, f.stride*len(trees))
	var fill func(t *Tree, splits []completeSplit, leaves []float64, src int32, dst, level int)
	fill = func(t *Tree, splits []completeSplit, leaves []float64, src int32, dst, level int) {
		if level == d {
			leaves[dst-ns] = t.Value[src]
			return
		}
		l, r := src, src
		if t.Left[src] >= 0 {
			slot := 2 * uint32(t.Feature[src])
			if !t.DefaultLeft[src] {
				slot++
			}
			splits[dst] = completeSplit{feat: slot * laneWidth, thr: t.Threshold[src]}
			l, r = t.Left[src], t.Right[src]
		}
		fill(t, splits, leaves, l, 2*dst+1, level+1)
		fill(t, splits, leaves, r, 2*dst+2, level+1)
	}
	for i := range trees {
		fill(&trees[i], f.splits[i*f.stride:i*f.stride+ns], f.leafVals[i*f.stride:i*f.stride+nl], 0, 0, 0)
	}
	if f.stride == 64 {
		f.splitFeat = make([]uint32, len(f.splits))
		f.splitThr = make([]float32, len(f.splits))
		for i, sp := range f.splits {
			f.splitFeat[i], f.splitThr[i] = sp.feat, sp.thr
		}
	}
	if haveWalk16() {
		f.buildWalk16()
	}
}

// lanes16 is the number of rows walk16 takes through a tree together.
const lanes16 = 16

// buildWalk16 fills the walk16 tables from the complete layout.
func (f *Flat) buildWalk16() {
	nt := len(f.roots)
	f.w16Feat = make([]int32, 64*nt)
	f.w16Thr = make([]float32, 64*nt)
	for ti := range nt {
		sp := f.splits[ti*f.stride : ti*f.stride+64]
		feat, thr := f.w16Feat[ti*64:ti*64+64], f.w16Thr[ti*64:ti*64+64]
		for j := range 32 {
			feat[j] = int32(sp[j].feat / laneWidth * lanes16)
			thr[j] = sp[j].thr
			if k := 31 + j; k < 63 {
				feat[32+j] = int32(sp[k].feat / laneWidth * lanes16)
				thr[32+j] = sp[k].thr
			}
		}
	}
	if f.depth > 6 {
		f.w16All = make([]int32, 2*len(f.splits))
		for i, sp := range f.splits {
			f.w16All[2*i] = int32(sp.feat / laneWidth * lanes16)
			f.w16All[2*i+1] = int32(math.Float32bits(sp.thr))
		}
		return
	}
	// Trees of depth minPad16 to 6 are walked as depth 6 (walk16d6 is
	// faster per level than walk16): the splits below depth are padding
	// (slot 0, threshold 0) and each of the depth's leaves is repeated
	// over the 2^(6−depth) leaves below it.
	f.w16Leaves = f.leafVals
	if f.depth >= minPad16 && f.depth < 6 {
		shift := 6 - f.depth
		f.w16Leaves = make([]float64, 64*nt)
		for ti := range nt {
			for j := range 64 {
				f.w16Leaves[ti*64+j] = f.leafVals[ti*64+j>>shift]
			}
		}
	}
	l32 := make([]float32, len(f.w16Leaves))
	for i, v := range f.w16Leaves {
		l32[i] = float32(v)
		if float64(l32[i]) != v {
			return
		}
	}
	f.w16Leaf32 = l32
}

// minPad16 is the least depth walk16 pads to 6.
const minPad16 = 3

// completeLanes walks laneWidth rows of the lane-interleaved buffer xl
// through tree ti of the complete layout and adds their leaf values to
// out.
func (f *Flat) completeLanes(ti int, xl []float32, out *[laneWidth]float64) {
	if f.stride == 64 {
		f.completeLanes64(ti, xl, out)
		return
	}
	ns := 1<<f.depth - 1
	splits := f.splits[ti*f.stride : ti*f.stride+ns]
	var i0, i1, i2, i3, i4, i5, i6, i7 int
	for range f.depth {
		s0, s1, s2, s3 := splits[i0], splits[i1], splits[i2], splits[i3]
		i0 = 2*i0 + 1 + b2i(xl[s0.feat] >= s0.thr)
		i1 = 2*i1 + 1 + b2i(xl[s1.feat+1] >= s1.thr)
		i2 = 2*i2 + 1 + b2i(xl[s2.feat+2] >= s2.thr)
		i3 = 2*i3 + 1 + b2i(xl[s3.feat+3] >= s3.thr)
		s4, s5, s6, s7 := splits[i4], splits[i5], splits[i6], splits[i7]
		i4 = 2*i4 + 1 + b2i(xl[s4.feat+4] >= s4.thr)
		i5 = 2*i5 + 1 + b2i(xl[s5.feat+5] >= s5.thr)
		i6 = 2*i6 + 1 + b2i(xl[s6.feat+6] >= s6.thr)
		i7 = 2*i7 + 1 + b2i(xl[s7.feat+7] >= s7.thr)
	}
	leaves := f.leafVals[ti*f.stride : ti*f.stride+ns+1]
	out[0] += leaves[i0-ns]
	out[1] += leaves[i1-ns]
	out[2] += leaves[i2-ns]
	out[3] += leaves[i3-ns]
	out[4] += leaves[i4-ns]
	out[5] += leaves[i5-ns]
	out[6] += leaves[i6-ns]
	out[7] += leaves[i7-ns]
}

// completeLanes64 is completeLanes for trees of depth at most 6, whose
// splits and leaves fit arrays of 64: masking the indices with 63 lets the
// compiler drop the bounds checks.
func (f *Flat) completeLanes64(ti int, xl []float32, out *[laneWidth]float64) {
	ns := 1<<f.depth - 1
	splits := (*[64]completeSplit)(f.splits[ti*64 : ti*64+64])
	var i0, i1, i2, i3, i4, i5, i6, i7 int
	for range f.depth {
		s0, s1, s2, s3 := splits[i0&63], splits[i1&63], splits[i2&63], splits[i3&63]
		i0 = 2*i0 + 1 + b2i(xl[s0.feat] >= s0.thr)
		i1 = 2*i1 + 1 + b2i(xl[s1.feat+1] >= s1.thr)
		i2 = 2*i2 + 1 + b2i(xl[s2.feat+2] >= s2.thr)
		i3 = 2*i3 + 1 + b2i(xl[s3.feat+3] >= s3.thr)
		s4, s5, s6, s7 := splits[i4&63], splits[i5&63], splits[i6&63], splits[i7&63]
		i4 = 2*i4 + 1 + b2i(xl[s4.feat+4] >= s4.thr)
		i5 = 2*i5 + 1 + b2i(xl[s5.feat+5] >= s5.thr)
		i6 = 2*i6 + 1 + b2i(xl[s6.feat+6] >= s6.thr)
		i7 = 2*i7 + 1 + b2i(xl[s7.feat+7] >= s7.thr)
	}
	leaves := (*[64]float64)(f.leafVals[ti*64 : ti*64+64])
	out[0] += leaves[(i0-ns)&63]
	out[1] += leaves[(i1-ns)&63]
	out[2] += leaves[(i2-ns)&63]
	out[3] += leaves[(i3-ns)&63]
	out[4] += leaves[(i4-ns)&63]
	out[5] += leaves[(i5-ns)&63]
	out[6] += leaves[(i6-ns)&63]
	out[7] += leaves[(i7-ns)&63]
}

// completeTree64 is completeLanes64 for every lane group of a block: one
// call per tree rather than per tree and group.
func (f *Flat) completeTree64(ti int, xb []float32, groupLen, groups int, acc *[maxCompleteBlock / laneWidth][laneWidth]float64) {
	ns := 1<<f.depth - 1
	depth := f.depth
	splits := (*[64]completeSplit)(f.splits[ti*64 : ti*64+64])
	leaves := (*[64]float64)(f.leafVals[ti*64 : ti*64+64])
	for g := range groups {
		xl := xb[g*groupLen : (g+1)*groupLen]
		var i0, i1, i2, i3, i4, i5, i6, i7 int
		for range depth {
			s0, s1, s2, s3 := splits[i0&63], splits[i1&63], splits[i2&63], splits[i3&63]
			i0 = 2*i0 + 1 + b2i(xl[s0.feat] >= s0.thr)
			i1 = 2*i1 + 1 + b2i(xl[s1.feat+1] >= s1.thr)
			i2 = 2*i2 + 1 + b2i(xl[s2.feat+2] >= s2.thr)
			i3 = 2*i3 + 1 + b2i(xl[s3.feat+3] >= s3.thr)
			s4, s5, s6, s7 := splits[i4&63], splits[i5&63], splits[i6&63], splits[i7&63]
			i4 = 2*i4 + 1 + b2i(xl[s4.feat+4] >= s4.thr)
			i5 = 2*i5 + 1 + b2i(xl[s5.feat+5] >= s5.thr)
			i6 = 2*i6 + 1 + b2i(xl[s6.feat+6] >= s6.thr)
			i7 = 2*i7 + 1 + b2i(xl[s7.feat+7] >= s7.thr)
		}
		out := &acc[g&(maxCompleteBlock/laneWidth-1)]
		out[0] += leaves[(i0-ns)&63]
		out[1] += leaves[(i1-ns)&63]
		out[2] += leaves[(i2-ns)&63]
		out[3] += leaves[(i3-ns)&63]
		out[4] += leaves[(i4-ns)&63]
		out[5] += leaves[(i5-ns)&63]
		out[6] += leaves[(i6-ns)&63]
		out[7] += leaves[(i7-ns)&63]
	}
}

// maskedGroup bounds a lane group's length (2·m·laneWidth floats, so
// m <= 256) for completeTree64Masked, which views each group as an array
// of maskedGroup values and masks its indices, so the loads need no
// bounds checks; the scratch then needs maskedGroup values of slack.
const maskedGroup = 4096

// completeTree64Masked is completeTree64 with each lane group viewed as
// an array of maskedGroup values (xb must hold maskedGroup values from
// the start of the last group), two groups walked together: sixteen
// independent dependency chains per level.
func (f *Flat) completeTree64Masked(ti int, xb []float32, groupLen, groups int, acc *[maxCompleteBlock / laneWidth][laneWidth]float64) {
	const mask = maskedGroup - 1
	ns := 1<<f.depth - 1
	depth := f.depth
	feat := (*[64]uint32)(f.splitFeat[ti*64 : ti*64+64])
	thr := (*[64]float32)(f.splitThr[ti*64 : ti*64+64])
	leaves := (*[64]float64)(f.leafVals[ti*64 : ti*64+64])
	rf, rt := feat[0], thr[0]
	g := 0
	for ; g+2 <= groups; g += 2 {
		xa := (*[maskedGroup]float32)(xb[g*groupLen : g*groupLen+maskedGroup])
		xc := (*[maskedGroup]float32)(xb[(g+1)*groupLen : (g+1)*groupLen+maskedGroup])
		// The root is the same split for every row.
		a0 := 1 + b2i(xa[rf&mask] >= rt)
		a1 := 1 + b2i(xa[(rf+1)&mask] >= rt)
		a2 := 1 + b2i(xa[(rf+2)&mask] >= rt)
		a3 := 1 + b2i(xa[(rf+3)&mask] >= rt)
		a4 := 1 + b2i(xa[(rf+4)&mask] >= rt)
		a5 := 1 + b2i(xa[(rf+5)&mask] >= rt)
		a6 := 1 + b2i(xa[(rf+6)&mask] >= rt)
		a7 := 1 + b2i(xa[(rf+7)&mask] >= rt)
		c0 := 1 + b2i(xc[rf&mask] >= rt)
		c1 := 1 + b2i(xc[(rf+1)&mask] >= rt)
		c2 := 1 + b2i(xc[(rf+2)&mask] >= rt)
		c3 := 1 + b2i(xc[(rf+3)&mask] >= rt)
		c4 := 1 + b2i(xc[(rf+4)&mask] >= rt)
		c5 := 1 + b2i(xc[(rf+5)&mask] >= rt)
		c6 := 1 + b2i(xc[(rf+6)&mask] >= rt)
		c7 := 1 + b2i(xc[(rf+7)&mask] >= rt)
		for range depth - 1 {
			a0 = 2*a0 + 1 + b2i(xa[feat[a0&63]&mask] >= thr[a0&63])
			a1 = 2*a1 + 1 + b2i(xa[(feat[a1&63]+1)&mask] >= thr[a1&63])
			a2 = 2*a2 + 1 + b2i(xa[(feat[a2&63]+2)&mask] >= thr[a2&63])
			a3 = 2*a3 + 1 + b2i(xa[(feat[a3&63]+3)&mask] >= thr[a3&63])
			c0 = 2*c0 + 1 + b2i(xc[feat[c0&63]&mask] >= thr[c0&63])
			c1 = 2*c1 + 1 + b2i(xc[(feat[c1&63]+1)&mask] >= thr[c1&63])
			c2 = 2*c2 + 1 + b2i(xc[(feat[c2&63]+2)&mask] >= thr[c2&63])
			c3 = 2*c3 + 1 + b2i(xc[(feat[c3&63]+3)&mask] >= thr[c3&63])
			a4 = 2*a4 + 1 + b2i(xa[(feat[a4&63]+4)&mask] >= thr[a4&63])
			a5 = 2*a5 + 1 + b2i(xa[(feat[a5&63]+5)&mask] >= thr[a5&63])
			a6 = 2*a6 + 1 + b2i(xa[(feat[a6&63]+6)&mask] >= thr[a6&63])
			a7 = 2*a7 + 1 + b2i(xa[(feat[a7&63]+7)&mask] >= thr[a7&63])
			c4 = 2*c4 + 1 + b2i(xc[(feat[c4&63]+4)&mask] >= thr[c4&63])
			c5 = 2*c5 + 1 + b2i(xc[(feat[c5&63]+5)&mask] >= thr[c5&63])
			c6 = 2*c6 + 1 + b2i(xc[(feat[c6&63]+6)&mask] >= thr[c6&63])
			c7 = 2*c7 + 1 + b2i(xc[(feat[c7&63]+7)&mask] >= thr[c7&63])
		}
		outa := &acc[(g)&(maxCompleteBlock/laneWidth-1)]
		outa[0] += leaves[(a0-ns)&63]
		outa[1] += leaves[(a1-ns)&63]
		outa[2] += leaves[(a2-ns)&63]
		outa[3] += leaves[(a3-ns)&63]
		outa[4] += leaves[(a4-ns)&63]
		outa[5] += leaves[(a5-ns)&63]
		outa[6] += leaves[(a6-ns)&63]
		outa[7] += leaves[(a7-ns)&63]
		outc := &acc[(g+1)&(maxCompleteBlock/laneWidth-1)]
		outc[0] += leaves[(c0-ns)&63]
		outc[1] += leaves[(c1-ns)&63]
		outc[2] += leaves[(c2-ns)&63]
		outc[3] += leaves[(c3-ns)&63]
		outc[4] += leaves[(c4-ns)&63]
		outc[5] += leaves[(c5-ns)&63]
		outc[6] += leaves[(c6-ns)&63]
		outc[7] += leaves[(c7-ns)&63]
	}
	if g < groups {
		// The odd last group alone, its sums carried over in order.
		var one [maxCompleteBlock / laneWidth][laneWidth]float64
		one[0] = acc[g]
		f.completeTree64(ti, xb[g*groupLen:], groupLen, 1, &one)
		acc[g] = one[0]
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
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
	if f.cats != nil {
		return f.values[f.leafCat(ti, x)]
	}
	if f.depth > 0 {
		return f.leafVals[f.completeLeaf64(ti, x)]
	}
	return f.values[f.leaf(ti, x)]
}

// Sum returns the sum of the leaf values of trees [lo, hi) for row x.
func (f *Flat) Sum(x []float64, lo, hi int) float64 {
	s := 0.0
	if f.cats != nil {
		for ti := lo; ti < hi; ti++ {
			s += f.values[f.leafCat(ti, x)]
		}
		return s
	}
	if f.depth > 0 {
		ti := lo
		// Four trees walked together: their dependency chains overlap.
		for ; ti+4 <= hi; ti += 4 {
			s += f.completeSum4(ti, x)
		}
		for ; ti < hi; ti++ {
			s += f.leafVals[f.completeLeaf64(ti, x)]
		}
		return s
	}
	for ti := lo; ti < hi; ti++ {
		s += f.values[f.leaf(ti, x)]
	}
	return s
}

// completeLeaf64 walks tree ti of the complete layout for a float64 row
// and returns the index into leafVals.
func (f *Flat) completeLeaf64(ti int, x []float64) int {
	ns := 1<<f.depth - 1
	splits := f.splits[ti*f.stride : ti*f.stride+ns]
	i := 0
	for range f.depth {
		s := splits[i]
		slot := s.feat / laneWidth
		v := float32(x[slot>>1])
		d := b2i(v >= s.thr)
		if v != v {
			d = int(slot & 1)
		}
		i = 2*i + 1 + d
	}
	return ti*f.stride + i - ns
}

// completeSum4 is the sum of the leaf values of trees ti to ti+3 for a
// float64 row.
func (f *Flat) completeSum4(ti int, x []float64) float64 {
	ns := 1<<f.depth - 1
	st := f.stride
	s0 := f.splits[ti*st : ti*st+ns]
	s1 := f.splits[(ti+1)*st : (ti+1)*st+ns]
	s2 := f.splits[(ti+2)*st : (ti+2)*st+ns]
	s3 := f.splits[(ti+3)*st : (ti+3)*st+ns]
	var i0, i1, i2, i3 int
	for range f.depth {
		i0 = completeStep64(s0, i0, x)
		i1 = completeStep64(s1, i1, x)
		i2 = completeStep64(s2, i2, x)
		i3 = completeStep64(s3, i3, x)
	}
	lv := f.leafVals
	return lv[ti*st+i0-ns] + lv[(ti+1)*st+i1-ns] + lv[(ti+2)*st+i2-ns] + lv[(ti+3)*st+i3-ns]
}

// completeStep64 moves from split i one level down for a float64 row.
func completeStep64(splits []completeSplit, i int, x []float64) int {
	s := splits[i]
	slot := s.feat / laneWidth
	v := float32(x[slot>>1])
	d := b2i(v >= s.thr)
	if v != v {
		d = int(slot & 1)
	}
	return 2*i + 1 + d
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

// maxCompleteBlock is the most rows the complete layout takes through
// each tree at a time. The lane-interleaved buffer holds every feature
// twice, so BlockRows×m scratch holds BlockRows/2 rows; a larger buffer
// ([FastBlockBuf]) lets more rows share each pass over the trees.
const maxCompleteBlock = BlockRows

// FastBlockBuf returns the length of float32 scratch for m features at
// which [Flat.AddBlock] takes its largest blocks.
func FastBlockBuf(m int) int {
	// walk16 takes maxWalk16Block rows while that is at most 1 MiB of
	// scratch, half as many beyond.
	return max(2*maxCompleteBlock*m+maskedGroup, min(2*maxWalk16Block*m, 1<<18))
}

// AddBlock adds, for each of the n rows of x (row-major, m features), the
// value of every tree t into dst[row*stride + group[t]] (group nil: all
// into dst[row*stride]). Rows are taken in blocks through each tree so a
// tree stays in cache. buf is float32 scratch of at least BlockRows×m
// values; [FastBlockBuf] values allow larger blocks. It does not allocate.
//
// On amd64 CPUs with AVX-512 (and without the purego build tag), trees
// of the complete layout (depth at most 8) are walked sixteen rows per
// vector (walk16); each
// output receives the same additions in the same order as on the scalar
// walks, so the results are the same bit for bit.
func (f *Flat) AddBlock(dst []float64, stride int, group []int32, x []float64, m int, buf []float32) {
	if f.cats != nil {
		n := len(x) / m
		for r := range n {
			row := x[r*m : (r+1)*m]
			for ti := range f.roots {
				off := 0
				if group != nil {
					off = int(group[ti])
				}
				dst[r*stride+off] += f.values[f.leafCat(ti, row)]
			}
		}
		return
	}
	if f.w16Feat != nil && len(buf) >= 2*lanes16*m && m <= maxWalk16Features {
		f.addWalk16(dst, stride, group, x, m, buf)
		return
	}
	if f.depth > 0 {
		f.addComplete(dst, stride, group, x, m, buf)
		return
	}
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

// maxWalk16Features bounds the features walk16 takes: its gather
// indices (slot·16 + lane) are int32.
const maxWalk16Features = 1 << 24

// maxWalk16Block is the most rows addWalk16 takes through each tree at
// a time.
const maxWalk16Block = 128

// addWalk16 is AddBlock for the complete layout with walk16: blocks of
// rows in lane groups of 16, each group walking a tree in one vector.
// Every row's sum takes its trees in order, as addComplete's, so the two
// agree bit for bit.
func (f *Flat) addWalk16(dst []float64, stride int, group []int32, x []float64, m int, buf []float32) {
	n := len(x) / m
	if n == 0 || len(f.roots) == 0 {
		return
	}
	if group != nil {
		f.addWalk16Outputs(dst, stride, group, x, m, buf)
		return
	}
	groupLen := 2 * m * lanes16
	block := min(maxWalk16Block, len(buf)/groupLen*lanes16)
	var acc [maxWalk16Block]float64
	for r0 := 0; r0 < n; r0 += block {
		r1 := min(r0+block, n)
		groups := (r1 - r0 + lanes16 - 1) / lanes16
		xb := buf[:groups*groupLen]
		fill16(&xb[0], &x[r0*m], m, r1-r0)
		clear(acc[:])
		f.walk16(0, len(f.roots), xb, groupLen, groups, &acc)
		for r := r0; r < r1; r++ {
			dst[r*stride] += acc[r-r0]
		}
	}
}

// addWalk16Outputs is addWalk16 with outputs by group: tree ti adds to
// dst[row*stride + group[ti]].
func (f *Flat) addWalk16Outputs(dst []float64, stride int, group []int32, x []float64, m int, buf []float32) {
	n := len(x) / m
	groupLen := 2 * m * lanes16
	block := min(maxWalk16Block, len(buf)/groupLen*lanes16)
	// Up to maxWalk16Outputs outputs, each output's sums for a block stay
	// in its own accumulator; beyond, each tree's go in and out of dst.
	var accs [maxWalk16Outputs * maxWalk16Block]float64
	for r0 := 0; r0 < n; r0 += block {
		r1 := min(r0+block, n)
		groups := (r1 - r0 + lanes16 - 1) / lanes16
		xb := buf[:groups*groupLen]
		fill16(&xb[0], &x[r0*m], m, r1-r0)
		if stride <= maxWalk16Outputs {
			for off := range stride {
				for r := r0; r < r1; r++ {
					accs[off*maxWalk16Block+r-r0] = dst[r*stride+off]
				}
			}
			for ti, off := range group {
				f.walk16(ti, 1, xb, groupLen, groups, (*[maxWalk16Block]float64)(accs[int(off)*maxWalk16Block:]))
			}
			for off := range stride {
				for r := r0; r < r1; r++ {
					dst[r*stride+off] = accs[off*maxWalk16Block+r-r0]
				}
			}
			continue
		}
		acc := (*[maxWalk16Block]float64)(accs[:])
		for ti, off := range group {
			for r := r0; r < r1; r++ {
				acc[r-r0] = dst[r*stride+int(off)]
			}
			f.walk16(ti, 1, xb, groupLen, groups, acc)
			for r := r0; r < r1; r++ {
				dst[r*stride+int(off)] = acc[r-r0]
			}
		}
	}
}

// maxWalk16Outputs is the most outputs per row (classes) addWalk16 keeps
// a block's sums for on the stack; more take each tree's outputs in and
// out of dst.
const maxWalk16Outputs = 16

// walk16 runs the vector walk for trees [ti, ti+nt): walk16d6 for depth
// 6, walk16deep for 7 and 8, else walk16.
func (f *Flat) walk16(ti, nt int, xb []float32, groupLen, groups int, acc *[maxWalk16Block]float64) {
	ns := 1<<f.depth - 1
	if f.depth >= minPad16 && f.depth <= 6 {
		var l32 *float32
		if f.w16Leaf32 != nil {
			l32 = &f.w16Leaf32[ti*64]
		}
		walk16d6(&f.w16Feat[ti*64], &f.w16Thr[ti*64], &f.w16Leaves[ti*64], l32, nt, &xb[0], groupLen, groups, &acc[0])
		return
	}
	if f.depth > 6 {
		st := f.stride
		walk16deep(&f.w16Feat[ti*64], &f.w16Thr[ti*64], &f.w16All[2*ti*st], &f.leafVals[ti*st], nt, f.depth-6, st, ns, &xb[0], groupLen, groups, &acc[0])
		return
	}
	levels0, level5 := min(f.depth, 5), 0
	if f.depth == 6 {
		level5 = 1
	}
	walk16(&f.w16Feat[ti*64], &f.w16Thr[ti*64], &f.leafVals[ti*64], nt, levels0, level5, ns, &xb[0], groupLen, groups, &acc[0])
}

// fillLanes writes the rows of x (m features each) into xb as lane
// groups of lanes rows: the value of feature j of lane l at
// (2j+side)·lanes + l, side 0 holding NaN as −Inf (missing goes left)
// and side 1 as +Inf (goes right). Lanes past the last row are zero.
func fillLanes(xb []float32, x []float64, m, lanes int) {
	negInf, posInf := float32(math.Inf(-1)), float32(math.Inf(1))
	n := len(x) / m
	groupLen := 2 * m * lanes
	for g := range len(xb) / groupLen {
		xg := xb[g*groupLen : (g+1)*groupLen]
		for lane := range lanes {
			r := g*lanes + lane
			if r >= n {
				for j := range 2 * m {
					xg[j*lanes+lane] = 0
				}
				continue
			}
			for j, v := range x[r*m : (r+1)*m] {
				lo, hi := float32(v), float32(v)
				if v != v {
					lo, hi = negInf, posInf
				}
				xg[2*j*lanes+lane] = lo
				xg[(2*j+1)*lanes+lane] = hi
			}
		}
	}
}

// addComplete is AddBlock for the complete layout: blocks of rows at
// a time, laneWidth rows walking each tree together.
func (f *Flat) addComplete(dst []float64, stride int, group []int32, x []float64, m int, buf []float32) {
	n := len(x) / m
	groupLen := 2 * m * laneWidth
	block := min(maxCompleteBlock, len(buf)/groupLen*laneWidth)
	if block == 0 {
		panic("tree: AddBlock scratch shorter than BlockRows×m")
	}
	for r0 := 0; r0 < n; r0 += block {
		r1 := min(r0+block, n)
		lanes := (r1 - r0 + laneWidth - 1) / laneWidth
		xb := buf[:lanes*groupLen]
		// Interleave: xb[g·groupLen + (2j+side)·laneWidth + lane].
		fillLanes(xb, x[r0*m:r1*m], m, laneWidth)
		if group == nil {
			var acc [maxCompleteBlock / laneWidth][laneWidth]float64
			switch {
			case f.stride == 64 && groupLen <= maskedGroup && len(buf) >= (lanes-1)*groupLen+maskedGroup:
				xm := buf[:(lanes-1)*groupLen+maskedGroup]
				for ti := range f.roots {
					f.completeTree64Masked(ti, xm, groupLen, lanes, &acc)
				}
			case f.stride == 64:
				for ti := range f.roots {
					f.completeTree64(ti, xb, groupLen, lanes, &acc)
				}
			default:
				for ti := range f.roots {
					for g := range lanes {
						f.completeLanes(ti, xb[g*groupLen:(g+1)*groupLen], &acc[g])
					}
				}
			}
			for r := r0; r < r1; r++ {
				g, lane := (r-r0)/laneWidth, (r-r0)%laneWidth
				dst[r*stride] += acc[g][lane]
			}
			continue
		}
		for ti := range f.roots {
			off := int(group[ti])
			for g := range lanes {
				var out [laneWidth]float64
				f.completeLanes(ti, xb[g*groupLen:(g+1)*groupLen], &out)
				for lane := range min(laneWidth, r1-r0-g*laneWidth) {
					dst[(r0+g*laneWidth+lane)*stride+off] += out[lane]
				}
			}
		}
	}
}
