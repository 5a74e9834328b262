package forest_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/shap"
	"github.com/ferryml/ferry/table"
)

var (
	_ model.Predictor = (*forest.Model)(nil)
	_ model.Explainer = (*forest.Model)(nil)
)

func ptr[T any](v T) *T { return &v }

// synth returns n rows of m uniform features and a noisy nonlinear label.
func synth(n, m int, classify bool, seed uint64) (x, y []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	x = make([]float64, n*m)
	y = make([]float64, n)
	for i := range n {
		row := x[i*m : (i+1)*m]
		for j := range row {
			row[j] = r.Float64()
		}
		v := 3*row[0] + math.Sin(6*row[1]) + 0.1*r.NormFloat64()
		if m > 2 {
			v += row[2] * row[0]
		}
		if classify {
			if v > 1.8 {
				v = 1
			} else {
				v = 0
			}
		}
		y[i] = v
	}
	return x, y
}

func TestCARTMatchesSklearn(t *testing.T) {
	t.Parallel()
	var fx struct {
		N, M  int
		XRaw  []float64 `json:"x"`
		YReg  []float64 `json:"y_regression"`
		YCls  []float64 `json:"y_classification"`
		Test  []float64 `json:"test"`
		Cases map[string]struct {
			MaxDepth       int       `json:"max_depth"`
			MinSamplesLeaf int       `json:"min_samples_leaf"`
			Regression     []float64 `json:"regression"`
			Classification []float64 `json:"classification"`
		} `json:"cases"`
	}
	b, err := os.ReadFile("testdata/cart.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	for name, c := range fx.Cases {
		for _, task := range []string{forest.TaskRegression, forest.TaskBinary} {
			t.Run(name+"/"+task, func(t *testing.T) {
				t.Parallel()
				y, want := fx.YReg, c.Regression
				if task == forest.TaskBinary {
					y, want = fx.YCls, c.Classification
				}
				if want == nil {
					t.Skip("scikit-learn's tree depends on its random tie-breaking here")
				}
				p := forest.Params{Task: task, NEstimators: 1, MaxDepth: c.MaxDepth, MinSamplesLeaf: c.MinSamplesLeaf,
					MaxFeatures: "all", Bootstrap: ptr(false)}
				md, err := forest.Train(t.Context(), &table.Dataset{X: fx.XRaw, Y: y, NumFeature: fx.M}, p)
				if err != nil {
					t.Fatal(err)
				}
				got := make([]float64, len(want))
				md.Predict(got, fx.Test)
				for i := range want {
					if math.Abs(got[i]-want[i]) > 1e-9 {
						t.Fatalf("row %d: got %v, want sklearn's %v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	t.Parallel()
	x, y := synth(300, 5, false, 3)
	var models [][]byte
	for _, workers := range []int{1, 2, 7} {
		md, err := forest.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: 5}, forest.Params{NEstimators: 20, MaxDepth: 6, MaxFeatures: "sqrt", Seed: 9, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := md.Write(&buf); err != nil {
			t.Fatal(err)
		}
		models = append(models, buf.Bytes())
	}
	for i := 1; i < len(models); i++ {
		if !bytes.Equal(models[0], models[i]) {
			t.Errorf("model %d differs from model 0 with the same seed", i)
		}
	}
	other, err := forest.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: 5}, forest.Params{NEstimators: 20, MaxDepth: 6, MaxFeatures: "sqrt", Seed: 10})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := other.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(buf.Bytes(), models[0]) {
		t.Error("seeds 9 and 10 gave the same model")
	}
}

func TestQualityAndContribs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		task    string
		maxLoss float64 // RMSE, or error rate
	}{
		{name: "regression", task: forest.TaskRegression, maxLoss: 0.2},
		{name: "classification", task: forest.TaskBinary, maxLoss: 0.08},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const n, m = 1500, 4
			x, y := synth(n, m, tc.task == forest.TaskBinary, 1)
			xt, yt := synth(500, m, tc.task == forest.TaskBinary, 2)
			md, err := forest.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: m}, forest.Params{Task: tc.task, NEstimators: 30, MaxDepth: 8, MaxFeatures: "0.75", Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			pred := make([]float64, 500)
			md.Predict(pred, xt)
			loss := 0.0
			for i, p := range pred {
				if tc.task == forest.TaskBinary {
					if p < 0 || p > 1 {
						t.Fatalf("row %d: probability %v outside [0, 1]", i, p)
					}
					if (p >= 0.5) != (yt[i] == 1) {
						loss++
					}
				} else {
					loss += (p - yt[i]) * (p - yt[i])
				}
			}
			loss /= 500
			if tc.task == forest.TaskRegression {
				loss = math.Sqrt(loss)
			}
			t.Logf("test loss %.4f", loss)
			if loss > tc.maxLoss {
				t.Errorf("test loss %.4f, want <= %.4f", loss, tc.maxLoss)
			}
			const explained = 100
			contribs := make([]float64, explained*(m+1))
			md.Contribs(contribs, xt[:explained*m])
			bias := contribs[m]
			for i := range explained {
				row := contribs[i*(m+1) : (i+1)*(m+1)]
				s := 0.0
				for _, v := range row {
					s += v
				}
				if math.Abs(s-pred[i]) > 1e-9 {
					t.Fatalf("row %d: contributions sum to %v, prediction %v", i, s, pred[i])
				}
				if row[m] != bias {
					t.Fatalf("row %d: bias %v differs from row 0's %v", i, row[m], bias)
				}
			}
			// Feature 3 carries no signal, feature 0 the most.
			var abs [m]float64
			for i := range explained {
				for j := range m {
					abs[j] += math.Abs(contribs[i*(m+1)+j])
				}
			}
			if abs[0] < 3*abs[3] {
				t.Errorf("mean |SHAP| of the main feature %v not well above the noise feature's %v", abs[0]/explained, abs[3]/explained)
			}
		})
	}
}

func TestMissingGoesToLargerChild(t *testing.T) {
	t.Parallel()
	// 30 rows with x < 0.5 (label 0), 10 with x >= 0.5 (label 10), and 5
	// rows missing x with label 0: the missing rows join the larger side.
	var x, y []float64
	for i := range 30 {
		x, y = append(x, float64(i)/100), append(y, 0)
	}
	for i := range 10 {
		x, y = append(x, 0.6+float64(i)/100), append(y, 10)
	}
	for range 5 {
		x, y = append(x, math.NaN()), append(y, 0)
	}
	md, err := forest.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: 1}, forest.Params{NEstimators: 1, Bootstrap: ptr(false), MaxDepth: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr := md.Trees[0]
	if tr.NumNodes() != 3 || !tr.DefaultLeft[0] {
		t.Fatalf("got %d nodes, default left %v; want a stump sending missing left", tr.NumNodes(), tr.DefaultLeft[0])
	}
	got := make([]float64, 1)
	md.Predict(got, []float64{math.NaN()})
	if got[0] != 0 {
		t.Errorf("missing value predicts %v, want the larger child's 0", got[0])
	}
	if c := tr.Cover[tr.Left[0]]; c != 35 {
		t.Errorf("left cover %v, want 35 (30 rows + 5 missing)", c)
	}
}

func TestTrainErrors(t *testing.T) {
	t.Parallel()
	x, y := synth(10, 2, false, 1)
	tests := []struct {
		name    string
		x, y    []float64
		m       int
		p       forest.Params
		wantErr string
	}{
		{name: "ShortX", x: x[:5], y: y, m: 2, wantErr: "want 10 rows × 2 features"},
		{name: "ShortY", x: x, y: y[:3], m: 2, wantErr: "20 values, want 3 rows × 2 features"},
		{name: "NaNLabel", x: x, y: append(append([]float64{}, y[:9]...), math.NaN()), m: 2, wantErr: "label of row 9"},
		{name: "InfFeature", x: append([]float64{math.Inf(1)}, x[1:]...), y: y, m: 2, wantErr: "feature 0 of row 0"},
		{name: "BinaryLabel", x: x, y: y, m: 2, p: forest.Params{Task: forest.TaskBinary}, wantErr: "wants 0 or 1"},
		{name: "Task", x: x, y: y, m: 2, p: forest.Params{Task: "multi"}, wantErr: `task "multi"`},
		{name: "MaxFeatures", x: x, y: y, m: 2, p: forest.Params{MaxFeatures: "3"}, wantErr: "count in 1..2"},
		{name: "MaxFeaturesFraction", x: x, y: y, m: 2, p: forest.Params{MaxFeatures: "1.5"}, wantErr: "fraction in (0, 1]"},
		{name: "MinSplit", x: x, y: y, m: 2, p: forest.Params{MinSamplesSplit: 1}, wantErr: "min_samples_split 1"},
		{name: "Depth", x: x, y: y, m: 2, p: forest.Params{MaxDepth: -1}, wantErr: "max_depth -1"},
		{name: "NoRows", m: 2, wantErr: "want at least one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := forest.Train(t.Context(), &table.Dataset{X: tc.x, Y: tc.y, NumFeature: tc.m}, tc.p)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestTrainCancelled(t *testing.T) {
	t.Parallel()
	x, y := synth(100, 2, false, 1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := forest.Train(ctx, &table.Dataset{X: x, Y: y, NumFeature: 2}, forest.Params{}); err == nil {
		t.Error("got no error from a cancelled context")
	}
}

func TestMaxFeaturesCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		m    int
		want int
	}{
		{name: "Sqrt", json: `"sqrt"`, m: 10, want: 3},
		{name: "SqrtSmall", json: `"sqrt"`, m: 1, want: 1},
		{name: "Log2", json: `"log2"`, m: 10, want: 3},
		{name: "FractionNumber", json: `0.5`, m: 10, want: 5},
		{name: "OnePointZeroIsAll", json: `1.0`, m: 10, want: 10},
		{name: "IntegerCount", json: `1`, m: 10, want: 1},
		{name: "StringCount", json: `"4"`, m: 10, want: 4},
		{name: "All", json: `"all"`, m: 7, want: 7},
		{name: "AutoRegression", json: `"auto"`, m: 9, want: 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var p forest.Params
			if err := json.Unmarshal([]byte(`{"max_features":`+tc.json+`}`), &p); err != nil {
				t.Fatal(err)
			}
			got, err := p.WithDefaults().MaxFeatures.Count(tc.m)
			if err != nil || got != tc.want {
				t.Errorf("Count(%d) of %s = %d, %v; want %d", tc.m, tc.json, got, err, tc.want)
			}
		})
	}
}

// abalone reads the abalone data set with the features of
// bench/forest/abalone.py: 7 numeric columns then Sex one-hot F, I, M.
func abalone(tb testing.TB) (x, y []float64) {
	tb.Helper()
	f, err := os.Open("../examples/abalone-clarify/data/abalone.csv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	for i, r := range recs[1:] {
		for j := 1; j <= 7; j++ {
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				tb.Fatalf("row %d column %d: %v", i, j, err)
			}
			x = append(x, v)
		}
		for _, s := range []string{"F", "I", "M"} {
			if r[0] == s {
				x = append(x, 1)
			} else {
				x = append(x, 0)
			}
		}
		v, err := strconv.ParseFloat(r[8], 64)
		if err != nil {
			tb.Fatalf("row %d label: %v", i, err)
		}
		y = append(y, v)
	}
	return x, y
}

