package client_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/client"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/run"
)

// TestErrors: API errors come back as errors that errors.Is matches to
// the sentinels the local operations return, so callers treat a remote
// failure as a local one; the message is the server's.
func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		status     int
		is, isNot  []error
		message    string
	}{
		{"NotFound", `{"error":{"code":"not_found","message":"execution \"x\": execution not found"}}`, 404,
			[]error{run.ErrNotFound, app.ErrNotFound, registry.ErrNotFound}, []error{app.ErrConflict}, `execution "x": execution not found`},
		{"Conflict", `{"error":{"code":"conflict","message":"execution e is not running (Succeeded): conflict"}}`, 409,
			[]error{app.ErrConflict, registry.ErrConflict}, []error{app.ErrInvalid}, "execution e is not running (Succeeded): conflict"},
		{"Invalid", `{"error":{"code":"invalid_argument","message":"bad"}}`, 400,
			[]error{app.ErrInvalid, registry.ErrInvalid}, []error{app.ErrNotFound}, "bad"},
		{"OldShape", `{"error":"endpoint \"x\" not found"}`, 404, []error{registry.ErrNotFound}, nil, `endpoint "x" not found`},
		{"NotJSON", `<html>`, 502, nil, []error{app.ErrNotFound}, "server answered 502 Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer tok" {
					t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, err := client.New(srv.URL, "tok", client.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Execution(t.Context(), "x")
			var ce *client.Error
			if !errors.As(err, &ce) || ce.Status != tt.status || err.Error() != tt.message {
				t.Fatalf("err = %v (%#v), want status %d and message %q", err, ce, tt.status, tt.message)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			for _, target := range tt.isNot {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = true", err, target)
				}
			}
		})
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "localhost:8080", "ftp://x", "http://"} {
		if _, err := client.New(u, "", client.Options{}); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
}
