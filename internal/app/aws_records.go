package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
)

// Records of the AWS-compatible front end that Ferry's own model has no
// place for: SageMaker models (a name for a model package), endpoint
// configs (variants naming models) and which config an endpoint got. Each kind is a
// directory of JSON files under FERRY_HOME/aws/KIND, written atomically.

// SageMakerModel is a model created by CreateModel: a name for a
// registered model package (group/version) or a model.tar.gz URI.
type SageMakerModel struct {
	Name         string            `json:"name"`
	Package      string            `json:"package,omitempty"` // group/version
	Image        string            `json:"image,omitempty"`
	ModelDataURL string            `json:"model_data_url,omitempty"`
	Environment  map[string]string `json:"environment,omitempty"`
	RoleARN      string            `json:"role_arn,omitempty"`
	// Artifact is the stored model of an Image + ModelDataUrl model
	// (model.tar.gz and its manifest), served when no Package is named.
	Artifact  artifact.Ref `json:"artifact,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
}

// SageMakerObjects turns what the SageMaker API names into artifacts.
// cmd/ferry implements it over the object namespace and the SageMaker
// job runtimes.
type SageMakerObjects interface {
	// StoreModel stores the model of a container (an image and a
	// model.tar.gz at modelDataURL, s3:// in the object namespace) as a
	// model artifact the serving layer loads, as SageMaker's container
	// for the image would.
	StoreModel(ctx context.Context, image, modelDataURL string, env map[string]string) (artifact.Ref, error)
	// Import imports the object (or prefix) at an s3:// URI as an
	// artifact.
	Import(ctx context.Context, uri string) (artifact.Ref, error)
	// Container returns the image and model data URL a stored SageMaker
	// model artifact was made from; ok is false for any other model.
	Container(ctx context.Context, model artifact.Ref) (image, modelDataURL string, ok bool)
}

// PackageContainer returns the image and model data URL of a version
// registered from a SageMaker model (a RegisterModel step or
// CreateModelPackage); ok is false for Ferry's own models.
func (a *App) PackageContainer(ctx context.Context, v registry.Version) (image, modelDataURL string, ok bool) {
	if a.cfg.SageMaker == nil {
		return "", "", false
	}
	return a.cfg.SageMaker.Container(ctx, v.Model)
}

// ConfigVariant is one production variant of an endpoint config.
type ConfigVariant struct {
	Name          string  `json:"name"`
	Model         string  `json:"model"`
	InstanceCount int     `json:"instance_count"`
	Weight        float64 `json:"weight"`
	InstanceType  string  `json:"instance_type,omitempty"`
}

// SageMakerEndpointConfig is an endpoint config created by
// CreateEndpointConfig.
type SageMakerEndpointConfig struct {
	Name      string          `json:"name"`
	Variants  []ConfigVariant `json:"variants"`
	CreatedAt time.Time       `json:"created_at"`
}

// awsNameRE is the name pattern SageMaker models and configs share
// (with '_').
var awsNameRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9_-]){0,127}$`)

func (a *App) recordPath(kind, name string) (string, error) {
	if !awsNameRE.MatchString(name) {
		return "", fmt.Errorf("%s name %q: want 1 to 128 letters, digits, '-' and '_', starting with a letter or digit: %w", kind, quote(name), ErrInvalid)
	}
	return filepath.Join(a.cfg.Home, "aws", kind, name+".json"), nil
}

