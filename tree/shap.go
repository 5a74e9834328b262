package tree

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Path-dependent TreeSHAP (Lundberg, Erion and Lee 2018, Algorithm 2), as
// XGBoost's pred_contribs computes it: the covers weight the branches a
// feature outside the coalition would take.

// pathElem is one element of the unique feature path of TreeSHAP.
type pathElem struct {
	feature int32
	zero    float64 // fraction of cover that flows down this path when the feature is absent
	one     float64 // 1 if the row follows this path, else 0
	weight  float64 // permutation weight
}

// ShapScratch holds the reusable working memory of path-dependent TreeSHAP
// for trees up to a given depth. A ShapScratch is not safe for concurrent
// use; give each goroutine its own.
type ShapScratch struct {
	path  []pathElem
	recip []float64 // recip[i] = 1/i, so the hot loops multiply
}

// NewShapScratch returns scratch space for trees of depth up to maxDepth.
func NewShapScratch(maxDepth int) *ShapScratch {
	d := maxDepth + 2
	s := &ShapScratch{path: make([]pathElem, d*(d+1)/2), recip: make([]float64, d+2)}
	for i := 1; i < len(s.recip); i++ {
		s.recip[i] = 1 / float64(i)
	}
	return s
}

// ShapPathDependent adds scale×φ for row x into dst, where φ (length M+1,
// M = len(x)) are the path-dependent TreeSHAP values of the sum of trees:
// φ[j] is feature j's contribution and φ[M], the bias, is the sum of the
// trees' [Tree.MeanValue]. Σφ equals the sum of the trees' predictions.
// Callers add their own base margin to dst[M]. The trees must be valid for
// x ([Tree.Validate]). Forest callers pass scale = 1/len(trees).
//
// It allocates its scratch; hot loops use [ShapScratch.PathDependent].
func ShapPathDependent(trees []Tree, x []float64, dst []float64, scale float64) {
	d := 0
	for i := range trees {
		d = max(d, trees[i].MaxDepth())
	}
	NewShapScratch(d).PathDependent(trees, nil, x, dst, scale)
}

// PathDependent is [ShapPathDependent] with reusable scratch, which must
// have been made for a depth at least that of the deepest tree. means, when
// not nil, holds each tree's precomputed [Tree.MeanValue] (saving a walk of
// every tree per row). It does not allocate.
func (s *ShapScratch) PathDependent(trees []Tree, means []float64, x []float64, dst []float64, scale float64) {
	m := len(x)
	for i := range trees {
		t := &trees[i]
		if t.NumNodes() == 0 {
			continue
		}
		if means != nil {
			dst[m] += scale * means[i]
		} else {
			dst[m] += scale * t.MeanValue()
		}
		if t.Left[0] < 0 {
			continue
		}
		s.recurse(t, x, dst, scale, 0, 0, s.path, 1, 1, -1)
	}
}

func (s *ShapScratch) recurse(t *Tree, x, phi []float64, scale float64, node int32, depth int, parent []pathElem, pz, po float64, pf int32) {
	path := parent[depth:]
	copy(path[:depth], parent[:depth])
	recip := s.recip
	// EXTEND
	path[depth] = pathElem{feature: pf, zero: pz, one: po}
	if depth == 0 {
		path[0].weight = 1
	}
	inv := recip[depth+1]
	for i := depth - 1; i >= 0; i-- {
		w := path[i].weight
		path[i+1].weight += po * w * float64(i+1) * inv
		path[i].weight = pz * w * float64(depth-i) * inv
	}

	if t.Left[node] < 0 {
		s.leaf(path, depth, phi, t.Value[node]*scale)
		return
	}

	f := t.Feature[node]
	hot, cold := t.Right[node], t.Left[node]
	if t.goesLeft(node, x[f]) {
		hot, cold = cold, hot
	}
	var hz, cz float64
	if cover := t.Cover[node]; cover > 0 {
		inv := 1 / cover
		hz, cz = t.Cover[hot]*inv, t.Cover[cold]*inv
	}
	iz, io := 1.0, 1.0
	k := 0
	for ; k <= depth; k++ {
		if path[k].feature == f {
			break
		}
	}
	if k <= depth {
		iz, io = path[k].zero, path[k].one
		unwind(path, depth, k)
		depth--
	}
	s.recurse(t, x, phi, scale, hot, depth+1, path, hz*iz, io, f)
	s.recurse(t, x, phi, scale, cold, depth+1, path, cz*iz, 0, f)
}

