package bias

import (
	"math"
	"sort"
)

// kdLeaf is the most points a k-d tree leaf holds.
const kdLeaf = 16

// kdTree indexes the rows of a packed row-major matrix for exact
// k-nearest-neighbour queries. Neighbours are ordered by (squared
// distance, row index), the order of the brute-force scan, so both give
// the same neighbours, ties included.
type kdTree struct {
	x     []float64
	m     int
	perm  []int // row indexes; each node owns perm[lo:hi]
	nodes []kdNode
}

type kdNode struct {
	lo, hi      int
	dim         int // -1 for a leaf
	split       float64
	left, right int
}

func newKDTree(x []float64, m int) *kdTree {
	n := len(x) / m
	t := &kdTree{x: x, m: m, perm: make([]int, n)}
	for i := range t.perm {
		t.perm[i] = i
	}
	t.build(0, n)
	return t
}

func (t *kdTree) build(lo, hi int) int {
	id := len(t.nodes)
	t.nodes = append(t.nodes, kdNode{lo: lo, hi: hi, dim: -1})
	if hi-lo <= kdLeaf {
		return id
	}
	// split on the dimension with the largest spread, at the median
	dim, best := 0, -1.0
	for j := range t.m {
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, r := range t.perm[lo:hi] {
			v := t.x[r*t.m+j]
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
		if mx-mn > best {
			dim, best = j, mx-mn
		}
	}
	if best <= 0 {
		return id // all points equal: a leaf
	}
	seg := t.perm[lo:hi]
	sort.Slice(seg, func(a, b int) bool { return t.x[seg[a]*t.m+dim] < t.x[seg[b]*t.m+dim] })
	mid := lo + (hi-lo)/2
	split := t.x[t.perm[mid]*t.m+dim]
	// Points left of mid are <= split and right of it >= split.
	left := t.build(lo, mid)
	right := t.build(mid, hi)
	t.nodes[id].dim, t.nodes[id].split, t.nodes[id].left, t.nodes[id].right = dim, split, left, right
	return id
}

// knn holds the k best (distance, row) pairs found so far, sorted.
type knn struct {
	d   []float64
	idx []int
}

func (h *knn) reset() {
	for i := range h.d {
		h.d[i] = math.Inf(1)
		h.idx[i] = math.MaxInt
	}
}

func (h *knn) worse(d float64, r int) bool {
	k := len(h.d) - 1
	return d > h.d[k] || (d == h.d[k] && r >= h.idx[k])
}

func (h *knn) add(d float64, r int) {
	if h.worse(d, r) {
		return
	}
	p := len(h.d) - 1
	for p > 0 && (h.d[p-1] > d || (h.d[p-1] == d && h.idx[p-1] > r)) {
		h.d[p], h.idx[p] = h.d[p-1], h.idx[p-1]
		p--
	}
	h.d[p], h.idx[p] = d, r
}

// query fills h with the nearest rows to q.
func (t *kdTree) query(q []float64, h *knn) {
	h.reset()
	t.search(0, q, h)
}

func (t *kdTree) search(id int, q []float64, h *knn) {
	nd := &t.nodes[id]
	if nd.dim < 0 {
		m := t.m
		for _, r := range t.perm[nd.lo:nd.hi] {
			row := t.x[r*m : (r+1)*m]
			var s float64
			for j, v := range q {
				d := v - row[j]
				s += d * d
			}
			h.add(s, r)
		}
		return
	}
	diff := q[nd.dim] - nd.split
	near, far := nd.left, nd.right
	if diff > 0 {
		near, far = far, near
	}
	t.search(near, q, h)
	// Keep equal distances: a tie with a lower row index may lie across.
	if diff*diff <= h.d[len(h.d)-1] {
		t.search(far, q, h)
	}
}
