package gbdt

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/table"
)

// trainCategoricalCase trains Ferry on the training rows formats.py saved
// for its categorical case in dir, with the case's parameters.
func trainCategoricalCase(t *testing.T, dir string) *Model {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Params       map[string]any `json:"params"`
		Rounds       int            `json:"num_boost_round"`
		FeatureTypes []string       `json:"feature_types"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	for k, v := range c.Params {
		if k == "nthread" {
			continue
		}
		if err := p.Set(k, fmt.Sprint(v)); err != nil {
			t.Fatalf("parameter %s: %v", k, err)
		}
	}
	p.NumRound = c.Rounds
	x := readTable(t, filepath.Join(dir, "train_data.csv"))
	y := readTable(t, filepath.Join(dir, "train_labels.csv"))
	res, err := Train(t.Context(), &table.Dataset{X: x.Data, Y: y.Data, NumFeature: len(x.Names), FeatureTypes: c.FeatureTypes}, p)
	if err != nil {
		t.Fatal(err)
	}
	return res.Model
}

// checkSameTrees compares the structure of Ferry's trees with XGBoost's:
// split features, default directions, category sets and numerical
// thresholds, node by node.
func checkSameTrees(t *testing.T, got, want *Model) {
	t.Helper()
	if len(got.Trees) != len(want.Trees) {
		t.Fatalf("%d trees, XGBoost has %d", len(got.Trees), len(want.Trees))
	}
	for i := range got.Trees {
		g, w := &got.Trees[i], &want.Trees[i]
		if g.NumNodes() != w.NumNodes() {
			t.Errorf("tree %d: %d nodes, XGBoost has %d", i, g.NumNodes(), w.NumNodes())
			continue
		}
		for n := range g.NumNodes() {
			switch {
			case g.Left[n] != w.Left[n]:
				t.Errorf("tree %d node %d: left child %d, XGBoost %d", i, n, g.Left[n], w.Left[n])
			case g.Left[n] < 0:
			case g.Feature[n] != w.Feature[n] || g.DefaultLeft[n] != w.DefaultLeft[n] || g.IsCategorical(n) != w.IsCategorical(n):
				t.Errorf("tree %d node %d: split on %d (default left %v, categorical %v), XGBoost on %d (%v, %v)", i, n,
					g.Feature[n], g.DefaultLeft[n], g.IsCategorical(n), w.Feature[n], w.DefaultLeft[n], w.IsCategorical(n))
			case g.IsCategorical(n) && fmt.Sprint(g.Categories[n]) != fmt.Sprint(w.Categories[n]):
				t.Errorf("tree %d node %d: categories %b, XGBoost %b", i, n, g.Categories[n], w.Categories[n])
			case !g.IsCategorical(n) && g.Threshold[n] != w.Threshold[n]:
				t.Errorf("tree %d node %d: threshold %v, XGBoost %v", i, n, g.Threshold[n], w.Threshold[n])
			}
		}
	}
}

// TestTrainCategoricalFixtures trains on the categorical case's training
// rows and checks that Ferry grows XGBoost's trees (1.7 and 3.x) and
// predicts as XGBoost's model does.
func TestTrainCategoricalFixtures(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"xgboost17/categorical", "xgboost17/categorical_regression", "xgboost3/categorical", "xgboost3/categorical_regression"} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", dir)
			m := trainCategoricalCase(t, dir)
			want, err := ReadModelFile(filepath.Join(dir, "model.json"))
			if err != nil {
				t.Fatal(err)
			}
			checkSameTrees(t, m, want)
			data := readTable(t, filepath.Join(dir, "data.csv"))
			got := make([]float64, data.Rows())
			m.PredictMargin(got, data.Data)
			compareTol(t, "margin", got, readTable(t, filepath.Join(dir, "expected_margin.csv")).Data, 1)
		})
	}
}

func TestTrainCategoricalErrors(t *testing.T) {
	t.Parallel()
	many := make([]float64, 300)
	for i := range many {
		many[i] = float64(i)
	}
	tests := []struct {
		name string
		x    []float64
		want string
	}{
		{"Fraction", []float64{0, 1, 2.5, 1}, "row 3 feature 0 is categorical, and 2.5 is not a category code"},
		{"Negative", []float64{0, -1, 2, 1}, "-1 is not a category code"},
		{"TooLarge", []float64{0, 1 << 24, 2, 1}, "16777216 is not a category code"},
		{"TooMany", many, "more than 255 categories"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			y := make([]float64, len(tc.x))
			p := DefaultParams()
			p.NumRound = 1
			_, err := Train(t.Context(), &table.Dataset{X: tc.x, Y: y, NumFeature: 1, FeatureTypes: []string{FeatureCategorical}}, p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Train() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
