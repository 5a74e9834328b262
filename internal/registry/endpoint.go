package registry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/ferryml/ferry/internal/artifact"
)

// DefaultVariant is the variant name deploy uses when none is given.
const DefaultVariant = "AllTraffic"

// ErrRejected is returned (wrapped with ErrConflict) when deploying a
// Rejected version.
var ErrRejected = fmt.Errorf("model package is Rejected: %w", ErrConflict)

// DeployRequest creates or updates one variant of an endpoint.
type DeployRequest struct {
	Endpoint string
	Package  PackageRef
	// Model, when Package is zero, deploys a model artifact that is no
	// registered version (a SageMaker API model made from an image and a
	// ModelDataUrl): the variant names no group or version.
	Model artifact.Ref
	// Variant defaults to DefaultVariant.
	Variant string
	// InstanceCount defaults to 1. Weight defaults to 1 for a new variant
	// and keeps its value for an existing one.
	InstanceCount int
	Weight        float64
	// DataCapture, when non-nil, replaces the endpoint's capture config.
	DataCapture *DataCapture
}

// what names what req deploys, for messages.
func (req DeployRequest) what() string {
	if req.Package == (PackageRef{}) && req.Model != "" {
		return "model " + string(req.Model)
	}
	return req.Package.String()
}

// Deploy creates the endpoint, or updates its variant to the version,
// idempotently: when the endpoint already serves exactly this config,
// nothing changes and changed is false. A Rejected version is refused
// (ErrRejected). When CheckModel is set, the model must load first; a
// model that does not load leaves the endpoint as it was (a new endpoint
// is recorded as Failed) and is returned as an error. When a concurrent
// write moves the endpoint's config version between the read and the
// write, Deploy re-reads the endpoint and re-applies its change, up to
// deployAttempts times, before returning the ErrConflict.
func (r *Registry) Deploy(ctx context.Context, req DeployRequest) (ep Endpoint, changed bool, err error) {
	if err := ValidateName("endpoint", req.Endpoint); err != nil {
		return Endpoint{}, false, err
	}
	if req.Variant == "" {
		req.Variant = DefaultVariant
	}
	if err := ValidateName("variant", req.Variant); err != nil {
		return Endpoint{}, false, err
	}
	if req.InstanceCount == 0 {
		req.InstanceCount = 1
	}
	if req.InstanceCount < 0 {
		return Endpoint{}, false, fmt.Errorf("instance count %d: want >= 1: %w", req.InstanceCount, ErrInvalid)
	}
	if req.Weight < 0 || math.IsNaN(req.Weight) || math.IsInf(req.Weight, 0) {
		return Endpoint{}, false, fmt.Errorf("variant weight %v: want a finite number >= 0: %w", req.Weight, ErrInvalid)
	}
	if dc := req.DataCapture; dc != nil {
		if err := dc.validate(); err != nil {
			return Endpoint{}, false, err
		}
	}
	var v Version
	if req.Package == (PackageRef{}) && req.Model != "" {
		if err := req.Model.Validate(); err != nil {
			return Endpoint{}, false, fmt.Errorf("deploying to %q: model: %w: %w", req.Endpoint, err, ErrInvalid)
		}
		v = Version{Model: req.Model}
	} else if v, err = r.Version(ctx, req.Package); err != nil {
		return Endpoint{}, false, fmt.Errorf("deploying to %q: %w", req.Endpoint, err)
	}
	if v.Status == Rejected {
		return Endpoint{}, false, fmt.Errorf("deploying %s to %q: %w", req.Package, req.Endpoint, ErrRejected)
	}
	// A concurrent write (another deploy, a weight change) may bump the
	// config version between our read and our write: re-read and re-apply
	// the change a bounded number of times.
	checked := false
	for attempt := 1; ; attempt++ {
		ep, changed, err = r.deployOnce(ctx, req, v, &checked)
		if err == nil || !errors.Is(err, errStaleConfig) || attempt >= deployAttempts || ctx.Err() != nil {
			return ep, changed, err
		}
		r.logger.DebugContext(ctx, "endpoint config changed concurrently; re-applying", "endpoint", req.Endpoint, "attempt", attempt)
	}
}

