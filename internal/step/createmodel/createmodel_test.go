package createmodel_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/createmodel"
)

func TestCreateModel(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := artifacttest.TempDir(t)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := artifact.OpenDir(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	put := func(files map[string]string) artifact.Ref {
		d := artifacttest.TempDir(t)
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(d, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ref, err := store.PutDir(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	good := put(map[string]string{model.ManifestFile: `{"flavor":"xgboost"}`, "model.json": "{}"})
	notModel := put(map[string]string{"data.csv": "a,b\n"})
	reg := registry.New(sqlite.NewRegistryStore(db), slog.New(slog.DiscardHandler))
	k := createmodel.New(reg)
	env := step.Env{Store: store, WorkDir: artifacttest.TempDir(t)}
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
			res, err := k.Run(context.Background(), env, step.Request{StepName: "create-model", Args: tt.args})
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
	if m, err := reg.Model(ctx, "fraud-detect-xgb-pipeline"); err != nil || m.Artifact != good {
		t.Errorf("recorded model %+v, %v", m, err)
	}
}
