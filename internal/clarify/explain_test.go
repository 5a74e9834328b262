package clarify

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/gbdt"
)

const (
	fraudData  = "testdata/clarify/fraud_autoclaims/data.csv"
	fraudModel = "../../gbdt/testdata/xgboost/fraud_autoclaims/model.json"
)

func loadFraudModel(t testing.TB) *gbdt.Model {
	t.Helper()
	f, err := os.Open(fraudModel)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := gbdt.ReadModel(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Init(); err != nil {
		t.Fatal(err)
	}
	return m
}

// On a tree model the job's SHAP values are the model's exact
// contributions: out.csv equals Contribs, the global values their mean
// absolute value and the expected value the bias term.
func TestTreeSHAPEqualsContribs(t *testing.T) {
	t.Parallel()
	m := loadFraudModel(t)
	cfg, err := ParseConfig([]byte(`{"dataset_type":"text/csv","label":"fraud","excluded_columns":["predicted_fraud"],
		"methods":{"shap":{"num_samples":100,"agg_method":"mean_abs","save_local_shap_values":true,"seed":42}}}`))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	nrows := 800 // TreeSHAP costs ~0.2 ms a row: keep the test short
	if raceEnabled {
		nrows = 60
	}
	data := headRows(t, fraudData, nrows)
	res, err := Run(t.Context(), cfg, data, FromModel(m), out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ReadData(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ds.matrix(res.Features)
	if err != nil {
		t.Fatal(err)
	}
	n, nf := ds.Table.Rows(), len(res.Features)
	if nf != m.NumFeatures() {
		t.Fatalf("%d features, model has %d", nf, m.NumFeatures())
	}
	contribs := make([]float64, n*(nf+1))
	m.Contribs(contribs, x)

	f, err := os.Open(filepath.Join(out, SHAPDir, LocalFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 {
		t.Fatalf("out.csv has %d lines, want %d", len(rows), n+1)
	}
	if want := res.Features[0] + "_label0"; rows[0][0] != want {
		t.Errorf("first column %q, want %q", rows[0][0], want)
	}
	global := make([]float64, nf)
	for i := range n {
		for j := range nf {
			got, err := strconv.ParseFloat(rows[i+1][j], 64)
			if err != nil {
				t.Fatal(err)
			}
			want := contribs[i*(nf+1)+j]
			if got != want {
				t.Fatalf("row %d feature %s: out.csv %v, contribs %v", i, res.Features[j], got, want)
			}
			global[j] += math.Abs(want) / float64(n)
		}
	}
	l := res.Analysis.Explanations.KernelSHAP[0]
	if l.Label != "label0" {
		t.Errorf("label %q, want label0", l.Label)
	}
	for j := range nf {
		if math.Abs(l.GlobalValues[j]-global[j]) > 1e-12 {
			t.Errorf("global %s = %v, want %v", l.Features[j], l.GlobalValues[j], global[j])
		}
	}
	if bias := contribs[nf]; math.Abs(l.ExpectedValue-bias) > 1e-9 {
		t.Errorf("expected value %v, want the bias term %v", l.ExpectedValue, bias)
	}
}

// headRows writes the header and the first n rows of a CSV file to a
// temporary file.
func headRows(t testing.TB, path string, n int) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfterN(string(b), "\n", n+2)
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(out, []byte(strings.Join(lines[:n+1], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// linearModel is a non-tree model: score = sigmoid(w·x + b).
type linearModel struct {
	w []float64
	b float64
}

func (l linearModel) NumOutputs() int { return 1 }

func (l linearModel) Predict(_ context.Context, dst, x []float64, n int) error {
	m := len(l.w)
	for i := range n {
		s := l.b
		for j, w := range l.w {
			s += w * x[i*m+j]
		}
		dst[i] = 1 / (1 + math.Exp(-s))
	}
	return nil
}

const toyCSV = `y,a,b,c
1,1.0,2.0,0.5
0,0.0,1.0,1.5
1,2.0,0.0,0.0
0,0.5,3.0,1.0
1,1.5,1.0,0.2
0,0.2,2.5,1.8
`

// For a non-tree model the job runs Kernel SHAP; with every coalition
// evaluated (3 features) it is exact, so local values add up to
// f(x) - expected value.
func TestKernelSHAPAdditivity(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(data, []byte(toyCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig([]byte(`{"label":"y","methods":{"shap":{"baseline":[[0.5,1.5,1.0]],"num_samples":6}}}`))
	if err != nil {
		t.Fatal(err)
	}
	model := linearModel{w: []float64{0.8, -0.5, 0.3}, b: 0.1}
	res, err := Run(t.Context(), cfg, data, model, filepath.Join(dir, "out"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := ReadData(data, nil)
	x, _ := ds.matrix(res.Features)
	n, m := ds.Table.Rows(), 3
	fx := make([]float64, n)
	if err := model.Predict(t.Context(), fx, x, n); err != nil {
		t.Fatal(err)
	}
	ev := res.Analysis.Explanations.KernelSHAP[0].ExpectedValue
	base := make([]float64, 1)
	_ = model.Predict(t.Context(), base, []float64{0.5, 1.5, 1.0}, 1)
	if math.Abs(ev-base[0]) > 1e-12 {
		t.Errorf("expected value %v, want f(baseline) %v", ev, base[0])
	}
	for i := range n {
		var s float64
		for j := range m {
			s += res.Local[i*m+j]
		}
		if math.Abs(s-(fx[i]-ev)) > 1e-9 {
			t.Errorf("row %d: sum of SHAP %v, want f(x) - E = %v", i, s, fx[i]-ev)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "out", SHAPDir, BaselineFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != "0.5,1.5,1" {
		t.Errorf("baseline.csv %q, want 0.5,1.5,1", got)
	}
}
