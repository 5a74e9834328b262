package linear_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/linear"
	"github.com/ferryml/ferry/table"
)

var (
	_ model.Predictor = (*linear.Model)(nil)
	_ model.Explainer = (*linear.Model)(nil)
)

type fixture struct {
	N, M        int
	X           []*float64 `json:"x"`
	YRegressor  []float64  `json:"y_regressor"`
	YClassifier []float64  `json:"y_binary_classifier"`
	Test        []*float64 `json:"test"`
	Cases       []struct {
		Name   string        `json:"name"`
		Params linear.Params `json:"params"`
		Want   []float64     `json:"want"`
	} `json:"cases"`
}

func nanFloats(v []*float64) []float64 {
	out := make([]float64, len(v))
	for i, p := range v {
		out[i] = math.NaN()
		if p != nil {
			out[i] = *p
		}
	}
	return out
}

func readFixture(t *testing.T) fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/sklearn.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	return fx
}

// TestMatchesSklearn compares predictions with scikit-learn's Ridge,
// Lasso, ElasticNet and LogisticRegression fitted to the same penalised
// objective (testdata/make_fixture.py), NaN imputed with training means.
func TestMatchesSklearn(t *testing.T) {
	t.Parallel()
	fx := readFixture(t)
	x, xt := nanFloats(fx.X), nanFloats(fx.Test)
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			y := fx.YRegressor
			if c.Params.PredictorType == linear.BinaryClassifier {
				y = fx.YClassifier
			}
			p := c.Params
			p.Tol = 1e-12
			p.MaxIter = 100000
			md, err := linear.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: fx.M}, p)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float64, len(c.Want))
			md.Predict(got, xt)
			for i := range got {
				if d := math.Abs(got[i] - c.Want[i]); d > 1e-6*max(1, math.Abs(c.Want[i])) {
					t.Errorf("row %d: got %v, scikit-learn %v (diff %.2g)", i, got[i], c.Want[i], d)
				}
			}
			if c.Params.L1 > 0 {
				zero := 0
				for _, w := range md.Coef {
					if w == 0 {
						zero++
					}
				}
				t.Logf("%d of %d coefficients exactly zero", zero, len(md.Coef))
			}
		})
	}
}

func TestL1Sparsity(t *testing.T) {
	t.Parallel()
	fx := readFixture(t)
	x := nanFloats(fx.X)
	tests := []struct {
		name     string
		l1       float64
		wantZero int
	}{
		{name: "NoPenalty", l1: 0, wantZero: 0},
		{name: "Strong", l1: 100, wantZero: fx.M},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			md, err := linear.Train(t.Context(), &table.Dataset{X: x, Y: fx.YRegressor, NumFeature: fx.M}, linear.Params{L1: tc.l1})
			if err != nil {
				t.Fatal(err)
			}
			zero := 0
			for _, w := range md.Coef {
				if w == 0 {
					zero++
				}
			}
			if zero != tc.wantZero {
				t.Errorf("%d zero coefficients %v, want %d", zero, md.Coef, tc.wantZero)
			}
		})
	}
}

