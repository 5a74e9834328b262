package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
)

func runLearn(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	home := artifacttest.TempDir(t)
	m := NewMain(strings.NewReader(""), &out, &errb, func(k string) string {
		if k == "FERRY_HOME" {
			return home
		}
		return ""
	})
	code = m.Run(t.Context(), args)
	return code, out.String(), errb.String()
}

// TestTrainPredictCLI trains from a label-first CSV, predicts from a CSV
// whose columns are in another order with the label named by --label, and
// checks margins, probabilities and contributions agree.
func TestTrainPredictCLI(t *testing.T) {
	t.Parallel()
	dir := artifacttest.TempDir(t)
	var train, data bytes.Buffer
	train.WriteString("y,a,b\n")
	data.WriteString("b,y,a\n")
	for i := range 200 {
		a := math.Sin(float64(i))
		b := math.Cos(float64(i) * 0.7)
		y := 0
		if a+0.5*b > 0 {
			y = 1
		}
		train.WriteString(strconv.Itoa(y) + "," + strconv.FormatFloat(a, 'g', -1, 64) + "," + strconv.FormatFloat(b, 'g', -1, 64) + "\n")
		if i < 20 {
			data.WriteString(strconv.FormatFloat(b, 'g', -1, 64) + "," + strconv.Itoa(y) + "," + strconv.FormatFloat(a, 'g', -1, 64) + "\n")
		}
	}
	trainPath := filepath.Join(dir, "train.csv")
	dataPath := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(trainPath, train.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dataPath, data.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	modelDir := filepath.Join(dir, "model")
	code, out, errOut := runLearn(t, "train", "--train", trainPath, "--validation", trainPath, "-H", "objective=binary:logistic", "-H", "num_round=5", "--output", modelDir)
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "validation_auc") {
		t.Errorf("train output lacks validation_auc:\n%s", out)
	}
	read := func(args ...string) [][]float64 {
		code, out, errOut := runLearn(t, append([]string{"predict", "--data", dataPath, "--label", "y"}, args...)...)
		if code != 0 {
			t.Fatalf("predict %v exit %d: %s", args, code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var rows [][]float64
		for _, l := range lines[1:] {
			var row []float64
			for _, c := range strings.Split(l, ",") {
				v, err := strconv.ParseFloat(c, 64)
				if err != nil {
					t.Fatal(err)
				}
				row = append(row, v)
			}
			rows = append(rows, row)
		}
		return rows
	}
	pred := read("--model", modelDir)
	margin := read("--model", filepath.Join(modelDir, "model.json"), "--margin")
	contribs := read("--model", modelDir, "--contribs")
	if len(pred) != 20 || len(margin) != 20 || len(contribs) != 20 {
		t.Fatalf("got %d, %d, %d rows, want 20", len(pred), len(margin), len(contribs))
	}
	for r := range 20 {
		if p := 1 / (1 + math.Exp(-margin[r][0])); math.Abs(p-pred[r][0]) > 1e-12 {
			t.Errorf("row %d: prediction %v, sigmoid(margin) %v", r, pred[r][0], p)
		}
		sum := 0.0
		for _, v := range contribs[r] {
			sum += v
		}
		// Covers are float32 in model.json, as in XGBoost: additivity holds to ~1e-7.
		if math.Abs(sum-margin[r][0]) > 1e-6 {
			t.Errorf("row %d: contributions sum %v, margin %v", r, sum, margin[r][0])
		}
	}
}

func TestLearnCLIErrors(t *testing.T) {
	t.Parallel()
	dir := artifacttest.TempDir(t)
	csv := filepath.Join(dir, "t.csv")
	if err := os.WriteFile(csv, []byte("y,a\n1,2\n0,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"TrainMissingFlags", []string{"train"}, 2, "missing --train, --output"},
		{"TrainBadHyperparameter", []string{"train", "--train", csv, "--output", dir, "-H", "max_depth=-1"}, 2, "hyperparameters.max_depth: -1 is out of range"},
		{"TrainBadHFlag", []string{"train", "-H", "nope"}, 2, "want name=value"},
		{"PredictNoModel", []string{"predict", "--model", filepath.Join(dir, "none"), "--data", csv}, 1, "no such file"},
		{"PredictExtraColumn", []string{"predict", "--model", "../../gbdt/testdata/xgboost/binary_base_score_names/model.json", "--data", csv}, 1, `no column for model feature "age"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runLearn(t, tc.args...)
			if code != tc.wantCode || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d containing %q", code, errOut, tc.wantCode, tc.want)
			}
		})
	}
}

// TestTrainWeightCategoricalCLI trains with --weight-column and
// --categorical: the weight column is not a feature, the categorical
// feature is recorded as XGBoost's type "c", and a bad weight is refused.
func TestTrainWeightCategoricalCLI(t *testing.T) {
	t.Parallel()
	dir := artifacttest.TempDir(t)
	var train bytes.Buffer
	train.WriteString("y,a,w,colour\n")
	for i := range 200 {
		a := math.Sin(float64(i))
		colour := i % 5
		y := 0
		if a > 0 || colour == 3 {
			y = 1
		}
		train.WriteString(strconv.Itoa(y) + "," + strconv.FormatFloat(a, 'g', -1, 64) + "," + strconv.Itoa(1+i%3) + "," + strconv.Itoa(colour) + "\n")
	}
	trainPath := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(trainPath, train.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	modelDir := filepath.Join(dir, "model")
	code, out, errOut := runLearn(t, "train", "--train", trainPath, "--weight-column", "w", "--categorical", "colour",
		"-H", "objective=binary:logistic", "-H", "num_round=5", "--output", modelDir)
	if code != 0 {
		t.Fatalf("train: exit %d, stderr %s", code, errOut)
	}
	if !strings.Contains(out, "2 features") {
		t.Errorf("train output %q, want 2 features (the weight column is not one)", out)
	}
	raw, err := os.ReadFile(filepath.Join(modelDir, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"feature_types":["float","c"]`) {
		t.Errorf("model file does not record colour as categorical: %.300s", raw)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("y,a,w\n1,2,1\n0,1,-2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runLearn(t, "train", "--train", bad, "--weight-column", "w", "--output", filepath.Join(dir, "m2"))
	if code == 0 || !strings.Contains(errOut, `weight -2 in column "w"`) {
		t.Errorf("negative weight: exit %d, stderr %q", code, errOut)
	}
}
