package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
)

// Groups lists the model groups.
func (a *App) Groups(ctx context.Context) ([]registry.Group, error) {
	return a.cfg.Registry.Groups(ctx)
}

// GroupDetail is a model group with its versions, in order.
type GroupDetail struct {
	Group    registry.Group     `json:"group"`
	Versions []registry.Version `json:"versions"`
}

// Group returns a group and its versions.
func (a *App) Group(ctx context.Context, name string) (GroupDetail, error) {
	g, err := a.cfg.Registry.Group(ctx, name)
	if err != nil {
		return GroupDetail{}, err
	}
	vs, err := a.cfg.Registry.Versions(ctx, g.Name)
	if err != nil {
		return GroupDetail{}, err
	}
	if vs == nil {
		vs = []registry.Version{}
	}
	return GroupDetail{Group: g, Versions: vs}, nil
}

// Versions lists a group's versions.
func (a *App) Versions(ctx context.Context, group string) ([]registry.Version, error) {
	return a.cfg.Registry.Versions(ctx, group)
}

// Version returns one model version.
func (a *App) Version(ctx context.Context, ref registry.PackageRef) (registry.Version, error) {
	return a.cfg.Registry.Version(ctx, ref)
}

// SetGroupEndpoint sets (or, with "", clears) the endpoint a group's
// approved versions deploy to.
func (a *App) SetGroupEndpoint(ctx context.Context, group, endpoint string) error {
	return a.cfg.Registry.SetGroupEndpoint(ctx, group, endpoint)
}

// ApprovalRequest approves or rejects a model version.
type ApprovalRequest struct {
	Ref    registry.PackageRef
	Status registry.ApprovalStatus
	// By is who decides: the principal's name behind an API request.
	By string
	// Reason says why; it is required.
	Reason string
}

// ApprovalResult is a version after an approval decision, and the
// endpoint it was deployed to (auto-deploy), if any.
type ApprovalResult struct {
	Version    registry.Version `json:"version"`
	DeployedTo string           `json:"deployed_to,omitempty"`
	// Unchanged is true when the version already had the status: nothing
	// was recorded (approving twice is idempotent).
	Unchanged bool `json:"unchanged,omitempty"`
}

// SetApproval records an approval decision. When the version becomes
// Approved in a group with an auto-deploy endpoint, the endpoint is
// updated; a failing deploy is returned as an error after the decision is
// recorded (the result then holds the version).
func (a *App) SetApproval(ctx context.Context, req ApprovalRequest) (ApprovalResult, error) {
	if req.Status != registry.Approved && req.Status != registry.Rejected {
		return ApprovalResult{}, fmt.Errorf("approval decision %q: want %s or %s: %w", req.Status, registry.Approved, registry.Rejected, ErrInvalid)
	}
	if strings.TrimSpace(req.Reason) == "" {
		return ApprovalResult{}, fmt.Errorf("a reason is required: say why: %w", ErrInvalid)
	}
	if cur, err := a.cfg.Registry.Version(ctx, req.Ref); err == nil && cur.Status == req.Status {
		return ApprovalResult{Version: cur, Unchanged: true}, nil
	}
	v, err := a.cfg.Registry.SetApproval(ctx, req.Ref, req.Status, req.By, req.Reason)
	res := ApprovalResult{Version: v}
	if err != nil {
		return res, err
	}
	if req.Status == registry.Approved {
		if g, err := a.cfg.Registry.Group(ctx, req.Ref.Group); err == nil && g.Endpoint != "" {
			res.DeployedTo = g.Endpoint
		}
	}
	return res, nil
}

// Lineage is where a model version came from: the registry's lineage
// record and, when the execution is in this home, that execution.
type Lineage struct {
	registry.Lineage
	Execution *Execution `json:"execution,omitempty"`
}

// Lineage returns a version's lineage.
func (a *App) Lineage(ctx context.Context, ref registry.PackageRef) (Lineage, error) {
	v, err := a.cfg.Registry.Version(ctx, ref)
	if err != nil {
		return Lineage{}, err
	}
	l := Lineage{Lineage: v.Lineage}
	if v.Lineage.ExecutionID != "" {
		if ex, err := a.Execution(ctx, v.Lineage.ExecutionID); err == nil {
			l.Execution = &ex
		}
	}
	return l, nil
}

