package gbdt

import (
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/table"
)

// TestColsampleUnitGolden pins a model trained with colsample_bytree 0.5
// on the fraud fixture (mostly one-hot columns, no missing values): its
// histograms go through the unit layout, whose rest columns histSlots
// visits only for each tree's features (grower.unitCols), and the trees
// must stay those of the pass over every rest column. The golden file was
// written by the kernel without column lists; run with -update only after
// an intended change to the trees.
func TestColsampleUnitGolden(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "xgboost", "fraud_autoclaims")
	data := readTable(t, filepath.Join(dir, "data.csv"))
	labels := readTable(t, filepath.Join(dir, "labels.csv"))
	d := &table.Dataset{X: data.Data, Y: labels.Data, NumFeature: len(data.Names), FeatureNames: data.Names}
	p := DefaultParams()
	p.Objective = BinaryLogistic
	p.NumRound = 12
	p.MaxDepth = 5
	p.ColsampleByTree = 0.5
	p.Seed = 7
	q, err := Quantize(d, p)
	if err != nil {
		t.Fatal(err)
	}
	if haveUnitKernel() && q.b.derived.unitLayout(q.b) == nil {
		t.Fatal("the fraud fixture does not take the unit path")
	}
	res, err := Train(t.Context(), d, p, WithQuantized(q))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, modelJSON(t, res.Model), "colsample_half_fraud.model.json")
}
