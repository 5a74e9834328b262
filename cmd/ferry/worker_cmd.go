package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/client"
	"github.com/ferryml/ferry/internal/engine"
	ftemporal "github.com/ferryml/ferry/internal/temporal"
)

// cmdWorker runs steps of executions started by a server with --engine
// temporal: it polls Temporal task queues and runs each step's attempt as
// `ferry run` would, with the artifacts in a store it shares with the
// server. It opens no database.
func cmdWorker(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("worker", "--server URL [--token T] [--queues default,gpu] [--temporal-address HOST:PORT] [--namespace NS] [--artifacts DIR|s3://BUCKET/PREFIX] [--artifacts-endpoint URL] [--concurrency N]")
	server := fs.String("server", m.server, "the Ferry server whose executions this worker runs: it tells the Temporal address, namespace and artifact store (flags given override it)")
	token := fs.String("token", m.Getenv("FERRY_TOKEN"), "API token for --server (default $FERRY_TOKEN)")
	queues := fs.String("queues", ftemporal.DefaultQueue, "comma-separated task queues to poll (a step picks one with `queue:`)")
	var address, namespace string
	temporalFlags(fs, &address, &namespace)
	arts := fs.String("artifacts", "", "the artifact store shared with the server: a directory, or s3://BUCKET[/PREFIX] on an S3-compatible service (default: the server's, else $FERRY_HOME/artifacts); S3 credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN")
	artsEndpoint := fs.String("artifacts-endpoint", "", "with an s3:// store: the service's URL (default: the server's, else $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL)")
	conc := fs.Int("concurrency", 2, "steps this worker runs at once")
	identity := fs.String("identity", "", "the worker's name in Temporal (default ferry-worker@HOST:PID)")
	if _, err := parseArgs(fs, args, nil, 0, unexpectedArg); err != nil {
		return err
	}
	var qs []string
	for _, q := range strings.Split(*queues, ",") {
		if q = strings.TrimSpace(q); q != "" {
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		return usageError("--queues names no queue")
	}
	if *conc < 1 {
		return usageError("--concurrency must be at least 1")
	}
	var report func(ctx context.Context, executionID, step string, attempt int) error
	var region string // the region of the server's S3 store
	if *server != "" {
		// The server says where its steps go; flags given override it.
		c, err := client.New(*server, *token, client.Options{})
		if err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		info, err := c.Engine(cctx)
		cancel()
		if err != nil {
			return fmt.Errorf("asking the server %s for its engine: %w", *server, err)
		}
		if info.Engine != "temporal" {
			return fmt.Errorf("the server %s runs its steps itself (engine %s): start it with --engine temporal", *server, info.Engine)
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["temporal-address"] && info.TemporalAddress != "" {
			address = info.TemporalAddress
		}
		if !set["namespace"] && info.Namespace != "" {
			namespace = info.Namespace
		}
		if !set["artifacts"] {
			switch {
			case info.Artifacts != "":
				*arts = info.Artifacts
				if !set["artifacts-endpoint"] {
					*artsEndpoint = info.ArtifactsEndpoint
				}
				region = info.ArtifactsRegion
			case info.ArtifactsDir != "":
				*arts = info.ArtifactsDir
			}
		}
		report = c.ReportAttempt
		m.trialServer = c
	}
	store, where, err := m.workerStore(ctx, *arts, *artsEndpoint, region)
	if err != nil {
		return err
	}
	// The kinds that reach for the home's store (SageMaker jobs importing
	// s3:// inputs) use the worker's too.
	m.store = store
	if *identity == "" {
		host, _ := os.Hostname()
		*identity = fmt.Sprintf("ferry-worker@%s:%d", host, os.Getpid())
	}
	tc, err := dialTemporal(address, namespace, m.Logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	w := &ftemporal.Worker{
		Client: tc, Queues: qs, Logger: m.Logger, Identity: *identity, Concurrency: *conc, Report: report,
		// The kinds that need the registry run on the server's queue:
		// this worker has none.
		Attempter: &engine.Attempter{Kinds: m.buildKinds(nil), Artifacts: store, Home: m.Home()},
	}
	m.Logger.Info("worker polling", "queues", qs, "temporal", address, "namespace", namespace, "identity", *identity, "artifacts", where)
	return w.Run(ctx)
}

// workerStore opens a worker's artifact store: a directory (shared with
// the server), or an S3-compatible store with a read cache in the
// worker's own home. It returns the store and where it is, for the log.
func (m *Main) workerStore(ctx context.Context, arts, endpoint, region string) (artifact.Store, string, error) {
	if !strings.HasPrefix(arts, "s3://") {
		if endpoint != "" {
			return nil, "", usageError("--artifacts-endpoint needs --artifacts s3://BUCKET[/PREFIX]")
		}
		dir := arts
		if dir == "" {
			dir = filepath.Join(m.Home(), "artifacts")
		}
		s, err := artifact.OpenDir(dir)
		return s, dir, err
	}
	loc, _, err := parseArtifactsURL(arts)
	if err != nil {
		return nil, "", usageError("--artifacts: %v", err)
	}
	loc.Endpoint, loc.Region = endpoint, region
	m.resolveS3(&loc)
	s, err := m.openS3Artifacts(ctx, loc)
	if err != nil {
		return nil, "", err
	}
	return s, loc.URL() + " at " + loc.Endpoint, nil
}
