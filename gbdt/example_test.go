package gbdt_test

import (
	"context"
	"fmt"
	"math"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/table"
)

// Train a small binary classifier and predict one row.
func Example() {
	// y = 1 when x0 + x1 > 1; x1 is sometimes missing (NaN).
	var x, y []float64
	for i := range 400 {
		a, b := float64(i%20)/20, float64(i/20)/20
		if i%7 == 0 {
			b = math.NaN()
		}
		x = append(x, a, b)
		label := 0.0
		if a+b > 1 || (math.IsNaN(b) && a > 0.5) {
			label = 1
		}
		y = append(y, label)
	}
	p := gbdt.DefaultParams()
	p.Objective = gbdt.BinaryLogistic
	p.NumRound = 20
	p.MaxDepth = 3
	res, err := gbdt.Train(context.Background(), &table.Dataset{X: x, Y: y, NumFeature: 2}, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	prob := make([]float64, 1)
	res.Model.PredictRow(prob, []float64{0.9, 0.8})
	fmt.Printf("trees: %d, P(y=1 | 0.9, 0.8) > 0.9: %v\n", len(res.Model.Trees), prob[0] > 0.9)
	res.Model.PredictRow(prob, []float64{0.1, math.NaN()})
	fmt.Printf("P(y=1 | 0.1, missing) < 0.1: %v\n", prob[0] < 0.1)
	// Output:
	// trees: 20, P(y=1 | 0.9, 0.8) > 0.9: true
	// P(y=1 | 0.1, missing) < 0.1: true
}
