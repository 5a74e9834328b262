package main

import (
	"context"
	"strings"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/client"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/ferryml/ferry/internal/sqlite"
)

// ops is what the read and control commands do. *app.App does it on the
// local home; *client.Client through a server's API (--server). The
// commands print the same either way.
type ops interface {
	ListExecutions(ctx context.Context, opts app.ListOptions) (app.ExecutionPage, error)
	Execution(ctx context.Context, id string) (app.Execution, error)
	Log(ctx context.Context, id, step string) (*app.StepLog, error)
	TailLog(ctx context.Context, id, step string, offset int64, fn func([]byte) error) error
	Trials(ctx context.Context, id, step string) (app.StepTrials, error)
	Stop(ctx context.Context, id string) (app.Execution, error)
	Wait(ctx context.Context, id string) (app.Execution, error)
	Run(ctx context.Context, req app.RunRequest, onEvent func(engine.Event)) (app.Execution, error)
	Resume(ctx context.Context, id string, req app.ResumeRequest, onEvent func(engine.Event)) (app.Execution, error)
	PipelineSource(ctx context.Context, name, digest string) ([]byte, error)
	ArtifactPath(ctx context.Context, ref string) (string, error)

	Groups(ctx context.Context) ([]registry.Group, error)
	Versions(ctx context.Context, group string) ([]registry.Version, error)
	Version(ctx context.Context, ref registry.PackageRef) (registry.Version, error)
	SetApproval(ctx context.Context, req app.ApprovalRequest) (app.ApprovalResult, error)
	SetGroupEndpoint(ctx context.Context, group, endpoint string) error
	Events(ctx context.Context, since int64, limit int) (app.EventPage, error)

	Endpoints(ctx context.Context) ([]registry.Endpoint, error)
	Endpoint(ctx context.Context, name string) (registry.Endpoint, error)
	Deploy(ctx context.Context, req registry.DeployRequest) (app.DeployResult, error)
	DeleteEndpoint(ctx context.Context, name string) error
	Invoke(ctx context.Context, name string, req serving.Request) (serving.Response, error)
}

var (
	_ ops = (*app.App)(nil)
	_ ops = (*client.Client)(nil)
)

// remote reports whether commands act through a server (--server or
// FERRY_SERVER).
func (m *Main) remote() bool { return m.server != "" }

// ops returns what the commands act on: the server's API when one is
// named, else the local home.
func (m *Main) ops(ctx context.Context) (ops, error) {
	if m.remote() {
		return client.New(m.server, m.Getenv("FERRY_TOKEN"), client.Options{})
	}
	return m.App(ctx)
}

// localOnly fails for a command that needs the local home when a server
// is named.
func (m *Main) localOnly(name string) error {
	if m.remote() {
		return usageError("%s works on the local home only; it does not act through --server", name)
	}
	return nil
}

// App wires the application layer over the home on first use.
func (m *Main) App(ctx context.Context) (*app.App, error) {
	if m.app != nil {
		return m.app, nil
	}
	if _, err := m.stepLogLimit(); err != nil {
		return nil, err
	}
	db, err := m.DB(ctx)
	if err != nil {
		return nil, err
	}
	store, err := m.Store()
	if err != nil {
		return nil, err
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return nil, err
	}
	mons, err := m.monitorService(ctx)
	if err != nil {
		return nil, err
	}
	a, err := app.New(app.Config{
		Monitors:   mons,
		Executions: sqlite.NewExecutionStore(db),
		Registry:   reg,
		Artifacts:  store,
		Kinds:      m.buildKinds(reg),
		LoadModel:  m.sagemakerServingLoader(store),
		SageMaker:  m.sagemakerObjects(store),
		Specs:      m.kindSpecs(),
		Home:       m.Home(),
		Logger:     m.Logger,
		Keys:       m.secretKeys(),
		LookupEnv:  m.lookupEnv,
		Runner:     m.runner,
		Engine:     m.engineInfo,
		Attempts:   m.attempts,
		Trials:     sqlite.NewTrialStore(db),
	})
	if err != nil {
		return nil, err
	}
	m.app = a
	return a, nil
}

// conflictMessage is a conflict's message without the sentinel's text.
func conflictMessage(err error) string {
	return strings.TrimSuffix(err.Error(), ": "+app.ErrConflict.Error())
}
