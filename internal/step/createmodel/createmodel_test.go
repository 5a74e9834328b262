package createmodel_test

import (
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/createmodel"
	"github.com/ferryml/ferry/internal/step/steptest"
)

func TestCreateModel(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	reg := b.Registry(t)
	good := b.PutFiles(t, map[string]string{model.ManifestFile: `{"flavor":"xgboost"}`, "model.json": "{}"})
	notModel := b.PutFiles(t, map[string]string{"data.csv": "a,b\n"})
	k := createmodel.New(reg)
	tests := []struct {
		name    string
		args    map[string]any
		wantErr string
	}{
		{"OK", map[string]any{"model": good, "model_name": "fraud-detect-xgb-pipeline"}, ""},
		{"OK replaces", map[string]any{"model": good, "model_name": "fraud-detect-xgb-pipeline"}, ""},
		{"not a model directory", map[string]any{"model": notModel, "model_name": "m"}, "not a model directory"},
		{"missing artifact", map[string]any{"model": "sha256:" + strings.Repeat("a", 64), "model_name": "m"}, "not found"},
		{"bad name", map[string]any{"model": good, "model_name": "a/b"}, "model name"},
		{"unknown argument", map[string]any{"model": good, "model_name": "m", "extra": 1}, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := b.Run(t, k, step.Request{StepName: "create-model", Args: tt.args})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !step.IsPermanent(err) {
					t.Errorf("err = %v, want a permanent error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Properties["model_name"] != tt.args["model_name"] {
				t.Errorf("properties %v", res.Properties)
			}
		})
	}
	if m, err := reg.Model(t.Context(), "fraud-detect-xgb-pipeline"); err != nil || m.Artifact != good {
		t.Errorf("recorded model %+v, %v", m, err)
	}
}
