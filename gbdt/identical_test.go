package gbdt

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/table"
)

// TestIdenticalTrees trains on the identical-trees fixtures (data with
// missing values and features with many distinct values, 100 rounds,
// testdata/identical.py) and checks that Ferry grows XGBoost 1.7's and
// 3.2's trees: the same structure, split features, split conditions and
// default directions, leaf values equal as float32 (XGBoost's), and
// margins within 1e-5 (relative above 1, as XGBoost's float32 margins of
// ~150 carry that much rounding).
func TestIdenticalTrees(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"xgboost17", "xgboost3"} {
		for _, name := range []string{"diabetes_nan", "fraud_nan", "diabetes_nan_weighted", "fraud_nan_weighted"} {
			dir := filepath.Join("testdata", "identical", version, name)
			t.Run(version+"/"+name, func(t *testing.T) {
				t.Parallel()
				checkIdentical(t, dir, 0)
			})
		}
	}
}

// checkIdentical trains on dir's data.csv, labels.csv and, when there is
// one, weights.csv (sample weights) with its params.json and compares the trees with trees.csv and the margins with
// expected_margin.csv.
//
// leafTol is the relative difference allowed between leaf values (0:
// equal as float32).
func checkIdentical(t *testing.T, dir string, leafTol float64) {
	t.Helper()
	p := fixtureParams(t, dir)
	data := readTable(t, filepath.Join(dir, "data.csv"))
	labels := readTable(t, filepath.Join(dir, "labels.csv"))
	d := &table.Dataset{X: data.Data, Y: labels.Data, NumFeature: len(data.Names)}
	if _, err := os.Stat(filepath.Join(dir, "weights.csv")); err == nil {
		d.Weight = readTable(t, filepath.Join(dir, "weights.csv")).Data
	}
	res, err := Train(t.Context(), d, p)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	want := readTable(t, filepath.Join(dir, "trees.csv"))
	if err := sameTrees(m, want, leafTol); err != nil {
		t.Error(err)
	}
	got := make([]float64, data.Rows())
	m.PredictMargin(got, data.Data)
	wantMargin := readTable(t, filepath.Join(dir, "expected_margin.csv")).Data
	worst := 0.0
	for i := range got {
		worst = max(worst, math.Abs(got[i]-wantMargin[i])/max(1, math.Abs(wantMargin[i])))
	}
	t.Logf("%d trees, max |margin - xgboost| (relative above 1) = %.3g", len(m.Trees), worst)
	if worst > 1e-5 {
		t.Errorf("max |margin - xgboost| (relative above 1) = %.3g, want <= 1e-5", worst)
	}
}

// sameTrees compares a model's trees with XGBoost's trees.csv rows (tree,
// node, left, right, feature, condition, default_left, weight) and reports
// the first difference. Leaf values may differ by leafTol relative (above
// 1); 0 asks for the same float32.
func sameTrees(m *Model, want *table.Table, leafTol float64) error {
	const cols = 8
	rows := want.Rows()
	nTrees := 0
	if rows > 0 {
		nTrees = int(want.Data[(rows-1)*cols]) + 1
	}
	if len(m.Trees) != nTrees {
		return fmt.Errorf("%d trees, XGBoost has %d", len(m.Trees), nTrees)
	}
	for r := range rows {
		row := want.Data[r*cols : (r+1)*cols]
		ti, ni := int(row[0]), int(row[1])
		tr := &m.Trees[ti]
		if ni >= len(tr.Left) {
			return fmt.Errorf("tree %d has %d nodes, XGBoost's has more", ti, len(tr.Left))
		}
		if int(tr.Left[ni]) != int(row[2]) || int(tr.Right[ni]) != int(row[3]) {
			return fmt.Errorf("tree %d node %d: children %d, %d, XGBoost's %d, %d", ti, ni, tr.Left[ni], tr.Right[ni], int(row[2]), int(row[3]))
		}
		if tr.Left[ni] < 0 {
			if d := math.Abs(tr.Value[ni]-row[5]) / max(1, math.Abs(row[5])); (leafTol == 0 && float32(tr.Value[ni]) != float32(row[5])) || (leafTol > 0 && d > leafTol) {
				return fmt.Errorf("tree %d leaf %d: value %v, XGBoost's %v", ti, ni, tr.Value[ni], row[5])
			}
			continue
		}
		if int(tr.Feature[ni]) != int(row[4]) || tr.Threshold[ni] != float32(row[5]) || tr.DefaultLeft[ni] != (row[6] != 0) {
			return fmt.Errorf("tree %d node %d: split f%d < %v (default left %v), XGBoost's f%d < %v (default left %v)",
				ti, ni, tr.Feature[ni], tr.Threshold[ni], tr.DefaultLeft[ni], int(row[4]), float32(row[5]), row[6] != 0)
		}
	}
	return nil
}

// TestBinsAgreeWithThresholds trains on data with missing values and
// many distinct values with byte bins (max_bin 256: features with 256
// bins and missing values share id 255, binned.overflow) and uint16 bins
// (max_bin 1024), several threads, and checks that the training margins
// (from the binned partitions) equal the margins of the saved trees
// (walked with the thresholds): the training RMSE per round equals the
// RMSE of the model's predictions.
func TestBinsAgreeWithThresholds(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "identical", "xgboost3", "diabetes_nan")
	data := readTable(t, filepath.Join(dir, "data.csv"))
	labels := readTable(t, filepath.Join(dir, "labels.csv"))
	for _, maxBin := range []int{256, 1024} {
		t.Run(fmt.Sprint(maxBin), func(t *testing.T) {
			t.Parallel()
			p := DefaultParams()
			p.MaxBin, p.NumRound, p.MaxDepth, p.NThread = maxBin, 20, 8, 3
			p.MinChildWeight = 0
			d := &table.Dataset{X: data.Data, Y: labels.Data, NumFeature: len(data.Names)}
			res, err := Train(t.Context(), d, p, WithEval("train", d))
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float64, d.Rows())
			res.Model.PredictMargin(got, d.X)
			rmse, err := EvalMetric(MetricRMSE, RegSquaredError, 1, got, d.Y, nil)
			if err != nil {
				t.Fatal(err)
			}
			hist := res.History["train-rmse"]
			if len(hist) != p.NumRound {
				t.Fatalf("%d rounds of train-rmse, want %d", len(hist), p.NumRound)
			}
			if last := hist[len(hist)-1]; math.Abs(last-rmse) > 1e-4*rmse {
				t.Errorf("training rmse %v, model's rmse %v: bins and thresholds disagree", last, rmse)
			}
		})
	}
}
