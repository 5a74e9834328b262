package training

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
)

const fixtureDir = "../../../gbdt/testdata/xgboost/binary_base_score_names"

// writeLabelled writes label-first CSVs from the fixture: rows [lo, hi).
func writeLabelled(t testing.TB, path string, lo, hi int) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, "data.csv"))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := os.ReadFile(filepath.Join(fixtureDir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dl := strings.Split(strings.TrimSpace(string(data)), "\n")
	ll := strings.Split(strings.TrimSpace(string(labels)), "\n")
	var b bytes.Buffer
	fmt.Fprintf(&b, "default,%s\n", dl[0])
	for i := lo + 1; i < hi+1 && i < len(dl); i++ {
		fmt.Fprintf(&b, "%s,%s\n", ll[i], dl[i])
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bundle is a store holding the fixture's train and validation channels.
type bundle struct {
	*steptest.Bundle
	train, val artifact.Ref
}

func setup(t *testing.T) bundle {
	t.Helper()
	b := steptest.New(t)
	root := artifacttest.TempDir(t)
	writeLabelled(t, filepath.Join(root, "train", "train.csv"), 0, 600)
	writeLabelled(t, filepath.Join(root, "val", "validation.csv"), 600, 800)
	return bundle{Bundle: b, train: b.PutDir(t, filepath.Join(root, "train")), val: b.PutDir(t, filepath.Join(root, "val"))}
}

func (b bundle) run(t *testing.T, args map[string]any) (step.Result, error) {
	t.Helper()
	return b.Run(t, New(), step.Request{Args: args})
}

func TestRunXGBoost(t *testing.T) {
	t.Parallel()
	b := setup(t)
	args := map[string]any{
		ArgAlgorithm:       AlgorithmXGBoost,
		ArgHyperparameters: map[string]any{"objective": "binary:logistic", "num_round": "30", "max_depth": "3", "eta": 0.3, "early_stopping_rounds": "5"},
		ArgInputs:          map[string]any{InputTrain: b.train, InputValidation: b.val},
	}
	res, err := b.run(t, args)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"train_auc", "validation_auc", "validation_logloss", "validation_error", PropBestIteration} {
		if _, ok := res.Properties[p]; !ok {
			t.Errorf("property %s missing (have %v)", p, res.Properties)
		}
	}
	// XGBoost 1.7 with these settings reaches 0.66533 on this split.
	if auc := res.Properties["validation_auc"].(float64); auc < 0.64 {
		t.Errorf("validation_auc = %v, want >= 0.64", auc)
	}
	m, err := model.Load(b.Path(t, res.Outputs[OutputModel]))
	if err != nil {
		t.Fatal(err)
	}
	if m.Manifest.Label != "default" || len(m.Manifest.FeatureNames) != 6 || m.Manifest.Task != model.TaskBinary {
		t.Errorf("manifest label %q features %v task %q", m.Manifest.Label, m.Manifest.FeatureNames, m.Manifest.Task)
	}
	if _, ok := m.Predictor.(model.Explainer); !ok {
		t.Error("xgboost model is not an Explainer")
	}

	// Same seed, same model: the same artifact, byte for byte.
	res2, err := b.run(t, args)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Outputs[OutputModel] != res.Outputs[OutputModel] {
		t.Errorf("second run stored %s, first %s", res2.Outputs[OutputModel], res.Outputs[OutputModel])
	}
}

func TestRunOtherAlgorithms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		alg  string
		hp   map[string]any
		want string
	}{
		{"RandomForestClassifier", AlgorithmRandomForest, map[string]any{"task": "binary_classification", "n_estimators": "10", "max_depth": 4, "seed": "3"}, "validation_auc"},
		{"LinearRegressor", AlgorithmLinear, map[string]any{"predictor_type": "regressor"}, "validation_rmse"},
		{"LinearClassifier", AlgorithmLinear, map[string]any{"predictor_type": "binary_classifier", "l2": "0.01"}, "validation_logloss"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			res, err := b.run(t, map[string]any{
				ArgAlgorithm: tc.alg, ArgHyperparameters: tc.hp,
				ArgInputs: map[string]any{InputTrain: b.train, InputValidation: b.val},
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := res.Properties[tc.want]; !ok {
				t.Errorf("property %s missing (have %v)", tc.want, res.Properties)
			}
			m, err := model.Load(b.Path(t, res.Outputs[OutputModel]))
			if err != nil {
				t.Fatal(err)
			}
			if m.Manifest.Flavor != tc.alg {
				t.Errorf("flavor %q, want %q", m.Manifest.Flavor, tc.alg)
			}
		})
	}
}

func TestValidateArgs(t *testing.T) {
	t.Parallel()
	ref := artifact.Ref("sha256:" + strings.Repeat("0", 64))
	tests := []struct {
		name      string
		alg       string
		hp        map[string]any
		inputs    map[string]any
		wantField string
		wantMsg   string
	}{
		{"OK", AlgorithmXGBoost, map[string]any{"max_depth": "5", "eta": 0.1}, nil, "", ""},
		{"UnknownHyperparameter", AlgorithmXGBoost, map[string]any{"max_dept": 5}, nil, "hyperparameters.max_dept", "unknown xgboost hyperparameter"},
		{"OutOfRange", AlgorithmXGBoost, map[string]any{"max_depth": "99"}, nil, "hyperparameters.max_depth", "out of range [0, 63]"},
		{"OpenRange", AlgorithmXGBoost, map[string]any{"subsample": 0}, nil, "hyperparameters.subsample", "(0, 1]"},
		{"NotANumber", AlgorithmXGBoost, map[string]any{"eta": "fast"}, nil, "hyperparameters.eta", "not a number"},
		{"BadEnum", AlgorithmXGBoost, map[string]any{"objective": "rank:ndcg"}, nil, "hyperparameters.objective", "one of"},
		{"NotInteger", AlgorithmXGBoost, map[string]any{"num_round": "2.5"}, nil, "hyperparameters.num_round", "not an integer"},
		{"ForestUnknown", AlgorithmRandomForest, map[string]any{"eta": "1"}, nil, "hyperparameters.eta", "unknown hyperparameter"},
		{"UnknownAlgorithm", "catboost", nil, nil, "algorithm", "unknown algorithm"},
		{"MissingTrain", AlgorithmXGBoost, nil, map[string]any{InputValidation: ref}, "inputs.train", "required"},
		{"UnknownInput", AlgorithmXGBoost, nil, map[string]any{InputTrain: ref, "test": ref}, "inputs.test", "unknown input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := map[string]any{ArgAlgorithm: tc.alg}
			if tc.hp != nil {
				args[ArgHyperparameters] = tc.hp
			}
			args[ArgInputs] = map[string]any{InputTrain: ref}
			if tc.inputs != nil {
				args[ArgInputs] = tc.inputs
			}
			errs := New().ValidateArgs(args)
			if tc.wantField == "" {
				if len(errs) > 0 {
					t.Fatalf("ValidateArgs() = %v, want no errors", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("ValidateArgs() = %v, want one error", errs)
			}
			var fe *step.FieldError
			if !errors.As(errs[0], &fe) || fe.Field != tc.wantField || !strings.Contains(fe.Msg, tc.wantMsg) {
				t.Fatalf("ValidateArgs() = %v, want field %q with %q", errs[0], tc.wantField, tc.wantMsg)
			}
		})
	}
}

func TestRunBadData(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	tests := []struct{ name, csv, label, want string }{
		{"NonNumeric", "y,a\n1,x\n", "", `column "a": "x" is not a number`},
		{"MissingLabel", "y,a\n1,2\n", "target", `no label column "target"`},
		{"LabelOutOfRange", "y,a\n2,1\n0,3\n", "", "outside [0,1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(artifacttest.TempDir(t), "in")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "train.csv"), []byte(tc.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			ref := b.PutDir(t, dir)
			args := map[string]any{ArgAlgorithm: AlgorithmXGBoost, ArgHyperparameters: map[string]any{"objective": "binary:logistic"}, ArgInputs: map[string]any{InputTrain: ref}}
			if tc.label != "" {
				args[ArgLabel] = tc.label
			}
			_, err := b.Run(t, New(), step.Request{Args: args})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !step.IsPermanent(err) {
				t.Fatalf("Run() error = %v, want a permanent error containing %q", err, tc.want)
			}
		})
	}
}
