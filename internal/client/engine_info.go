package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/run"
)

// Engine returns where the server's executions run their steps.
func (c *Client) Engine(ctx context.Context) (app.EngineInfo, error) {
	var info app.EngineInfo
	err := c.call(ctx, http.MethodGet, path("engine"), nil, nil, &info)
	return info, err
}

// ReportAttempt tells the server that this worker starts attempt n of a
// running step.
func (c *Client) ReportAttempt(ctx context.Context, executionID, step string, attempt int) error {
	return c.call(ctx, http.MethodPost, path("executions", executionID, "steps", step, "attempts"), nil, api.StepAttemptRequest{Attempt: attempt}, nil)
}

// SaveTrial records a finished trial of a tuning step this worker runs in
// the server's database.
func (c *Client) SaveTrial(ctx context.Context, executionID, step string, t *run.Trial) error {
	return c.call(ctx, http.MethodPost, path("executions", executionID, "steps", step, "trials"), nil, t, nil)
}

// CachedTrial returns the server's trial cache entry for key, or nil when
// it has none: a worker reuses it instead of training the trial again.
func (c *Client) CachedTrial(ctx context.Context, key string) (*run.Trial, error) {
	var t run.Trial
	err := c.call(ctx, http.MethodGet, path("trial-cache", key), nil, nil, &t)
	if errors.Is(err, app.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// SaveTrialLog stores the log of trial n of a tuning step this worker ran
// on the server, where `ferry trials`, the API and the console read it.
func (c *Client) SaveTrialLog(ctx context.Context, executionID, step string, n int, log []byte) error {
	req, err := c.request(ctx, http.MethodPut, path("executions", executionID, "steps", step, "trials", strconv.Itoa(n), "logs"), nil, nil)
	if err != nil {
		return err
	}
	req.Body = io.NopCloser(bytes.NewReader(log))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(log)), nil }
	req.ContentLength = int64(len(log))
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}