// deployAttempts bounds Deploy's re-reads after a config version conflict.
const deployAttempts = 5

// errStaleConfig marks a PutEndpointConfig conflict: the config version
// moved since it was read.
var errStaleConfig = errors.New("endpoint config changed concurrently")

type staleError struct{ err error }

func (e staleError) Error() string   { return e.err.Error() }
func (e staleError) Unwrap() []error { return []error{e.err, errStaleConfig} }

// deployOnce reads the endpoint and applies req to it once. checked
// records that the model check passed, so a retry does not load it again.
func (r *Registry) deployOnce(ctx context.Context, req DeployRequest, v Version, checked *bool) (Endpoint, bool, error) {
	cur, err := r.store.Endpoint(ctx, req.Endpoint)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Endpoint{}, false, fmt.Errorf("deploying to %q: %w", req.Endpoint, err)
	}
	cfg := EndpointConfig{}
	if exists {
		cfg = cloneConfig(cur.Config)
	}
	nv := Variant{Name: req.Variant, Group: v.Group, Version: v.Version, Model: v.Model, Weight: 1, InstanceCount: req.InstanceCount}
	i := slices.IndexFunc(cfg.Variants, func(x Variant) bool { return x.Name == req.Variant })
	switch {
	case req.Weight > 0:
		nv.Weight = req.Weight
	case i >= 0:
		nv.Weight = cfg.Variants[i].Weight
	}
	if i >= 0 {
		cfg.Variants[i] = nv
	} else {
		cfg.Variants = append(cfg.Variants, nv)
	}
	if err := cfg.Validate(); err != nil {
		return Endpoint{}, false, fmt.Errorf("deploying %s to %q: %w", req.what(), req.Endpoint, err)
	}
	if req.DataCapture != nil {
		cfg.DataCapture = *req.DataCapture
	}
	if exists && cur.Status != EndpointFailed && reflect.DeepEqual(cfg, cur.Config) {
		return cur, false, nil
	}
	prev, status := 0, EndpointCreating
	if exists {
		prev, status = cur.ConfigVersion, EndpointUpdating
	}
	if r.CheckModel != nil {
		if !*checked {
			if cerr := r.CheckModel(ctx, v.Model); cerr != nil {
				if !exists {
					failed, err := r.store.PutEndpointConfig(ctx, req.Endpoint, 0, cfg, EndpointFailed)
					if err != nil {
						return Endpoint{}, false, fmt.Errorf("deploying %s to %q: %w", req.what(), req.Endpoint, err)
					}
					// Config versions continue after a delete: record the
					// reason on the version just stored, not on 1.
					_ = r.setFailed(ctx, req.Endpoint, failed.ConfigVersion, cerr)
				} else {
					_ = r.store.SetEndpointStatus(ctx, req.Endpoint, cur.ConfigVersion, cur.Status, "update to "+req.what()+" failed: "+cerr.Error())
				}
				return Endpoint{}, false, fmt.Errorf("deploying %s to %q: loading the model: %w", req.what(), req.Endpoint, cerr)
			}
			*checked = true
		}
		status = EndpointInService
	}
	ep, err := r.store.PutEndpointConfig(ctx, req.Endpoint, prev, cfg, status)
	if err != nil {
		if errors.Is(err, ErrConflict) {
			err = staleError{err}
		}
		return Endpoint{}, false, fmt.Errorf("deploying %s to %q: %w", req.what(), req.Endpoint, err)
	}
	r.logger.InfoContext(ctx, "endpoint configured", "endpoint", ep.Name, "config_version", ep.ConfigVersion, "group", v.Group, "model_version", v.Version)
	return ep, true, nil
}

func (r *Registry) setFailed(ctx context.Context, name string, version int, cause error) error {
	return r.store.SetEndpointStatus(ctx, name, version, EndpointFailed, cause.Error())
}

