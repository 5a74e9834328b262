package forest_test

import (
	"context"
	"fmt"
	"math"

	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/table"
)

// Train a random forest classifier (scikit-learn's
// RandomForestClassifier) and predict class-1 probabilities; a missing
// value goes where most of the training rows went.
func Example() {
	// y = 1 when x0 > 0.5; x1 is noise.
	d := &table.Dataset{NumFeature: 2}
	for i := range 200 {
		a, b := float64(i%20)/20, float64(i*7%13)/13
		d.X = append(d.X, a, b)
		y := 0.0
		if a > 0.5 {
			y = 1
		}
		d.Y = append(d.Y, y)
	}
	p := forest.Params{Task: forest.TaskBinary, NEstimators: 25, MaxDepth: 4, Seed: 1}
	built := 0
	m, err := forest.Train(context.Background(), d, p, forest.WithProgress(func(n int) { built = n }))
	if err != nil {
		fmt.Println(err)
		return
	}
	prob := make([]float64, 3)
	m.Predict(prob, []float64{0.9, 0.5, 0.1, 0.5, math.NaN(), 0.5})
	fmt.Printf("trees built: %d\nP(y=1): %.2f\n", built, prob)
	// TreeSHAP: contributions per feature and the bias, summing to the prediction.
	contribs := make([]float64, 3)
	m.Contribs(contribs, []float64{0.9, 0.5})
	fmt.Printf("contributions: %.2f\n", contribs)
	// Output:
	// trees built: 25
	// P(y=1): [1.00 0.00 0.24]
	// contributions: [0.52 0.02 0.45]
}
