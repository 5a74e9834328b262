package metric

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

type fixture struct {
	Name      string             `json:"name"`
	Task      string             `json:"task"`
	Y         []float64          `json:"y"`
	P         []float64          `json:"p"`
	W         []float64          `json:"w"`
	Threshold float64            `json:"threshold"`
	Want      map[string]float64 `json:"want"`
}

func close(got, want float64) bool {
	return math.Abs(got-want) <= 1e-12+1e-9*math.Abs(want)
}

// TestSklearnFixtures compares with scikit-learn 1.2.1's values, from
// testdata/make_fixtures.py.
func TestSklearnFixtures(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []fixture `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) < 10 {
		t.Fatalf("only %d fixture cases", len(doc.Cases))
	}
	for _, fx := range doc.Cases {
		t.Run(fx.Task+"/"+fx.Name, func(t *testing.T) {
			t.Parallel()
			got := map[string]float64{}
			must := func(name string, v float64, err error) {
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				got[name] = v
			}
			if fx.Task == "binary" {
				v, err := ROCAUC(fx.Y, fx.P, fx.W)
				must("roc_auc", v, err)
				v, err = AveragePrecision(fx.Y, fx.P, fx.W)
				must("pr_auc", v, err)
				v, err = LogLoss(fx.Y, fx.P, fx.W)
				must("logloss", v, err)
				c, err := ConfusionAt(fx.Y, fx.P, fx.W, fx.Threshold)
				must("accuracy", c.Accuracy(), err)
				got["precision"], got["recall"], got["f1"] = c.Precision(), c.Recall(), c.F1()
				got["tn"], got["fp"], got["fn"], got["tp"] = c.TN, c.FP, c.FN, c.TP
			} else {
				v, err := MSE(fx.Y, fx.P, fx.W)
				must("mse", v, err)
				v, err = RMSE(fx.Y, fx.P, fx.W)
				must("rmse", v, err)
				v, err = MAE(fx.Y, fx.P, fx.W)
				must("mae", v, err)
				v, err = R2(fx.Y, fx.P, fx.W)
				must("r2", v, err)
			}
			for name, want := range fx.Want {
				g, ok := got[name]
				if !ok {
					t.Errorf("%s: not computed", name)
					continue
				}
				if !close(g, want) {
					t.Errorf("%s = %.17g, scikit-learn %.17g", name, g, want)
				}
			}
		})
	}
}

func TestSingleClass(t *testing.T) {
	t.Parallel()
	y := []float64{1, 1, 1}
	p := []float64{0.2, 0.5, 0.9}
	if _, err := ROCAUC(y, p, nil); !errors.Is(err, ErrSingleClass) {
		t.Errorf("ROCAUC error = %v, want ErrSingleClass", err)
	}
	if _, err := AveragePrecision([]float64{0, 0}, []float64{0.1, 0.2}, nil); !errors.Is(err, ErrSingleClass) {
		t.Errorf("AveragePrecision error = %v, want ErrSingleClass", err)
	}
	// Log loss and the threshold metrics stay defined.
	if v, err := LogLoss(y, p, nil); err != nil || !close(v, -(math.Log(0.2)+math.Log(0.5)+math.Log(0.9))/3) {
		t.Errorf("LogLoss = %v, %v", v, err)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fn   func() error
		want string
	}{
		{"Empty", func() error { _, err := ROCAUC(nil, nil, nil); return err }, "no samples"},
		{"Lengths", func() error { _, err := MSE([]float64{1}, []float64{1, 2}, nil); return err }, "1 labels but 2 predictions"},
		{"Weights", func() error { _, err := MAE([]float64{1}, []float64{1}, []float64{1, 2}); return err }, "1 labels but 2 weights"},
		{"NotBinary", func() error { _, err := LogLoss([]float64{2}, []float64{0.5}, nil); return err }, "label 2 at row 0: want 0 or 1"},
		{"NaNPrediction", func() error { _, err := ROCAUC([]float64{0, 1}, []float64{0.5, math.NaN()}, nil); return err }, "prediction at row 1 is NaN"},
		{"NegativeWeight", func() error { _, err := R2([]float64{0, 1}, []float64{0, 1}, []float64{1, -1}); return err }, "weight -1 at row 1"},
		{"ZeroWeights", func() error { _, err := MSE([]float64{0, 1}, []float64{0, 1}, []float64{0, 0}); return err }, "weights sum to zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.fn(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}
