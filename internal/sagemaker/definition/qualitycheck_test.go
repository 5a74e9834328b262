package definition

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/pipeline"
)

// TestQualityCheckGolden translates the SDK's QualityCheckStep definition
// (testdata/sdk/make_quality_check.py) and compares the pipeline with its
// golden dump: both checks become quality_check steps, and RegisterModel's
// ModelMetrics and DriftCheckBaselines read their outputs.
func TestQualityCheckGolden(t *testing.T) {
	t.Parallel()
	file := filepath.Join("testdata", "quality_check.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(file, data, newStubKinds())
	if err != nil {
		t.Fatalf("Load(%s): %v", file, err)
	}
	got, err := json.MarshalIndent(dump(p), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, filepath.Join("testdata", "golden", "quality_check.golden"), string(got)+"\n")
}

// qualityStep is a QualityCheck step for the table below, edited by the
// case: the SDK's data-quality step on a literal S3 URI.
func qualityStep(edit func(st map[string]any)) map[string]any {
	st := map[string]any{
		"Name": "DQ", "Type": "QualityCheck", "CheckType": "DATA_QUALITY",
		"ModelPackageGroupName": "g", "SkipCheck": true, "RegisterNewBaseline": true, "FailOnViolation": true,
		"SuppliedBaselineStatistics": nil, "SuppliedBaselineConstraints": nil,
		"Arguments": map[string]any{
			"ProcessingInputs": []any{map[string]any{"InputName": "baseline_dataset_input",
				"S3Input": map[string]any{"S3Uri": "s3://b/train.csv", "LocalPath": "/opt/ml/processing/input/baseline_dataset_input"}}},
			"Environment": map[string]any{"dataset_format": `{"csv": {"header": true, "output_columns_position": "START"}}`,
				"dataset_source": "/opt/ml/processing/input/baseline_dataset_input", "output_path": "/opt/ml/processing/output"},
		},
	}
	if edit != nil {
		edit(st)
	}
	return st
}

func env(st map[string]any) map[string]any {
	return st["Arguments"].(map[string]any)["Environment"].(map[string]any)
}

func modelQuality(st map[string]any) {
	st["CheckType"] = "MODEL_QUALITY"
	e := env(st)
	e["analysis_type"], e["problem_type"], e["ground_truth_attribute"] = "MODEL_QUALITY", "BinaryClassification", "fraud"
	e["probability_attribute"], e["probability_threshold_attribute"] = "score", "0.6"
}

// TestQualityCheckMapping translates QualityCheck steps: the arguments
// each becomes, and the problems of steps Ferry cannot run, located.
func TestQualityCheckMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []any
		want  map[string]any // args of step DQ (nil: not checked)
		errs  []string       // substrings of the problems, in order
	}{
		{name: "data quality on an S3 URI", steps: []any{qualityStep(nil)}, want: map[string]any{
			"check_type": "data_quality", "data_uri": "s3://b/train.csv", "config": map[string]any{}, "model_package_group_name": "g",
			"skip_check": true, "register_new_baseline": true, "fail_on_violation": true}},
		{name: "model quality", steps: []any{qualityStep(modelQuality)}, want: map[string]any{
			"check_type": "model_quality", "data_uri": "s3://b/train.csv", "model_package_group_name": "g",
			"config":     map[string]any{"problem_type": "BinaryClassification", "label": "fraud", "prediction": "score", "probability_threshold": 0.6},
			"skip_check": true, "register_new_baseline": true, "fail_on_violation": true}},
		{name: "regression on the inference attribute", steps: []any{qualityStep(func(st map[string]any) {
			modelQuality(st)
			e := env(st)
			delete(e, "probability_attribute")
			delete(e, "probability_threshold_attribute")
			e["problem_type"], e["inference_attribute"] = "Regression", "prediction"
		})}, want: map[string]any{
			"check_type": "model_quality", "data_uri": "s3://b/train.csv", "model_package_group_name": "g",
			"config":     map[string]any{"problem_type": "Regression", "label": "fraud", "prediction": "prediction"},
			"skip_check": true, "register_new_baseline": true, "fail_on_violation": true}},
		{name: "parameters and supplied baselines", steps: []any{qualityStep(func(st map[string]any) {
			st["SkipCheck"] = map[string]any{"Get": "Parameters.Skip"}
			st["SuppliedBaselineConstraints"] = "s3://b/constraints.json"
			st["Arguments"].(map[string]any)["ProcessingInputs"].([]any)[0].(map[string]any)["S3Input"].(map[string]any)["S3Uri"] = map[string]any{"Get": "Parameters.Data"}
		})}, want: map[string]any{
			"check_type": "data_quality", "data_uri": "${{ params.Data }}", "config": map[string]any{}, "model_package_group_name": "g",
			"skip_check": "${{ params.Skip }}", "register_new_baseline": true, "fail_on_violation": true,
			"supplied_baseline_constraints": "s3://b/constraints.json"}},
		{name: "unknown check type", steps: []any{qualityStep(func(st map[string]any) { st["CheckType"] = "MODEL_BIAS" })},
			errs: []string{`"Steps[1].CheckType": unknown CheckType "MODEL_BIAS" (known: DATA_QUALITY, MODEL_QUALITY)`}},
		{name: "JSON data set", steps: []any{qualityStep(func(st map[string]any) { env(st)["dataset_format"] = `{"json": {"lines": true}}` })},
			errs: []string{`"Steps[1].Arguments.Environment.dataset_format": dataset_format {"json": {"lines": true}}: Ferry's quality check reads CSV data sets only`}},
		{name: "CSV without a header", steps: []any{qualityStep(func(st map[string]any) { env(st)["dataset_format"] = `{"csv": {"header": false}}` })},
			errs: []string{"must have a header row"}},
		{name: "preprocessor script", steps: []any{qualityStep(func(st map[string]any) {
			a := st["Arguments"].(map[string]any)
			a["ProcessingInputs"] = append(a["ProcessingInputs"].([]any), map[string]any{"InputName": "record_preprocessor_script_input",
				"S3Input": map[string]any{"S3Uri": "s3://b/pre.py"}})
		})}, errs: []string{`"Steps[1].Arguments.ProcessingInputs[1].InputName": ProcessingInput "record_preprocessor_script_input": Ferry's quality check reads only the baseline data set`}},
		{name: "no data set", steps: []any{qualityStep(func(st map[string]any) { st["Arguments"].(map[string]any)["ProcessingInputs"] = []any{} })},
			errs: []string{`no ProcessingInput named "baseline_dataset_input"`}},
		{name: "multiclass", steps: []any{qualityStep(func(st map[string]any) { modelQuality(st); env(st)["problem_type"] = "MulticlassClassification" })},
			errs: []string{`problem_type "MulticlassClassification": Ferry's model-quality check handles BinaryClassification and Regression`}},
		{name: "model quality without columns", steps: []any{qualityStep(func(st map[string]any) {
			modelQuality(st)
			delete(env(st), "ground_truth_attribute")
			delete(env(st), "probability_attribute")
		})}, errs: []string{"needs ground_truth_attribute", "needs probability_attribute or inference_attribute"}},
		{name: "threshold from a parameter", steps: []any{qualityStep(func(st map[string]any) {
			modelQuality(st)
			env(st)["probability_threshold_attribute"] = map[string]any{"Get": "Parameters.T"}
		})}, errs: []string{"probability_threshold_attribute must be a literal string"}},
		{name: "bad threshold", steps: []any{qualityStep(func(st map[string]any) { modelQuality(st); env(st)["probability_threshold_attribute"] = "2" })},
			errs: []string{`probability_threshold_attribute "2": want a number in [0, 1]`}},
		{name: "unknown property", steps: []any{qualityStep(nil), map[string]any{"Name": "Use", "Type": "Fail", "Arguments": map[string]any{
			"ErrorMessage": map[string]any{"Get": "Steps.DQ.CalculatedBaselineStatistic"}}}},
			errs: []string{`step "DQ" (QualityCheck) has no property "CalculatedBaselineStatistic"; did you mean "CalculatedBaselineStatistics"?`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def := map[string]any{"Version": "2020-12-01", "Parameters": []any{
				map[string]any{"Name": "Skip", "Type": "Boolean", "DefaultValue": true},
				map[string]any{"Name": "Data", "Type": "String", "DefaultValue": "s3://b/train.csv"},
				map[string]any{"Name": "T", "Type": "String", "DefaultValue": "0.5"},
			}, "Steps": append([]any{map[string]any{"Name": "First", "Type": "Fail", "Arguments": map[string]any{"ErrorMessage": "x"}}}, tt.steps...)}
			data, err := json.MarshalIndent(def, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			p, err := Load("q.json", data, newStubKinds())
			if len(tt.errs) > 0 {
				var verrs *pipeline.ValidationErrors
				if !errors.As(err, &verrs) {
					t.Fatalf("Load = %v, want problems %q", err, tt.errs)
				}
				msgs := make([]string, len(verrs.Errs))
				for i, e := range verrs.Errs {
					msgs[i] = e.Error()
					if e.Pos.Line == 0 {
						t.Errorf("problem %q is not located", e.Error())
					}
				}
				all := strings.Join(msgs, "\n")
				for _, want := range tt.errs {
					if !strings.Contains(all, want) {
						t.Errorf("problems:\n%s\nwant one containing %q", all, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			st := p.Step("DQ")
			if st == nil || st.Kind != KindQualityCheck {
				t.Fatalf("step DQ: %+v, want a quality_check step", st)
			}
			got, _ := json.Marshal(st.Args)
			want, _ := json.Marshal(tt.want)
			if string(got) != string(want) {
				t.Errorf("arguments\n got %s\nwant %s", got, want)
			}
		})
	}
}