// leaf adds the contributions of the path's features at a leaf of value
// v. For an element the row does not follow (one = 0) the unwound sum is
// Σ_j w_j·(l+1)/(zero·(l−j)): one shared sum divided by its zero
// fraction. An element the row follows has one = 1 (path-dependent
// TreeSHAP only ever passes 1 or 0) and needs the sequential recurrence;
// up to four run side by side so their dependency chains overlap.
func (s *ShapScratch) leaf(path []pathElem, depth int, phi []float64, v float64) {
	recip := s.recip
	fd := float64(depth + 1)
	cold := 0.0
	haveCold := false
	var hot [4]int32
	nh := 0
	for i := 1; i <= depth; i++ {
		e := &path[i]
		if e.one == 0 {
			if e.zero == 0 {
				continue
			}
			if !haveCold {
				for j := depth - 1; j >= 0; j-- {
					cold += path[j].weight * recip[depth-j]
				}
				haveCold = true
			}
			// unwound sum cold·fd/zero times (one − zero) = −zero
			phi[e.feature] -= cold * fd * v
			continue
		}
		hot[nh] = int32(i)
		nh++
		if nh == len(hot) {
			unwoundHot(path, depth, &hot, nh, recip, phi, v)
			nh = 0
		}
	}
	if nh > 0 {
		unwoundHot(path, depth, &hot, nh, recip, phi, v)
	}
}

// unwoundHot adds the contributions of the first nh (1 to 4) elements of
// hot, path elements with one = 1, running their unwound sums together.
// With n the chain value and c = (l+1)/(j+1), a step is t += n·c,
// n = w_j − n·zero·c·(l−j)/(l+1).
func unwoundHot(path []pathElem, depth int, hot *[4]int32, nh int, recip []float64, phi []float64, v float64) {
	var z [4]float64
	for k := range nh {
		z[k] = path[hot[k]].zero
	}
	z0, z1, z2, z3 := z[0], z[1], z[2], z[3]
	fd := float64(depth + 1)
	rd := recip[depth+1]
	n0 := path[depth].weight
	n1, n2, n3 := n0, n0, n0
	var t0, t1, t2, t3 float64
	for i := depth - 1; i >= 0; i-- {
		c := fd * recip[i+1]
		q := c * float64(depth-i) * rd
		w := path[i].weight
		t0 += n0 * c
		t1 += n1 * c
		t2 += n2 * c
		t3 += n3 * c
		n0 = w - n0*z0*q
		n1 = w - n1*z1*q
		n2 = w - n2*z2*q
		n3 = w - n3*z3*q
	}
	t := [4]float64{t0, t1, t2, t3}
	for k := range nh {
		e := &path[hot[k]]
		phi[e.feature] += t[k] * (1 - e.zero) * v
	}
}

// unwind removes element k from the path of length depth+1.
func unwind(path []pathElem, depth, k int) {
	one, zero := path[k].one, path[k].zero
	next := path[depth].weight
	fd := float64(depth + 1)
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			tmp := path[i].weight
			path[i].weight = next * fd / (float64(i+1) * one)
			next = tmp - path[i].weight*zero*float64(depth-i)/fd
		} else if zero != 0 {
			path[i].weight = path[i].weight * fd / (zero * float64(depth-i))
		}
	}
	for i := k; i < depth; i++ {
		path[i].feature, path[i].zero, path[i].one = path[i+1].feature, path[i+1].zero, path[i+1].one
	}
}

// shapNode is one node of [ShapTrees]: the fields path-dependent TreeSHAP
// reads, side by side, with the children's cover fractions precomputed.
type shapNode struct {
	left, right int32 // −1 for a leaf
	feature     int32
	thr         float32
	defaultLeft bool
	cat         int32   // index of the category set in ShapTrees.cats, or −1
	zl, zr      float64 // cover(left)/cover, cover(right)/cover (0 if cover is 0)
	value       float64
}

