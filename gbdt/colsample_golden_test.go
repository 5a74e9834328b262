package gbdt

import (
	"math/rand/v2"
	"testing"

	"github.com/ferryml/ferry/table"
)

// TestColsampleGolden pins a model trained with colsample_bytree 0.5 on
// continuous features without missing values (256-bin byte columns, no
// overflow fix, no unit layout): the byte kernel visits only each
// tree's features there (grower.histCols), and the trees must stay those
// of the pass over every column. The golden file was written by the
// kernel without column lists; run with -update only after an intended
// change to the trees.
func TestColsampleGolden(t *testing.T) {
	t.Parallel()
	const rows, cols = 4000, 12
	rng := rand.New(rand.NewPCG(16, 5))
	x := make([]float64, rows*cols)
	y := make([]float64, rows)
	for r := range rows {
		for c := range cols {
			x[r*cols+c] = rng.NormFloat64()
		}
		z := x[r*cols] + 0.5*x[r*cols+3]*x[r*cols+7] - 0.3*x[r*cols+10] + 0.5*rng.NormFloat64()
		if z > 0 {
			y[r] = 1
		}
	}
	p := DefaultParams()
	p.Objective = BinaryLogistic
	p.NumRound = 8
	p.MaxDepth = 4
	p.ColsampleByTree = 0.5
	p.Seed = 3
	checkGolden(t, trainJSON(t, &table.Dataset{X: x, Y: y, NumFeature: cols}, p), "colsample_half.model.json")
}
