package gbdt

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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

func FuzzReadCSV(f *testing.F) {
	f.Add("a,b\n1,2\n,3\n")
	f.Add("a\nx\n")
	f.Add("\"a\nb\",c\n1,2\n")
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := ReadCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		if len(tab.Data) != tab.Rows()*len(tab.Names) {
			t.Fatalf("%d values for %d rows × %d columns", len(tab.Data), tab.Rows(), len(tab.Names))
		}
	})
}

// FuzzReadPlainCSV checks the parallel reader of plain CSVs against
// encoding/csv: the same table, or an error from both.
func FuzzReadPlainCSV(f *testing.F) {
	f.Add("a,b\n1,2\n,3\n", 2)
	f.Add("\n\na,b\n\n1,2\n\n3,4", 3)
	f.Add("a\nx\n", 1)
	f.Add("a,b\n1\n", 2)
	f.Fuzz(func(t *testing.T, in string, threads int) {
		if strings.ContainsAny(in, "\"\r") {
			return
		}
		threads = 1 + abs(threads)%4
		plain, perr := readPlainCSV([]byte(in), threads, 1)
		ref, rerr := readQuotedCSV(strings.NewReader(in))
		if (perr == nil) != (rerr == nil) {
			t.Fatalf("plain error %v, encoding/csv error %v", perr, rerr)
		}
		if perr != nil {
			if perr.Error() != rerr.Error() {
				t.Fatalf("plain error %q, encoding/csv error %q", perr, rerr)
			}
			return
		}
		if diff := cmp.Diff(ref, plain, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("plain reader differs (-encoding/csv +plain):\n%s", diff)
		}
	})
}

// FuzzReadCSVBlocks checks the streaming reader, with tiny blocks (so
// that blocks end anywhere, and a quote or carriage return can turn up
// in a later block), against encoding/csv: the same table, or the same
// error.
func FuzzReadCSVBlocks(f *testing.F) {
	f.Add("a,b\n1,2\n,3\n", 2, 3)
	f.Add("\n\na,b\n\n1,2\n\n3,4", 3, 1)
	f.Add("a,b\n1,2\n3,4\n\"5\",6\n7,x\n", 1, 4)
	f.Add("a,b\n1,2\n3,4\r\n5\n", 2, 2)
	f.Add("\n\"a\",b\n1,2\n", 2, 2)
	f.Fuzz(func(t *testing.T, in string, threads, block int) {
		threads = 1 + abs(threads)%4
		block = 1 + abs(block)%16
		got, gerr := readCSVBlocks(strings.NewReader(in), int64(len(in)), block, threads, 1)
		ref, rerr := readQuotedCSV(strings.NewReader(in))
		if (gerr == nil) != (rerr == nil) {
			t.Fatalf("streaming error %v, encoding/csv error %v", gerr, rerr)
		}
		if gerr != nil {
			if gerr.Error() != rerr.Error() {
				t.Fatalf("streaming error %q, encoding/csv error %q", gerr, rerr)
			}
			return
		}
		if diff := cmp.Diff(ref, got, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("streaming reader differs (-encoding/csv +streaming):\n%s", diff)
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestReadCSVErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"Empty", "", "no header"},
		{"NotNumber", "a,b\n1,x\n", `line 2, column "b": "x" is not a number`},
		{"Duplicate", "a,a\n1,2\n", "appears twice"},
		{"Ragged", "a,b\n1\n", "wrong number of fields"},
		{"Infinite", "a\n1e999\n", "not finite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadCSV(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadCSV() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTableCut(t *testing.T) {
	t.Parallel()
	for c := range 3 {
		tab := &Table{Names: []string{"a", "b", "c"}, Data: []float64{1, 2, 3, 4, 5, 6}}
		wantCol, wantRest := tab.Split(c)
		col := tab.Cut(c)
		if diff := cmp.Diff(wantCol, col); diff != "" {
			t.Errorf("Cut(%d) column (-Split +Cut):\n%s", c, diff)
		}
		if diff := cmp.Diff(wantRest, tab); diff != "" {
			t.Errorf("Cut(%d) table (-Split +Cut):\n%s", c, diff)
		}
	}
}