// ShapTrees is a set of trees laid out for path-dependent TreeSHAP: per
// tree one array of compact nodes plus its mean value. Build it once with
// [NewShapTrees]; it is immutable and safe for concurrent use.
type ShapTrees struct {
	nodes [][]shapNode
	means []float64
	cats  [][]uint32 // category sets of the categorical splits

	// Leaf tables (Fast TreeSHAP v2, Yang 2021), built on first use when
	// they fit maxLeafTable values: a leaf's contributions depend on the
	// row only through which of the path's unique features the row
	// follows, so they are precomputed per leaf for every such pattern.
	once   sync.Once
	tables []leafTable // per tree; nil when too large
}

// leafTable holds one tree's precomputed leaf contributions: for leaf
// node i with nu unique path features (in order of first appearance from
// the root), the contribution of feature j under pattern p (bit j set:
// the row follows every split on that feature) is
// vals[off[i] + p·nu + j].
type leafTable struct {
	off  []int32
	vals []float64

	// What the walk needs per node, fixed by the path from the root: a
	// split's pattern updates (the hot child's pattern is pattern|hotOr,
	// the cold child's pattern&coldMask), a leaf's unique path features
	// feats[foff[i]:foff[i]+nu[i]]. The walk then neither searches nor
	// records the path's features.
	hotOr, coldMask []uint32
	foff            []int32
	nu              []uint8
	feats           []int32
}

// maxLeafTable bounds the leaf tables of one ShapTrees (float64 values:
// 64 MB). 100 full depth-6 trees take 2.5 M.
const maxLeafTable = 8 << 20

// NewShapTrees lays out trees, which must be valid ([Tree.Validate]).
func NewShapTrees(trees []Tree) *ShapTrees {
	st := &ShapTrees{nodes: make([][]shapNode, len(trees)), means: make([]float64, len(trees))}
	for ti := range trees {
		t := &trees[ti]
		nodes := make([]shapNode, t.NumNodes())
		for i := range nodes {
			n := shapNode{left: t.Left[i], right: t.Right[i], value: t.Value[i], cat: -1}
			if n.left >= 0 {
				n.feature, n.thr, n.defaultLeft = t.Feature[i], t.Threshold[i], t.DefaultLeft[i]
				if t.IsCategorical(i) {
					n.cat = int32(len(st.cats))
					st.cats = append(st.cats, t.Categories[i])
				}
				// Validate checks the nodes reachable from the root; an
				// unreachable one (deleted by pruning) may point anywhere.
				if c := t.Cover[i]; c > 0 && int(n.left) < len(nodes) && n.right >= 0 && int(n.right) < len(nodes) {
					n.zl, n.zr = t.Cover[n.left]/c, t.Cover[n.right]/c
				}
			}
			nodes[i] = n
		}
		st.nodes[ti] = nodes
		if len(nodes) > 0 {
			st.means[ti] = t.MeanValue()
		}
	}
	return st
}

// buildTables fills st.tables when they fit maxLeafTable.
func (st *ShapTrees) buildTables() {
	total := 0
	for _, nodes := range st.nodes {
		if len(nodes) == 0 || nodes[0].left < 0 {
			continue
		}
		var count func(node int32, feats []int32)
		count = func(node int32, feats []int32) {
			n := &nodes[node]
			if n.left < 0 {
				total += len(feats) << len(feats)
				return
			}
			if !slices.Contains(feats, n.feature) {
				feats = append(feats, n.feature)
			}
			count(n.left, feats)
			count(n.right, feats)
		}
		count(0, make([]int32, 0, 64))
		if total > maxLeafTable {
			return
		}
	}
	tables := make([]leafTable, len(st.nodes))
	// Trees are independent: build them on all cores.
	var wg sync.WaitGroup
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), len(st.nodes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := make([]leafElem, 0, 64)
			for {
				ti := int(next.Add(1) - 1)
				if ti >= len(st.nodes) {
					return
				}
				tables[ti] = st.buildTable(ti, path)
			}
		}()
	}
	wg.Wait()
	st.tables = tables
}