// SetVariantWeights changes the variants' weights in place (SageMaker's
// UpdateEndpointWeightsAndCapacities) as a new config version.
func (r *Registry) SetVariantWeights(ctx context.Context, endpoint string, weights map[string]float64) (Endpoint, error) {
	cur, err := r.Endpoint(ctx, endpoint)
	if err != nil {
		return Endpoint{}, err
	}
	cfg := cloneConfig(cur.Config)
	for name, w := range weights {
		i := slices.IndexFunc(cfg.Variants, func(x Variant) bool { return x.Name == name })
		if i < 0 {
			return Endpoint{}, fmt.Errorf("endpoint %q has no variant %q: %w", endpoint, name, ErrNotFound)
		}
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return Endpoint{}, fmt.Errorf("variant %q weight %v: want a finite number >= 0: %w", name, w, ErrInvalid)
		}
		cfg.Variants[i].Weight = w
	}
	if err := cfg.Validate(); err != nil {
		return Endpoint{}, fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	ep, err := r.store.PutEndpointConfig(ctx, endpoint, cur.ConfigVersion, cfg, cur.Status)
	if err != nil {
		return Endpoint{}, fmt.Errorf("updating the weights of %q: %w", endpoint, err)
	}
	return ep, nil
}

// Endpoint returns an endpoint.
func (r *Registry) Endpoint(ctx context.Context, name string) (Endpoint, error) {
	ep, err := r.store.Endpoint(ctx, name)
	if err != nil {
		return Endpoint{}, fmt.Errorf("endpoint %q: %w", name, err)
	}
	return ep, nil
}

// Endpoints returns every endpoint.
func (r *Registry) Endpoints(ctx context.Context) ([]Endpoint, error) { return r.store.Endpoints(ctx) }

// DeleteEndpoint deletes an endpoint.
func (r *Registry) DeleteEndpoint(ctx context.Context, name string) error {
	if err := r.store.DeleteEndpoint(ctx, name); err != nil {
		return fmt.Errorf("endpoint %q: %w", name, err)
	}
	return nil
}

// SetEndpointStatus records the outcome of loading an endpoint's config
// version (used by servers).
func (r *Registry) SetEndpointStatus(ctx context.Context, name string, configVersion int, status EndpointStatus, reason string) error {
	if err := r.store.SetEndpointStatus(ctx, name, configVersion, status, reason); err != nil {
		return fmt.Errorf("setting the status of endpoint %q: %w", name, err)
	}
	return nil
}

// Validate checks a config: at least one variant, unique names, weights
// >= 0 with a positive sum, instance counts >= 1, capture settings.
func (c EndpointConfig) Validate() error {
	if len(c.Variants) == 0 {
		return fmt.Errorf("endpoint config has no variant: %w", ErrInvalid)
	}
	seen := map[string]bool{}
	sum := 0.0
	for _, v := range c.Variants {
		if err := ValidateName("variant", v.Name); err != nil {
			return err
		}
		if seen[v.Name] {
			return fmt.Errorf("variant %q appears twice: %w", v.Name, ErrInvalid)
		}
		seen[v.Name] = true
		if err := v.Model.Validate(); err != nil {
			return fmt.Errorf("variant %q: %w: %w", v.Name, err, ErrInvalid)
		}
		if v.Weight < 0 || math.IsNaN(v.Weight) || math.IsInf(v.Weight, 0) {
			return fmt.Errorf("variant %q weight %v: want a finite number >= 0: %w", v.Name, v.Weight, ErrInvalid)
		}
		if v.InstanceCount < 1 {
			return fmt.Errorf("variant %q instance count %d: want >= 1: %w", v.Name, v.InstanceCount, ErrInvalid)
		}
		sum += v.Weight
	}
	if sum <= 0 {
		return fmt.Errorf("variant weights sum to 0: %w", ErrInvalid)
	}
	return c.DataCapture.validate()
}

func (d DataCapture) validate() error {
	if d.SamplingPercentage < 0 || d.SamplingPercentage > 100 || math.IsNaN(d.SamplingPercentage) {
		return fmt.Errorf("data capture sampling percentage %v: want 0..100: %w", d.SamplingPercentage, ErrInvalid)
	}
	if d.Enabled && d.Destination == "" {
		return fmt.Errorf("data capture is enabled without a destination directory: %w", ErrInvalid)
	}
	return nil
}

func cloneConfig(c EndpointConfig) EndpointConfig {
	c.Variants = slices.Clone(c.Variants)
	return c
}
