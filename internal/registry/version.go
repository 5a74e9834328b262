package registry

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
)

// RegisterRequest describes a new version.
type RegisterRequest struct {
	Group string
	// GroupDescription is used when the group is created by this call.
	GroupDescription string
	Model            artifact.Ref
	Description      string
	// Status is the initial approval status (PendingManualApproval when
	// empty).
	Status         ApprovalStatus
	By             string
	Metrics        map[string]artifact.Ref
	DriftBaselines map[string]artifact.Ref
	Inference      InferenceSpec
	Metadata       map[string]string
	Lineage        Lineage
	// Endpoint, when set, becomes the group's auto-deploy endpoint.
	Endpoint string
}

func (req RegisterRequest) validate() error {
	if err := ValidateName("model group", req.Group); err != nil {
		return err
	}
	if err := req.Model.Validate(); err != nil {
		return fmt.Errorf("model: %w: %w", err, ErrInvalid)
	}
	if req.Status != "" && !req.Status.Valid() {
		return fmt.Errorf("approval status %q: want PendingManualApproval, Approved or Rejected: %w", req.Status, ErrInvalid)
	}
	for _, m := range []struct {
		what string
		refs map[string]artifact.Ref
	}{{"model metric", req.Metrics}, {"drift-check baseline", req.DriftBaselines}} {
		for k, ref := range m.refs {
			if k == "" {
				return fmt.Errorf("%s with an empty key: %w", m.what, ErrInvalid)
			}
			if err := ref.Validate(); err != nil {
				return fmt.Errorf("%s %q: %w: %w", m.what, k, err, ErrInvalid)
			}
		}
	}
	if len(req.Metadata) > 50 {
		return fmt.Errorf("customer metadata has %d entries, at most 50: %w", len(req.Metadata), ErrInvalid)
	}
	for k := range req.Metadata {
		if k == "" {
			return fmt.Errorf("customer metadata with an empty key: %w", ErrInvalid)
		}
	}
	if req.Endpoint != "" {
		if err := ValidateName("endpoint", req.Endpoint); err != nil {
			return err
		}
	}
	return nil
}

// Register adds a version to a group, creating the group when needed. The
// version number is the group's next one. Registering a version as
// Approved into a group with an auto-deploy endpoint deploys it.
func (r *Registry) Register(ctx context.Context, req RegisterRequest) (Version, error) {
	if err := req.validate(); err != nil {
		return Version{}, fmt.Errorf("registering a version of %q: %w", req.Group, err)
	}
	t := r.Now().UTC()
	g, err := r.store.Group(ctx, req.Group)
	if errors.Is(err, ErrNotFound) {
		g, err = r.store.EnsureGroup(ctx, Group{Name: req.Group, Description: req.GroupDescription, CreatedAt: t})
	}
	if err != nil {
		return Version{}, fmt.Errorf("registering a version of %q: %w", req.Group, err)
	}
	if req.Endpoint != "" && g.Endpoint != req.Endpoint {
		if err := r.store.SetGroupEndpoint(ctx, req.Group, req.Endpoint); err != nil {
			return Version{}, fmt.Errorf("registering a version of %q: %w", req.Group, err)
		}
		g.Endpoint = req.Endpoint
	}
	status := req.Status
	if status == "" {
		status = PendingManualApproval
	}
	by := req.By
	if by == "" {
		by = "ferry"
	}
	v := Version{
		Group:          req.Group,
		Model:          req.Model,
		Description:    req.Description,
		Status:         status,
		History:        []Approval{{Status: status, By: by, Reason: "registered", At: t}},
		Metrics:        maps.Clone(req.Metrics),
		DriftBaselines: maps.Clone(req.DriftBaselines),
		Inference:      req.Inference,
		Metadata:       maps.Clone(req.Metadata),
		Lineage:        req.Lineage,
		CreatedAt:      t,
		UpdatedAt:      t,
	}
	v, err = r.store.CreateVersion(ctx, v)
	if err != nil {
		return Version{}, fmt.Errorf("registering a version of %q: %w", req.Group, err)
	}
	r.logger.InfoContext(ctx, "registered model version", "group", v.Group, "model_version", v.Version, "approval_status", v.Status)
	if v.Status == Approved && g.Endpoint != "" {
		if err := r.autoDeploy(ctx, g.Endpoint, v); err != nil {
			return v, err
		}
	}
	return v, nil
}