// putRecord stores v as the record kind/name; create refuses an existing
// one (ErrConflict).
func (a *App) putRecord(kind, name string, v any, create bool) error {
	path, err := a.recordPath(kind, name)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := os.Stat(path); err == nil && create {
		return fmt.Errorf("%s %s already exists: %w", kind, name, ErrConflict)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("storing %s %s: %w", kind, name, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("storing %s %s: %w", kind, name, err)
	}
	if err := os.WriteFile(path+".tmp", b, 0o644); err != nil {
		return fmt.Errorf("storing %s %s: %w", kind, name, err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("storing %s %s: %w", kind, name, err)
	}
	return nil
}

func (a *App) getRecord(kind, name string, v any) error {
	path, err := a.recordPath(kind, name)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s does not exist: %w", kind, name, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("reading %s %s: %w", kind, name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("reading %s %s: %w", kind, name, err)
	}
	return nil
}

func (a *App) deleteRecord(kind, name string) error {
	path, err := a.recordPath(kind, name)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := os.Remove(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s does not exist: %w", kind, name, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("deleting %s %s: %w", kind, name, err)
	}
	return nil
}

func listRecords[T any](a *App, kind string) ([]T, error) {
	dir := filepath.Join(a.cfg.Home, "aws", kind)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", kind, err)
	}
	var out []T
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		var v T
		if err := a.getRecord(kind, name, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// CreateSageMakerModel records a model (ErrConflict when the name is
// taken). A model that names no package has its ModelDataUrl's
// model.tar.gz stored as a model artifact now, so that a missing or
// unreadable archive is refused here, as SageMaker's CreateModel refuses
// it, and endpoints serve what was stored.
func (a *App) CreateSageMakerModel(ctx context.Context, m SageMakerModel) (SageMakerModel, error) {
	if _, err := a.recordPath("models", m.Name); err != nil {
		return m, err
	}
	if _, err := a.SageMakerModel(ctx, m.Name); err == nil {
		return m, fmt.Errorf("models %s already exists: %w", m.Name, ErrConflict)
	}
	if m.Package == "" {
		if m.ModelDataURL == "" {
			return m, fmt.Errorf("model %s: PrimaryContainer.ModelDataUrl: required when no ModelPackageName is given (Ferry serves a model.tar.gz): %w", m.Name, ErrInvalid)
		}
		if a.cfg.SageMaker == nil {
			return m, fmt.Errorf("model %s: models from a ModelDataUrl are not served here (no object namespace): %w", m.Name, ErrInvalid)
		}
		ref, err := a.cfg.SageMaker.StoreModel(ctx, m.Image, m.ModelDataURL, m.Environment)
		if err != nil {
			return m, fmt.Errorf("model %s: PrimaryContainer: %w: %w", m.Name, err, ErrInvalid)
		}
		m.Artifact = ref
	}
	m.CreatedAt = a.cfg.Now().UTC()
	return m, a.putRecord("models", m.Name, m, true)
}

// SageMakerModel returns a model (ErrNotFound).
func (a *App) SageMakerModel(_ context.Context, name string) (SageMakerModel, error) {
	var m SageMakerModel
	return m, a.getRecord("models", name, &m)
}

// SageMakerModels lists the models by name.
func (a *App) SageMakerModels(_ context.Context) ([]SageMakerModel, error) {
	return listRecords[SageMakerModel](a, "models")
}

// DeleteSageMakerModel deletes a model record (ErrNotFound).
func (a *App) DeleteSageMakerModel(_ context.Context, name string) error {
	return a.deleteRecord("models", name)
}

// CreateEndpointConfig records an endpoint config whose variants name
// existing models (ErrConflict when the name is taken).
func (a *App) CreateEndpointConfig(ctx context.Context, c SageMakerEndpointConfig) (SageMakerEndpointConfig, error) {
	if len(c.Variants) == 0 {
		return c, fmt.Errorf("endpoint config %s has no variants: %w", c.Name, ErrInvalid)
	}
	for i, v := range c.Variants {
		if slices.ContainsFunc(c.Variants[:i], func(o ConfigVariant) bool { return o.Name == v.Name }) {
			return c, fmt.Errorf("endpoint config %s: variant %s appears twice: %w", c.Name, v.Name, ErrInvalid)
		}
		if _, err := a.SageMakerModel(ctx, v.Model); err != nil {
			return c, fmt.Errorf("endpoint config %s variant %s: %w", c.Name, v.Name, err)
		}
	}
	c.CreatedAt = a.cfg.Now().UTC()
	return c, a.putRecord("endpoint-configs", c.Name, c, true)
}

// EndpointConfig returns an endpoint config (ErrNotFound).
func (a *App) EndpointConfig(_ context.Context, name string) (SageMakerEndpointConfig, error) {
	var c SageMakerEndpointConfig
	return c, a.getRecord("endpoint-configs", name, &c)
}

// DeleteEndpointConfig deletes an endpoint config (ErrNotFound).
func (a *App) DeleteEndpointConfig(_ context.Context, name string) error {
	return a.deleteRecord("endpoint-configs", name)
}

// EndpointConfigOf returns the name of the endpoint config an endpoint
// was last created or updated with through the SageMaker API ("" when
// none was).
func (a *App) EndpointConfigOf(_ context.Context, endpoint string) string {
	var b struct {
		Config string `json:"config"`
	}
	if err := a.getRecord("endpoint-bindings", endpoint, &b); err != nil {
		return ""
	}
	return b.Config
}

// DeployEndpointConfig makes the endpoint serve the config's variants:
// each variant's model (a registered model package, or the model artifact
// stored from a ModelDataUrl) is deployed with the variant's weight and
// instance count through the registry (as `ferry endpoints deploy` does),
// so the same serving layer serves it; the endpoint's other variants get
// weight 0. create refuses an existing endpoint, update a missing one.
func (a *App) DeployEndpointConfig(ctx context.Context, endpoint, config string, create bool) error {
	c, err := a.EndpointConfig(ctx, config)
	if err != nil {
		return err
	}
	_, eerr := a.Endpoint(ctx, endpoint)
	switch {
	case eerr == nil && create:
		return fmt.Errorf("endpoint %s already exists: %w", endpoint, ErrConflict)
	case eerr != nil && !create:
		return eerr
	}
	for _, v := range c.Variants {
		m, err := a.SageMakerModel(ctx, v.Model)
		if err != nil {
			return fmt.Errorf("variant %s: %w", v.Name, err)
		}
		var req registry.DeployRequest
		switch {
		case m.Package != "":
			ref, err := parsePackageRef(m.Package)
			if err != nil {
				return err
			}
			req = deployRequest(endpoint, ref, v)
		case m.Artifact != "":
			req = deployRequest(endpoint, registry.PackageRef{}, v)
			req.Model = m.Artifact
		default:
			return fmt.Errorf("variant %s: model %s names neither a model package nor a stored model.tar.gz: %w", v.Name, m.Name, ErrInvalid)
		}
		if _, err := a.Deploy(ctx, req); err != nil {
			return fmt.Errorf("variant %s: %w", v.Name, err)
		}
	}
	ep, err := a.Endpoint(ctx, endpoint)
	if err != nil {
		return err
	}
	weights := map[string]float64{}
	for _, v := range ep.Config.Variants {
		if !slices.ContainsFunc(c.Variants, func(cv ConfigVariant) bool { return cv.Name == v.Name }) && v.Weight != 0 {
			weights[v.Name] = 0
		}
	}
	if len(weights) > 0 {
		if _, err := a.SetWeights(ctx, endpoint, weights); err != nil {
			return err
		}
	}
	return a.putRecord("endpoint-bindings", endpoint, map[string]string{"config": config}, false)
}

func parsePackageRef(s string) (registry.PackageRef, error) {
	ref, err := registry.ParsePackageRef(s)
	if err != nil {
		return ref, fmt.Errorf("%w: %w", err, ErrInvalid)
	}
	return ref, nil
}

func deployRequest(endpoint string, ref registry.PackageRef, v ConfigVariant) registry.DeployRequest {
	n := v.InstanceCount
	if n < 1 {
		n = 1
	}
	return registry.DeployRequest{Endpoint: endpoint, Package: ref, Variant: v.Name, InstanceCount: n, Weight: v.Weight}
}

// CreateGroup creates an empty model group, as SageMaker's
// CreateModelPackageGroup does (ErrConflict when it exists); its versions
// come from registrations.
func (a *App) CreateGroup(ctx context.Context, name, description string) (registry.Group, error) {
	if err := registry.ValidateName("model group", name); err != nil {
		return registry.Group{}, fmt.Errorf("%w: %w", err, ErrInvalid)
	}
	if _, err := a.cfg.Registry.Group(ctx, name); err == nil {
		return registry.Group{}, fmt.Errorf("model group %s already exists: %w", name, ErrConflict)
	}
	return a.cfg.Registry.Store().EnsureGroup(ctx, registry.Group{Name: name, Description: description, CreatedAt: a.cfg.Now().UTC()})
}

// PackageRequest is a CreateModelPackage request: a new version of an
// existing group from an inference container, with metrics and drift
// baselines given as s3:// URIs under the registry's keys
// (bias_post_training, explainability_constraints, ...).
type PackageRequest struct {
	Group         string
	Description   string
	Status        registry.ApprovalStatus
	Image         string
	ModelDataURL  string
	Environment   map[string]string
	ContentTypes  []string
	ResponseTypes []string
	// Metrics and DriftBaselines map the registry's keys to s3:// URIs.
	Metrics        map[string]string
	DriftBaselines map[string]string
	Metadata       map[string]string
	// By is who registers: the principal behind the request.
	By string
}

// CreateModelPackage registers the next version of an existing group (as
// the registry does for `ferry models register` and pipeline steps: same
// numbering, same audit history; an Approved version in a group with an
// auto-deploy endpoint is deployed). The group must exist (ErrNotFound).
func (a *App) CreateModelPackage(ctx context.Context, req PackageRequest) (registry.Version, error) {
	if _, err := a.cfg.Registry.Group(ctx, req.Group); err != nil {
		return registry.Version{}, err
	}
	if req.Status == "" {
		req.Status = registry.PendingManualApproval
	}
	if !req.Status.Valid() {
		return registry.Version{}, fmt.Errorf("ModelApprovalStatus %q: want %s, %s or %s: %w", req.Status,
			registry.PendingManualApproval, registry.Approved, registry.Rejected, ErrInvalid)
	}
	if a.cfg.SageMaker == nil {
		return registry.Version{}, fmt.Errorf("model packages from a ModelDataUrl are not served here (no object namespace): %w", ErrInvalid)
	}
	if req.ModelDataURL == "" {
		return registry.Version{}, fmt.Errorf("InferenceSpecification.Containers[0].ModelDataUrl: required (Ferry registers a model.tar.gz): %w", ErrInvalid)
	}
	model, err := a.cfg.SageMaker.StoreModel(ctx, req.Image, req.ModelDataURL, req.Environment)
	if err != nil {
		return registry.Version{}, fmt.Errorf("InferenceSpecification.Containers[0]: %w: %w", err, ErrInvalid)
	}
	imp := func(what string, uris map[string]string) (map[string]artifact.Ref, error) {
		out := map[string]artifact.Ref{}
		for _, k := range slices.Sorted(maps.Keys(uris)) {
			if strings.TrimSpace(uris[k]) == "" {
				continue // a skipped check leaves its URI empty
			}
			ref, err := a.cfg.SageMaker.Import(ctx, uris[k])
			if err != nil {
				return nil, fmt.Errorf("%s %s (%s): %w: %w", what, k, uris[k], err, ErrInvalid)
			}
			out[k] = ref
		}
		return out, nil
	}
	metrics, err := imp("ModelMetrics", req.Metrics)
	if err != nil {
		return registry.Version{}, err
	}
	drift, err := imp("DriftCheckBaselines", req.DriftBaselines)
	if err != nil {
		return registry.Version{}, err
	}
	return a.cfg.Registry.Register(ctx, registry.RegisterRequest{
		Group: req.Group, Model: model, Description: req.Description, Status: req.Status, By: req.By,
		Metrics: metrics, DriftBaselines: drift, Metadata: req.Metadata,
		Inference: registry.InferenceSpec{ContentTypes: req.ContentTypes, ResponseTypes: req.ResponseTypes},
		Lineage:   registry.Lineage{Inputs: map[string]artifact.Ref{"model": model}},
	})
}

// DeleteGroup deletes a model group that has no versions; a group with
// versions is kept (registry.ErrConflict), since versions are never
// deleted (their approval history is the audit trail).
func (a *App) DeleteGroup(ctx context.Context, name string) error {
	return a.cfg.Registry.DeleteGroup(ctx, name)
}
