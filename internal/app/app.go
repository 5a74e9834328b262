// Package app is Ferry's application layer: the operations a user
// performs, in one place, for every front end. The CLI (cmd/ferry), the
// JSON API (internal/api) and, later, the console and the AWS-compatible
// APIs call an [App]; none of them reads the database, the artifact store
// or the log files itself.
//
// # Operations
//
//   - executions: start, list (filtered, paginated), show, stop, resume,
//     wait, watch (a stream of status events); the Interrupted status is
//     derived here and nowhere else ([App.Status]);
//   - steps and logs: step runs, a step's log, a log tail, a tuning
//     step's trials and a trial's log;
//   - artifacts: list an artifact's files, open one (path-safe);
//   - pipelines: validate a definition, list stored versions, read one's
//     source;
//   - registry: groups, versions, approve and reject, lineage, events,
//     metric values, registration of a model directory;
//   - endpoints: list, show, deploy, change variant weights, delete,
//     invoke;
//   - monitors: list, show with runs, create, delete, run now, upload
//     ground truth (over monitor.Service, when Config.Monitors is set).
//
// # Errors
//
// Operations return the domain packages' sentinels (run.ErrNotFound,
// registry.ErrNotFound, registry.ErrInvalid, ...), *pipeline.ValidationErrors,
// the engine's typed errors, and this package's [ErrNotFound], [ErrInvalid]
// and [ErrConflict], always wrapped with context. Front ends map them once:
// internal/api to HTTP statuses, cmd/ferry to exit codes and flag hints.
// No error of this package names a command-line flag or an HTTP status.
package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/serving"
)

// Errors of the application layer (beside the domain packages' own).
var (
	// ErrNotFound: a step, log or artifact file that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a malformed request (bad path, bad option, bad value).
	ErrInvalid = errors.New("invalid request")
	// ErrConflict: the request contradicts the current state (stopping a
	// finished execution, resuming a running one).
	ErrConflict = errors.New("conflict")
)

// ExecutionStore is what the application layer needs from the execution
// records: the engine's store plus the readers of listings.
// *sqlite.ExecutionStore implements it.
type ExecutionStore interface {
	run.Store
	// ResolveExecution finds an execution by ID or unique ID prefix
	// (run.ErrNotFound).
	ResolveExecution(ctx context.Context, id string) (*run.Execution, error)
	// ListExecutions returns the executions q selects, newest first.
	ListExecutions(ctx context.Context, q run.Query) ([]*run.Execution, error)
	// RequestStop asks the owner of an execution to stop it (run.ErrNotFound).
	RequestStop(ctx context.Context, id string) error
	// PipelineVersions lists stored pipeline versions ("": all), newest first.
	PipelineVersions(ctx context.Context, name string) ([]run.PipelineVersion, error)
}

// Config holds an App's dependencies. Executions, Registry, Artifacts,
// Kinds and Home are required.
type Config struct {
	Executions ExecutionStore
	Registry   *registry.Registry
	Artifacts  artifact.Store
	// Kinds are the step kinds executions run (bound to Registry).
	Kinds engine.KindLookup
	// Specs validate definitions; they may be Kinds (default) or the same
	// kinds unbound, for validation without a database.
	Specs pipeline.KindLookup
	// Home is FERRY_HOME: logs, work directories, data capture.
	Home   string
	Logger *slog.Logger // default slog.Default()
	// Now is the clock (default time.Now); Host and Alive identify this
	// machine and its live processes for the Interrupted status (defaults
	// os.Hostname and engine.ProcessAlive).
	Now   func() time.Time
	Host  string
	Alive func(pid int) bool
	// PollInterval is how often waits, watches and log tails look for
	// changes (default 200ms).
	PollInterval time.Duration
	// ServingOptions configure the serving layer of Invoke.
	ServingOptions serving.Options
	// LoadModel loads a model version's artifact for Invoke; nil means
	// serving.StoreLoader over Artifacts (Ferry and XGBoost models).
	LoadModel serving.LoadFunc
	// Keys opens the keyring that protects secret values, and LookupEnv
	// resolves {from_env: NAME} arguments (see engine.Engine).
	Keys      func() (engine.Keys, error)
	LookupEnv func(name string) (string, bool)
	// Monitors performs the monitoring operations (monitors.go); nil
	// leaves them out (they answer ErrNotFound).
	Monitors *monitor.Service
	// SageMaker stores the models and imports the s3:// objects that
	// the SageMaker API names (CreateModelPackage, CreateModel with an
	// Image and a ModelDataUrl); nil refuses those requests.
	SageMaker SageMakerObjects
	// Runner runs the executions' steps (nil: in this process; the
	// Temporal engine's runner hands them to workers).
	Runner engine.StepRunner
	// Engine describes the engine for workers (GET /api/v1/engine);
	// Attempts takes their reports of attempts (nil: steps run here).
	Engine   EngineInfo
	Attempts AttemptReporter
	// Trials are the tuning steps' trial records (trials.go); nil: no
	// step has trials.
	Trials run.TrialStore
}