// Version returns one version.
func (r *Registry) Version(ctx context.Context, ref PackageRef) (Version, error) {
	v, err := r.store.Version(ctx, ref.Group, ref.Version)
	if err != nil {
		return Version{}, fmt.Errorf("model package %s: %w", ref, err)
	}
	return v, nil
}

// Versions returns a group's versions in order.
func (r *Registry) Versions(ctx context.Context, group string) ([]Version, error) {
	if _, err := r.store.Group(ctx, group); err != nil {
		return nil, fmt.Errorf("model group %q: %w", group, err)
	}
	vs, err := r.store.Versions(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("listing versions of %q: %w", group, err)
	}
	return vs, nil
}

// Groups returns every group.
func (r *Registry) Groups(ctx context.Context) ([]Group, error) { return r.store.Groups(ctx) }

// Group returns one group.
func (r *Registry) Group(ctx context.Context, name string) (Group, error) {
	g, err := r.store.Group(ctx, name)
	if err != nil {
		return Group{}, fmt.Errorf("model group %q: %w", name, err)
	}
	return g, nil
}

// DeleteGroup deletes a group that has no versions; a group with versions
// is kept (ErrConflict): versions are never deleted, so that their audit
// history stays.
func (r *Registry) DeleteGroup(ctx context.Context, name string) error {
	if err := r.store.DeleteGroup(ctx, name); err != nil {
		return fmt.Errorf("deleting model group %q: %w", name, err)
	}
	return nil
}

// SetGroupEndpoint names the endpoint to update when a version of group is
// approved ("" turns auto-deploy off).
func (r *Registry) SetGroupEndpoint(ctx context.Context, group, endpoint string) error {
	if endpoint != "" {
		if err := ValidateName("endpoint", endpoint); err != nil {
			return err
		}
	}
	if err := r.store.SetGroupEndpoint(ctx, group, endpoint); err != nil {
		return fmt.Errorf("model group %q: %w", group, err)
	}
	return nil
}

// Approve approves a version; see SetApproval.
func (r *Registry) Approve(ctx context.Context, ref PackageRef, by, reason string) (Version, error) {
	return r.SetApproval(ctx, ref, Approved, by, reason)
}

// Reject rejects a version; see SetApproval.
func (r *Registry) Reject(ctx context.Context, ref PackageRef, by, reason string) (Version, error) {
	return r.SetApproval(ctx, ref, Rejected, by, reason)
}

// SetApproval moves a version to status, recording who and why. An
// illegal transition (see ApprovalStatus.CanBecome) is ErrConflict.
// Approving an Approved version or rejecting a Rejected one is not an
// error and changes nothing (the decision is idempotent): the version is
// returned as it is, with no new history entry, event or deployment. When
// the version becomes Approved and its group names an endpoint, the
// endpoint is updated to it; a failing deploy is returned as an error
// after the approval itself has been recorded.
func (r *Registry) SetApproval(ctx context.Context, ref PackageRef, status ApprovalStatus, by, reason string) (Version, error) {
	if !status.Valid() {
		return Version{}, fmt.Errorf("approval status %q: %w", status, ErrInvalid)
	}
	if strings.TrimSpace(by) == "" {
		return Version{}, fmt.Errorf("changing the approval of %s: who changes it is required: %w", ref, ErrInvalid)
	}
	cur, err := r.store.Version(ctx, ref.Group, ref.Version)
	if err != nil {
		return Version{}, fmt.Errorf("model package %s: %w", ref, err)
	}
	if cur.Status == status && status != PendingManualApproval {
		return cur, nil // nothing returns to pending, not even from pending
	}
	if !cur.Status.CanBecome(status) {
		return Version{}, fmt.Errorf("model package %s is %s and cannot become %s: %w", ref, cur.Status, status, ErrConflict)
	}
	v, err := r.store.UpdateApproval(ctx, ref.Group, ref.Version, cur.Status, Approval{Status: status, By: by, Reason: reason, At: r.Now().UTC()})
	if err != nil {
		return Version{}, fmt.Errorf("changing the approval of %s: %w", ref, err)
	}
	r.logger.InfoContext(ctx, "model approval changed", "group", ref.Group, "model_version", ref.Version, "approval_status", status, "by", by)
	if status != Approved {
		return v, nil
	}
	g, err := r.store.Group(ctx, ref.Group)
	if err != nil {
		return v, fmt.Errorf("model group %q: %w", ref.Group, err)
	}
	if g.Endpoint != "" {
		if err := r.autoDeploy(ctx, g.Endpoint, v); err != nil {
			return v, err
		}
	}
	return v, nil
}

