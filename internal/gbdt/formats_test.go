package gbdt

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// formatTol is the tolerance of the format and feature fixtures
// (testdata/formats.py): |got − want| ≤ formatTol·max(1, |want|). XGBoost
// computes in float32, Ferry in float64; the fixture models are small
// enough that the two agree to this.
const formatTol = 1e-6

var formatCases = []string{"binary", "multiclass", "multiclass_intercept", "categorical", "dart", "early_stopping", "forest"}

func withinFormatTol(got, want float64) bool {
	return math.Abs(got-want) <= formatTol*max(1, math.Abs(want))
}

func compareTol(t *testing.T, what string, got, want []float64, width int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	bad, worst := 0, 0.0
	for i := range got {
		if !withinFormatTol(got[i], want[i]) {
			if bad < 5 {
				t.Errorf("%s row %d col %d: got %.9g, want %.9g", what, i/width, i%width, got[i], want[i])
			}
			bad++
		}
		worst = max(worst, math.Abs(got[i]-want[i]))
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values out of tolerance (max |diff| %.3g)", what, bad, len(got), worst)
	}
}

// checkExpected compares m's margins, predictions and contributions on
// dir/data.csv with the expected files prefix_margin.csv, ... that
// formats.py wrote, and its margins with every tree with
// prefix_margin_all.csv.
func checkExpected(t *testing.T, m *Model, data *Table, prefix string) {
	t.Helper()
	n := data.Rows()
	k := m.NumOutputGroups()
	margin := make([]float64, n*k)
	m.PredictMargin(margin, data.Data)
	compareTol(t, "margin", margin, readTable(t, prefix+"_margin.csv").Data, k)

	pred := make([]float64, n*m.NumOutputs())
	m.Predict(pred, data.Data)
	compareTol(t, "prediction", pred, readTable(t, prefix+"_prediction.csv").Data, m.NumOutputs())

	row := make([]float64, k)
	for r := range n {
		m.MarginRow(row, data.Data[r*m.NumFeature:(r+1)*m.NumFeature])
		for j := range row {
			if math.Abs(row[j]-margin[r*k+j]) > 1e-12 {
				t.Fatalf("MarginRow row %d = %v, batch %v", r, row, margin[r*k:(r+1)*k])
			}
		}
	}

	contribs := make([]float64, n*k*(m.NumFeature+1))
	m.Contribs(contribs, data.Data)
	compareTol(t, "contribs", contribs, readTable(t, prefix+"_contribs.csv").Data, k*(m.NumFeature+1))

	all := *m
	all.AllTrees = true
	if err := all.Init(); err != nil {
		t.Fatal(err)
	}
	allMargin := make([]float64, n*k)
	all.PredictMargin(allMargin, data.Data)
	compareTol(t, "margin with all trees", allMargin, readTable(t, prefix+"_margin_all.csv").Data, k)
}

// TestFormatFixtures reads every model file formats.py saved with XGBoost
// 1.7 (JSON, UBJSON, binary) and 3.x (JSON, UBJSON) and checks Ferry's
// predictions against XGBoost's.
func TestFormatFixtures(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"xgboost17", "xgboost3"} {
		for _, c := range formatCases {
			for _, file := range []string{"model.json", "model.ubj", "model.bin"} {
				path := filepath.Join("testdata", version, c, file)
				if _, err := os.Stat(path); err != nil {
					continue
				}
				t.Run(version+"/"+c+"/"+file, func(t *testing.T) {
					t.Parallel()
					m, err := ReadModelFile(path)
					if err != nil {
						t.Fatal(err)
					}
					dir := filepath.Dir(path)
					checkExpected(t, m, readTable(t, filepath.Join(dir, "data.csv")), filepath.Join(dir, "expected"))
				})
			}
		}
	}
}
