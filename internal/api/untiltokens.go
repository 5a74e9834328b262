package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/auth"
)

// TokenChecker reports whether any token exists; *auth.Service
// implements it.
type TokenChecker interface {
	Any(ctx context.Context) (bool, error)
}

// UntilTokens is the Authenticator of a server started without tokens
// (on a loopback address, or with --insecure-no-auth): requests are
// served without a token while the home has none, and once one exists
// (`ferry tokens create` while the server runs) every request needs one,
// as on a server started with tokens. Closing is for good: revoking
// every token afterwards does not reopen the server. The store is read
// at most once per Interval.
type UntilTokens struct {
	Auth     Authenticator // checks tokens once some exist
	Tokens   TokenChecker
	Interval time.Duration // default 1s
	Logger   *slog.Logger  // default slog.Default()
	Now      func() time.Time

	mu      sync.Mutex
	closed  bool
	checked time.Time
}

// Authenticate checks a bearer token with u.Auth.
func (u *UntilTokens) Authenticate(ctx context.Context, bearer string) (auth.Principal, error) {
	return u.Auth.Authenticate(ctx, bearer)
}

// Open reports whether requests are still served without a token. An
// error reading the store closes it for this request (and is logged).
func (u *UntilTokens) Open(ctx context.Context) bool {
	now := time.Now
	if u.Now != nil {
		now = u.Now
	}
	interval := u.Interval
	if interval <= 0 {
		interval = time.Second
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return false
	}
	t := now()
	if !u.checked.IsZero() && t.Sub(u.checked) < interval && t.Sub(u.checked) >= 0 {
		return true
	}
	any, err := u.Tokens.Any(ctx)
	if err != nil {
		u.logger().ErrorContext(ctx, "checking for tokens: refusing the request", "err", err)
		return false
	}
	if any {
		u.closed = true
		u.logger().InfoContext(ctx, "a token exists now: every request needs one from here on")
		return false
	}
	u.checked = t
	return true
}

func (u *UntilTokens) logger() *slog.Logger {
	if u.Logger != nil {
		return u.Logger
	}
	return slog.Default()
}

// Gate serves a request with open while u is open, else with closed: for
// a handler that does not authenticate by tokens itself (the S3 API), so
// that it stops being served once tokens exist.
func (u *UntilTokens) Gate(open, closed http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u.Open(r.Context()) {
			open.ServeHTTP(w, r)
			return
		}
		closed.ServeHTTP(w, r)
	})
}

// opener is an Authenticator that may let requests through without a
// token (UntilTokens).
type opener interface {
	Open(ctx context.Context) bool
}
