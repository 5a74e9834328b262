package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/feature"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/createmodel"
	"github.com/ferryml/ferry/internal/step/deploy"
	"github.com/ferryml/ferry/internal/step/register"
)

// Registry opens the home's model registry. Deploys through it check that
// the model loads, so an endpoint it creates is InService at once.
func (m *Main) Registry(ctx context.Context) (*registry.Registry, error) {
	db, err := m.DB(ctx)
	if err != nil {
		return nil, err
	}
	store, err := m.Store()
	if err != nil {
		return nil, err
	}
	reg := registry.New(sqlite.NewRegistryStore(db), m.Logger)
	load := m.sagemakerServingLoader(store)
	reg.CheckModel = func(ctx context.Context, ref artifact.Ref) error {
		sm, err := load(ctx, ref)
		if c, ok := sm.Invoker.(io.Closer); err == nil && ok {
			c.Close() // a worker pool started only to check that the model loads
		}
		return err
	}
	return reg, nil
}

// servingLoader loads model artifacts from store for serving.
func servingLoader(store artifact.Store) serving.LoadFunc {
	return func(ctx context.Context, ref artifact.Ref) (*serving.Model, error) {
		dir, err := store.Path(ctx, ref)
		if err != nil {
			return nil, err
		}
		sm, err := loadServingModel(dir)
		if err != nil {
			return nil, err
		}
		sm.Ref = ref
		return sm, nil
	}
}

// loadServingModel loads a model directory (ferry-model.json + model file)
// or a bare XGBoost model.json, with its feature transform when the
// manifest carries one.
func loadServingModel(path string) (*serving.Model, error) {
	mdl, err := model.LoadFile(path)
	if err != nil {
		return nil, err
	}
	sm := &serving.Model{Predictor: mdl.Predictor, FeatureNames: mdl.Manifest.FeatureNames}
	if tr := mdl.Manifest.Transform; len(tr) > 0 && string(tr) != "null" {
		t, err := feature.Parse(tr)
		if err != nil {
			return nil, fmt.Errorf("loading model %s: feature transform: %w", path, err)
		}
		if n := len(t.FeatureNames()); n != mdl.Predictor.NumFeatures() {
			return nil, fmt.Errorf("loading model %s: the feature transform makes %d features, the model takes %d", path, n, mdl.Predictor.NumFeatures())
		}
		sm.Encoder = t
	}
	return sm, nil
}

// registryKinds returns the step kinds that act on the registry and
// endpoints (create_model, register_model, deploy), bound to the home's
// registry; deploy's data capture defaults to $FERRY_HOME/data-capture.
func (m *Main) registryKinds(ctx context.Context) ([]step.Kind, error) {
	reg, err := m.Registry(ctx)
	if err != nil {
		return nil, err
	}
	return []step.Kind{
		createmodel.New(reg),
		register.New(reg),
		deploy.New(reg, filepath.Join(m.Home(), "data-capture")),
	}, nil
}
