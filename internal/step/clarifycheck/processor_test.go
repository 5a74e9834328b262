package clarifycheck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/clarify"
	"github.com/ferryml/ferry/internal/step/processing"
)

func TestProcessor(t *testing.T) {
	t.Parallel()
	b := setup(t, explainRows())
	ctx := context.Background()
	dataDir, _ := b.Store.Path(ctx, b.data)
	modelDir, _ := b.Store.Path(ctx, b.model)
	cfgDir := artifacttest.TempDir(t)
	cfg := `{"dataset_type":"text/csv","label":"fraud","label_values_or_threshold":[0],
	  "facet":[{"name_or_index":"customer_gender_female","value_or_threshold":[1]}],
	  "methods":{"post_training_bias":{"methods":["DPPL","DI"]},"shap":{"baseline":"baseline.csv","num_samples":20}},
	  "predictor":{"model_name":"fraud","content_type":"text/csv","accept_type":"text/csv"}}`
	if err := os.WriteFile(filepath.Join(cfgDir, clarify.ConfigFile), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "baseline.csv"), []byte(strings.Repeat("0,", 47)+"0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := NewProcessor()
	if errs := p.ValidateConfig(map[string]any{"x": 1}); len(errs) != 1 {
		t.Errorf("ValidateConfig accepted an unknown setting: %v", errs)
	}
	out := artifacttest.TempDir(t)
	_, err := p.Process(ctx, processing.Job{
		Inputs:     map[string]string{"config": cfgDir, "data": dataDir, "model": modelDir},
		OutputDirs: map[string]string{"analysis": out},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := clarify.ReadAnalysis(out)
	if err != nil {
		t.Fatal(err)
	}
	if a.PostTraining == nil || len(a.PostTraining.Facets[0].Entries[0].Metrics) != 2 {
		t.Errorf("post-training section %+v, want DI and DPPL", a.PostTraining)
	}
	if a.Explanations == nil || len(a.Explanations.KernelSHAP) != 1 {
		t.Errorf("explanations %+v, want label0", a.Explanations)
	}
	for _, f := range []string{"report.html", "explanations_shap/out.csv", "explanations_shap/baseline.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("output lacks %s: %v", f, err)
		}
	}
}
