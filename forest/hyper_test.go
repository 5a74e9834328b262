package forest_test

import (
	"strings"
	"testing"

	"github.com/ferryml/ferry/forest"
)

func TestParseParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		hp      map[string]string
		check   func(forest.Params) bool
		wantErr string
	}{
		{name: "Abalone", hp: map[string]string{"n_estimators": "100", "max_depth": "10", "max_features": "sqrt", "seed": "42"},
			check: func(p forest.Params) bool {
				return p.NEstimators == 100 && p.MaxDepth == 10 && p.MaxFeatures == "sqrt" && p.Seed == 42
			}},
		{name: "FractionAndBootstrap", hp: map[string]string{"max_features": "0.5", "bootstrap": "false", "task": "binary_classification"},
			check: func(p forest.Params) bool {
				return p.MaxFeatures == "0.5" && p.Bootstrap != nil && !*p.Bootstrap && p.Task == forest.TaskBinary
			}},
		{name: "Unknown", hp: map[string]string{"eta": "0.3"}, wantErr: `unknown random_forest hyperparameter "eta" (known: task, n_estimators`},
		{name: "WrongType", hp: map[string]string{"n_estimators": "many"}, wantErr: "n_estimators"},
		{name: "NotInteger", hp: map[string]string{"max_depth": "2.5"}, wantErr: "max_depth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := forest.ParseParams(tc.hp)
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

func FuzzParseParams(f *testing.F) {
	f.Add("max_features", "0.5")
	f.Add("n_estimators", "10")
	f.Add("bootstrap", "true")
	f.Fuzz(func(t *testing.T, name, value string) {
		p, err := forest.ParseParams(map[string]string{name: value})
		if err != nil {
			return
		}
		p = p.WithDefaults()
		_ = p.Validate(10) // must not panic
	})
}
