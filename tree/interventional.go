package tree

import "math"

// Interventional TreeSHAP (Lundberg et al. 2020, "independent" TreeSHAP):
// the Shapley values of the game v(S) = E_z[f(x_S, z_S̄)] over a
// background set, computed exactly per (row, background row) pair by one
// walk of each tree that branches only where x and z disagree.

// InterventionalScratch is the reusable working memory of
// [ShapInterventional]. It is not safe for concurrent use.
type InterventionalScratch struct {
	state  []int8    // per feature: 0 free, 1 follows x, 2 follows z
	xs, zs []int32   // features following x, following z
	w      []float64 // w[s*(d+1)+t] = s!·t!/(s+t+1)!
	d      int
}

// NewInterventionalScratch returns scratch for rows of numFeatures
// features and trees of depth up to maxDepth.
func NewInterventionalScratch(numFeatures, maxDepth int) *InterventionalScratch {
	d := maxDepth + 1
	s := &InterventionalScratch{
		state: make([]int8, numFeatures),
		xs:    make([]int32, 0, d),
		zs:    make([]int32, 0, d),
		w:     make([]float64, (d+1)*(d+1)),
		d:     d,
	}
	for a := 0; a <= d; a++ {
		for b := 0; a+b <= d; b++ {
			la, _ := math.Lgamma(float64(a + 1))
			lb, _ := math.Lgamma(float64(b + 1))
			ln, _ := math.Lgamma(float64(a + b + 2))
			s.w[a*(d+1)+b] = math.Exp(la + lb - ln)
		}
	}
	return s
}

// ShapInterventional adds scale×φ for row x into dst (length M+1, M =
// len(x), bias last), where φ are the interventional SHAP values of the sum
// of trees against the background rows (row-major, n×M): each background
// row weighs 1/n. The bias is the mean prediction over the background, so
// Σφ equals the sum of the trees' predictions at x. The trees must be
// valid for M features.
func ShapInterventional(trees []Tree, x []float64, background []float64, dst []float64, scale float64) {
	d := 0
	for i := range trees {
		d = max(d, trees[i].MaxDepth())
	}
	NewInterventionalScratch(len(x), d).Interventional(trees, x, background, dst, scale)
}

// Interventional is [ShapInterventional] with reusable scratch, made for at
// least len(x) features and the depth of the deepest tree.
func (s *InterventionalScratch) Interventional(trees []Tree, x []float64, background []float64, dst []float64, scale float64) {
	m := len(x)
	if m == 0 || len(background) < m {
		return
	}
	n := len(background) / m
	sc := scale / float64(n)
	for r := 0; r < n; r++ {
		z := background[r*m : (r+1)*m]
		for i := range trees {
			t := &trees[i]
			if t.NumNodes() == 0 {
				continue
			}
			dst[m] += sc * t.Value[t.Leaf(z)]
			if t.Left[0] >= 0 {
				s.recurse(t, x, z, dst, sc, 0)
			}
		}
	}
}

func (t *Tree) child(node int32, v float64) int32 {
	if t.goesLeft(node, v) {
		return t.Left[node]
	}
	return t.Right[node]
}

func (s *InterventionalScratch) recurse(t *Tree, x, z, phi []float64, sc float64, node int32) {
	for t.Left[node] >= 0 {
		f := t.Feature[node]
		switch s.state[f] {
		case 1:
			node = t.child(node, x[f])
			continue
		case 2:
			node = t.child(node, z[f])
			continue
		}
		xc, zc := t.child(node, x[f]), t.child(node, z[f])
		if xc == zc {
			node = xc
			continue
		}
		s.state[f] = 1
		s.xs = append(s.xs, f)
		s.recurse(t, x, z, phi, sc, xc)
		s.xs = s.xs[:len(s.xs)-1]
		s.state[f] = 2
		s.zs = append(s.zs, f)
		s.recurse(t, x, z, phi, sc, zc)
		s.zs = s.zs[:len(s.zs)-1]
		s.state[f] = 0
		return
	}
	a, b := len(s.xs), len(s.zs)
	if a+b == 0 {
		return
	}
	v := t.Value[node] * sc
	stride := s.d + 1
	if a > 0 {
		wx := v * s.w[(a-1)*stride+b]
		for _, f := range s.xs {
			phi[f] += wx
		}
	}
	if b > 0 {
		wz := v * s.w[a*stride+b-1]
		for _, f := range s.zs {
			phi[f] -= wz
		}
	}
}
