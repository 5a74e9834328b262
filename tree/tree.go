package tree

import (
	"errors"
	"fmt"
)

// Tree is one binary decision tree in struct-of-arrays form, indexed by
// node id; node 0 is the root.
//
// Routing: a missing value (NaN) goes to the default child; otherwise
// x < Threshold goes left, else right (comparing in float32, as XGBoost).
type Tree struct {
	Left, Right []int32   // child ids; -1 for a leaf
	Feature     []int32   // split feature index (0 for a leaf)
	Threshold   []float32 // split condition
	DefaultLeft []bool
	// Value is the leaf value for leaves and the base weight for
	// internal nodes.
	Value []float64
	// Cover is the node's hessian sum (boosting) or sample count (forest):
	// the weights path-dependent TreeSHAP uses.
	Cover []float64
	// Gain is the split's loss change (0 for leaves).
	Gain []float64
	// Categories holds the categorical splits (XGBoost's
	// enable_categorical); nil when the tree has none. Categories[i] is nil
	// for a leaf or a numerical split; for a categorical split it is the
	// set of categories that go right, as a bit set (category c is bit
	// c%32 of word c/32). See [CategoryGoesRight]. Threshold is unused at
	// a categorical split.
	Categories [][]uint32
}

// MaxCategory bounds category codes, as XGBoost's: a value is a category
// when it is at least 0 and below 2^24 (the integers a float32 holds
// exactly); it is truncated to an integer.
const MaxCategory = 1 << 24

// CategoryGoesRight reports whether value v (not missing) goes right at a
// categorical split with category set cats: when its truncated integer
// value is in the set. Anything else, negative values and categories at or
// above [MaxCategory] included, goes left, as in XGBoost 2.0 and later.
func CategoryGoesRight(cats []uint32, v float64) bool {
	f := float32(v)
	if !(f >= 0 && f < MaxCategory) {
		return false
	}
	c := uint32(f)
	w := c >> 5
	return int(w) < len(cats) && cats[w]&(1<<(c&31)) != 0
}

// IsCategorical reports whether node i is a categorical split.
func (t *Tree) IsCategorical(i int) bool {
	return t.Categories != nil && t.Categories[i] != nil
}

// goesLeft reports whether value v goes left at split node i.
func (t *Tree) goesLeft(i int32, v float64) bool {
	switch {
	case v != v: // NaN: missing
		return t.DefaultLeft[i]
	case t.Categories != nil && t.Categories[i] != nil:
		return !CategoryGoesRight(t.Categories[i], v)
	}
	return float32(v) < t.Threshold[i]
}

// IsLeaf reports whether node i is a leaf.
func (t *Tree) IsLeaf(i int) bool { return t.Left[i] < 0 }

// NumNodes returns the number of nodes.
func (t *Tree) NumNodes() int { return len(t.Left) }

// Leaf returns the id of the leaf that row x reaches. A NaN feature value
// follows the node's default direction. The tree must be valid for x
// (see [Tree.Validate]); Leaf does not allocate.
func (t *Tree) Leaf(x []float64) int {
	i := int32(0)
	if t.Categories != nil {
		for t.Left[i] >= 0 {
			if t.goesLeft(i, x[t.Feature[i]]) {
				i = t.Left[i]
			} else {
				i = t.Right[i]
			}
		}
		return int(i)
	}
	for t.Left[i] >= 0 {
		v := x[t.Feature[i]]
		switch {
		case v != v: // NaN: missing
			if t.DefaultLeft[i] {
				i = t.Left[i]
			} else {
				i = t.Right[i]
			}
		case float32(v) < t.Threshold[i]:
			i = t.Left[i]
		default:
			i = t.Right[i]
		}
	}
	return int(i)
}

// Predict returns the value of the leaf that row x reaches.
func (t *Tree) Predict(x []float64) float64 { return t.Value[t.Leaf(x)] }

// MeanValue returns the tree's expected value: leaf values averaged with
// the covers as weights (the bias term of TreeSHAP).
func (t *Tree) MeanValue() float64 {
	if t.NumNodes() == 0 {
		return 0
	}
	return t.meanValue(0)
}

func (t *Tree) meanValue(i int32) float64 {
	if t.Left[i] < 0 {
		return t.Value[i]
	}
	l, r := t.Left[i], t.Right[i]
	c := t.Cover[l] + t.Cover[r]
	if c == 0 {
		return 0
	}
	return (t.meanValue(l)*t.Cover[l] + t.meanValue(r)*t.Cover[r]) / c
}

// MaxDepth returns the number of edges on the longest root-to-leaf path.
func (t *Tree) MaxDepth() int {
	if t.NumNodes() == 0 {
		return 0
	}
	return t.depth(0)
}

func (t *Tree) depth(i int32) int {
	if t.Left[i] < 0 {
		return 0
	}
	return 1 + max(t.depth(t.Left[i]), t.depth(t.Right[i]))
}

// Validate checks that the arrays have one entry per node, that children
// are in range and form a tree rooted at node 0 (each node reached once),
// and that every split feature is below numFeatures. Prediction and
// TreeSHAP assume a valid tree.
func (t *Tree) Validate(numFeatures int) error {
	n := len(t.Left)
	if n == 0 {
		return errors.New("tree has no nodes")
	}
	if len(t.Right) != n || len(t.Feature) != n || len(t.Threshold) != n ||
		len(t.DefaultLeft) != n || len(t.Value) != n || len(t.Cover) != n {
		return fmt.Errorf("tree arrays differ in length (%d nodes)", n)
	}
	if t.Gain != nil && len(t.Gain) != n {
		return fmt.Errorf("tree gain array has %d entries for %d nodes", len(t.Gain), n)
	}
	if t.Categories != nil && len(t.Categories) != n {
		return fmt.Errorf("tree categories array has %d entries for %d nodes", len(t.Categories), n)
	}
	seen := make([]bool, n)
	stack := []int32{0}
	seen[0] = true
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		l, r := t.Left[i], t.Right[i]
		if l < 0 {
			if r >= 0 {
				return fmt.Errorf("node %d has a right child but no left child", i)
			}
			if t.IsCategorical(int(i)) {
				return fmt.Errorf("leaf %d has categories", i)
			}
			continue
		}
		if t.IsCategorical(int(i)) && len(t.Categories[i]) > MaxCategory/32 {
			return fmt.Errorf("node %d has a category set of %d words, more than categories below 2^24 need", i, len(t.Categories[i]))
		}
		if f := t.Feature[i]; f < 0 || int(f) >= numFeatures {
			return fmt.Errorf("node %d splits on feature %d, model has %d features", i, f, numFeatures)
		}
		for _, c := range [2]int32{l, r} {
			if c < 0 || int(c) >= n {
				return fmt.Errorf("node %d has child %d out of range [0,%d)", i, c, n)
			}
			if seen[c] {
				return fmt.Errorf("node %d is reached twice (child of node %d)", c, i)
			}
			seen[c] = true
			stack = append(stack, c)
		}
	}
	return nil
}
