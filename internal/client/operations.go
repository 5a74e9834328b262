package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/engine"
)

// ListExecutions returns a page of executions, newest first.
func (c *Client) ListExecutions(ctx context.Context, opts app.ListOptions) (app.ExecutionPage, error) {
	q := url.Values{}
	if opts.Pipeline != "" {
		q.Set("pipeline", opts.Pipeline)
	}
	if opts.Status != "" {
		q.Set("status", string(opts.Status))
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	if opts.PageToken != "" {
		q.Set("page_token", opts.PageToken)
	}
	var page app.ExecutionPage
	err := c.call(ctx, http.MethodGet, path("executions"), q, nil, &page)
	return page, err
}

// Execution returns one execution with its steps.
func (c *Client) Execution(ctx context.Context, id string) (app.Execution, error) {
	var ex app.Execution
	err := c.call(ctx, http.MethodGet, path("executions", id), nil, nil, &ex)
	return ex, err
}

// Log returns a step's log; the caller closes it.
func (c *Client) Log(ctx context.Context, id, step string) (*app.StepLog, error) {
	req, err := c.request(ctx, http.MethodGet, path("executions", id, "steps", step, "logs"), nil, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	return &app.StepLog{ReadCloser: resp.Body, Execution: resp.Header.Get(api.HeaderLogExecution), Note: resp.Header.Get(api.HeaderLogNote)}, nil
}

// TailLog sends a step's log to fn as it grows, until the step is done.
func (c *Client) TailLog(ctx context.Context, id, step string, offset int64, fn func([]byte) error) error {
	q := url.Values{"follow": {"true"}, "offset": {strconv.FormatInt(offset, 10)}}
	return c.events(ctx, path("executions", id, "steps", step, "logs"), q, func(event string, data []byte) error {
		if event != "log" {
			return nil
		}
		var ch api.LogChunk
		if err := json.Unmarshal(data, &ch); err != nil {
			return fmt.Errorf("decoding log event: %w", err)
		}
		return fn([]byte(ch.Text))
	})
}

// Stop asks an execution to stop.
func (c *Client) Stop(ctx context.Context, id string) (app.Execution, error) {
	var ex app.Execution
	err := c.call(ctx, http.MethodPost, path("executions", id, "stop"), nil, struct{}{}, &ex)
	return ex, err
}

// Wait returns the execution once its status is terminal.
func (c *Client) Wait(ctx context.Context, id string) (app.Execution, error) {
	t := time.NewTicker(c.poll)
	defer t.Stop()
	for {
		ex, err := c.Execution(ctx, id)
		if err != nil {
			return app.Execution{}, err
		}
		if ex.Status.Terminal() {
			return ex, nil
		}
		select {
		case <-ctx.Done():
			return app.Execution{}, ctx.Err()
		case <-t.C:
		}
	}
}

// Watch sends an execution's events to fn until it ends.
func (c *Client) Watch(ctx context.Context, id string, fn func(app.Event) error) error {
	return c.events(ctx, path("executions", id, "events"), nil, func(event string, data []byte) error {
		if event != "execution" && event != "step" {
			return nil
		}
		var ev app.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return fmt.Errorf("decoding event: %w", err)
		}
		return fn(ev)
	})
}

// Start starts an execution on the server and returns it.
func (c *Client) Start(ctx context.Context, req app.RunRequest) (app.Execution, error) {
	body := api.StartRequest{Name: req.Name, Source: string(req.Source), PipelineDigest: req.Digest,
		NoCache: req.NoCache, Parallelism: req.Parallelism, Steps: req.Steps, From: req.From}
	if len(req.Params) > 0 {
		body.Parameters = make(map[string]json.RawMessage, len(req.Params))
		for k, v := range req.Params {
			b, _ := json.Marshal(v)
			body.Parameters[k] = b
		}
	}
	var ex app.Execution
	err := c.call(ctx, http.MethodPost, path("executions"), nil, body, &ex)
	return ex, err
}

// Run starts an execution on the server, sends its events to onEvent
// (may be nil) until it ends, and returns it. Cancelling ctx asks the
// server to stop it, and waits for it to stop.
func (c *Client) Run(ctx context.Context, req app.RunRequest, onEvent func(engine.Event)) (app.Execution, error) {
	ex, err := c.Start(ctx, req)
	if err != nil {
		return app.Execution{}, err
	}
	return c.follow(ctx, ex.ID, onEvent)
}

// Resume resumes an execution on the server and follows it (see Run).
func (c *Client) Resume(ctx context.Context, id string, req app.ResumeRequest, onEvent func(engine.Event)) (app.Execution, error) {
	var ex app.Execution
	body := api.ResumeRequest{NoCache: req.NoCache, Parallelism: req.Parallelism}
	if err := c.call(ctx, http.MethodPost, path("executions", id, "resume"), nil, body, &ex); err != nil {
		return app.Execution{}, err
	}
	return c.follow(ctx, ex.ID, onEvent)
}

// follow sends an execution's events to onEvent until it ends; when ctx
// ends first, it stops the execution and waits for it.
func (c *Client) follow(ctx context.Context, id string, onEvent func(engine.Event)) (app.Execution, error) {
	err := c.Watch(ctx, id, func(ev app.Event) error {
		if onEvent != nil {
			onEvent(ev.EngineEvent())
		}
		return nil
	})
	if ctx.Err() != nil {
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, serr := c.Stop(bg, id); serr != nil && !errors.Is(serr, app.ErrConflict) {
			return app.Execution{}, serr
		}
		return c.Wait(bg, id)
	}
	if err != nil {
		return app.Execution{}, err
	}
	return c.Execution(ctx, id)
}

// PipelineSource returns the source of a stored pipeline version.
func (c *Client) PipelineSource(ctx context.Context, name, digest string) ([]byte, error) {
	req, err := c.request(ctx, http.MethodGet, path("pipelines", name, "versions", digest, "source"), nil, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading pipeline source: %w", err)
	}
	return b, nil
}

// ArtifactPath returns where the server stores an artifact.
func (c *Client) ArtifactPath(ctx context.Context, ref string) (string, error) {
	var a api.ArtifactResponse
	if err := c.call(ctx, http.MethodGet, path("artifacts", ref), nil, nil, &a); err != nil {
		return "", err
	}
	return a.Path, nil
}

// Artifact lists an artifact's files.
func (c *Client) Artifact(ctx context.Context, ref string) (api.ArtifactResponse, error) {
	var a api.ArtifactResponse
	err := c.call(ctx, http.MethodGet, path("artifacts", ref), nil, nil, &a)
	return a, err
}

// ArtifactFile downloads one file of an artifact; the caller closes it.
func (c *Client) ArtifactFile(ctx context.Context, ref, name string) (io.ReadCloser, error) {
	req, err := c.request(ctx, http.MethodGet, path("artifacts", ref, "files")+"/"+escapePath(name), nil, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// escapePath escapes each segment of a slash-separated path.
func escapePath(p string) string {
	u := url.URL{Path: p}
	return u.EscapedPath()
}
