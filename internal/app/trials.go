package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
)

// StepTrials are the trials of a tuning step run.
type StepTrials struct {
	// Execution is the execution whose trials these are: the one asked for
	// or, for a step that did not run there (a cache hit, or a step a
	// selective run took from another execution), the one that ran it.
	Execution string      `json:"execution"`
	Step      string      `json:"step"`
	Trials    []run.Trial `json:"trials"`
}

// Trials returns the trial records of a step of an execution, by trial
// number. A step with no trials (not a tuning step, or none finished yet)
// has an empty list; an unknown execution or step is ErrNotFound.
func (a *App) Trials(ctx context.Context, id, step string) (StepTrials, error) {
	s, ex, err := a.stepOf(ctx, id, step)
	if err != nil {
		return StepTrials{}, err
	}
	from := ex.ID
	if s.Provenance != "" && s.SourceExecution != "" && s.SourceExecution != ex.ID {
		from = s.SourceExecution
	}
	out := StepTrials{Execution: from, Step: step, Trials: []run.Trial{}}
	if a.cfg.Trials == nil {
		return out, nil
	}
	ts, err := a.cfg.Trials.Trials(ctx, from, step)
	if err != nil {
		return StepTrials{}, fmt.Errorf("reading trials: %w", err)
	}
	if ts != nil {
		out.Trials = ts
	}
	return out, nil
}

// TrialLogPath is where trial n (1-based) of a step of an execution keeps
// its log: beside the step logs, as a step run of its own named
// STEP/trial-NNN.
func TrialLogPath(home, executionID, step string, n int) string {
	return engine.LogPath(home, executionID, run.TrialName(step, n))
}

// TrialLog opens the log of trial n (1-based) of a tuning step; the caller
// closes it.
func (a *App) TrialLog(ctx context.Context, id, step string, n int) (*StepLog, error) {
	ts, err := a.Trials(ctx, id, step)
	if err != nil {
		return nil, err
	}
	found := false
	for _, t := range ts.Trials {
		found = found || t.Trial == n
	}
	if !found {
		return nil, fmt.Errorf("step %q of execution %s has no trial %d: %w", step, ts.Execution, n, ErrNotFound)
	}
	f, err := os.Open(TrialLogPath(a.cfg.Home, ts.Execution, step, n))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("trial %s of execution %s has no log (it was reused, not trained, there): %w", run.TrialName(step, n), ts.Execution, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading trial log: %w", err)
	}
	return &StepLog{ReadCloser: f, Execution: ts.Execution}, nil
}

// SaveTrial records a finished trial of a tuning step that runs elsewhere
// (a Temporal worker): the record is the server's, as a trial run here.
// The execution may be a unique prefix; the record's own execution and
// step are set from the arguments.
func (a *App) SaveTrial(ctx context.Context, id, step string, t run.Trial) error {
	if t.Trial < 1 {
		return fmt.Errorf("trial %d: trials count from 1: %w", t.Trial, ErrInvalid)
	}
	if a.cfg.Trials == nil {
		return fmt.Errorf("this server keeps no trial records: %w", ErrConflict)
	}
	_, ex, err := a.stepOf(ctx, id, step)
	if err != nil {
		return err
	}
	switch t.Status {
	case "Completed", "Stopped", "Failed":
	default:
		return fmt.Errorf("trial %d: status %s: want Completed, Stopped or Failed: %w", t.Trial, quote(t.Status), ErrInvalid)
	}
	if want := run.TrialName(step, t.Trial); t.Name != want {
		if t.Name != "" {
			return fmt.Errorf("trial %d: name %s: want %q: %w", t.Trial, quote(t.Name), want, ErrInvalid)
		}
		t.Name = want
	}
	t.ExecutionID, t.Step = ex.ID, step
	if err := a.cfg.Trials.SaveTrial(ctx, &t); err != nil {
		return fmt.Errorf("saving trial %d of step %s of execution %s: %w", t.Trial, step, ex.ID, err)
	}
	return nil
}

// CachedTrial returns the trial cache's entry for key: the newest trial
// with that cache key that was trained (not reused) and did not fail, as
// the tuning kind reuses it. A worker asks the server, so a trial finished
// on one worker is reused on any other. No entry is ErrNotFound.
func (a *App) CachedTrial(ctx context.Context, key string) (*run.Trial, error) {
	if len(key) != 64 || strings.Trim(key, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("trial cache key %s: want 64 lowercase hex digits: %w", quote(key), ErrInvalid)
	}
	if a.cfg.Trials == nil {
		return nil, fmt.Errorf("this server keeps no trial records: %w", ErrNotFound)
	}
	t, err := a.cfg.Trials.CachedTrial(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("reading the trial cache: %w", err)
	}
	if t == nil {
		return nil, fmt.Errorf("no finished trial has cache key %s: %w", key, ErrNotFound)
	}
	return t, nil
}

// SaveTrialLog stores the log of trial n (1-based) of a tuning step that
// a worker ran, where TrialLog reads it; it replaces an earlier one.
func (a *App) SaveTrialLog(ctx context.Context, id, step string, n int, log io.Reader) error {
	if n < 1 {
		return fmt.Errorf("trial %d: trials count from 1: %w", n, ErrInvalid)
	}
	_, ex, err := a.stepOf(ctx, id, step)
	if err != nil {
		return err
	}
	path := TrialLogPath(a.cfg.Home, ex.ID, step, n)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("saving trial log: %w", err)
	}
	// Written aside and renamed: a reader sees the old log or the new.
	f, err := os.CreateTemp(filepath.Dir(path), ".trial-log-*")
	if err != nil {
		return fmt.Errorf("saving trial log: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := io.Copy(f, log); err != nil {
		f.Close()
		return fmt.Errorf("saving trial log: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("saving trial log: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("saving trial log: %w", err)
	}
	return nil
}
