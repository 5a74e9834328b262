package gbdt_test

import (
	"context"
	"fmt"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/table"
)

// Bin a training set once and train several models on it, as a
// hyperparameter search does: each Train skips the quantile sketch and
// the binning, and makes the model it would make alone.
func ExampleQuantize() {
	var x, y []float64
	for i := range 1000 {
		a, b := float64(i%40)/40, float64(i/40)/25
		x = append(x, a, b)
		label := 0.0
		if a+b > 1 {
			label = 1
		}
		y = append(y, label)
	}
	data := &table.Dataset{X: x, Y: y, NumFeature: 2}
	p := gbdt.DefaultParams()
	p.Objective = gbdt.BinaryLogistic
	p.EvalMetric = []string{gbdt.MetricAUC}
	p.NumRound = 10
	q, err := gbdt.Quantize(data, p) // bins for p.MaxBin (256)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, depth := range []int{1, 4} {
		p.MaxDepth = depth
		res, err := gbdt.Train(context.Background(), data, p, gbdt.WithQuantized(q), gbdt.WithEval("train", data))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("max_depth %d: train AUC > 0.95: %v\n", depth, res.Metrics["train-auc"] > 0.95)
	}
	// Output:
	// max_depth 1: train AUC > 0.95: true
	// max_depth 4: train AUC > 0.95: true
}
