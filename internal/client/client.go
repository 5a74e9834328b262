// Package client is a Go client of Ferry's HTTP API (/api/v1). The CLI
// uses it for `ferry --server URL`: a Client has the same methods as the
// application layer (internal/app) for the operations the API serves, so
// commands print the same whether they act on a local home or a server.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/run"
)

// Options configure a Client. The zero value is usable.
type Options struct {
	// HTTPClient sends the requests (default: one with no overall
	// timeout, since event streams last as long as an execution).
	HTTPClient *http.Client
	// PollInterval is how often Wait polls (default 200ms).
	PollInterval time.Duration
}

// Client calls one Ferry server. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
	poll  time.Duration
}

// New returns a client of the server at baseURL (http:// or https://),
// sending token as a bearer token when it is not empty.
func New(baseURL, token string, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://HOST:PORT or https://HOST:PORT", baseURL)
	}
	c := &Client{base: u, token: token, hc: opts.HTTPClient, poll: opts.PollInterval}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.poll <= 0 {
		c.poll = 200 * time.Millisecond
	}
	return c, nil
}

// Error is an error response of the API. errors.Is matches it to the
// application layer's and the domain packages' sentinels by its code, so
// callers handle remote and local errors alike.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Is reports whether the error's code corresponds to target.
func (e *Error) Is(target error) bool {
	switch e.Code {
	case api.CodeNotFound:
		return target == app.ErrNotFound || target == run.ErrNotFound || target == run.ErrPipelineNotFound || target == registry.ErrNotFound
	case api.CodeInvalid, api.CodeInvalidPipeline:
		return target == app.ErrInvalid || target == registry.ErrInvalid
	case api.CodeConflict:
		return target == app.ErrConflict || target == registry.ErrConflict
	case api.CodeUnauthenticated:
		return target == auth.ErrUnauthenticated
	}
	return false
}

// path joins the API prefix and escaped path segments.
func path(segs ...string) string {
	var b strings.Builder
	b.WriteString("/api/v1")
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// request builds a request; body, when not nil, is sent as JSON.
func (c *Client) request(ctx context.Context, method, p string, q url.Values, body any) (*http.Request, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + p
	u.RawPath = ""
	if raw := strings.TrimRight(c.base.EscapedPath(), "/") + p; raw != u.Path {
		u.RawPath = raw
	}
	u.RawQuery = q.Encode()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encoding request: %w", err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// send sends req and returns the response when its status is 2xx, else
// the API error it carries.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling %s: %w", c.base.Host, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, decodeError(resp)
}

// decodeError reads an error response: the API's shape, or the
// invocation routes' {"error": "..."}.
func decodeError(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var body api.ErrorBody
	if json.Unmarshal(raw, &body) == nil && body.Error.Message != "" {
		return &Error{Status: resp.StatusCode, Code: body.Error.Code, Message: body.Error.Message}
	}
	var plain struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &plain) == nil && plain.Error != "" {
		return &Error{Status: resp.StatusCode, Code: codeOf(resp.StatusCode), Message: plain.Error}
	}
	return &Error{Status: resp.StatusCode, Code: codeOf(resp.StatusCode), Message: fmt.Sprintf("server answered %s", resp.Status)}
}

func codeOf(status int) string {
	switch status {
	case http.StatusBadRequest:
		return api.CodeInvalid
	case http.StatusNotFound:
		return api.CodeNotFound
	case http.StatusConflict:
		return api.CodeConflict
	case http.StatusUnauthorized:
		return api.CodeUnauthenticated
	case http.StatusForbidden:
		return api.CodeForbidden
	}
	return api.CodeInternal
}

// call sends a JSON request and decodes a JSON answer into out (unless
// out is nil).
func (c *Client) call(ctx context.Context, method, p string, q url.Values, body, out any) error {
	req, err := c.request(ctx, method, p, q, body)
	if err != nil {
		return err
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding the answer of %s %s: %w", method, p, err)
	}
	return nil
}

// events reads a server-sent event stream, calling fn with each event's
// name and data, until the stream ends, fn fails or ctx ends.
func (c *Client) events(ctx context.Context, p string, q url.Values, fn func(event string, data []byte) error) error {
	req, err := c.request(ctx, http.MethodGet, p, q, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var event string
	var data []byte
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if event != "" || data != nil {
				if event == "error" {
					var body api.ErrorBody
					if json.Unmarshal(data, &body) == nil {
						return &Error{Status: http.StatusOK, Code: body.Error.Code, Message: body.Error.Message}
					}
				}
				if err := fn(event, data); err != nil {
					return err
				}
			}
			event, data = "", nil
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			d := strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
			if data != nil {
				data = append(data, '\n')
			}
			data = append(data, d...)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("reading events: %w", err)
	}
	return ctx.Err()
}
