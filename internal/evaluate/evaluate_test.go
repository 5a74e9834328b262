package evaluate

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/frame"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/step/processing"
)

// fakePredictor predicts feature 0 (binary) or feature 0 + feature 1
// (regression).
type fakePredictor struct {
	nf  int
	sum bool
}

func (f fakePredictor) NumFeatures() int { return f.nf }
func (f fakePredictor) NumOutputs() int  { return 1 }
func (f fakePredictor) Predict(dst, x []float64) {
	for i := range dst {
		dst[i] = x[i*f.nf]
		if f.sum {
			dst[i] += x[i*f.nf+1]
		}
	}
}

func loader(p model.Predictor, man *model.Manifest) loadFunc {
	return func(string) (model.Predictor, *model.Manifest, error) { return p, man, nil }
}

func runEval(t *testing.T, load loadFunc, testCSV string, config map[string]any) (map[string]any, string) {
	t.Helper()
	tmp := t.TempDir()
	testDir, modelDir, outDir := filepath.Join(tmp, "test"), filepath.Join(tmp, "model"), filepath.Join(tmp, "out")
	for _, d := range []string{testDir, modelDir, outDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(testDir, "test.csv"), []byte(testCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	props, err := (&Processor{load: load}).Process(t.Context(), processing.Job{
		Inputs:     map[string]string{InputModel: modelDir, InputTest: testDir},
		OutputDirs: map[string]string{OutputName: outDir},
		Config:     config,
	})
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(outDir, EvaluationFile))
	if err != nil {
		t.Fatal(err)
	}
	return props, string(b)
}

func TestBinary(t *testing.T) {
	t.Parallel()
	// sklearn: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75,
	// average_precision_score = 0.8333…, log_loss = 0.47228795380917615.
	csv := "fraud,p,other\n0,0.1,9\n0,0.4,9\n1,0.35,9\n1,0.8,9\n"
	man := &model.Manifest{Task: model.TaskBinary, FeatureNames: []string{"p", "other"}}
	_, doc := runEval(t, loader(fakePredictor{nf: 2}, man), csv, map[string]any{})
	var got map[string]map[string]any
	if err := json.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{"classification_metrics": {
		"roc_auc":          map[string]any{"value": 0.75},
		"pr_auc":           map[string]any{"value": 0.8333333333333333},
		"logloss":          map[string]any{"value": 0.47228795380917615},
		"accuracy":         map[string]any{"value": 0.75},
		"precision":        map[string]any{"value": 1.0},
		"recall":           map[string]any{"value": 0.5},
		"f1":               map[string]any{"value": 0.6666666666666666},
		"confusion_matrix": map[string]any{"0": map[string]any{"0": 2.0, "1": 0.0}, "1": map[string]any{"0": 1.0, "1": 1.0}},
	}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-12 })); diff != "" {
		t.Errorf("evaluation.json (-want +got):\n%s", diff)
	}

	// A lower threshold and a headerless file (features after the label).
	props, _ := runEval(t, loader(fakePredictor{nf: 2}, &model.Manifest{Task: model.TaskBinary}), "0,0.1,9\n0,0.4,9\n1,0.35,9\n1,0.8,9\n", map[string]any{"threshold": 0.3})
	cm := props["classification_metrics"].(map[string]any)
	if got := cm["recall"].(map[string]any)["value"]; got != 1.0 {
		t.Errorf("threshold 0.3: recall = %v, want 1", got)
	}
	if got := cm["precision"].(map[string]any)["value"]; got != 2.0/3 {
		t.Errorf("threshold 0.3: precision = %v, want 2/3", got)
	}
}

