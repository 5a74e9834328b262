package training

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
	"github.com/ferryml/ferry/table"
)

// weightedCSV writes a CSV (y, num, w, cat) with sample weights and a
// categorical feature, and returns its rows as a gbdt dataset.
func weightedCSV(t *testing.T, path string, rows int) *table.Dataset {
	t.Helper()
	r := rand.New(rand.NewPCG(15, 1))
	var b strings.Builder
	b.WriteString("y,num,w,cat\n")
	d := &table.Dataset{NumFeature: 2, FeatureNames: []string{"num", "cat"}, FeatureTypes: []string{"float", gbdt.FeatureCategorical}}
	for range rows {
		num := float64(r.IntN(1000)) / 10
		cat := float64(r.IntN(7))
		w := float64(r.IntN(31)) / 10
		y := 0.0
		if (cat == 2 || cat == 5) != (num > 60) || r.Float64() < 0.1 {
			y = 1
		}
		numCell := fmt.Sprint(num)
		if r.Float64() < 0.05 {
			numCell, num = "", math.NaN()
		}
		fmt.Fprintf(&b, "%v,%s,%v,%v\n", y, numCell, w, cat)
		d.X = append(d.X, num, cat)
		d.Y = append(d.Y, y)
		d.Weight = append(d.Weight, w)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRunXGBoostWeightAndCategorical trains the step with a weight column
// and a categorical feature and checks that the model is the one
// gbdt.Train grows from the same weighted, typed dataset.
func TestRunXGBoostWeightAndCategorical(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	dir := filepath.Join(artifacttest.TempDir(t), "train")
	d := weightedCSV(t, filepath.Join(dir, "train.csv"), 400)
	hp := map[string]any{"objective": "binary:logistic", "num_round": "10", "max_depth": "3"}
	res, err := b.Run(t, New(), step.Request{Args: map[string]any{
		ArgAlgorithm: AlgorithmXGBoost, ArgHyperparameters: hp, ArgWeight: "w", ArgCategorical: []any{"cat"},
		ArgInputs: map[string]any{InputTrain: b.PutDir(t, dir)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(b.Path(t, res.Outputs[OutputModel]))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"num", "cat"}, m.Manifest.FeatureNames); diff != "" {
		t.Errorf("features (-want +got):\n%s", diff)
	}
	if m.Manifest.Training["weight_column"] != "w" {
		t.Errorf("training record %v lacks weight_column w", m.Manifest.Training)
	}
	p := gbdt.DefaultParams()
	for k, v := range hp {
		if err := p.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	want, err := gbdt.Train(t.Context(), d, p)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Predictor.(*gbdt.Model)
	if got.Trees[0].Categories == nil {
		t.Error("the first tree has no categorical split")
	}
	pg, pw := make([]float64, d.Rows()), make([]float64, d.Rows())
	got.Predict(pg, d.X)
	want.Model.Predict(pw, d.X)
	if diff := cmp.Diff(pw, pg); diff != "" {
		t.Errorf("step model predictions differ from gbdt.Train's on the weighted categorical data (-want +got):\n%s", diff)
	}
	unweighted := *d
	unweighted.Weight = nil
	uw, err := gbdt.Train(t.Context(), &unweighted, p)
	if err != nil {
		t.Fatal(err)
	}
	uw.Model.Predict(pw, d.X)
	if cmp.Equal(pw, pg) {
		t.Error("the weights changed nothing")
	}
}

func TestWeightAndCategoricalErrors(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	dir := filepath.Join(artifacttest.TempDir(t), "train")
	weightedCSV(t, filepath.Join(dir, "train.csv"), 50)
	ref := b.PutDir(t, dir)
	negDir := filepath.Join(artifacttest.TempDir(t), "neg")
	if err := os.MkdirAll(negDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(negDir, "train.csv"), []byte("y,a,w\n1,2,1\n0,3,-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	neg := b.PutDir(t, negDir)
	tests := []struct {
		name string
		args map[string]any
		want string
	}{
		{"NoWeightColumn", map[string]any{ArgWeight: "weight"}, `no weight column "weight"`},
		{"NegativeWeight", map[string]any{ArgWeight: "w", ArgInputs: map[string]any{InputTrain: neg}}, `row 2: weight -1 in column "w"`},
		{"WeightIsLabel", map[string]any{ArgWeight: "y", ArgLabel: "y"}, `weight: "y" is the label column`},
		{"ForestWeight", map[string]any{ArgAlgorithm: AlgorithmRandomForest, ArgWeight: "w", ArgHyperparameters: nil}, "weight: supported by algorithm xgboost only"},
		{"UnknownCategorical", map[string]any{ArgWeight: "w", ArgCategorical: []any{"colour"}}, `categorical feature "colour" is not a feature column`},
		{"CategoricalNotName", map[string]any{ArgCategorical: []any{3.0}}, "categorical[0]: want a feature name"},
		{"CategoricalNotCodes", map[string]any{ArgCategorical: []any{"num"}}, "categor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := map[string]any{ArgAlgorithm: AlgorithmXGBoost, ArgHyperparameters: map[string]any{"objective": "binary:logistic", "num_round": "2"},
				ArgInputs: map[string]any{InputTrain: ref}}
			for k, v := range tc.args {
				if v == nil {
					delete(args, k)
					continue
				}
				args[k] = v
			}
			_, err := b.Run(t, New(), step.Request{Args: args})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !step.IsPermanent(err) {
				t.Fatalf("Run() error = %v, want a permanent error containing %q", err, tc.want)
			}
		})
	}
}