// buildTable returns tree ti's leaf table.
func (st *ShapTrees) buildTable(ti int, path []leafElem) leafTable {
	nodes := st.nodes[ti]
	if len(nodes) == 0 || nodes[0].left < 0 {
		return leafTable{}
	}
	lt := leafTable{
		off:      make([]int32, len(nodes)),
		hotOr:    make([]uint32, len(nodes)),
		coldMask: make([]uint32, len(nodes)),
		foff:     make([]int32, len(nodes)),
		nu:       make([]uint8, len(nodes)),
	}
	var fill func(node int32, feats []int32, zero []float64)
	fill = func(node int32, feats []int32, zero []float64) {
		n := &nodes[node]
		if n.left < 0 {
			lt.off[node] = int32(len(lt.vals))
			nu := len(feats)
			lt.foff[node] = int32(len(lt.feats))
			lt.nu[node] = uint8(nu)
			lt.feats = append(lt.feats, feats...)
			start := len(lt.vals)
			lt.vals = slices.Grow(lt.vals, nu<<nu)[:start+nu<<nu]
			for p := range 1 << nu {
				leafContribs(lt.vals[start+p*nu:start+(p+1)*nu], zero, p, n.value, path)
			}
			return
		}
		if j := slices.Index(feats, n.feature); j >= 0 {
			lt.hotOr[node], lt.coldMask[node] = 0, ^uint32(1<<j)
		} else {
			lt.hotOr[node], lt.coldMask[node] = 1<<len(feats), ^uint32(0)
		}
		for _, c := range [2]struct {
			child int32
			z     float64
		}{{n.left, n.zl}, {n.right, n.zr}} {
			f, z := feats, zero
			if j := slices.Index(feats, n.feature); j >= 0 {
				z = slices.Clone(zero)
				z[j] *= c.z
			} else {
				f = append(slices.Clip(feats), n.feature)
				z = append(slices.Clip(zero), c.z)
			}
			fill(c.child, f, z)
		}
	}
	fill(0, nil, nil)
	return lt
}

// leafElem is an element of [leafContribs]'s path.
type leafElem struct{ z, o, w float64 }

// leafContribs writes into out a leaf's contributions (value v) for the unique
// path features with zero fractions zero, the row following those whose
// bit is set in pattern: Algorithm 2's EXTEND over the whole path, then
// UNWOUND_SUM·(one − zero)·v per feature.
func leafContribs(out, zero []float64, pattern int, v float64, path []leafElem) {
	l := len(zero)
	path = path[:0]
	extend := func(z, o float64) {
		d := len(path)
		w := 0.0
		if d == 0 {
			w = 1
		}
		path = append(path, leafElem{z, o, w})
		for i := d - 1; i >= 0; i-- {
			path[i+1].w += o * path[i].w * float64(i+1) / float64(d+1)
			path[i].w = z * path[i].w * float64(d-i) / float64(d+1)
		}
	}
	extend(1, 1)
	for j, z := range zero {
		extend(z, float64(pattern>>j&1))
	}
	for k := 1; k <= l; k++ {
		e := path[k]
		if e.o == 0 && e.z == 0 {
			out[k-1] = 0
			continue
		}
		total, next := 0.0, path[l].w
		for i := l - 1; i >= 0; i-- {
			if e.o != 0 {
				t := next * float64(l+1) / (float64(i+1) * e.o)
				total += t
				next = path[i].w - t*e.z*float64(l-i)/float64(l+1)
			} else {
				total += path[i].w * float64(l+1) / (e.z * float64(l-i))
			}
		}
		out[k-1] = total * (e.o - e.z) * v
	}
}

// tableWalk adds the contributions of tree nodes for row x using its
// leaf table: a walk of every node that tracks which unique path
// features the row follows (bit j of pattern: the row follows every split
// so far on the path's j-th unique feature).
func (st *ShapTrees) tableWalk(nodes []shapNode, lt *leafTable, x, phi []float64, scale float64, node int32, pattern uint32) {
	n := &nodes[node]
	if n.left < 0 {
		nu := int(lt.nu[node])
		vals := lt.vals[int(lt.off[node])+int(pattern)*nu:]
		vals = vals[:nu]
		fo := int(lt.foff[node])
		feats := lt.feats[fo : fo+nu]
		for j, v := range vals {
			phi[feats[j]] += v * scale
		}
		return
	}
	hot, cold := n.right, n.left
	if st.goesLeft(n, x[n.feature]) {
		hot, cold = cold, hot
	}
	st.tableWalk(nodes, lt, x, phi, scale, hot, pattern|lt.hotOr[node])
	st.tableWalk(nodes, lt, x, phi, scale, cold, pattern&lt.coldMask[node])
}

// goesLeft reports whether value v goes left at split n.
func (st *ShapTrees) goesLeft(n *shapNode, v float64) bool {
	switch {
	case v != v:
		return n.defaultLeft
	case n.cat >= 0:
		return !CategoryGoesRight(st.cats[n.cat], v)
	}
	return float32(v) < n.thr
}

