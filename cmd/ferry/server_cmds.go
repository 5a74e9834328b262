package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/awsapi"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/ferryml/ferry/internal/ui"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// cmdServer is `ferry server`: the HTTP API (/api/v1), every endpoint of
// the home, /ping and /metrics.
func cmdServer(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("server", "[--addr 127.0.0.1:8080] [--poll 500ms] [--tls-cert FILE --tls-key FILE] [--insecure-no-auth]")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	poll := fs.Duration("poll", 500*time.Millisecond, "how often to reload endpoint configs from the database")
	maxBody := fs.Int64("max-body-bytes", serving.DefaultMaxBodyBytes, "request body limit")
	maxRecords := fs.Int("max-records", serving.DefaultMaxRecords, "records-per-request limit")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	tlsKey := fs.String("tls-key", "", "the certificate's private key (PEM)")
	noAuth := fs.Bool("insecure-no-auth", false, "serve a non-loopback address without tokens: anyone who reaches it may do everything")
	to := timeoutFlags(fs)
	eng := engineFlags(fs)
	if _, err := parseArgs(fs, args, nil, 0, unexpectedArg); err != nil {
		return err
	}
	if err := m.localOnly("server"); err != nil {
		return err
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usageError("--tls-cert and --tls-key go together")
	}
	// Listen first: links in reports and webhooks name the bound address
	// (a port of 0 becomes the one the kernel chose). Connections wait in
	// the backlog until the handler below serves them.
	opts := api.ServeOptions{ReadTimeout: to.Read, WriteTimeout: to.Write, TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey}
	ln, err := m.listen(*addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	m.consoleURL = consoleURL(ln.Addr().String(), *tlsCert != "")
	release, err := m.engineFor(ctx, eng)
	if err != nil {
		return err
	}
	defer release()
	a, err := m.App(ctx)
	if err != nil {
		return err
	}
	cfg := api.Config{App: a, Logger: m.Logger}
	tokens, err := m.Tokens(ctx)
	if err != nil {
		return err
	}
	anyTokens, err := tokens.Any(ctx)
	if err != nil {
		return err
	}
	// Without tokens the server is open until one is created (then it
	// asks for them, as if started with them).
	var until *api.UntilTokens
	switch {
	case anyTokens:
		cfg.Auth = tokens
	case !api.IsLoopback(*addr) && !*noAuth:
		return &exitError{1, fmt.Sprintf("refusing to serve %s without authentication: anyone who reaches it could run, stop and approve. "+
			"Create a token first (ferry tokens create --name NAME --role ROLE), or pass --insecure-no-auth", *addr)}
	default:
		if !api.IsLoopback(*addr) {
			m.Logger.Warn("serving without authentication on a non-loopback address (--insecure-no-auth)", "addr", *addr)
		}
		until = &api.UntilTokens{Auth: tokens, Tokens: tokens, Logger: m.Logger}
		cfg.UntilTokens = until
	}
	store, err := m.Store()
	if err != nil {
		return err
	}
	promReg := prometheus.NewRegistry()
	promReg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := serving.NewServer(m.sagemakerServingLoader(store), serving.Options{
		MaxBodyBytes: *maxBody, MaxRecords: *maxRecords, Metrics: promReg, Logger: m.Logger,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	reg := a.Registry()
	if err := srv.Sync(ctx, reg); err != nil {
		return err
	}
	cfg.Serving = srv
	cfg.Metrics = promhttp.HandlerFor(promReg, promhttp.HandlerOpts{})
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go srv.Watch(wctx, reg, *poll)
	if err := m.startMonitors(wctx); err != nil {
		return err
	}
	var consoleAuth ui.Authenticator = cfg.Auth
	if until != nil {
		consoleAuth = until // open until the first token exists
	}
	if cfg.Console, err = ui.New(ui.Config{App: a, Auth: consoleAuth, Invoker: srv, Metrics: promReg, Logger: m.Logger}); err != nil {
		return err
	}
	var h http.Handler = api.New(cfg)
	// AWS-signed requests (S3, STS, SageMaker, its runtime and Lambda,
	// docs/aws-api.md) share the listener; with tokens, their SigV4
	// signatures are verified with the tokens' access keys.
	s3h, err := m.S3Handler(ctx)
	if err != nil {
		return err
	}
	awsCfg := m.awsConfig(a, s3h)
	awsCfg.Invoker = srv
	jobs, err := awsapi.NewJobKey()
	if err != nil {
		return err
	}
	checkedCfg := awsCfg
	checkedCfg.Keys = jobs.Over(tokens)
	checked, err := awsapi.New(checkedCfg)
	if err != nil {
		return err
	}
	if until == nil {
		h = checked.Route(h)
	} else {
		// Without tokens the AWS APIs take any signature, until the first
		// token is created; from then on they verify as above.
		open, err := awsapi.New(awsCfg)
		if err != nil {
			return err
		}
		h = until.Gate(open.Route(h), checked.Route(h))
	}
	h = serving.Recover(h, m.Logger)
	// The jobs and Lambda functions the server runs reach its AWS APIs
	// with a key pair of their own, valid while this server runs.
	scheme := "http"
	if opts.TLSCertFile != "" {
		scheme = "https"
	}
	if m.jobEnv == nil {
		m.jobEnv = map[string]string{}
	}
	m.jobEnv["AWS_ENDPOINT_URL"] = scheme + "://" + loopbackAddr(ln.Addr())
	m.jobEnv["AWS_ACCESS_KEY_ID"], m.jobEnv["AWS_SECRET_ACCESS_KEY"] = jobs.ID, jobs.Secret
	m.jobEnv["AWS_DEFAULT_REGION"] = awsCfg.Region
	if awsCfg.Region == "" {
		m.jobEnv["AWS_DEFAULT_REGION"] = awsapi.DefaultRegion
	}
	m.announce(ln, opts)
	return api.Serve(ctx, ln, h, opts)
}

// loopbackAddr is addr with a wildcard host replaced by 127.0.0.1, for
// the server's own jobs.
func loopbackAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// consoleURL is the address of a server listening on addr, for links
// (a wildcard host becomes 127.0.0.1).
func consoleURL(addr string, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return scheme + "://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// httpTimeouts bounds how long one request may take to arrive (headers
// and body) and to be answered, so that a slow sender or a client that
// never reads cannot hold a connection and its goroutine forever.
type httpTimeouts struct {
	Read, Write time.Duration
}

// timeoutFlags adds --read-timeout and --write-timeout to fs.
func timeoutFlags(fs *flag.FlagSet) *httpTimeouts {
	to := &httpTimeouts{}
	fs.DurationVar(&to.Read, "read-timeout", api.DefaultReadTimeout, "time limit for reading a whole request, body included")
	fs.DurationVar(&to.Write, "write-timeout", api.DefaultWriteTimeout, "time limit for answering a request, from the end of its headers")
	return to
}

// listenAndServe serves h on addr until ctx is done, then shuts down
// gracefully.
func (m *Main) listenAndServe(ctx context.Context, addr string, h http.Handler, opts api.ServeOptions) error {
	ln, err := m.listen(addr)
	if err != nil {
		return err
	}
	m.announce(ln, opts)
	return api.Serve(ctx, ln, h, opts)
}

// listen listens on addr; [Main.announce] says where once the server is
// about to serve.
func (m *Main) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// announce logs where ln serves and prints "listening on URL", the line
// scripts and tests wait for: everything is set up when it appears.
func (m *Main) announce(ln net.Listener, opts api.ServeOptions) {
	scheme := "http"
	if opts.TLSCertFile != "" {
		scheme = "https"
	}
	m.Logger.Info("serving", "addr", ln.Addr().String())
	fmt.Fprintf(m.Stderr, "listening on %s://%s\n", scheme, ln.Addr())
}

// cmdServeModel is `ferry serve-model MODEL`: one model with the SageMaker
// container contract (GET /ping, POST /invocations).
func cmdServeModel(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("serve-model", "MODEL [--host 127.0.0.1] [--port 8080]")
	host := fs.String("host", "127.0.0.1", "listen host (0.0.0.0 inside a container)")
	port := fs.Int("port", 8080, "listen port")
	maxBody := fs.Int64("max-body-bytes", serving.DefaultMaxBodyBytes, "request body limit")
	maxRecords := fs.Int("max-records", serving.DefaultMaxRecords, "records-per-request limit")
	to := timeoutFlags(fs)
	image := m.sagemakerModelFlags(fs)
	pos, err := parseArgs(fs, args, nil, 1, usageLine("usage: ferry serve-model MODEL (a model directory, an XGBoost model.json, or a SageMaker model.tar.gz)"))
	if err != nil {
		return err
	}
	mdl, err := m.loadModelPath(ctx, pos[0], *image)
	if err != nil {
		return err
	}
	promReg := prometheus.NewRegistry()
	h, srv, err := serving.NewModelHandler(mdl, serving.Options{
		MaxBodyBytes: *maxBody, MaxRecords: *maxRecords, Metrics: promReg, Logger: m.Logger,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.Handle("GET /metrics", promhttp.HandlerFor(promReg, promhttp.HandlerOpts{}))
	return m.listenAndServe(ctx, net.JoinHostPort(*host, strconv.Itoa(*port)), mux, api.ServeOptions{ReadTimeout: to.Read, WriteTimeout: to.Write})
}
