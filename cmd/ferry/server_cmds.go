package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// cmdServer is `ferry server`: every endpoint of the home, /ping,
// /metrics and the read-only registry API.
func cmdServer(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("server", "[--addr 127.0.0.1:8080] [--poll 500ms]")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	poll := fs.Duration("poll", 500*time.Millisecond, "how often to reload endpoint configs from the database")
	maxBody := fs.Int64("max-body-bytes", serving.DefaultMaxBodyBytes, "request body limit")
	maxRecords := fs.Int("max-records", serving.DefaultMaxRecords, "records-per-request limit")
	to := timeoutFlags(fs)
	if _, err := parseArgs(fs, args, nil, 0, unexpectedArg); err != nil {
		return err
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
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
	if err := srv.Sync(ctx, reg); err != nil {
		return err
	}
	mux := http.NewServeMux()
	srv.Routes(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(promReg, promhttp.HandlerOpts{}))
	apiRoutes(mux, reg)
	mux.HandleFunc("/", serving.NotFound)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go srv.Watch(wctx, reg, *poll)
	return m.listenAndServe(ctx, *addr, serving.Recover(mux, m.Logger), *to)
}

// Default per-request timeouts of the HTTP servers.
const (
	defaultReadTimeout  = 60 * time.Second
	defaultWriteTimeout = 60 * time.Second
)

// httpTimeouts bounds how long one request may take to arrive (headers
// and body) and to be answered, so that a slow sender or a client that
// never reads cannot hold a connection and its goroutine forever.
type httpTimeouts struct {
	Read, Write time.Duration
}

// timeoutFlags adds --read-timeout and --write-timeout to fs.
func timeoutFlags(fs *flag.FlagSet) *httpTimeouts {
	to := &httpTimeouts{}
	fs.DurationVar(&to.Read, "read-timeout", defaultReadTimeout, "time limit for reading a whole request, body included")
	fs.DurationVar(&to.Write, "write-timeout", defaultWriteTimeout, "time limit for answering a request, from the end of its headers")
	return to
}

// listenAndServe serves h on addr until ctx is done, then shuts down
// gracefully.
func (m *Main) listenAndServe(ctx context.Context, addr string, h http.Handler, to httpTimeouts) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	m.Logger.Info("serving", "addr", ln.Addr().String())
	fmt.Fprintf(m.Stderr, "listening on http://%s\n", ln.Addr())
	return serveListener(ctx, ln, h, to)
}

// serveListener serves h on ln until ctx is done, then shuts down
// gracefully. A zero timeout means the default; a negative one, none.
func serveListener(ctx context.Context, ln net.Listener, h http.Handler, to httpTimeouts) error {
	if to.Read == 0 {
		to.Read = defaultReadTimeout
	}
	if to.Write == 0 {
		to.Write = defaultWriteTimeout
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(10*time.Second, max(to.Read, 0)),
		ReadTimeout:       max(to.Read, 0),
		WriteTimeout:      max(to.Write, 0),
		IdleTimeout:       120 * time.Second,
	}
	if hs.ReadHeaderTimeout == 0 {
		hs.ReadHeaderTimeout = 10 * time.Second
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// apiRoutes adds the read-only JSON registry API.
func apiRoutes(mux *http.ServeMux, reg *registry.Registry) {
	writeJSON := func(w http.ResponseWriter, v any, err error) {
		if err != nil {
			code := http.StatusInternalServerError
			msg := "internal error"
			switch {
			case errors.Is(err, registry.ErrNotFound):
				code, msg = http.StatusNotFound, err.Error()
			case errors.Is(err, registry.ErrInvalid):
				code, msg = http.StatusBadRequest, err.Error()
			}
			serving.WriteError(w, code, msg)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(v)
	}
	mux.HandleFunc("GET /api/models", func(w http.ResponseWriter, r *http.Request) {
		gs, err := reg.Groups(r.Context())
		writeJSON(w, map[string]any{"groups": nonNil(gs)}, err)
	})
	mux.HandleFunc("GET /api/models/{group}", func(w http.ResponseWriter, r *http.Request) {
		g, err := reg.Group(r.Context(), r.PathValue("group"))
		if err != nil {
			writeJSON(w, nil, err)
			return
		}
		vs, err := reg.Versions(r.Context(), g.Name)
		writeJSON(w, map[string]any{"group": g, "versions": nonNil(vs)}, err)
	})
	mux.HandleFunc("GET /api/models/{group}/{version}", func(w http.ResponseWriter, r *http.Request) {
		ref, err := registry.ParsePackageRef(r.PathValue("group") + "/" + r.PathValue("version"))
		if err != nil {
			writeJSON(w, nil, err)
			return
		}
		v, err := reg.Version(r.Context(), ref)
		writeJSON(w, v, err)
	})
	mux.HandleFunc("GET /api/endpoints", func(w http.ResponseWriter, r *http.Request) {
		eps, err := reg.Endpoints(r.Context())
		writeJSON(w, map[string]any{"endpoints": nonNil(eps)}, err)
	})
	mux.HandleFunc("GET /api/endpoints/{name}", func(w http.ResponseWriter, r *http.Request) {
		ep, err := reg.Endpoint(r.Context(), r.PathValue("name"))
		writeJSON(w, ep, err)
	})
	mux.HandleFunc("GET /api/events", func(w http.ResponseWriter, r *http.Request) {
		var since int64
		if s := r.URL.Query().Get("since"); s != "" {
			var err error
			if since, err = strconv.ParseInt(s, 10, 64); err != nil {
				writeJSON(w, nil, fmt.Errorf("since %q is not an integer: %w", s, registry.ErrInvalid))
				return
			}
		}
		evs, err := reg.Events(r.Context(), since)
		writeJSON(w, map[string]any{"events": nonNil(evs)}, err)
	})
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
	return m.listenAndServe(ctx, net.JoinHostPort(*host, strconv.Itoa(*port)), mux, *to)
}
