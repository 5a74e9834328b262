package gbdt

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadModel: any input either loads as a model that predicts and
// explains without panicking, or is an error.
func FuzzReadModel(f *testing.F) {
	// Small seeds keep coverage-guided fuzzing fast: the golden depth-2
	// model and the smallest fixture.
	for _, path := range []string{
		filepath.Join("testdata", "golden", "binary_depth2.model.json"),
		filepath.Join("testdata", "xgboost", "binary_base_score_names", "model.json"),
		filepath.Join("testdata", "xgboost17", "categorical", "model.json"), // NaN split conditions
		filepath.Join("testdata", "xgboost3", "dart", "model.json"),
	} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"learner":{}}`))
	f.Add([]byte(`{"learner":{"gradient_booster":{"name":"gbtree","model":{"trees":[{"left_children":[1,-1,-1]}]}}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadModel(bytes.NewReader(data))
		if err != nil {
			return
		}
		if m.NumFeature > 4096 || m.NumOutputGroups() > 64 {
			return // valid, but too wide to predict with in a fuzz loop
		}
		x := make([]float64, 2*m.NumFeature)
		x[0] = math.NaN()
		pred := make([]float64, 2*m.NumOutputs())
		m.Predict(pred, x)
		contribs := make([]float64, 2*m.NumOutputGroups()*(m.NumFeature+1))
		m.Contribs(contribs, x)
		var buf bytes.Buffer
		_ = m.WriteJSON(&buf)
	})
}

func TestReadModelErrors(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(filepath.Join("testdata", "xgboost", "binary_missing", "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(string) string
		wantErr string
	}{
		{"Truncated", func(s string) string { return s[:len(s)/2] }, "JSON model: the text ends after"},
		{"NotGBTree", func(s string) string { return strings.Replace(s, `"name":"gbtree"`, `"name":"gblinear"`, 1) }, "booster gblinear is not supported"},
		{"BadObjective", func(s string) string { return strings.Replace(s, `binary:logistic`, `rank:pairwise`, 1) }, "unsupported objective"},
		{"ChildOutOfRange", func(s string) string { return strings.Replace(s, `"left_children":[1,`, `"left_children":[1000,`, 1) }, "out of range"},
		{"FeatureOutOfRange", func(s string) string {
			return strings.Replace(s, `"num_class":"0","num_feature":"10"`, `"num_class":"0","num_feature":"1"`, 1)
		}, "splits on feature"},
		{"BadBaseScore", func(s string) string { return strings.Replace(s, `"base_score":"5E-1"`, `"base_score":"x"`, 1) }, "base_score"},
		{"Categorical", func(s string) string { return strings.Replace(s, `"categories_nodes":[]`, `"categories_nodes":[1]`, 1) }, "categories_nodes, categories_segments and categories_sizes have 1, 0 and 0 entries"},
		{"NegativeChild", func(s string) string {
			return strings.Replace(s, `"left_children":[1,3,5,7,9,11,13,15,17,-1,`, `"left_children":[1,3,5,7,9,11,13,15,17,-2,`, 1)
		}, "tree 4: node 9 has child index -2"},
		{"LeftOnlyLeaf", func(s string) string { return strings.Replace(s, `"right_children":[2,`, `"right_children":[-1,`, 1) }, "node 0 has a left child but no right child"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := tc.edit(string(good))
			if in == string(good) {
				t.Fatal("edit did not change the model")
			}
			_, err := ReadModel(strings.NewReader(in))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ReadModel() error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

// TestReadModelNewerVersions: 2.x adds iteration_indptr, 3.x writes
// base_score as "[5E-1]"; both load and predict as the 1.7 file does.
func TestReadModelNewerVersions(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "xgboost", "multiclass3")
	good, err := os.ReadFile(filepath.Join(dir, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(good), `"tree_info":`, `"iteration_indptr":[0,3,6,9,12,15,18,21,24,27,30],"tree_info":`, 1)
	s = strings.Replace(s, `"base_score":"5E-1"`, `"base_score":"[5E-1]"`, 1)
	s = strings.Replace(s, `"version":[1,7,4]`, `"version":[3,1,0]`, 1)
	m, err := ReadModel(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	data := readTable(t, filepath.Join(dir, "data.csv"))
	got := make([]float64, data.Rows()*3)
	m.PredictMargin(got, data.Data)
	compareAll(t, "margin", got, readTable(t, filepath.Join(dir, "expected_margin.csv")).Data, 3)
}
