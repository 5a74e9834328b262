package forest

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/ferryml/ferry/tree"
)

// builder grows one CART tree. It is used by one goroutine at a time.
type builder struct {
	x        []float64 // n×m row-major
	y        []float64
	m        int
	classify bool
	maxDepth int
	minSplit int
	minLeaf  int
	k        int // features tried per split

	rng    *rand.Rand
	weight []float64 // per row: bootstrap count (0 = not in the sample)
	// order[f] holds the sampled rows sorted by feature f (then row id),
	// NaN last. Every node owns the same range [start, end) of each
	// order[f]; a split partitions all of them stably, so they stay sorted
	// within each node and no node sorts again.
	order  [][]int32
	goLeft []bool   // per row: the current split sends it left
	tmp    []int32  // partition scratch
	feats  []int    // feature permutation scratch
	keys   []uint64 // presort scratch: sortable value << 32 | row
	t      tree.Tree
}

type split struct {
	feature     int
	threshold   float32
	defaultLeft bool
	proxy       float64
}

type pending struct {
	node, start, end, depth int
}

// grow builds a tree on the rows with non-zero weight.
func (b *builder) grow() tree.Tree {
	b.presort()
	end0 := len(b.order[0])
	b.t = tree.Tree{}
	b.addNode()
	stack := []pending{{node: 0, start: 0, end: end0, depth: 0}}
	for len(stack) > 0 {
		nd := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		w, s, sq := b.stats(nd.start, nd.end)
		b.t.Cover[nd.node] = w
		b.t.Value[nd.node] = s / w
		count := nd.end - nd.start
		nodeProxy, impurity := b.nodeImpurity(w, s, sq)
		if (b.maxDepth > 0 && nd.depth >= b.maxDepth) || count < b.minSplit || count < 2*b.minLeaf ||
			impurity <= 1e-12*max(1, math.Abs(s/w)*math.Abs(s/w)) {
			continue
		}
		sp, ok := b.bestSplit(nd.start, nd.end)
		if !ok || sp.proxy <= nodeProxy {
			continue
		}
		mid := b.partition(nd.start, nd.end, sp)
		if mid == nd.start || mid == nd.end {
			continue
		}
		l, r := b.addNode(), b.addNode()
		b.t.Left[nd.node], b.t.Right[nd.node] = int32(l), int32(r)
		b.t.Feature[nd.node] = int32(sp.feature)
		b.t.Threshold[nd.node] = sp.threshold
		b.t.DefaultLeft[nd.node] = sp.defaultLeft
		b.t.Gain[nd.node] = sp.proxy - nodeProxy
		// Push right first so the left subtree is built first.
		stack = append(stack,
			pending{node: r, start: mid, end: nd.end, depth: nd.depth + 1},
			pending{node: l, start: nd.start, end: mid, depth: nd.depth + 1})
	}
	return b.t
}

func (b *builder) addNode() int {
	b.t.Left = append(b.t.Left, -1)
	b.t.Right = append(b.t.Right, -1)
	b.t.Feature = append(b.t.Feature, 0)
	b.t.Threshold = append(b.t.Threshold, 0)
	b.t.DefaultLeft = append(b.t.DefaultLeft, false)
	b.t.Value = append(b.t.Value, 0)
	b.t.Cover = append(b.t.Cover, 0)
	b.t.Gain = append(b.t.Gain, 0)
	return len(b.t.Left) - 1
}

// stats returns the weight, weighted label sum and weighted sum of squared
// labels of the node rows [start, end).
func (b *builder) stats(start, end int) (w, s, sq float64) {
	for _, r := range b.order[0][start:end] {
		wi, yi := b.weight[r], b.y[r]
		w += wi
		s += wi * yi
		sq += wi * yi * yi
	}
	return w, s, sq
}

// nodeImpurity returns the node's split proxy (the quantity a split must
// exceed) and its impurity: variance for regression, Gini for classes.
func (b *builder) nodeImpurity(w, s, sq float64) (proxy, impurity float64) {
	if b.classify {
		proxy = (s*s + (w-s)*(w-s)) / w
		return proxy, 1 - proxy/w
	}
	mean := s / w
	return s * s / w, sq/w - mean*mean
}

// score is the split proxy of one side: Σ_k c_k²/w for classes (binary
// Gini) or s²/w for variance. Maximising the sum over both sides minimises
// the weighted impurity of the children, as scikit-learn's proxy does.
func (b *builder) score(w, s float64) float64 {
	if b.classify {
		return (s*s + (w-s)*(w-s)) / w
	}
	return s * s / w
}

