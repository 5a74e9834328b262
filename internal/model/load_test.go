package model

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/linear"
	"github.com/ferryml/ferry/table"
)

const fixture = "../../gbdt/testdata/xgboost/binary_base_score_names/model.json"

func readXGB(t *testing.T) *gbdt.Model {
	t.Helper()
	f, err := os.Open(fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := gbdt.ReadModel(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWriteLoadXGBoost(t *testing.T) {
	t.Parallel()
	xm := readXGB(t)
	dir := filepath.Join(t.TempDir(), "model")
	mf := Manifest{
		Flavor: FlavorXGBoost, ModelFile: XGBoostModelFile, Objective: xm.Objective,
		Task: TaskBinary, FeatureNames: xm.FeatureNames, Label: "default",
		Training: map[string]any{"algorithm": "xgboost"},
	}
	if err := Write(dir, mf, xm.WriteJSON); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	mf.FormatVersion = FormatVersion
	if diff := cmp.Diff(mf, got.Manifest); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	if _, ok := got.Predictor.(Explainer); !ok {
		t.Error("xgboost model does not implement Explainer")
	}
	x := []float64{63, 38.1640625, 0.48828125, 8.7265625, 3, 0.23046875}
	want, have := make([]float64, 1), make([]float64, 1)
	xm.Predict(want, x)
	got.Predict(have, x)
	if want[0] != have[0] {
		t.Errorf("Predict = %v, want %v", have[0], want[0])
	}
}

func TestLoadFileBareXGBoost(t *testing.T) {
	t.Parallel()
	m, err := LoadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if m.Manifest.Flavor != FlavorXGBoost || m.Manifest.Task != TaskBinary {
		t.Errorf("flavor, task = %q, %q", m.Manifest.Flavor, m.Manifest.Task)
	}
	if diff := cmp.Diff([]string{"age", "income", "debt_ratio", "tenure_years", "num_accounts", "utilisation"}, m.Manifest.FeatureNames); diff != "" {
		t.Errorf("feature names (-want +got):\n%s", diff)
	}
	// A model without names gets f0, f1, ...
	m, err = LoadFile("../../gbdt/testdata/xgboost/multiclass3/model.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"f0", "f1", "f2", "f3", "f4", "f5"}, m.Manifest.FeatureNames); diff != "" {
		t.Errorf("default names (-want +got):\n%s", diff)
	}
	if m.Manifest.Task != TaskMulticlass || m.NumOutputs() != 3 {
		t.Errorf("task %q outputs %d", m.Manifest.Task, m.NumOutputs())
	}
}

func TestLoadForestAndLinear(t *testing.T) {
	t.Parallel()
	const n, m = 200, 3
	x := make([]float64, n*m)
	y := make([]float64, n)
	for i := range n {
		for j := range m {
			x[i*m+j] = math.Sin(float64(i*(j+1)) * 0.37)
		}
		y[i] = 2*x[i*m] - x[i*m+1]
	}
	fp, err := forest.ParseParams(map[string]string{"n_estimators": "5", "max_depth": "4", "seed": "1"})
	if err != nil {
		t.Fatal(err)
	}
	fm, err := forest.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: m}, fp)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := linear.ParseParams(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	lm, err := linear.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: m}, lp)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		flavor string
		write  func(io.Writer) error
		pred   Predictor
	}{
		{"RandomForest", FlavorRandomForest, fm.Write, fm},
		{"Linear", FlavorLinear, lm.Write, lm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			mf := Manifest{Flavor: tc.flavor, ModelFile: "model.json", Task: TaskRegression, FeatureNames: []string{"a", "b", "c"}}
			if err := Write(dir, mf, tc.write); err != nil {
				t.Fatal(err)
			}
			got, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			want, have := make([]float64, n), make([]float64, n)
			tc.pred.Predict(want, x)
			got.Predict(have, x)
			if diff := cmp.Diff(want, have); diff != "" {
				t.Errorf("predictions after load (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	xm := readXGB(t)
	tests := []struct {
		name  string
		setup func(dir string) error
		want  string
	}{
		{"NoManifest", func(string) error { return nil }, "ferry-model.json"},
		{"BadJSON", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, ManifestFile), []byte("{"), 0o644)
		}, "decoding ferry-model.json"},
		{"UnknownFlavor", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"flavor":"torch","model_file":"m"}`), 0o644)
		}, `unknown model flavor "torch"`},
		{"EscapingPath", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"flavor":"xgboost","model_file":"../m"}`), 0o644)
		}, "not a path inside"},
		{"MissingModelFile", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"flavor":"xgboost","model_file":"model.json"}`), 0o644)
		}, "no such file"},
		{"FeatureCountMismatch", func(dir string) error {
			return Write(dir, Manifest{Flavor: FlavorXGBoost, ModelFile: "model.json", FeatureNames: []string{"a"}}, xm.WriteJSON)
		}, "manifest lists 1 features, model file has 6"},
		{"CorruptModel", func(dir string) error {
			return Write(dir, Manifest{Flavor: FlavorXGBoost, ModelFile: "model.json"}, func(w io.Writer) error {
				_, err := w.Write([]byte(`{"learner":`))
				return err
			})
		}, `model.json": JSON model: the text ends after 11 bytes`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestWriteFailureLeavesNoFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	boom := errors.New("boom")
	err := Write(dir, Manifest{Flavor: FlavorXGBoost, ModelFile: "model.json"}, func(w io.Writer) error {
		_, _ = w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write() error = %v, want %v", err, boom)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("directory holds %d entries after a failed write", len(entries))
	}
}
