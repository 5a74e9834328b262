package clarifycheck

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The analysis_config.json the SageMaker SDK uploads for the tutorial's
// ModelBiasCheck (see internal/sagemaker/definition/testdata/uploads.json).
const sdkBiasConfig = `{"dataset_type": "text/csv", "label": "fraud", "label_values_or_threshold": [0], "facet": [{"name_or_index": "customer_gender_female", "value_or_threshold": [1]}], "methods": {"post_training_bias": {"methods": ["DPPL"]}, "report": {"name": "report", "title": "Analysis Report"}}, "predictor": {"instance_type": "ml.m4.xlarge", "initial_instance_count": 1}, "probability_threshold": 0.5}`

// A ClarifyCheck step's uploaded analysis_config gives the same result as
// the same settings written in config.
func TestAnalysisConfigFromSageMaker(t *testing.T) {
	t.Parallel()
	b := setup(t, 500)
	k := New(nil)
	ac := b.PutFiles(t, map[string]string{"analysis_config.json": sdkBiasConfig})
	flags := []any{"skip_check", true, "register_new_baseline", true}
	want, err := b.run(t, k, with(biasArgs(b), flags...))
	if err != nil {
		t.Fatal(err)
	}
	args := with(biasArgs(b), append(flags, "config", map[string]any{}, "analysis_config", string(ac))...)
	if errs := k.ValidateArgs(args); len(errs) > 0 {
		t.Fatalf("ValidateArgs: %v", errs)
	}
	got, err := b.run(t, k, args)
	if err != nil {
		t.Fatal(err)
	}
	gotA := readAnalysis(t, b.Store, got.Outputs[OutCalculated])
	wantA := readAnalysis(t, b.Store, want.Outputs[OutCalculated])
	if diff := cmp.Diff(wantA, gotA); diff != "" {
		t.Errorf("analysis (-config +analysis_config):\n%s", diff)
	}

	// Without an object namespace an s3:// URI is a clear error.
	_, err = b.run(t, k, with(args, "analysis_config", "s3://bucket/analysis_config.json"))
	if err == nil || !strings.Contains(err.Error(), "object namespace") {
		t.Errorf("s3:// without a namespace: got %v", err)
	}
}
