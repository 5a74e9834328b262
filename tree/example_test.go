package tree_test

import (
	"fmt"
	"math"

	"github.com/ferryml/ferry/tree"
)

// A stump as XGBoost's JSON model stores it: node 0 splits on feature 0
// at 0.5 (x0 < 0.5 goes left) and sends a missing value right.
func ExampleTree() {
	t := tree.Tree{
		Left:        []int32{1, -1, -1},
		Right:       []int32{2, -1, -1},
		Feature:     []int32{0, 0, 0},
		Threshold:   []float32{0.5, 0, 0},
		DefaultLeft: []bool{false, false, false},
		Value:       []float64{0, -1, 2},
		Cover:       []float64{4, 3, 1},
		Gain:        []float64{1.5, 0, 0},
	}
	if err := t.Validate(1); err != nil {
		fmt.Println(err)
		return
	}
	for _, x := range []float64{0.2, 0.7, math.NaN()} {
		fmt.Printf("x0 = %v: leaf %d, value %v\n", x, t.Leaf([]float64{x}), t.Predict([]float64{x}))
	}
	// The cover-weighted mean of the leaves: TreeSHAP's bias term.
	fmt.Println("expected value:", t.MeanValue())
	// Output:
	// x0 = 0.2: leaf 1, value -1
	// x0 = 0.7: leaf 2, value 2
	// x0 = NaN: leaf 2, value 2
	// expected value: -0.25
}
