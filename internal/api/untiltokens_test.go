package api_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/auth"
)

// fakeTokens answers Any from a script of answers, counting the calls.
type fakeTokens struct {
	any   bool
	err   error
	calls int
}

func (f *fakeTokens) Any(context.Context) (bool, error) { f.calls++; return f.any, f.err }

type noAuth struct{}

func (noAuth) Authenticate(context.Context, string) (auth.Principal, error) {
	return auth.Principal{}, auth.ErrUnauthenticated
}

func TestUntilTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	tokens := &fakeTokens{}
	u := &api.UntilTokens{Auth: noAuth{}, Tokens: tokens, Interval: time.Second, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	steps := []struct {
		name      string
		advance   time.Duration
		any       bool
		err       error
		wantOpen  bool
		wantCalls int
	}{
		{"no tokens: open", 0, false, nil, true, 1},
		{"within the interval: not read again", 500 * time.Millisecond, true, nil, true, 1},
		{"after the interval: a token exists, closed", 600 * time.Millisecond, true, nil, false, 2},
		{"closed for good, without reading", 10 * time.Second, false, nil, false, 2},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		tokens.any, tokens.err = s.any, s.err
		if got := u.Open(t.Context()); got != s.wantOpen || tokens.calls != s.wantCalls {
			t.Errorf("%s: Open = %v after %d reads, want %v after %d", s.name, got, tokens.calls, s.wantOpen, s.wantCalls)
		}
	}

	// An error reading the store refuses the request, but does not close
	// the server for good.
	tokens = &fakeTokens{err: errors.New("disk on fire")}
	u = &api.UntilTokens{Auth: noAuth{}, Tokens: tokens, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if u.Open(t.Context()) {
		t.Error("open after a read error")
	}
	tokens.err = nil
	if !u.Open(t.Context()) {
		t.Error("closed for good after a read error")
	}
	if _, err := u.Authenticate(t.Context(), "x"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Authenticate: %v", err)
	}
}