// App performs the operations. It is safe for concurrent use. Executions
// started with [App.Start] run in the background until they end or
// [App.Close] stops them.
type App struct {
	cfg    Config
	engine *engine.Engine

	mu      sync.Mutex
	cancels map[int]context.CancelCauseFunc // of the background executions
	next    int
	closed  bool
	bg      sync.WaitGroup
}

// New returns an App over cfg.
func New(cfg Config) (*App, error) {
	switch {
	case cfg.Executions == nil:
		return nil, errors.New("app: Executions is not set")
	case cfg.Registry == nil:
		return nil, errors.New("app: Registry is not set")
	case cfg.Artifacts == nil:
		return nil, errors.New("app: Artifacts is not set")
	case cfg.Kinds == nil:
		return nil, errors.New("app: Kinds is not set")
	case cfg.Home == "":
		return nil, errors.New("app: Home is not set")
	}
	if cfg.Specs == nil {
		cfg.Specs = cfg.Kinds
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Host == "" {
		cfg.Host, _ = os.Hostname()
	}
	if cfg.Alive == nil {
		cfg.Alive = engine.ProcessAlive
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	a := &App{cfg: cfg}
	a.engine = &engine.Engine{Kinds: cfg.Kinds, Store: cfg.Executions, Artifacts: cfg.Artifacts, Home: cfg.Home, Logger: cfg.Logger,
		Keys: cfg.Keys, LookupEnv: cfg.LookupEnv, Runner: cfg.Runner}
	a.cancels = make(map[int]context.CancelCauseFunc)
	return a, nil
}

// Close stops the executions started with Start and waits for them to
// record their end.
func (a *App) Close() error {
	a.mu.Lock()
	a.closed = true
	for _, cancel := range a.cancels {
		cancel(errShutdown)
	}
	a.mu.Unlock()
	a.bg.Wait()
	return nil
}

var errShutdown = errors.New("the server is shutting down")

// background returns a context for work that outlives the request that
// started it, and its release function; Close cancels it.
func (a *App) background() (context.Context, func(), error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, nil, errShutdown
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	id := a.next
	a.next++
	a.cancels[id] = cancel
	a.bg.Add(1)
	return ctx, func() {
		a.mu.Lock()
		delete(a.cancels, id)
		a.mu.Unlock()
		cancel(nil)
		a.bg.Done()
	}, nil
}

// Registry returns the model registry the App acts on.
func (a *App) Registry() *registry.Registry { return a.cfg.Registry }

// Status returns the status to show for an execution: Interrupted when it
// is marked running but its owner is gone. This is the one place that
// derives it.
func (a *App) Status(ex *run.Execution) run.Status {
	return ex.Effective(a.cfg.Now(), a.cfg.Host, engine.StaleAfter(0), a.cfg.Alive)
}
