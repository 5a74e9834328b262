package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/step/clarifycheck"
	"github.com/ferryml/ferry/internal/step/createmodel"
	"github.com/ferryml/ferry/internal/step/deploy"
	"github.com/ferryml/ferry/internal/step/register"
	ftemporal "github.com/ferryml/ferry/internal/temporal"
)

// serverQueue is the task queue of the steps that only the server can run
// (they act on the registry and endpoints behind it).
const serverQueue = "ferry-server"

// engineOpts are the flags that choose the engine: --engine local (the
// default) or temporal, with the Temporal frontend and namespace.
type engineOpts struct {
	engine           string
	address          string
	namespace        string
	heartbeatTimeout time.Duration
	instanceQueues   string
	// artifacts and artifactsEndpoint choose the artifact store
	// (--artifacts s3://BUCKET/PREFIX).
	artifacts, artifactsEndpoint string
}

func engineFlags(fs *flag.FlagSet) *engineOpts {
	o := &engineOpts{}
	fs.StringVar(&o.engine, "engine", "local", "where steps run: local (this process) or temporal (ferry worker processes, through Temporal)")
	temporalFlags(fs, &o.address, &o.namespace)
	fs.DurationVar(&o.heartbeatTimeout, "heartbeat-timeout", 30*time.Second, "with --engine temporal: a step whose worker is silent this long is given to another worker")
	fs.StringVar(&o.instanceQueues, "instance-queues", "", "with --engine temporal: task queues of SageMaker steps by instance type, PATTERN=QUEUE,... (e.g. 'ml.p3.*=gpu,ml.g5.*=gpu'; unmatched: default)")
	artifactsFlags(fs, &o.artifacts, &o.artifactsEndpoint)
	return o
}

func temporalFlags(fs *flag.FlagSet, address, namespace *string) {
	fs.StringVar(address, "temporal-address", "127.0.0.1:7233", "the Temporal frontend, HOST:PORT")
	fs.StringVar(namespace, "namespace", "default", "the Temporal namespace")
}

// dialTemporal connects to the Temporal frontend.
func dialTemporal(address, namespace string, logger *slog.Logger) (client.Client, error) {
	c, err := client.Dial(client.Options{HostPort: address, Namespace: namespace, Logger: logAdapter{logger}})
	if err != nil {
		return nil, fmt.Errorf("connecting to Temporal at %s (namespace %s): %w", address, namespace, err)
	}
	return c, nil
}

// serverKinds are the kinds that run on the server's own queue.
var serverKinds = []string{register.ID, deploy.ID, createmodel.ID, clarifycheck.ID}

// useEngine sets up the engine o names before m.App is built: for
// temporal, it connects, runs the executions' workflows and the server's
// own steps in this process, and makes the app hand other steps to
// workers. The returned function releases what it started.
func (m *Main) useEngine(ctx context.Context, o *engineOpts) (func(), error) {
	if err := m.useArtifacts(o.artifacts, o.artifactsEndpoint); err != nil {
		return nil, err
	}
	switch o.engine {
	case "local", "":
		if o.instanceQueues != "" {
			return nil, usageError("--instance-queues applies to --engine temporal")
		}
		return func() {}, nil
	case "temporal":
	default:
		return nil, usageError("--engine must be local or temporal, not %q", o.engine)
	}
	if o.heartbeatTimeout <= 2*time.Second {
		return nil, usageError("--heartbeat-timeout must be more than 2s (workers heartbeat every second)")
	}
	iq, err := ftemporal.ParseInstanceQueues(o.instanceQueues)
	if err != nil {
		return nil, usageError("--instance-queues: %v", err)
	}
	c, err := dialTemporal(o.address, o.namespace, m.Logger)
	if err != nil {
		return nil, err
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		c.Close()
		return nil, err
	}
	store, err := m.Store()
	if err != nil {
		c.Close()
		return nil, err
	}
	ew := ftemporal.ExecutionWorker(c)
	if err := ew.Start(); err != nil {
		c.Close()
		return nil, fmt.Errorf("starting the Temporal workflow worker: %w", err)
	}
	host, _ := os.Hostname()
	sw := &ftemporal.Worker{
		Client: c, Queues: []string{serverQueue}, Logger: m.Logger, Identity: fmt.Sprintf("ferry-server@%s:%d", host, os.Getpid()),
		Attempter: &engine.Attempter{Kinds: m.buildKinds(reg), Artifacts: store, Home: m.Home()},
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- sw.Run(wctx) }()
	kinds := make(map[string]bool, len(serverKinds))
	for _, k := range serverKinds {
		kinds[k] = true
	}
	m.engineInfo = app.EngineInfo{Engine: "temporal", TemporalAddress: o.address, Namespace: o.namespace}
	if m.s3 != nil {
		// Where the artifacts are, never how to sign in: each worker has
		// its own credentials.
		m.engineInfo.Artifacts, m.engineInfo.ArtifactsEndpoint, m.engineInfo.ArtifactsRegion = m.s3.URL(), m.s3.Endpoint, m.s3.Region
	} else {
		m.engineInfo.ArtifactsDir = filepath.Join(m.Home(), "artifacts")
	}
	runner := &ftemporal.Runner{Client: c, HeartbeatTimeout: o.heartbeatTimeout, ServerQueue: serverQueue, ServerKinds: kinds, InstanceQueues: iq}
	m.runner, m.attempts = runner, runner
	return func() {
		if m.app != nil { // end the executions before their workflows' worker
			m.app.Close()
		}
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			m.Logger.Warn("stopping the server's Temporal worker", "err", err)
		}
		ew.Stop()
		c.Close()
	}, nil
}

// logAdapter hands Temporal's SDK log lines to slog, one level down
// (its Info lines are routine: workers starting and stopping).
type logAdapter struct{ l *slog.Logger }

func (a logAdapter) Debug(msg string, kv ...any) { a.l.Debug(msg, kv...) }
func (a logAdapter) Info(msg string, kv ...any)  { a.l.Debug(msg, kv...) }
func (a logAdapter) Warn(msg string, kv ...any)  { a.l.Warn(msg, kv...) }
func (a logAdapter) Error(msg string, kv ...any) { a.l.Error(msg, kv...) }

// engineFor applies the engine flags of a command that may act through
// --server, where the server's engine runs the steps.
func (m *Main) engineFor(ctx context.Context, o *engineOpts) (func(), error) {
	if m.remote() {
		if o.engine != "local" && o.engine != "" {
			return nil, usageError("--engine applies to the local home; through --server, the server's engine runs the steps")
		}
		if o.artifacts != "" || o.artifactsEndpoint != "" || o.instanceQueues != "" {
			return nil, usageError("--artifacts and --instance-queues apply to the local home; through --server, the server's settings hold")
		}
		return func() {}, nil
	}
	return m.useEngine(ctx, o)
}
