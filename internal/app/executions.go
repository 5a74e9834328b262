package app

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ferryml/ferry/internal/run"
)

// Execution is an execution as front ends show it: its status is the
// derived one (Interrupted when its owner died). Its JSON form is the
// API's and `--output json`'s.
type Execution struct {
	ID              string            `json:"id"`
	Pipeline        string            `json:"pipeline"`
	PipelineDigest  string            `json:"pipeline_digest"`
	Status          run.Status        `json:"status"`
	StartedAt       time.Time         `json:"started_at"`
	EndedAt         *time.Time        `json:"ended_at,omitempty"`
	FailureReason   string            `json:"failure_reason,omitempty"`
	Parameters      map[string]any    `json:"parameters"`
	Overrides       map[string]string `json:"overrides,omitempty"`
	SourceExecution string            `json:"source_execution,omitempty"`
	SelectedSteps   []string          `json:"selected_steps,omitempty"`
	OwnerPID        int               `json:"owner_pid,omitempty"`
	Steps           []StepRun         `json:"steps,omitempty"`
	// DefinitionPath is the definition file the execution was started
	// from (its local paths resolve against its directory); front ends
	// pass it back to run the same version again. Not in the JSON form: a
	// path on the server.
	DefinitionPath string `json:"-"`
}

// StepRun is a step run as front ends show it.
type StepRun struct {
	Name            string            `json:"name"`
	Kind            string            `json:"kind"`
	Status          run.StepStatus    `json:"status"`
	Attempts        int               `json:"attempts"`
	StartedAt       *time.Time        `json:"started_at,omitempty"`
	EndedAt         *time.Time        `json:"ended_at,omitempty"`
	FailureReason   string            `json:"failure_reason,omitempty"`
	Outputs         map[string]string `json:"outputs,omitempty"`
	Properties      map[string]any    `json:"properties,omitempty"`
	CacheKey        string            `json:"cache_key,omitempty"`
	Cache           string            `json:"cache,omitempty"`
	Provenance      string            `json:"provenance,omitempty"`
	SourceExecution string            `json:"source_execution,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// view returns the front-end form of ex, with the derived status.
func (a *App) view(ex *run.Execution) Execution {
	return Execution{
		ID: ex.ID, Pipeline: ex.PipelineName, PipelineDigest: ex.PipelineDigest, Status: a.Status(ex),
		StartedAt: ex.StartedAt, EndedAt: timePtr(ex.EndedAt), FailureReason: ex.FailureReason,
		Parameters: ex.Params, Overrides: ex.Overrides, SourceExecution: ex.SourceExecution,
		SelectedSteps: ex.SelectedSteps, OwnerPID: ex.OwnerPID, DefinitionPath: ex.DefinitionPath,
	}
}

func stepViews(rs []*run.StepRun) []StepRun {
	out := make([]StepRun, 0, len(rs))
	for _, r := range rs {
		s := StepRun{
			Name: r.Step, Kind: r.Kind, Status: r.Status, Attempts: r.Attempts,
			StartedAt: timePtr(r.StartedAt), EndedAt: timePtr(r.EndedAt), FailureReason: r.FailureReason,
			Properties: r.Properties, CacheKey: r.CacheKey, Cache: r.CacheNote,
			Provenance: string(r.Provenance), SourceExecution: r.SourceExecution,
		}
		if len(r.Outputs) > 0 {
			s.Outputs = make(map[string]string, len(r.Outputs))
			for k, v := range r.Outputs {
				s.Outputs[k] = string(v)
			}
		}
		out = append(out, s)
	}
	return out
}

// ListOptions select and page a listing.
type ListOptions struct {
	// Pipeline keeps one pipeline's executions ("": all).
	Pipeline string
	// Status keeps the executions with this (derived) status ("": all).
	Status run.Status
	// Limit is the page size (0: DefaultPageSize; at most MaxPageSize).
	Limit int
	// PageToken continues a listing where the previous page ended.
	PageToken string
}

// Page sizes of listings.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// ExecutionPage is one page of a listing, newest first.
type ExecutionPage struct {
	Executions []Execution `json:"executions"`
	// NextPageToken continues the listing; empty on the last page.
	NextPageToken string `json:"next_page_token,omitempty"`
}

var statuses = []run.Status{run.Executing, run.Stopping, run.Stopped, run.Failed, run.Succeeded, run.Interrupted}

// pageLimit checks a page size and page token.
func pageLimit(limit int, token string) (int, int, error) {
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 0 || limit > MaxPageSize:
		return 0, 0, fmt.Errorf("page size %d: want 1 to %d: %w", limit, MaxPageSize, ErrInvalid)
	}
	offset := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("page token %q is not one this server gave: %w", token, ErrInvalid)
		}
		offset = n
	}
	return limit, offset, nil
}

// ListExecutions returns a page of executions, newest first. A page may
// hold fewer than Limit executions when a Status filter removed some;
// only an empty NextPageToken ends the listing.
func (a *App) ListExecutions(ctx context.Context, opts ListOptions) (ExecutionPage, error) {
	limit, offset, err := pageLimit(opts.Limit, opts.PageToken)
	if err != nil {
		return ExecutionPage{}, err
	}
	q := run.Query{Pipeline: opts.Pipeline, Offset: offset, Limit: limit}
	switch opts.Status {
	case "":
	case run.Executing, run.Stopping, run.Interrupted:
		// Derived: running ones may show as Interrupted.
		q.Statuses = []run.Status{run.Executing, run.Stopping, run.Interrupted}
	default:
		if !slices.Contains(statuses, opts.Status) {
			return ExecutionPage{}, fmt.Errorf("status %q: want one of %v: %w", opts.Status, statuses, ErrInvalid)
		}
		q.Statuses = []run.Status{opts.Status}
	}
	exs, err := a.cfg.Executions.ListExecutions(ctx, q)
	if err != nil {
		return ExecutionPage{}, err
	}
	page := ExecutionPage{Executions: make([]Execution, 0, len(exs))}
	for _, ex := range exs {
		v := a.view(ex)
		if opts.Status != "" && v.Status != opts.Status {
			continue
		}
		page.Executions = append(page.Executions, v)
	}
	if len(exs) == limit {
		page.NextPageToken = strconv.Itoa(offset + limit)
	}
	return page, nil
}

// Execution returns one execution (by ID or unique ID prefix) with its
// step runs.
func (a *App) Execution(ctx context.Context, id string) (Execution, error) {
	ex, err := a.cfg.Executions.ResolveExecution(ctx, id)
	if err != nil {
		return Execution{}, err
	}
	rs, err := a.cfg.Executions.StepRuns(ctx, ex.ID)
	if err != nil {
		return Execution{}, err
	}
	v := a.view(ex)
	v.Steps = stepViews(rs)
	return v, nil
}

// Steps returns the step runs of an execution, in the order they started.
func (a *App) Steps(ctx context.Context, id string) ([]StepRun, error) {
	ex, err := a.Execution(ctx, id)
	if err != nil {
		return nil, err
	}
	return ex.Steps, nil
}

// Step returns one step run of an execution (ErrNotFound).
func (a *App) Step(ctx context.Context, id, step string) (StepRun, error) {
	ex, err := a.Execution(ctx, id)
	if err != nil {
		return StepRun{}, err
	}
	for _, s := range ex.Steps {
		if s.Name == step {
			return s, nil
		}
	}
	return StepRun{}, fmt.Errorf("execution %s has no step %q: %w", ex.ID, step, ErrNotFound)
}

// Stop asks an execution to stop; its owner notices within a poll
// interval. Stopping a finished execution is ErrConflict.
func (a *App) Stop(ctx context.Context, id string) (Execution, error) {
	ex, err := a.cfg.Executions.ResolveExecution(ctx, id)
	if err != nil {
		return Execution{}, err
	}
	if st := a.Status(ex); st.Terminal() {
		return Execution{}, fmt.Errorf("execution %s is not running (%s): %w", ex.ID, st, ErrConflict)
	}
	if err := a.cfg.Executions.RequestStop(ctx, ex.ID); err != nil {
		return Execution{}, err
	}
	return a.view(ex), nil
}

// Wait returns the execution once its derived status is terminal, or when
// ctx ends.
func (a *App) Wait(ctx context.Context, id string) (Execution, error) {
	t := time.NewTicker(a.cfg.PollInterval)
	defer t.Stop()
	for {
		ex, err := a.cfg.Executions.ResolveExecution(ctx, id)
		if err != nil {
			return Execution{}, err
		}
		if v := a.view(ex); v.Status.Terminal() {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return Execution{}, ctx.Err()
		case <-t.C:
		}
	}
}
