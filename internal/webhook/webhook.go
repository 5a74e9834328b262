// Package webhook posts JSON events to a receiver's URL, as Ferry's
// notifications do: one POST per event, retried with exponential backoff
// while the receiver is unreachable or answers 408, 429 or 5xx, and
// signed with HMAC-SHA256 when a secret is given, so that the receiver can
// check that the body came from Ferry and was not altered.
//
// # Signature
//
// With a secret, the request carries
//
//	X-Ferry-Signature-256: sha256=HEX
//
// where HEX is the lowercase hexadecimal HMAC-SHA256 of the request body
// keyed with the secret (the scheme GitHub's webhooks use). A receiver
// recomputes it over the raw body and compares in constant time (Verify).
// The secret itself is never sent, logged or returned.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Header names of a delivery.
const (
	HeaderSignature = "X-Ferry-Signature-256"
	HeaderEvent     = "X-Ferry-Event"
	HeaderDelivery  = "X-Ferry-Delivery"
)

// Defaults of a Sender.
const (
	DefaultAttempts = 4
	DefaultBackoff  = time.Second
	DefaultTimeout  = 10 * time.Second
	// maxBackoff caps the wait between two attempts.
	maxBackoff = 30 * time.Second
	// maxBody bounds how much of a receiver's answer is read (and quoted
	// in an error).
	maxBody = 4 << 10
)

// Sender delivers events. The zero value is ready to use.
type Sender struct {
	// Client makes the requests (default: a client that does not follow
	// redirects, so a body and its signature go only where they were sent).
	Client *http.Client
	// Attempts is the number of tries (DefaultAttempts when 0).
	Attempts int
	// Backoff is the wait before the second try, doubled for each one
	// after it (DefaultBackoff when 0).
	Backoff time.Duration
	// Timeout bounds each try (DefaultTimeout when 0).
	Timeout time.Duration
	// Sleep waits d or until ctx is done (a timer when nil; tests use a fake).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Delivery is the outcome of a Send: what a run's event records.
type Delivery struct {
	// URL is the receiver's address without its query and user info
	// (which may hold credentials).
	URL       string `json:"url"`
	ID        string `json:"id"`
	Delivered bool   `json:"delivered"`
	Attempts  int    `json:"attempts"`
	// Status is the last HTTP status the receiver answered (0: none).
	Status int    `json:"status,omitempty"`
	Signed bool   `json:"signed"`
	Error  string `json:"error,omitempty"`
}

// ValidateURL checks a receiver's URL: absolute http or https with a host.
func ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("webhook URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("webhook URL %q: want an http:// or https:// URL", Redact(raw))
	}
	if u.Host == "" {
		return fmt.Errorf("webhook URL %q has no host", Redact(raw))
	}
	return nil
}

// Redact returns raw without its query, fragment and user info.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
	return u.String()
}

// Sign returns the signature header's value for body and secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether sig (the header's value) signs body with secret.
func Verify(secret, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(sig))
}

// Send posts body (JSON) to rawURL as event, signed with secret when it
// is not empty, trying again after a network error or a 408, 429 or 5xx
// answer. It returns the outcome; it never fails otherwise: an event that
// could not be delivered is recorded, not lost.
func (s *Sender) Send(ctx context.Context, rawURL, event string, body, secret []byte) Delivery {
	d := Delivery{URL: Redact(rawURL), ID: newID(), Signed: len(secret) > 0}
	if err := ValidateURL(rawURL); err != nil {
		d.Error = err.Error()
		return d
	}
	attempts := s.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	wait := s.Backoff
	if wait <= 0 {
		wait = DefaultBackoff
	}
	for d.Attempts < attempts {
		if d.Attempts > 0 {
			if err := s.sleep(ctx, wait); err != nil {
				d.Error = fmt.Sprintf("%s (giving up: %v)", d.Error, err)
				return d
			}
			wait = min(2*wait, maxBackoff)
		}
		d.Attempts++
		status, retry, err := s.try(ctx, rawURL, event, d.ID, body, secret)
		d.Status = status
		if err == nil {
			d.Delivered, d.Error = true, ""
			return d
		}
		d.Error = err.Error()
		if !retry {
			return d
		}
	}
	return d
}

// try makes one request. retry says whether another try may succeed.
func (s *Sender) try(ctx context.Context, rawURL, event, id string, body, secret []byte) (status int, retry bool, err error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return 0, false, fmt.Errorf("making the request: %w", redactErr(err, rawURL))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Ferry-Webhook/1")
	req.Header.Set(HeaderEvent, event)
	req.Header.Set(HeaderDelivery, id)
	if len(secret) > 0 {
		req.Header.Set(HeaderSignature, Sign(secret, body))
	}
	resp, err := s.client().Do(req)
	if err != nil {
		return 0, true, fmt.Errorf("posting to %s: %w", Redact(rawURL), redactErr(unwrapURLError(err), rawURL))
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, false, nil
	}
	retry = resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	msg := strings.TrimSpace(string(text))
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	if msg != "" {
		msg = ": " + strconv.Quote(msg)
	}
	return resp.StatusCode, retry, fmt.Errorf("%s answered %s%s", Redact(rawURL), resp.Status, msg)
}

func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (s *Sender) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// unwrapURLError drops net/http's *url.Error wrapper, which quotes the
// whole URL (query included).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactErr replaces the full URL in an error's text by its redacted form.
func redactErr(err error, rawURL string) error {
	if err == nil || !strings.Contains(err.Error(), rawURL) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), rawURL, Redact(rawURL)))
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
