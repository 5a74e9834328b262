package gbdt

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/table"
)

func TestWithProgressWithoutEvals(t *testing.T) {
	t.Parallel()
	d := &table.Dataset{X: []float64{1, 2, 3, 4, 5, 6}, Y: []float64{1, 2, 3, 4, 5, 6}, NumFeature: 1}
	p := DefaultParams()
	p.NumRound = 4
	p.MinChildWeight = 0
	var rounds []int
	var sizes []int
	_, err := Train(t.Context(), d, p, WithProgress(func(round int, m map[string]float64) {
		rounds = append(rounds, round)
		sizes = append(sizes, len(m))
	}))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{0, 1, 2, 3}, rounds); diff != "" {
		t.Errorf("rounds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 0, 0, 0}, sizes); diff != "" {
		t.Errorf("metric counts (-want +got):\n%s", diff)
	}
}

func TestWithEvalErrors(t *testing.T) {
	t.Parallel()
	d := &table.Dataset{X: []float64{1, 2, 3, 4}, Y: []float64{0, 1, 0, 1}, NumFeature: 1}
	tests := []struct {
		name string
		eval *table.Dataset
		want string
	}{
		{"Nil", nil, "holdout dataset has no features"},
		{"Features", &table.Dataset{X: []float64{1, 2, 3, 4}, Y: []float64{0, 1}, NumFeature: 2}, `eval set "holdout" has 2 features, training has 1`},
		{"Shape", &table.Dataset{X: []float64{1, 2, 3}, Y: []float64{0, 1}, NumFeature: 1}, "holdout dataset has 3 values for 2 rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Train(t.Context(), d, DefaultParams(), WithEval("holdout", tc.eval))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Train() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
