package gbdt

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/table"
)

var fixtureCases = []string{"binary_missing", "reg_depth6", "multiclass3", "binary_base_score_names", "fraud_autoclaims"}

func readTable(t testing.TB, path string) *table.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := table.ReadCSV(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tab
}

func readFixtureModel(t testing.TB, dir string) *Model {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ReadModel(f)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return m
}

// within is the fixture tolerance: |got-want| <= 1e-5 + 1e-6|want|.
func within(got, want float64) bool {
	return math.Abs(got-want) <= 1e-5+1e-6*math.Abs(want)
}

func compareAll(t *testing.T, what string, got, want []float64, width int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if !within(got[i], want[i]) {
			if bad < 5 {
				t.Errorf("%s row %d col %d: got %.9g, want %.9g", what, i/width, i%width, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values out of tolerance", what, bad, len(got))
	}
}

func TestFixtures(t *testing.T) {
	t.Parallel()
	for _, name := range fixtureCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "xgboost", name)
			m := readFixtureModel(t, dir)
			data := readTable(t, filepath.Join(dir, "data.csv"))
			if len(m.FeatureNames) > 0 && strings.Join(m.FeatureNames, ",") != strings.Join(data.Names, ",") {
				t.Fatalf("feature names %v, data header %v", m.FeatureNames, data.Names)
			}
			n := data.Rows()
			k := m.NumOutputGroups()

			margin := make([]float64, n*k)
			m.PredictMargin(margin, data.Data)
			compareAll(t, "margin", margin, readTable(t, filepath.Join(dir, "expected_margin.csv")).Data, k)

			pred := make([]float64, n*m.NumOutputs())
			m.Predict(pred, data.Data)
			compareAll(t, "prediction", pred, readTable(t, filepath.Join(dir, "expected_prediction.csv")).Data, m.NumOutputs())

			// One row at a time gives the same values as the batch.
			row := make([]float64, m.NumOutputs())
			for r := range n {
				m.PredictRow(row, data.Data[r*m.NumFeature:(r+1)*m.NumFeature])
				for j := range row {
					if math.Abs(row[j]-pred[r*len(row)+j]) > 1e-12 {
						t.Fatalf("PredictRow row %d = %v, batch %v", r, row, pred[r*len(row):(r+1)*len(row)])
					}
				}
			}

			contribs := make([]float64, n*k*(m.NumFeature+1))
			m.Contribs(contribs, data.Data)
			compareAll(t, "contribs", contribs, readTable(t, filepath.Join(dir, "expected_contribs.csv")).Data, k*(m.NumFeature+1))
		})
	}
}

func TestFixturesRewriteIdentical(t *testing.T) {
	t.Parallel()
	// Writing a loaded XGBoost model and reading it back keeps every tree,
	// and writing that again gives the same bytes.
	for _, name := range fixtureCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := readFixtureModel(t, filepath.Join("testdata", "xgboost", name))
			var a, b bytes.Buffer
			if err := m.WriteJSON(&a); err != nil {
				t.Fatal(err)
			}
			m2, err := ReadModel(bytes.NewReader(a.Bytes()))
			if err != nil {
				t.Fatalf("re-reading written model: %v", err)
			}
			if err := m2.WriteJSON(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("second write differs from first")
			}
			data := readTable(t, filepath.Join("testdata", "xgboost", name, "data.csv"))
			p1 := make([]float64, data.Rows()*m.NumOutputGroups())
			p2 := make([]float64, len(p1))
			m.PredictMargin(p1, data.Data)
			m2.PredictMargin(p2, data.Data)
			for i := range p1 {
				if p1[i] != p2[i] {
					t.Fatalf("margin %d: %v before writing, %v after", i, p1[i], p2[i])
				}
			}
		})
	}
}
