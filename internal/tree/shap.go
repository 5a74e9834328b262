package tree

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
	xv := x[f]
	switch {
	case xv != xv:
		if t.DefaultLeft[node] {
			hot, cold = cold, hot
		}
	case float32(xv) < t.Threshold[node]:
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
// fraction. Elements the row follows (one ≠ 0) need the sequential
// recurrence; two run side by side so their dependency chains overlap.
func (s *ShapScratch) leaf(path []pathElem, depth int, phi []float64, v float64) {
	recip := s.recip
	fd := float64(depth + 1)
	cold := 0.0
	haveCold := false
	pending := -1
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
		if pending < 0 {
			pending = i
			continue
		}
		w1, w2 := unwoundSum2(path, depth, pending, i, recip)
		p := &path[pending]
		phi[p.feature] += w1 * (p.one - p.zero) * v
		phi[e.feature] += w2 * (e.one - e.zero) * v
		pending = -1
	}
	if pending >= 0 {
		p := &path[pending]
		phi[p.feature] += unwoundSum(path, depth, pending, recip) * (p.one - p.zero) * v
	}
}

// unwoundSum2 is unwoundSum for two elements whose one fractions are not
// zero, interleaved.
func unwoundSum2(path []pathElem, depth, k1, k2 int, recip []float64) (float64, float64) {
	fd := float64(depth + 1)
	a1, a2 := fd/path[k1].one, fd/path[k2].one
	b1, b2 := path[k1].zero*recip[depth+1], path[k2].zero*recip[depth+1]
	n1, n2 := path[depth].weight, path[depth].weight
	var t1, t2 float64
	for i := depth - 1; i >= 0; i-- {
		r := recip[i+1]
		d := float64(depth - i)
		w := path[i].weight
		x1 := n1 * a1 * r
		x2 := n2 * a2 * r
		t1 += x1
		t2 += x2
		n1 = w - x1*b1*d
		n2 = w - x2*b2*d
	}
	return t1, t2
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

// unwoundSum is the total permutation weight of the path with element k
// removed, without modifying the path. recip[i] = 1/i.
func unwoundSum(path []pathElem, depth, k int, recip []float64) float64 {
	one, zero := path[k].one, path[k].zero
	next := path[depth].weight
	fd := float64(depth + 1)
	total := 0.0
	if one != 0 {
		a := fd / one
		b := zero * recip[depth+1]
		for i := depth - 1; i >= 0; i-- {
			tmp := next * a * recip[i+1]
			total += tmp
			next = path[i].weight - tmp*b*float64(depth-i)
		}
	} else if zero != 0 {
		a := fd / zero
		for i := depth - 1; i >= 0; i-- {
			total += path[i].weight * a * recip[depth-i]
		}
	}
	return total
}