// EnsureAutoDeployed re-runs the auto-deploy of version v (idempotent
// Deploy): when v is Approved and its group names an auto-deploy
// endpoint. It is for resuming a registration whose auto-deploy failed
// after the version was recorded. It does nothing when the endpoint's
// variant for the group already serves a newer version (no roll-back).
func (r *Registry) EnsureAutoDeployed(ctx context.Context, v Version) error {
	if v.Status != Approved {
		return nil
	}
	g, err := r.store.Group(ctx, v.Group)
	if err != nil {
		return fmt.Errorf("auto-deploying %s: %w", v.Ref(), err)
	}
	if g.Endpoint == "" {
		return nil
	}
	if ep, err := r.store.Endpoint(ctx, g.Endpoint); err == nil {
		for _, vr := range ep.Config.Variants {
			if vr.Group == v.Group && vr.Version > v.Version {
				return nil
			}
		}
	}
	return r.autoDeploy(ctx, g.Endpoint, v)
}

func (r *Registry) autoDeploy(ctx context.Context, endpoint string, v Version) error {
	variant := DefaultVariant
	ep, err := r.store.Endpoint(ctx, endpoint)
	switch {
	case err == nil:
		// Update the variant already serving this group, if any.
		for _, vr := range ep.Config.Variants {
			if vr.Group == v.Group {
				variant = vr.Name
				break
			}
		}
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("auto-deploying %s to %q: %w", v.Ref(), endpoint, err)
	}
	if _, _, err := r.Deploy(ctx, DeployRequest{Endpoint: endpoint, Package: v.Ref(), Variant: variant}); err != nil {
		return fmt.Errorf("auto-deploying %s to %q: %w", v.Ref(), endpoint, err)
	}
	r.logger.InfoContext(ctx, "auto-deployed approved version", "group", v.Group, "model_version", v.Version, "endpoint", endpoint)
	return nil
}

// LatestApprovedBaseline returns the drift-check baseline named key of the
// group's highest Approved version that has one (false when none has).
func (r *Registry) LatestApprovedBaseline(ctx context.Context, group, key string) (artifact.Ref, bool, error) {
	vs, err := r.store.Versions(ctx, group)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("finding baseline %q of %q: %w", key, group, err)
	}
	for _, v := range slices.Backward(vs) {
		if v.Status != Approved {
			continue
		}
		if ref, ok := v.DriftBaselines[key]; ok {
			return ref, true, nil
		}
	}
	return "", false, nil
}

// CreateModel records a named model (create_model), replacing an earlier
// one of the same name.
func (r *Registry) CreateModel(ctx context.Context, name string, ref artifact.Ref) (Model, error) {
	if err := ValidateName("model", name); err != nil {
		return Model{}, err
	}
	if err := ref.Validate(); err != nil {
		return Model{}, fmt.Errorf("model %q: %w: %w", name, err, ErrInvalid)
	}
	m := Model{Name: name, Artifact: ref, CreatedAt: r.Now().UTC()}
	if err := r.store.PutModel(ctx, m); err != nil {
		return Model{}, fmt.Errorf("creating model %q: %w", name, err)
	}
	return m, nil
}

// Model returns a named model.
func (r *Registry) Model(ctx context.Context, name string) (Model, error) {
	m, err := r.store.Model(ctx, name)
	if err != nil {
		return Model{}, fmt.Errorf("model %q: %w", name, err)
	}
	return m, nil
}

// Events returns every event with an ID greater than since, oldest first.
func (r *Registry) Events(ctx context.Context, since int64) ([]Event, error) {
	return r.store.Events(ctx, since, 0)
}
