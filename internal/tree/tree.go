// Package tree holds the decision-tree representation shared by the
// boosted-tree and random-forest learners, with fast prediction and
// TreeSHAP. Its layout follows XGBoost's JSON model arrays.
package tree

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