// bestSplit tries up to k features drawn at random without replacement
// (more when the drawn ones are all constant in the node, as scikit-learn
// does) and returns the split with the largest proxy.
func (b *builder) bestSplit(start, end int) (split, bool) {
	for i := range b.feats {
		b.feats[i] = i
	}
	best := split{proxy: math.Inf(-1)}
	found := false
	visited := 0
	for remaining := b.m; remaining > 0; remaining-- {
		if visited >= b.k && found {
			break
		}
		j := b.rng.IntN(remaining)
		f := b.feats[j]
		b.feats[j], b.feats[remaining-1] = b.feats[remaining-1], b.feats[j]
		visited++
		if sp, ok := b.splitFeature(f, start, end); ok {
			if !found || sp.proxy > best.proxy {
				best = sp
			}
			found = true
		}
	}
	return best, found
}

// presort fills b.order for the rows with non-zero weight.
func (b *builder) presort() {
	for f := range b.m {
		keys := b.keys[:0]
		nan := b.order[f][:0]
		for r, w := range b.weight {
			if w == 0 {
				continue
			}
			if v := b.x[r*b.m+f]; math.IsNaN(v) {
				nan = append(nan, int32(r)) // kept apart, appended below
			} else {
				keys = append(keys, uint64(sortable(float32(v)))<<32|uint64(uint32(r)))
			}
		}
		b.keys = keys
		slices.Sort(keys)
		// Rows with NaN go last; move them up to make room first.
		ord := b.order[f][:len(keys)+len(nan)]
		copy(ord[len(keys):], nan)
		for i, k := range keys {
			ord[i] = int32(uint32(k))
		}
		b.order[f] = ord
	}
}

// splitFeature finds the best threshold on feature f. Rows missing the
// feature go with the side holding more of the non-missing weight (left on
// a tie), and so does the model at prediction time.
func (b *builder) splitFeature(f, start, end int) (split, bool) {
	ord := b.order[f][start:end]
	// NaN rows sit at the end of the node's range.
	valid := len(ord)
	for valid > 0 && math.IsNaN(b.x[int(ord[valid-1])*b.m+f]) {
		valid--
	}
	var nanW, nanS, totW, totS float64
	for _, r := range ord[valid:] {
		nanW += b.weight[r]
		nanS += b.weight[r] * b.y[r]
	}
	nanN := len(ord) - valid
	ord = ord[:valid]
	if len(ord) < 2 {
		return split{}, false
	}
	first := float32(b.x[int(ord[0])*b.m+f])
	if first == float32(b.x[int(ord[len(ord)-1])*b.m+f]) {
		return split{}, false
	}
	for _, r := range ord {
		totW += b.weight[r]
		totS += b.weight[r] * b.y[r]
	}
	best := split{feature: f, proxy: math.Inf(-1)}
	found := false
	var lw, ls float64
	cur := first
	for i := 0; i < len(ord)-1; i++ {
		r := ord[i]
		lw += b.weight[r]
		ls += b.weight[r] * b.y[r]
		next := float32(b.x[int(ord[i+1])*b.m+f])
		if next == cur {
			continue
		}
		a := cur
		cur = next
		rw, rs := totW-lw, totS-ls
		ln, rn := i+1, len(ord)-i-1
		nanLeft := lw >= rw
		if nanLeft {
			ln += nanN
		} else {
			rn += nanN
		}
		if ln < b.minLeaf || rn < b.minLeaf {
			continue
		}
		var proxy float64
		if nanLeft {
			proxy = b.score(lw+nanW, ls+nanS) + b.score(rw, rs)
		} else {
			proxy = b.score(lw, ls) + b.score(rw+nanW, rs+nanS)
		}
		if proxy > best.proxy {
			best.proxy = proxy
			best.threshold = threshold(a, next)
			best.defaultLeft = nanLeft
			found = true
		}
	}
	return best, found
}

// sortable maps a non-NaN float32 to a uint32 with the same order.
func sortable(v float32) uint32 {
	if v == 0 {
		v = 0 // -0 sorts with +0
	}
	u := math.Float32bits(v)
	if u&(1<<31) != 0 {
		return ^u
	}
	return u | 1<<31
}

// threshold returns t with a < t <= b in float32, the midpoint when it
// is representable, so that "x < t goes left" separates a from b.
func threshold(a, b float32) float32 {
	t := float32((float64(a) + float64(b)) / 2)
	if t <= a || t > b {
		t = b
	}
	return t
}

// partition splits the node's range of every feature order stably into
// the rows going left, then those going right, and returns the index of
// the first row going right.
func (b *builder) partition(start, end int, sp split) int {
	nLeft := 0
	for _, r := range b.order[sp.feature][start:end] {
		v := b.x[int(r)*b.m+sp.feature]
		var left bool
		if math.IsNaN(v) {
			left = sp.defaultLeft
		} else {
			left = float32(v) < sp.threshold
		}
		b.goLeft[r] = left
		if left {
			nLeft++
		}
	}
	mid := start + nLeft
	if nLeft == 0 || mid == end {
		return mid
	}
	for f := range b.m {
		seg := b.order[f][start:end]
		l, rt := 0, b.tmp[:0]
		for _, r := range seg {
			if b.goLeft[r] {
				seg[l] = r
				l++
			} else {
				rt = append(rt, r)
			}
		}
		copy(seg[l:], rt)
	}
	return mid
}
