// Package ui is Ferry's web console, served by `ferry server` at /: the
// executions with their step graphs (live, over server-sent events), the
// model registry with approvals, and the endpoints with their traffic. It
// is server-rendered HTML (html/template) over the application layer
// (internal/app), with its CSS and a little plain JavaScript embedded in
// the binary: no CDN, nothing to build.
//
// Every console route names the auth.Action a role must allow, as the
// JSON API's routes do; what a role may not do is left out of the pages,
// and its route refuses it anyway. A browser signs in with a token, kept
// in an HttpOnly, SameSite=Strict cookie; a console served without
// tokens (loopback only) has no sign-in. Forms carry a CSRF token.
package ui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/prometheus/client_golang/prometheus"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Authenticator checks a token; *auth.Service implements it.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (auth.Principal, error)
}

// Invoker answers an endpoint invocation; *serving.Server implements it.
type Invoker interface {
	Invoke(ctx context.Context, endpoint string, req serving.Request) (serving.Response, error)
}

// Config holds the console's dependencies. App is required.
type Config struct {
	App *app.App
	// Auth checks tokens; nil serves without sign-in, every visitor an
	// admin (loopback only: `ferry server` enforces that). An Auth with an
	// Open(ctx) bool method (api.UntilTokens) serves without sign-in while
	// Open is true.
	Auth Authenticator
	// Invoker answers the test-invoke form (default: App.Invoke).
	Invoker Invoker
	// Metrics is the server's Prometheus registry, for the endpoint
	// charts (nil: no charts).
	Metrics prometheus.Gatherer
	Logger  *slog.Logger // default slog.Default()
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Console is the web console. It is an http.Handler.
type Console struct {
	cfg   Config
	pages map[string]*template.Template
	csrf  []byte // the key of the CSRF tokens, random per process
	h     http.Handler
	// names caches the pipeline names of the executions filter.
	names struct {
		sync.Mutex
		at   time.Time
		list []string
	}
}

// Route is one console route and the action a role must allow ("" for
// the public ones: sign-in and the static assets).
type Route struct {
	Method  string
	Pattern string
	Action  auth.Action
	handler handlerFunc
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, v *viewer) error

// Routes lists the console's routes, for documentation and tests.
func Routes() []Route {
	rs := (&Console{}).routes()
	for i := range rs {
		rs[i].handler = nil
	}
	return rs
}

func (c *Console) routes() []Route {
	return []Route{
		{"GET", "/signin", "", c.signinPage},
		{"POST", "/signin", "", c.signin},
		{"POST", "/signout", "", c.signout},
		{"GET", "/static/{file...}", "", nil},

		{"GET", "/{$}", auth.Read, c.executionsPage},
		{"GET", "/executions", auth.Read, c.executionsPage},
		{"POST", "/executions", auth.Operate, c.start},
		{"GET", "/executions/{id}", auth.Read, c.executionPage},
		{"GET", "/executions/{id}/live", auth.Read, c.executionLive},
		{"POST", "/executions/{id}/stop", auth.Operate, c.stop},
		{"POST", "/executions/{id}/resume", auth.Operate, c.resume},
		{"GET", "/executions/{id}/steps/{step}", auth.Read, c.stepPage},
		{"GET", "/executions/{id}/steps/{step}/log", auth.Read, c.stepLog},
		{"GET", "/executions/{id}/steps/{step}/trials/{trial}/log", auth.Read, c.trialLog},
		{"GET", "/artifacts/{ref}", auth.Read, c.artifactPage},
		{"GET", "/artifacts/{ref}/files/{path...}", auth.Read, c.artifactFile},
		{"GET", "/compare", auth.Read, c.comparePage},
		{"GET", "/pipelines", auth.Read, c.pipelinesPage},

		{"GET", "/models", auth.Read, c.groupsPage},
		{"GET", "/models/{group}", auth.Read, c.groupPage},
		{"GET", "/models/{group}/versions/{version}", auth.Read, c.versionPage},
		{"POST", "/models/{group}/versions/{version}/approval", auth.Approve, c.approval},

		{"GET", "/endpoints", auth.Read, c.endpointsPage},
		{"GET", "/endpoints/{name}", auth.Read, c.endpointPage},
		{"GET", "/endpoints/{name}/stats", auth.Read, c.endpointStats},
		{"POST", "/endpoints/{name}/invoke", auth.Invoke, c.invoke},
	}
}

// New returns the console over cfg.
func New(cfg Config) (*Console, error) {
	if cfg.App == nil {
		return nil, errors.New("ui: App is not set")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Console{cfg: cfg, csrf: make([]byte, 32)}
	if _, err := rand.Read(c.csrf); err != nil {
		return nil, fmt.Errorf("making the CSRF key: %w", err)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c.pages = pages
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("opening the static assets: %w", err)
	}
	mux := http.NewServeMux()
	for _, rt := range c.routes() {
		if rt.handler == nil {
			mux.Handle(rt.Method+" "+rt.Pattern, http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
			continue
		}
		mux.Handle(rt.Method+" "+rt.Pattern, c.wrap(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, nil, &statusError{http.StatusNotFound, "There is no page at " + r.URL.Path + "."})
	})
	c.h = securityHeaders(mux)
	return c, nil
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.h.ServeHTTP(w, r) }

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.ServeHTTP(w, r)
	})
}