// EventPage is a page of registry events, oldest first.
type EventPage struct {
	Events []registry.Event `json:"events"`
	// NextSince continues the listing (pass it as since); it is the last
	// event's ID, or the since given when there was none.
	NextSince int64 `json:"next_since"`
}

// Events returns up to limit registry events after since (0: DefaultPageSize).
func (a *App) Events(ctx context.Context, since int64, limit int) (EventPage, error) {
	limit, _, err := pageLimit(limit, "")
	if err != nil {
		return EventPage{}, err
	}
	if since < 0 {
		return EventPage{}, fmt.Errorf("since %d: want >= 0: %w", since, ErrInvalid)
	}
	evs, err := a.cfg.Registry.Store().Events(ctx, since, limit)
	if err != nil {
		return EventPage{}, err
	}
	page := EventPage{Events: evs, NextSince: since}
	if page.Events == nil {
		page.Events = []registry.Event{}
	}
	if n := len(evs); n > 0 {
		page.NextSince = evs[n-1].ID
	}
	return page, nil
}

// MetricValue is one model metric of a version: the artifact that holds
// it and the JSON documents inside (file path to content).
type MetricValue struct {
	Artifact artifact.Ref               `json:"artifact"`
	Files    map[string]json.RawMessage `json:"files"`
}

// maxMetricFile bounds the size of a metric document returned inline.
const maxMetricFile = 4 << 20

// MetricValues returns the values of a version's model metrics: for each
// metric, the JSON files of its artifact (analysis.json, evaluation.json,
// constraints, ...), parsed. Larger files and other formats are left to
// the artifact download.
func (a *App) MetricValues(ctx context.Context, ref registry.PackageRef) (map[string]MetricValue, error) {
	v, err := a.cfg.Registry.Version(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := make(map[string]MetricValue, len(v.Metrics))
	for name, r := range v.Metrics {
		mv := MetricValue{Artifact: r, Files: map[string]json.RawMessage{}}
		dir, err := a.cfg.Artifacts.Path(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("metric %q: %w", name, err)
		}
		files, err := jsonFiles(dir)
		if err != nil {
			return nil, fmt.Errorf("metric %q: %w", name, err)
		}
		for _, f := range files {
			raw, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil || !json.Valid(raw) {
				continue
			}
			mv.Files[filepath.ToSlash(f)] = raw
		}
		out[name] = mv
	}
	return out, nil
}

func jsonFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || filepath.Ext(p) != ".json" {
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > maxMetricFile {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out, err
}

// RegisterRequest registers a local model directory as a new version.
type RegisterRequest struct {
	Group       string
	ModelDir    string
	Status      registry.ApprovalStatus
	Description string
	By          string
}

// Register checks that a model directory loads, stores it and registers
// it as the group's next version.
func (a *App) Register(ctx context.Context, req RegisterRequest) (registry.Version, error) {
	if req.Status == "" {
		req.Status = registry.PendingManualApproval
	}
	if !req.Status.Valid() {
		return registry.Version{}, fmt.Errorf("approval status %q: want %s, %s or %s: %w", req.Status,
			registry.PendingManualApproval, registry.Approved, registry.Rejected, ErrInvalid)
	}
	if fi, err := os.Stat(req.ModelDir); err == nil && !fi.IsDir() {
		return registry.Version{}, fmt.Errorf("%s is a file: register a model directory (%s and its model file): %w",
			req.ModelDir, model.ManifestFile, ErrInvalid)
	}
	if _, err := serving.LoadModel(req.ModelDir); err != nil {
		return registry.Version{}, err
	}
	ref, err := a.cfg.Artifacts.PutDir(ctx, req.ModelDir)
	if err != nil {
		return registry.Version{}, fmt.Errorf("storing model: %w", err)
	}
	return a.cfg.Registry.Register(ctx, registry.RegisterRequest{Group: req.Group, Model: ref,
		Description: req.Description, Status: req.Status, By: req.By})
}
