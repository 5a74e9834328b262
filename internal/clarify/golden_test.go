package clarify

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGoldenAnalysis pins a whole job's analysis.json (bias with a model's
// predictions, TreeSHAP, PDP) on 60 rows of the fraud data. Refresh with
// go test ./internal/clarify -run Golden -update after a deliberate
// change, and review the diff.
func TestGoldenAnalysis(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig([]byte(`{"dataset_type":"text/csv","label":"fraud","label_values_or_threshold":[0],
		"facet":[{"name_or_index":"customer_gender_female","value_or_threshold":[1]},{"name_or_index":"customer_age","value_or_threshold":[40]}],
		"excluded_columns":["predicted_fraud"],"probability_threshold":0.2,
		"methods":{"pre_training_bias":{"methods":"all"},"post_training_bias":{"methods":"all"},
		"shap":{"agg_method":"mean_sq"},"pdp":{"top_k_features":2,"grid_resolution":5}}}`))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Run(t.Context(), cfg, headRows(t, fraudData, 60), FromModel(loadFraudModel(t)), out, Options{}); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "fraud_60_analysis.json")
	if *update {
		b, err := os.ReadFile(filepath.Join(out, AnalysisFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readJSON(t, golden)
	got := readJSON(t, filepath.Join(out, AnalysisFile))
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("analysis.json differs from %s (-want +got):\n%s", golden, diff)
	}
}
