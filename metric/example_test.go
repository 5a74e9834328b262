package metric_test

import (
	"fmt"

	"github.com/ferryml/ferry/metric"
)

// Metrics as scikit-learn computes them, from labels and predicted
// probabilities; nil weights mean unweighted.
func Example() {
	y := []float64{0, 0, 1, 1, 1, 0}
	p := []float64{0.1, 0.4, 0.35, 0.8, 0.9, 0.2}
	auc, err := metric.ROCAUC(y, p, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ll, _ := metric.LogLoss(y, p, nil)
	c, _ := metric.ConfusionAt(y, p, nil, 0.5)
	fmt.Printf("roc_auc %.4f, log_loss %.4f\n", auc, ll)
	fmt.Printf("at 0.5: TP %v FP %v TN %v FN %v, precision %.2f, recall %.2f, F1 %.2f\n",
		c.TP, c.FP, c.TN, c.FN, c.Precision(), c.Recall(), c.F1())
	// Output:
	// roc_auc 0.8889, log_loss 0.3696
	// at 0.5: TP 2 FP 0 TN 3 FN 1, precision 1.00, recall 0.67, F1 0.80
}
