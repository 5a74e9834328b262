package gbdt

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/internal/pythontest"
	"github.com/ferryml/ferry/table"
)

// formatTol is the tolerance of the format and feature fixtures
// (testdata/formats.py): |got − want| ≤ formatTol·max(1, |want|). XGBoost
// computes in float32, Ferry in float64; the fixture models are small
// enough that the two agree to this.
const formatTol = 1e-6

var formatCases = []string{"binary", "multiclass", "multiclass_intercept", "categorical", "categorical_regression", "dart", "early_stopping", "forest", "forest_early_stopping"}

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
	t.Logf("%s: max |diff| %.3g over %d values", what, worst, len(got))
}

// checkExpected compares m's margins, predictions and contributions on
// dir/data.csv with the expected files prefix_margin.csv, ... that
// formats.py wrote, and its margins with every tree with
// prefix_margin_all.csv.
func checkExpected(t *testing.T, m *Model, data *table.Table, prefix string) {
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
			for _, file := range []string{"model.json", "model.ubj", "model.bin", "model.p2.pkl", "model.p4.pkl"} {
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

// TestFormatsRoundTripXGBoost17 runs the round trip of every format and
// feature with Debian's XGBoost 1.7; TestPyPIFormatsRoundTripXGBoost3
// (build tag pypi) with the newest XGBoost 3.x of the PyPI venv.
func TestFormatsRoundTripXGBoost17(t *testing.T) {
	t.Parallel()
	roundTripFormats(t, pythontest.Debian(t, "xgboost"))
}

// roundTripFormats has XGBoost (python py) train and save the models of
// testdata/formats.py in every format it writes, checks that Ferry reads
// each and predicts, explains and honours best_iteration as XGBoost does,
// then writes each model back as JSON and UBJSON (plus a model Ferry
// trained) and checks that XGBoost loads them and predicts, explains and
// honours best_iteration as Ferry does.
func roundTripFormats(t *testing.T, py string) {
	script, err := filepath.Abs(filepath.Join("testdata", "formats.py"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	gen := filepath.Join(tmp, "gen")
	if out, err := exec.CommandContext(t.Context(), py, script, "generate", gen).CombinedOutput(); err != nil {
		t.Fatalf("formats.py generate: %v\n%s", err, out)
	}
	type written struct {
		name, data, prefix string
		m                  *Model
	}
	var back []written
	args := []string{script, "predict"}
	for _, c := range formatCases {
		dir := filepath.Join(gen, c)
		for _, file := range []string{"model.json", "model.ubj", "model.bin", "model.p2.pkl", "model.p4.pkl"} {
			path := filepath.Join(dir, file)
			if _, err := os.Stat(path); err != nil {
				continue
			}
			m, err := ReadModelFile(path)
			if err != nil {
				t.Errorf("%s/%s: %v", c, file, err)
				continue
			}
			t.Run("XGBoostToFerry/"+c+"/"+file, func(t *testing.T) {
				checkExpected(t, m, readTable(t, filepath.Join(dir, "data.csv")), filepath.Join(dir, "expected"))
			})
			if file != "model.json" {
				continue
			}
			for _, ext := range []string{"json", "ubj"} {
				out := filepath.Join(tmp, c+"."+ext)
				writeModelFile(t, m, out)
				w := written{c + "." + ext, filepath.Join(dir, "data.csv"), filepath.Join(tmp, c+"_"+ext), m}
				back = append(back, w)
				args = append(args, out, w.data, w.prefix)
			}
		}
	}
	// Ferry trains the categorical cases on XGBoost's training rows: the
	// same trees, and XGBoost reads the models Ferry writes.
	for _, c := range []string{"categorical", "categorical_regression"} {
		dir := filepath.Join(gen, c)
		m := trainCategoricalCase(t, dir)
		want, err := ReadModelFile(filepath.Join(dir, "model.json"))
		if err != nil {
			t.Fatal(err)
		}
		t.Run("TrainCategorical/"+c, func(t *testing.T) { checkSameTrees(t, m, want) })
		for _, ext := range []string{"json", "ubj"} {
			out := filepath.Join(tmp, "ferry_"+c+"."+ext)
			writeModelFile(t, m, out)
			w := written{"ferry_" + c + "." + ext, filepath.Join(dir, "data.csv"), filepath.Join(tmp, "ferry_"+c+"_"+ext), m}
			back = append(back, w)
			args = append(args, out, w.data, w.prefix)
		}
	}
	// A model Ferry trained, with missing values.
	fix := filepath.Join("testdata", "xgboost", "binary_missing")
	data := readTable(t, filepath.Join(fix, "data.csv"))
	labels := readTable(t, filepath.Join(fix, "labels.csv"))
	p := DefaultParams()
	p.NumRound, p.MaxDepth = 5, 3
	res, err := Train(t.Context(), &table.Dataset{X: data.Data, Y: labels.Data, NumFeature: len(data.Names)}, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"json", "ubj"} {
		out := filepath.Join(tmp, "ferry_trained."+ext)
		writeModelFile(t, res.Model, out)
		w := written{"ferry_trained." + ext, filepath.Join(fix, "data.csv"), filepath.Join(tmp, "ferry_trained_"+ext), res.Model}
		back = append(back, w)
		args = append(args, out, w.data, w.prefix)
	}
	if out, err := exec.CommandContext(t.Context(), py, args...).CombinedOutput(); err != nil {
		t.Fatalf("formats.py predict: %v\n%s", err, out)
	}
	for _, w := range back {
		t.Run("FerryToXGBoost/"+w.name, func(t *testing.T) {
			// XGBoost's values are the reference here: checkExpected
			// compares Ferry's predictions with them.
			checkExpected(t, w.m, readTable(t, w.data), w.prefix)
		})
	}
}

func writeModelFile(t *testing.T, m *Model, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	write := m.WriteJSON
	if filepath.Ext(path) == ".ubj" {
		write = m.WriteUBJSON
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFormatFixturesInterventional: interventional SHAP values use the
// same trees as the margins (dart weights, trees up to best_iteration,
// categorical routing): each row's values sum to its margin.
func TestFormatFixturesInterventional(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"dart", "early_stopping", "categorical", "forest_early_stopping", "multiclass_intercept"} {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "xgboost3", c)
			m, err := ReadModelFile(filepath.Join(dir, "model.ubj"))
			if err != nil {
				t.Fatal(err)
			}
			data := readTable(t, filepath.Join(dir, "data.csv"))
			nf, k := m.NumFeature, m.NumOutputGroups()
			x := data.Data[:10*nf]
			background := data.Data[10*nf : 30*nf]
			margin := make([]float64, 10*k)
			m.PredictMargin(margin, x)
			phi := make([]float64, 10*k*(nf+1))
			m.ContribsInterventional(phi, x, background)
			for r := range 10 {
				for g := range k {
					sum := 0.0
					for _, v := range phi[(r*k+g)*(nf+1) : (r*k+g+1)*(nf+1)] {
						sum += v
					}
					if math.Abs(sum-margin[r*k+g]) > 1e-9 {
						t.Errorf("row %d class %d: values sum to %v, margin %v", r, g, sum, margin[r*k+g])
					}
				}
			}
		})
	}
}

// TestReadBinaryWithoutHeader: binary models of XGBoost before 1.0 have
// no "binf" header; the same bytes without it read the same model.
func TestReadBinaryWithoutHeader(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"binary", "dart", "forest"} {
		dir := filepath.Join("testdata", "xgboost17", c)
		b, err := os.ReadFile(filepath.Join(dir, "model.bin"))
		if err != nil {
			t.Fatal(err)
		}
		if string(b[:4]) != "binf" {
			t.Fatalf("%s: fixture has no binf header", c)
		}
		if f := DetectFormat(b[4:]); f != FormatBinary {
			t.Fatalf("%s without header detected as %v", c, f)
		}
		m, err := ParseModel(b[4:])
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		t.Run(c, func(t *testing.T) {
			checkExpected(t, m, readTable(t, filepath.Join(dir, "data.csv")), filepath.Join(dir, "expected"))
		})
	}
}