type abaloneRef struct {
	Train, Test []int
	Sklearn     map[string]struct {
		RMSE          float64 `json:"rmse"`
		MAE           float64 `json:"mae"`
		FitSeconds    float64 `json:"fit_seconds"`
		FitCPUSeconds float64 `json:"fit_cpu_seconds"`
	}
}

func readAbaloneRef(tb testing.TB) abaloneRef {
	tb.Helper()
	b, err := os.ReadFile("testdata/abalone_reference.json")
	if err != nil {
		tb.Fatal(err)
	}
	var ref abaloneRef
	if err := json.Unmarshal(b, &ref); err != nil {
		tb.Fatal(err)
	}
	return ref
}

func take(x []float64, m int, rows []int) []float64 {
	out := make([]float64, 0, len(rows)*m)
	for _, r := range rows {
		out = append(out, x[r*m:(r+1)*m]...)
	}
	return out
}

// abaloneRMSE trains the sample's forest (100 trees, depth 10, sqrt) on
// the reference split and returns the test RMSE.
func abaloneRMSE(tb testing.TB, x, y []float64, ref abaloneRef, seed uint64) float64 {
	tb.Helper()
	const m = 10
	xtr := take(x, m, ref.Train)
	ytr := take(y, 1, ref.Train)
	md, err := forest.Train(context.Background(), &table.Dataset{X: xtr, Y: ytr, NumFeature: m}, forest.Params{NEstimators: 100, MaxDepth: 10, MaxFeatures: "sqrt", Seed: seed})
	if err != nil {
		tb.Fatal(err)
	}
	pred := make([]float64, len(ref.Test))
	md.Predict(pred, take(x, m, ref.Test))
	s := 0.0
	for i, r := range ref.Test {
		s += (pred[i] - y[r]) * (pred[i] - y[r])
	}
	return math.Sqrt(s / float64(len(ref.Test)))
}

