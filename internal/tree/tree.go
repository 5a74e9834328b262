// Package tree holds the decision-tree representation shared by the
// boosted-tree and random-forest learners, with fast prediction and
// TreeSHAP. Its layout follows XGBoost's JSON model arrays.
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
			continue
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
