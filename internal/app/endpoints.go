package app

import (
	"context"
	"fmt"

	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
)

// Endpoints lists the endpoints with their current configs.
func (a *App) Endpoints(ctx context.Context) ([]registry.Endpoint, error) {
	return a.cfg.Registry.Endpoints(ctx)
}

// Endpoint returns one endpoint.
func (a *App) Endpoint(ctx context.Context, name string) (registry.Endpoint, error) {
	return a.cfg.Registry.Endpoint(ctx, name)
}

// DeployResult is an endpoint after a deploy, and whether it changed (a
// deploy of what it already serves changes nothing).
type DeployResult struct {
	Endpoint registry.Endpoint `json:"endpoint"`
	Changed  bool              `json:"changed"`
}

// Deploy creates an endpoint or updates one of its variants to a model
// version, idempotently. The model must load first.
func (a *App) Deploy(ctx context.Context, req registry.DeployRequest) (DeployResult, error) {
	if req.InstanceCount < 0 {
		return DeployResult{}, fmt.Errorf("instance count %d: want >= 1: %w", req.InstanceCount, ErrInvalid)
	}
	ep, changed, err := a.cfg.Registry.Deploy(ctx, req)
	if err != nil {
		return DeployResult{}, err
	}
	return DeployResult{Endpoint: ep, Changed: changed}, nil
}

// SetWeights changes the weights of an endpoint's variants (variant name
// to weight) as a new config version.
func (a *App) SetWeights(ctx context.Context, endpoint string, weights map[string]float64) (registry.Endpoint, error) {
	if len(weights) == 0 {
		return registry.Endpoint{}, fmt.Errorf("no variant weights given: %w", ErrInvalid)
	}
	return a.cfg.Registry.SetVariantWeights(ctx, endpoint, weights)
}

// DeleteEndpoint deletes an endpoint.
func (a *App) DeleteEndpoint(ctx context.Context, name string) error {
	return a.cfg.Registry.DeleteEndpoint(ctx, name)
}

// Invoke loads an endpoint's current config in this process and sends it
// one request, as `ferry server` would answer it. Errors about the
// payload are *serving.StatusError.
func (a *App) Invoke(ctx context.Context, name string, req serving.Request) (serving.Response, error) {
	ep, err := a.cfg.Registry.Endpoint(ctx, name)
	if err != nil {
		return serving.Response{}, err
	}
	opts := a.cfg.ServingOptions
	if opts.Logger == nil {
		opts.Logger = a.cfg.Logger
	}
	load := a.cfg.LoadModel
	if load == nil {
		load = serving.StoreLoader(a.cfg.Artifacts)
	}
	srv, err := serving.NewServer(load, opts)
	if err != nil {
		return serving.Response{}, err
	}
	defer srv.Close()
	if err := srv.Apply(ctx, []registry.Endpoint{ep}, nil); err != nil {
		return serving.Response{}, err
	}
	return srv.Invoke(ctx, ep.Name, req)
}
