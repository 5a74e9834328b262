package gbdt

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/table"
)

const debianPython = "/usr/bin/python3"

// TestRoundTripXGBoost trains with Ferry, writes model.json, loads it in
// XGBoost 1.7 (Debian's python3-xgboost) through testdata/roundtrip.py and
// checks XGBoost's margins and predictions equal Ferry's within 1e-5.
func TestRoundTripXGBoost(t *testing.T) {
	t.Parallel()
	if err := exec.Command(debianPython, "-c", "import xgboost").Run(); err != nil {
		t.Skipf("skipping: %s cannot import xgboost (%v); install python3-xgboost", debianPython, err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "roundtrip.py"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		fixture string
		set     map[string]any
	}{
		{"BinaryMissing", "binary_missing", map[string]any{"objective": BinaryLogistic, "num_round": 15, "max_depth": 4}},
		{"RegressionLossguide", "reg_depth6", map[string]any{"objective": RegSquaredError, "num_round": 20, "grow_policy": Lossguide, "max_leaves": 12, "max_depth": 0}},
		{"Multiclass", "multiclass3", map[string]any{"objective": MultiSoftprob, "num_class": 3, "num_round": 8}},
		{"MulticlassSoftmax", "multiclass3", map[string]any{"objective": MultiSoftmax, "num_class": 3, "num_round": 5}},
		{"SampledAndRegularised", "binary_base_score_names", map[string]any{"objective": BinaryLogistic, "num_round": 10, "subsample": 0.7, "colsample_bytree": 0.8, "colsample_bynode": 0.7, "alpha": 0.5, "lambda": 2, "gamma": 0.1, "max_delta_step": 1, "base_score": 0.3}},
		{"RegLogistic", "binary_missing", map[string]any{"objective": RegLogistic, "num_round": 5}},
		{"Poisson", "multiclass3", map[string]any{"objective": CountPoisson, "num_round": 5}},
	}
	type job struct {
		name, data, out string
		m               *Model
	}
	var jobs []job
	var args []string
	tmp := t.TempDir()
	for i, tc := range tests {
		dir := filepath.Join("testdata", "xgboost", tc.fixture)
		data := readTable(t, filepath.Join(dir, "data.csv"))
		labels := readTable(t, filepath.Join(dir, "labels.csv"))
		p := DefaultParams()
		for k, v := range tc.set {
			if err := p.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		res, err := Train(t.Context(), &table.Dataset{X: data.Data, Y: labels.Data, NumFeature: len(data.Names), FeatureNames: data.Names}, p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		modelPath := filepath.Join(tmp, fmt.Sprintf("model%d.json", i))
		f, err := os.Create(modelPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Model.WriteJSON(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		j := job{tc.name, filepath.Join(dir, "data.csv"), filepath.Join(tmp, fmt.Sprintf("out%d.csv", i)), res.Model}
		jobs = append(jobs, j)
		args = append(args, modelPath, j.data, j.out)
	}
	// One interpreter for all cases: importing xgboost takes seconds.
	cmd := exec.CommandContext(t.Context(), debianPython, append([]string{script}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("roundtrip.py: %v\n%s", err, out)
	}
	for _, j := range jobs {
		t.Run(j.name, func(t *testing.T) {
			m := j.m
			data := readTable(t, j.data)
			got := readTable(t, j.out)
			n := data.Rows()
			k := m.NumOutputGroups()
			no := m.NumOutputs()
			margin := make([]float64, n*k)
			m.PredictMargin(margin, data.Data)
			pred := make([]float64, n*no)
			m.Predict(pred, data.Data)
			want := make([]float64, 0, n*(k+no))
			for r := range n {
				want = append(want, margin[r*k:(r+1)*k]...)
				want = append(want, pred[r*no:(r+1)*no]...)
			}
			compareAll(t, "xgboost margin+prediction vs ferry", got.Data, want, k+no)
		})
	}
}
