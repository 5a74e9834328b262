package main

import (
	"context"
	"io"
	"path/filepath"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
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
		if err != nil {
			return err
		}
		if c, ok := sm.Invoker.(io.Closer); ok {
			c.Close() // a worker pool started only to check that the model loads
		}
		return nil
	}
	return reg, nil
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