func TestWeightsMatchPredict(t *testing.T) {
	t.Parallel()
	fx := readFixture(t)
	x := nanFloats(fx.X)
	md, err := linear.Train(t.Context(), &table.Dataset{X: x, Y: fx.YRegressor, NumFeature: fx.M}, linear.Params{L2: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	w, bias := md.Weights()
	row := []float64{1, 2, 3, 4, 5}
	got := make([]float64, 1)
	md.Predict(got, row)
	want := bias
	for j, v := range row {
		want += w[j] * v
	}
	if math.Abs(got[0]-want) > 1e-9 {
		t.Errorf("Predict %v, raw-feature weights give %v", got[0], want)
	}
	// A missing value predicts as the training mean.
	nan := []float64{math.NaN(), 2, 3, 4, 5}
	mean := []float64{md.Mean[0], 2, 3, 4, 5}
	a, b := make([]float64, 1), make([]float64, 1)
	md.Predict(a, nan)
	md.Predict(b, mean)
	if a[0] != b[0] {
		t.Errorf("NaN predicts %v, the mean %v", a[0], b[0])
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	fx := readFixture(t)
	x, xt := nanFloats(fx.X), nanFloats(fx.Test)
	md, err := linear.Train(t.Context(), &table.Dataset{X: x, Y: fx.YClassifier, NumFeature: fx.M}, linear.Params{PredictorType: linear.BinaryClassifier, L2: 0.01, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := md.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := linear.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	n := len(xt) / fx.M
	a, b := make([]float64, n), make([]float64, n)
	md.Predict(a, xt)
	back.Predict(b, xt)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("row %d: read model %v, written model %v", i, b[i], a[i])
		}
	}
}

func TestTrainErrors(t *testing.T) {
	t.Parallel()
	x := []float64{1, 2, 3, 4}
	y := []float64{0, 1}
	tests := []struct {
		name    string
		x, y    []float64
		p       linear.Params
		wantErr string
	}{
		{name: "PredictorType", x: x, y: y, p: linear.Params{PredictorType: "multiclass"}, wantErr: `predictor_type "multiclass"`},
		{name: "NegativeL2", x: x, y: y, p: linear.Params{L2: -1}, wantErr: "l2 -1"},
		{name: "NegativeL1", x: x, y: y, p: linear.Params{L1: -1}, wantErr: "l1 -1"},
		{name: "AliasConflict", x: x, y: y, p: linear.Params{L2: 1, WD: 2}, wantErr: "set one of them"},
		{name: "Tol", x: x, y: y, p: linear.Params{Tol: 2}, wantErr: "tol 2"},
		{name: "Short", x: x[:3], y: y, wantErr: "want 2 rows × 2 features"},
		{name: "Labels", x: x, y: []float64{0, 2}, p: linear.Params{PredictorType: linear.BinaryClassifier}, wantErr: "wants 0 or 1"},
		{name: "InfFeature", x: []float64{1, math.Inf(-1), 3, 4}, y: y, wantErr: "feature 1 of row 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := linear.Train(t.Context(), &table.Dataset{X: tc.x, Y: tc.y, NumFeature: 2}, tc.p)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := linear.Train(ctx, &table.Dataset{X: x, Y: y, NumFeature: 2}, linear.Params{}); err == nil {
		t.Error("got no error from a cancelled context")
	}
}

const validModel = `{"format":"ferry-linear-learner","version":1,"predictor_type":"regressor","num_features":2,` +
	`"mean":[1,2],"scale":[2,1],"coef":[2,3],"intercept":1,"weights":[1,3],"bias":-6,"params":{},"iterations":3}`

func TestReadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "Valid", in: validModel},
		{name: "Empty", in: "", wantErr: "EOF"},
		{name: "Format", in: strings.Replace(validModel, "ferry-linear-learner", "x", 1), wantErr: `format is "x"`},
		{name: "Type", in: strings.Replace(validModel, `"regressor"`, `"ranker"`, 1), wantErr: `predictor_type "ranker"`},
		{name: "Length", in: strings.Replace(validModel, `"coef":[2,3]`, `"coef":[2]`, 1), wantErr: "coef has 1 values"},
		{name: "Scale", in: strings.Replace(validModel, `"scale":[2,1]`, `"scale":[0,1]`, 1), wantErr: "scale[0] is 0"},
		{name: "Weights", in: strings.Replace(validModel, `"weights":[1,3]`, `"weights":[1,4]`, 1), wantErr: "weights[1] = 4 disagrees"},
		{name: "Bias", in: strings.Replace(validModel, `"bias":-6`, `"bias":0`, 1), wantErr: "bias 0 disagrees"},
		{name: "Unknown", in: strings.Replace(validModel, `"bias"`, `"bias2":1,"bias"`, 1), wantErr: "unknown field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			md, err := linear.Read(strings.NewReader(tc.in))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				got := make([]float64, 1)
				md.Predict(got, []float64{3, 4}) // 1 + 2·(3−1)/2 + 3·(4−2)/1
				if got[0] != 9 {
					t.Errorf("prediction %v, want 9", got[0])
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(validModel))
	f.Add([]byte(strings.Replace(validModel, `"regressor"`, `"binary_classifier"`, 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := linear.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		m := md.NumFeatures()
		if m > 1024 {
			return
		}
		dst := make([]float64, 1)
		md.Predict(dst, make([]float64, m))
	})
}

func TestDegenerateData(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	tests := []struct {
		name string
		x, y []float64
		p    linear.Params
	}{
		// Column 1 is constant and column 2 always missing.
		{name: "ConstantAndMissingColumns", x: []float64{1, 5, nan, 2, 5, nan, 3, 5, nan, 4, 5, nan}, y: []float64{1, 2, 3, 4}},
		// Perfectly separable classes without a penalty: the weights grow
		// but stay finite.
		{name: "SeparableNoPenalty", x: []float64{-2, 0, -1, 0, 1, 0, 2, 0}, y: []float64{0, 0, 1, 1},
			p: linear.Params{PredictorType: linear.BinaryClassifier, MaxIter: 200}},
		{name: "OneClass", x: []float64{1, 2, 3, 4}, y: []float64{1, 1, 1, 1}, p: linear.Params{PredictorType: linear.BinaryClassifier}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := len(tc.y)
			m := len(tc.x) / n
			md, err := linear.Train(t.Context(), &table.Dataset{X: tc.x, Y: tc.y, NumFeature: m}, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float64, n)
			md.Predict(got, tc.x)
			for i, v := range got {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("row %d: prediction %v", i, v)
				}
				if tc.p.PredictorType == linear.BinaryClassifier && (v >= 0.5) != (tc.y[i] == 1) {
					t.Errorf("row %d: probability %v for label %v", i, v, tc.y[i])
				}
			}
			if tc.name == "ConstantAndMissingColumns" && math.Abs(got[3]-4) > 1e-6 {
				t.Errorf("prediction %v for row 3, want 4 (y = x0)", got[3])
			}
		})
	}
}

func TestTrainProgress(t *testing.T) {
	t.Parallel()
	x := []float64{1, 2, 2, 1, 3, 5, 4, 4}
	y := []float64{1, 0, 1, 0}
	var passes []int
	md, err := linear.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: 2}, linear.Params{PredictorType: linear.BinaryClassifier, L2: 0.1},
		linear.WithProgress(func(pass int) { passes = append(passes, pass) }))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int, md.Iterations)
	for i := range want {
		want[i] = i + 1
	}
	if diff := cmp.Diff(want, passes); diff != "" {
		t.Errorf("progress calls (-want +got):\n%s", diff)
	}
}

func TestTrainRefusesWeights(t *testing.T) {
	t.Parallel()
	d := &table.Dataset{X: []float64{1, 2}, Y: []float64{0, 1}, Weight: []float64{1, 1}, NumFeature: 1}
	if _, err := linear.Train(t.Context(), d, linear.Params{}); err == nil || !strings.Contains(err.Error(), "sample weights") {
		t.Errorf("got error %v, want one about sample weights", err)
	}
	if _, err := linear.Train(t.Context(), nil, linear.Params{}); err == nil {
		t.Error("got no error for nil data")
	}
}
