package shap_test

import (
	"context"
	"fmt"

	"github.com/ferryml/ferry/shap"
)

func ExampleKernel() {
	// f(x) = 2·x0 + x1·x2, explained against a baseline of zeros: with all
	// 2^3 − 2 coalitions the values are exact, x1 and x2 share their
	// interaction equally, and they add up to f(x) − f(baseline).
	f := func(dst, x []float64) {
		for i := range len(x) / 3 {
			dst[i] = 2*x[3*i] + x[3*i+1]*x[3*i+2]
		}
	}
	x := []float64{1, 2, 3}
	e, err := shap.Kernel(context.Background(), f, x, 1, 3, []float64{0, 0, 0}, 1, shap.KernelOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("expected %.1f, local %.1f\n", e.Expected[0], e.Local)
	// Output: expected 0.0, local [2.0 3.0 3.0]
}