func TestRegression(t *testing.T) {
	t.Parallel()
	// sklearn doc example: y=[3,-0.5,2,7], p=[2.5,0,2,8]: MSE 0.375, MAE 0.5, R² 0.9486081370449679.
	csv := "y,a,b\n3,2,0.5\n-0.5,0,0\n2,1,1\n7,4,4\n"
	props, _ := runEval(t, loader(fakePredictor{nf: 2, sum: true}, &model.Manifest{Task: model.TaskRegression}), csv, nil)
	rm := props["regression_metrics"].(map[string]any)
	for name, want := range map[string]float64{"mse": 0.375, "rmse": math.Sqrt(0.375), "mae": 0.5, "r2": 0.9486081370449679} {
		got := rm[name].(map[string]any)["value"].(float64)
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pred model.Predictor
		man  *model.Manifest
		csv  string
		want string
	}{
		{"SingleClass", fakePredictor{nf: 1}, &model.Manifest{Task: model.TaskBinary}, "y,a\n1,0.2\n1,0.3\n", "only one class"},
		{"FeatureCount", fakePredictor{nf: 3}, &model.Manifest{Task: model.TaskBinary}, "y,a\n1,0.2\n0,0.3\n", "the test set has 1 feature columns, the model takes 3"},
		{"TextFeature", fakePredictor{nf: 1}, &model.Manifest{Task: model.TaskBinary}, "y,a\n1,x\n0,0.3\n", `value "x" is not a number`},
		{"NoTask", fakePredictor{nf: 1}, &model.Manifest{}, "y,a\n1,0.2\n0,0.3\n", `model task ""`},
		{"MissingLabel", fakePredictor{nf: 1}, &model.Manifest{Task: model.TaskBinary}, "y,a\n1,0.2\n,0.3\n", "missing at row 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := frame.ParseCSV([]byte(tt.csv), frame.CSVOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = Evaluate(tt.pred, tt.man, f, Config{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Evaluate error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidateConfig(t *testing.T) {
	t.Parallel()
	errs := New().ValidateConfig(map[string]any{"threshold": 2.0, "header": "yes", "bogus": 1.0})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		`config.threshold: want a number in [0, 1], got 2`,
		`config.header: want a boolean, got yes`,
		`config: unknown key "bogus" (want threshold, label, header or file)`,
	}
	if diff := cmp.Diff(want, got, cmp.Transformer("sort", func(s []string) []string {
		out := append([]string(nil), s...)
		for i := range out {
			for j := i + 1; j < len(out); j++ {
				if out[j] < out[i] {
					out[i], out[j] = out[j], out[i]
				}
			}
		}
		return out
	})); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestXGBoostFraud evaluates XGBoost 1.7.4's fraud model (from
// testdata/fraud_autoclaims, a copy of the XGBoost fixture in
// gbdt/testdata/xgboost/fraud_autoclaims) loaded by model.Load, and
// compares with scikit-learn's metrics of XGBoost's own predictions
// (testdata/make_expected.py).
func TestXGBoostFraud(t *testing.T) {
	t.Parallel()
	src := "testdata/fraud_autoclaims"
	data, err := frame.ReadCSVFile(filepath.Join(src, "data.csv"), frame.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	labels, err := frame.ReadCSVFile(filepath.Join(src, "labels.csv"), frame.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lc, _ := labels.Column("label")
	lc.Name = "fraud"
	test, err := frame.New(append([]*frame.Column{lc}, data.Columns()...)...)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	modelDir, testDir, outDir := filepath.Join(tmp, "model"), filepath.Join(tmp, "test"), filepath.Join(tmp, "out")
	for _, d := range []string{modelDir, testDir, outDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := frame.WriteCSVFile(filepath.Join(testDir, "test.csv"), test, frame.CSVWriteOptions{}); err != nil {
		t.Fatal(err)
	}
	mj, err := os.ReadFile(filepath.Join(src, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(modelDir, "model.json"), mj, 0o644); err != nil {
		t.Fatal(err)
	}
	man, _ := json.Marshal(model.Manifest{
		FormatVersion: 1, Flavor: model.FlavorXGBoost, ModelFile: "model.json", Objective: "binary:logistic",
		Task: model.TaskBinary, Label: "fraud", FeatureNames: data.Names(),
	})
	if err := os.WriteFile(filepath.Join(modelDir, model.ManifestFile), man, 0o644); err != nil {
		t.Fatal(err)
	}
	props, err := New().Process(t.Context(), processing.Job{
		Inputs:     map[string]string{InputModel: modelDir, InputTest: testDir},
		OutputDirs: map[string]string{OutputName: outDir},
		Config:     map[string]any{},
	})
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(src, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for k, v := range props["classification_metrics"].(map[string]any) {
		if m, ok := v.(map[string]any); ok && k != "confusion_matrix" {
			got[k] = m["value"]
		} else {
			got[k] = v
		}
	}
	// XGBoost predicts in float32, Ferry walks the trees in float64.
	approx := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) })
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("metrics (-sklearn on XGBoost +ferry):\n%s", diff)
	}
}
