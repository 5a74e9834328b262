package linear_test

import (
	"strings"
	"testing"

	"github.com/ferryml/ferry/linear"
	"github.com/ferryml/ferry/table"
)

func TestParseParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		hp      map[string]string
		check   func(linear.Params) bool
		wantErr string
	}{
		{name: "Aliases", hp: map[string]string{"predictor_type": "binary_classifier", "wd": "0.01", "epochs": "15", "standardize": "false"},
			check: func(p linear.Params) bool {
				p = p.WithDefaults()
				return p.PredictorType == linear.BinaryClassifier && p.L2 == 0.01 && p.MaxIter == 15 && !*p.Standardize && p.Validate() == nil
			}},
		{name: "Unknown", hp: map[string]string{"learning_rate": "0.1"}, wantErr: `unknown linear_learner hyperparameter "learning_rate"`},
		{name: "WrongType", hp: map[string]string{"l1": "lots"}, wantErr: "l1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := linear.ParseParams(tc.hp)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(p) {
				t.Errorf("got %+v, %v", p, err)
			}
		})
	}
}

func TestContribsSumToMargin(t *testing.T) {
	t.Parallel()
	fx := readFixture(t)
	x, xt := nanFloats(fx.X), nanFloats(fx.Test)
	md, err := linear.Train(t.Context(), &table.Dataset{X: x, Y: fx.YClassifier, NumFeature: fx.M}, linear.Params{PredictorType: linear.BinaryClassifier, L2: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	n := len(xt) / fx.M
	margin := make([]float64, n)
	md.Margin(margin, xt)
	c := make([]float64, n*(fx.M+1))
	md.Contribs(c, xt)
	for i := range n {
		s := 0.0
		for _, v := range c[i*(fx.M+1) : (i+1)*(fx.M+1)] {
			s += v
		}
		if d := s - margin[i]; d > 1e-12 || d < -1e-12 {
			t.Errorf("row %d: contributions sum to %v, margin %v", i, s, margin[i])
		}
	}
}

func FuzzParseParams(f *testing.F) {
	f.Add("l2", "0.5")
	f.Add("standardize", "true")
	f.Fuzz(func(t *testing.T, name, value string) {
		p, err := linear.ParseParams(map[string]string{name: value})
		if err != nil {
			return
		}
		_ = p.WithDefaults().Validate() // must not panic
	})
}
