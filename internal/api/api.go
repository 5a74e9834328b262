// Package api serves Ferry's HTTP JSON API, /api/v1, over the application
// layer (internal/app), with bearer-token authentication and roles
// (internal/auth), server-sent events for live executions and log tails,
// and an OpenAPI 3.1 document at /api/v1/openapi.json. It also mounts the
// runtime routes (POST /endpoints/{name}/invocations, GET /ping, GET
// /metrics) under the same authentication, and hands every other path to
// the web console (internal/ui) when one is configured.
//
// Handlers are thin: they decode a request, call one operation and encode
// its result. Every error goes through one function, [writeError], which
// maps typed errors to statuses and the one error shape
// {"error": {"code": "...", "message": "..."}}; unknown errors become a
// 500 whose details are logged, never returned.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/serving"
)

// Authenticator checks a bearer token; *auth.Service implements it.
// Authenticate returns auth.ErrUnauthenticated for a token that is not
// valid.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (auth.Principal, error)
}

// Config holds a Server's dependencies. App is required.
type Config struct {
	App *app.App
	// Auth checks tokens. Nil serves without authentication: every
	// request may do everything (only for a loopback address; `ferry
	// server` enforces that).
	Auth Authenticator
	// UntilTokens, when Auth is nil, serves without authentication while
	// the home has no tokens and authenticates once one exists (a server
	// started without tokens). Front ends that share Auth (the console)
	// keep their nil Auth and are not closed by it.
	UntilTokens *UntilTokens
	// Serving answers the runtime routes (invocations); nil leaves them
	// out. Metrics answers GET /metrics; nil leaves it out.
	Serving *serving.Server
	Metrics http.Handler
	// Console answers every other path (the web console, internal/ui,
	// which checks its own sign-in); nil answers them with a JSON 404.
	Console http.Handler
	Logger  *slog.Logger // default slog.Default()
}

// Server is the HTTP API. It is an http.Handler.
type Server struct {
	cfg Config
	h   http.Handler
}

// New returns the API server over cfg.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg}
	mux := http.NewServeMux()
	paths := http.NewServeMux() // every route's path, for 405 versus 404
	seen := map[string]bool{}
	for _, rt := range s.routes() {
		mux.Handle(rt.Method+" "+rt.Pattern, s.authorize(rt.Action, s.handle(rt.Handler)))
		if !seen[rt.Pattern] {
			seen[rt.Pattern] = true
			paths.Handle(rt.Pattern, http.NotFoundHandler())
		}
	}
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		if _, pat := paths.Handler(r); pat != "" {
			writeError(w, r, s.cfg.Logger, &routeError{http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)})
			return
		}
		writeError(w, r, s.cfg.Logger, errNoRoute(r))
	})
	mux.Handle("GET /api/v1/openapi.json", http.HandlerFunc(serveOpenAPI))
	s.legacy(mux)
	switch {
	case cfg.Serving != nil && s.authenticator() == nil:
		// The runtime routes as they are, on the same mux: nothing added
		// to the invocation path.
		cfg.Serving.Routes(mux)
	case cfg.Serving != nil:
		rt := http.NewServeMux()
		cfg.Serving.Routes(rt)
		mux.Handle("/endpoints/{name}/invocations", s.authorize(auth.Invoke, rt))
		mux.HandleFunc("GET /ping", serving.Ping)
	default:
		mux.HandleFunc("GET /ping", serving.Ping)
	}
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", s.authorize(auth.Read, cfg.Metrics))
	}
	if cfg.Console != nil {
		mux.Handle("/", cfg.Console)
	} else {
		mux.HandleFunc("/", serving.NotFound)
	}
	s.h = serving.Recover(mux, cfg.Logger)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// handlerFunc is a handler that returns its error for writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, s.cfg.Logger, err)
		}
	})
}