// PathDependentTrees is [ShapScratch.PathDependent] over trees laid out
// by [NewShapTrees]. It does not allocate, except on its first call for
// st, which builds st's leaf tables.
func (s *ShapScratch) PathDependentTrees(st *ShapTrees, x []float64, dst []float64, scale float64) {
	st.once.Do(st.buildTables)
	m := len(x)
	if st.tables != nil {
		for i, nodes := range st.nodes {
			if len(nodes) == 0 {
				continue
			}
			dst[m] += scale * st.means[i]
			if nodes[0].left < 0 {
				continue
			}
			st.tableWalk(nodes, &st.tables[i], x, dst, scale, 0, 0)
		}
		return
	}
	for i, nodes := range st.nodes {
		if len(nodes) == 0 {
			continue
		}
		dst[m] += scale * st.means[i]
		if nodes[0].left < 0 {
			continue
		}
		s.recurseNodes(st, nodes, x, dst, scale, 0, 0, s.path, 1, 1, -1)
	}
}

func (s *ShapScratch) recurseNodes(st *ShapTrees, nodes []shapNode, x, phi []float64, scale float64, node int32, depth int, parent []pathElem, pz, po float64, pf int32) {
	path := parent[depth : 2*depth+1]
	copy(path[:depth], parent[:depth])
	recip := s.recip
	// EXTEND
	path[depth] = pathElem{feature: pf, zero: pz, one: po}
	if depth == 0 {
		path[0].weight = 1
	}
	inv := recip[depth+1]
	for i := depth - 1; i >= 0; i-- {
		w := path[i].weight
		path[i+1].weight += po * w * float64(i+1) * inv
		path[i].weight = pz * w * float64(depth-i) * inv
	}

	n := &nodes[node]
	if n.left < 0 {
		s.leaf(path, depth, phi, n.value*scale)
		return
	}
	f := n.feature
	hot, cold := n.right, n.left
	hz, cz := n.zr, n.zl
	if st.goesLeft(n, x[f]) {
		hot, cold = cold, hot
		hz, cz = cz, hz
	}
	iz, io := 1.0, 1.0
	k := 0
	for ; k <= depth; k++ {
		if path[k].feature == f {
			break
		}
	}
	if k <= depth {
		iz, io = path[k].zero, path[k].one
		unwind(path, depth, k)
		depth--
	}
	s.recurseNodes(st, nodes, x, phi, scale, hot, depth+1, path, hz*iz, io, f)
	s.recurseNodes(st, nodes, x, phi, scale, cold, depth+1, path, cz*iz, 0, f)
}

// shapBlockRows is the number of rows [ShapScratch.PathDependentRows]
// takes through each tree at a time. A depth-6 tree's leaf table is up to
// 196 KB, far more than the trees' nodes: walked row by row, every tree's
// table is fetched from memory again for each row.
const shapBlockRows = 256

// PathDependentRows is [ShapScratch.PathDependentTrees] for each of the n
// rows of x (row-major, m features), adding row r's values into
// dst[r·stride : r·stride+m+1]. It takes blocks of rows through each tree
// in turn so the tree's leaf table stays in cache; every output value
// receives the same additions in the same order as row by row, so the
// results are identical. It does not allocate, except on its first call
// for st, which builds st's leaf tables.
func (s *ShapScratch) PathDependentRows(st *ShapTrees, x []float64, m int, dst []float64, stride int, scale float64) {
	st.once.Do(st.buildTables)
	n := len(x) / m
	if st.tables == nil {
		for r := range n {
			s.PathDependentTrees(st, x[r*m:(r+1)*m], dst[r*stride:r*stride+m+1], scale)
		}
		return
	}
	for r0 := 0; r0 < n; r0 += shapBlockRows {
		r1 := min(r0+shapBlockRows, n)
		for i, nodes := range st.nodes {
			if len(nodes) == 0 {
				continue
			}
			mean := scale * st.means[i]
			lt := &st.tables[i]
			for r := r0; r < r1; r++ {
				d := dst[r*stride : r*stride+m+1]
				d[m] += mean
				if nodes[0].left >= 0 {
					st.tableWalk(nodes, lt, x[r*m:(r+1)*m], d, scale, 0, 0)
				}
			}
		}
	}
}