// securityHeaders forbids framing by other sites and inline scripts.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'self'; form-action 'self'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// cookieName holds the signed-in token.
const cookieName = "ferry_token"

// viewer is who is looking: their principal, the token (for the CSRF
// token) and whether the console has sign-in at all.
type viewer struct {
	auth.Principal
	token  string
	signIn bool
	csrf   string
}

// Can reports whether the viewer's role allows action (for templates).
func (v *viewer) Can(action string) bool { return v.Role.Can(auth.Action(action)) }

// CSRF is the token forms carry.
func (v *viewer) CSRF() string { return v.csrf }

// SignIn reports whether the console has sign-in (tokens exist).
func (v *viewer) SignIn() bool { return v.signIn }

func (c *Console) csrfToken(token string) string {
	m := hmac.New(sha256.New, c.csrf)
	m.Write([]byte("ferry-console-csrf\x00" + token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// identify returns the viewer of r, or nil when sign-in is needed.
// open reports whether the console serves without sign-in: no
// Authenticator, or one that lets requests through until tokens exist (a
// server started without tokens, api.UntilTokens).
func (c *Console) open(ctx context.Context) bool {
	if c.cfg.Auth == nil {
		return true
	}
	o, ok := c.cfg.Auth.(interface{ Open(context.Context) bool })
	return ok && o.Open(ctx)
}

func (c *Console) identify(r *http.Request) (*viewer, error) {
	if c.open(r.Context()) {
		return &viewer{Principal: auth.Principal{Name: "anonymous", Role: auth.Admin}, csrf: c.csrfToken("")}, nil
	}
	tok, ok := auth.BearerToken(r)
	if !ok {
		ck, err := r.Cookie(cookieName)
		if err != nil || ck.Value == "" {
			return nil, nil
		}
		tok = ck.Value
	}
	p, err := c.cfg.Auth.Authenticate(r.Context(), tok)
	if errors.Is(err, auth.ErrUnauthenticated) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &viewer{Principal: p, token: tok, signIn: true, csrf: c.csrfToken(tok)}, nil
}

// wrap authenticates and authorizes a route, checks the CSRF token of a
// POST, and renders an error page for the handler's error.
func (c *Console) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := c.identify(r)
		if err != nil {
			c.fail(w, r, nil, err)
			return
		}
		if rt.Action != "" {
			if v == nil {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				c.fail(w, r, nil, &statusError{http.StatusUnauthorized, "Sign in first."})
				return
			}
			if !v.Role.Can(rt.Action) {
				c.fail(w, r, v, &statusError{http.StatusForbidden, fmt.Sprintf("Your role (%s) may not %s.", v.Role, rt.Action)})
				return
			}
		}
		if v == nil {
			v = &viewer{signIn: !c.open(r.Context()), csrf: c.csrfToken("")}
		}
		if r.Method == http.MethodPost && rt.Pattern != "/signin" {
			if err := c.checkCSRF(r, v); err != nil {
				c.fail(w, r, v, err)
				return
			}
		}
		if err := rt.handler(w, r, v); err != nil {
			c.fail(w, r, v, err)
		}
	})
}

// checkCSRF accepts a POST whose form carries the viewer's CSRF token and
// whose Origin, when sent, is this server.
func (c *Console) checkCSRF(r *http.Request, v *viewer) error {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return &statusError{http.StatusForbidden, "This form was sent from another site."}
		}
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	if !hmac.Equal([]byte(got), []byte(v.csrf)) {
		return &statusError{http.StatusForbidden, "This form has expired or did not come from the console; reload the page and try again."}
	}
	return nil
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if c.open(r.Context()) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return c.render(w, r, v, "signin", "Sign in", map[string]any{"Next": safeNext(r.URL.Query().Get("next"))})
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (c *Console) signin(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if c.open(r.Context()) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	tok := strings.TrimSpace(r.PostFormValue("token"))
	next := safeNext(r.PostFormValue("next"))
	p, err := c.cfg.Auth.Authenticate(r.Context(), tok)
	if errors.Is(err, auth.ErrUnauthenticated) || tok == "" {
		w.WriteHeader(http.StatusUnauthorized)
		return c.render(w, r, v, "signin", "Sign in", map[string]any{"Next": next, "Error": "That token is not valid (or was revoked)."})
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	c.cfg.Logger.Info("console sign-in", "name", p.Name, "role", p.Role)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, v *viewer) error {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}
