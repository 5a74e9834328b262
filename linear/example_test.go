package linear_test

import (
	"context"
	"fmt"

	"github.com/ferryml/ferry/linear"
	"github.com/ferryml/ferry/table"
)

// Fit ridge regression (scikit-learn's Ridge with alpha = n·l2) and
// predict; a missing value reads as the feature's training mean.
func Example() {
	// y = 3·x0 − 2·x1 + 1, exactly.
	d := &table.Dataset{NumFeature: 2}
	for i := range 50 {
		a, b := float64(i%10), float64(i%7)
		d.X = append(d.X, a, b)
		d.Y = append(d.Y, 3*a-2*b+1)
	}
	m, err := linear.Train(context.Background(), d, linear.Params{L2: 1e-6})
	if err != nil {
		fmt.Println(err)
		return
	}
	w, bias := m.Weights()
	fmt.Printf("weights %.3f, bias %.3f\n", w, bias)
	pred := make([]float64, 1)
	m.Predict(pred, []float64{2, 1})
	fmt.Printf("prediction at (2, 1): %.3f\n", pred[0])
	// Output:
	// weights [3.000 -2.000], bias 1.000
	// prediction at (2, 1): 5.000
}