// TestAbaloneQuality checks the must-show: the abalone forest's test RMSE
// is within 2% of scikit-learn's RandomForestRegressor with the same
// settings on the same split (bench/forest/abalone.py).
func TestAbaloneQuality(t *testing.T) {
	t.Parallel()
	x, y := abalone(t)
	ref := readAbaloneRef(t)
	want := ref.Sklearn["42"].RMSE
	got := abaloneRMSE(t, x, y, ref, 42)
	t.Logf("abalone test RMSE: ferry %.4f, scikit-learn %.4f (ratio %.4f)", got, want, got/want)
	if math.Abs(got-want)/want > 0.02 {
		t.Errorf("RMSE %.4f not within 2%% of scikit-learn's %.4f", got, want)
	}
}

// TestContribsInterventional checks the interventional TreeSHAP values
// against brute-force Shapley values of the same game (shap).
func TestContribsInterventional(t *testing.T) {
	t.Parallel()
	const n, m, nb = 400, 4, 3
	x, y := synth(n, m, false, 3)
	md, err := forest.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: m}, forest.Params{NEstimators: 10, MaxDepth: 5, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	background := x[:nb*m]
	rows := x[nb*m : (nb+5)*m]
	got := make([]float64, 5*(m+1))
	md.ContribsInterventional(got, rows, background)
	for i := range 5 {
		want, expected, err := shap.ExactInterventional(md.Predict, rows[i*m:(i+1)*m], m, background, nb, shap.KernelOptions{})
		if err != nil {
			t.Fatal(err)
		}
		row := got[i*(m+1) : (i+1)*(m+1)]
		for j := range m {
			if math.Abs(row[j]-want[j]) > 1e-9 {
				t.Errorf("row %d feature %d: got %v, want %v", i, j, row[j], want[j])
			}
		}
		if math.Abs(row[m]-expected[0]) > 1e-9 {
			t.Errorf("row %d bias: got %v, want %v", i, row[m], expected[0])
		}
	}
}

func TestTrainProgress(t *testing.T) {
	t.Parallel()
	x, y := synth(100, 3, false, 2)
	var built []int
	_, err := forest.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: 3}, forest.Params{NEstimators: 7, MaxDepth: 3, Workers: 3},
		forest.WithProgress(func(n int) { built = append(built, n) }))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 2, 3, 4, 5, 6, 7}, built); diff != "" {
		t.Errorf("progress calls (-want +got):\n%s", diff)
	}
}

func TestTrainRefusesWeights(t *testing.T) {
	t.Parallel()
	x, y := synth(10, 2, false, 1)
	_, err := forest.Train(t.Context(), &table.Dataset{X: x, Y: y, Weight: make([]float64, 10), NumFeature: 2}, forest.Params{})
	if err == nil || !strings.Contains(err.Error(), "sample weights") {
		t.Errorf("got error %v, want one about sample weights", err)
	}
	if _, err := forest.Train(t.Context(), nil, forest.Params{}); err == nil {
		t.Error("got no error for nil data")
	}
}
