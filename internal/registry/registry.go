// Package registry is Ferry's model registry and endpoint catalogue: model
// groups, numbered versions with approval status and its history, metrics
// and drift-check baselines as artifact references, lineage, named models,
// endpoints with versioned configurations, and an event for every change.
//
// The package holds the domain rules (legal approval transitions, deploy
// idempotence, auto-deploy on approval); persistence is behind the [Store]
// interface, implemented by internal/sqlite.
package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
)

// Sentinel errors. Store implementations translate driver errors into these.
var (
	// ErrNotFound is returned when a group, version, model or endpoint does
	// not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a change contradicts the current state:
	// a duplicate name, an illegal approval transition, a concurrent update.
	ErrConflict = errors.New("conflict")
	// ErrInvalid is returned for malformed input (bad names, weights, ...).
	ErrInvalid = errors.New("invalid")
)

// Store persists the registry. Implementations must be safe for concurrent
// use by several goroutines and several processes, and must write the
// event of each change in the same transaction as the change.
type Store interface {
	// EnsureGroup creates the group if it does not exist (writing a
	// group.created event) and returns it.
	EnsureGroup(ctx context.Context, g Group) (Group, error)
	// Group returns a group, or ErrNotFound.
	Group(ctx context.Context, name string) (Group, error)
	// Groups returns every group, by name.
	Groups(ctx context.Context) ([]Group, error)
	// DeleteGroup deletes a group that has no versions (writing a
	// group.deleted event): ErrNotFound, or ErrConflict when it has
	// versions.
	DeleteGroup(ctx context.Context, name string) error
	// SetGroupEndpoint sets (or clears, with "") the endpoint that is
	// updated when a version of the group is approved. ErrNotFound.
	SetGroupEndpoint(ctx context.Context, group, endpoint string) error
	// CreateVersion allocates the group's next version number atomically
	// (no gap, no duplicate under concurrency), stores v with that number
	// and returns the stored version. The group must exist (ErrNotFound).
	CreateVersion(ctx context.Context, v Version) (Version, error)
	// Version returns one version, or ErrNotFound.
	Version(ctx context.Context, group string, version int) (Version, error)
	// Versions returns a group's versions in order.
	Versions(ctx context.Context, group string) ([]Version, error)
	// UpdateApproval changes a version's status from `from` to a.Status,
	// appending a to its history. ErrConflict when the current status is
	// not `from` (a concurrent change); ErrNotFound.
	UpdateApproval(ctx context.Context, group string, version int, from ApprovalStatus, a Approval) (Version, error)
	// PutModel creates or replaces a named model.
	PutModel(ctx context.Context, m Model) error
	// Model returns a named model, or ErrNotFound.
	Model(ctx context.Context, name string) (Model, error)
	// PutEndpointConfig stores cfg as the endpoint's next config version
	// (creating the endpoint when needed) with the given status, provided
	// the endpoint's current config version is still prevVersion (0 for a
	// new endpoint); otherwise ErrConflict. It returns the endpoint.
	PutEndpointConfig(ctx context.Context, name string, prevVersion int, cfg EndpointConfig, status EndpointStatus) (Endpoint, error)
	// SetEndpointStatus records the outcome of loading config version
	// configVersion; ignored (no error) when the endpoint has moved on to
	// another config. ErrNotFound.
	SetEndpointStatus(ctx context.Context, name string, configVersion int, status EndpointStatus, reason string) error
	// Endpoint returns an endpoint with its current config, or ErrNotFound.
	Endpoint(ctx context.Context, name string) (Endpoint, error)
	// Endpoints returns every endpoint, by name.
	Endpoints(ctx context.Context) ([]Endpoint, error)
	// DeleteEndpoint deletes an endpoint (its config history is kept, and a
	// re-created endpoint continues its config numbering). ErrNotFound.
	DeleteEndpoint(ctx context.Context, name string) error
	// Events returns the events with ID > since, in order, at most limit
	// (limit <= 0: all).
	Events(ctx context.Context, since int64, limit int) ([]Event, error)
}

// ModelCheckFunc verifies that a model artifact can be served (it loads).
type ModelCheckFunc func(ctx context.Context, ref artifact.Ref) error

// Registry is the registry service.
type Registry struct {
	store  Store
	logger *slog.Logger
	// CheckModel, when set, is called by Deploy before a new endpoint
	// config is stored: a model that does not load fails the deploy.
	CheckModel ModelCheckFunc
	// Now is the clock (time.Now by default).
	Now func() time.Time
}

// New returns a registry over store. A nil logger means slog.Default().
func New(store Store, logger *slog.Logger) *Registry {
	if logger == nil {
		logger = slog.Default()
	}
	return &Registry{store: store, logger: logger, Now: time.Now}
}

// Store returns the underlying store.
func (r *Registry) Store() Store { return r.store }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9](-*[A-Za-z0-9_.])*$`)

// ValidateName checks a group, model or endpoint name: letters, digits,
// '-', '_' and '.', starting with a letter or digit, at most 63 characters
// (SageMaker's limit).
func ValidateName(kind, name string) error {
	if name == "" {
		return fmt.Errorf("%s name is empty: %w", kind, ErrInvalid)
	}
	if len(name) > 63 || !nameRE.MatchString(name) {
		return fmt.Errorf("%s name %q: want at most 63 letters, digits, '-', '_' or '.', starting with a letter or digit: %w", kind, name, ErrInvalid)
	}
	return nil
}

// PackageRef names one version of a group, "group/version" (Ferry's
// ModelPackageArn).
type PackageRef struct {
	Group   string
	Version int
}

// String returns "group/version".
func (p PackageRef) String() string { return p.Group + "/" + strconv.Itoa(p.Version) }

// ParsePackageRef parses "group/version".
func ParsePackageRef(s string) (PackageRef, error) {
	g, v, ok := strings.Cut(s, "/")
	if !ok {
		return PackageRef{}, fmt.Errorf("model package %q: want GROUP/VERSION: %w", s, ErrInvalid)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return PackageRef{}, fmt.Errorf("model package %q: version must be an integer >= 1: %w", s, ErrInvalid)
	}
	if err := ValidateName("model group", g); err != nil {
		return PackageRef{}, fmt.Errorf("model package %q: %w", s, err)
	}
	return PackageRef{Group: g, Version: n}, nil
}

// IsInvalid reports whether err is a bad-input error (ErrInvalid,
// ErrNotFound or ErrConflict): one that retrying cannot fix.
func IsInvalid(err error) bool {
	return errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict)
}
