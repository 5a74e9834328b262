package tuning

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/ferryml/ferry/internal/run"
)

// Record is one trial's record: what `ferry trials` shows, what trials.json
// lists, and what the trial cache keeps (a run record: [run.Trial]).
type Record = run.Trial

// TrialName is the name of trial n (1-based) of a step: STEP/trial-NNN.
func TrialName(stepName string, n int) string { return run.TrialName(stepName, n) }

// TrialStore keeps trial records: per execution and step (the trials'
// own records, read by `ferry trials` and warm starts) and by cache key
// (the trial cache, which makes re-runs and resumed runs reuse finished
// trials).
type TrialStore interface {
	// CachedTrial returns the last finished trial saved under key, or nil.
	CachedTrial(ctx context.Context, key string) (*Record, error)
	// SaveTrial records a finished trial of a step run, and caches it
	// under its key unless it failed.
	SaveTrial(ctx context.Context, execID, stepName string, rec *Record) error
	// Trials returns the records of an execution's step, by trial number.
	Trials(ctx context.Context, execID, stepName string) ([]Record, error)
	// TrialLog opens trial n's log for writing (truncating it).
	TrialLog(execID, stepName string, n int) (io.WriteCloser, error)
}

// DirStore is a TrialStore in a directory (FERRY_HOME/tuning):
// executions/<exec>/<step>/trial-NNN.json and .log, and cache/<key>.json.
// Files are written to a temporary name and renamed into place, so a crash
// never leaves half a record.
type DirStore struct {
	Root string
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func (d DirStore) stepDir(execID, stepName string) (string, error) {
	if !safeName.MatchString(execID) || !safeName.MatchString(stepName) {
		return "", fmt.Errorf("execution %q step %q: not a safe name for a path", execID, stepName)
	}
	return filepath.Join(d.Root, "executions", execID, stepName), nil
}

// CachedTrial implements TrialStore.
func (d DirStore) CachedTrial(_ context.Context, key string) (*Record, error) {
	if !safeName.MatchString(key) {
		return nil, fmt.Errorf("cache key %q: not a safe name", key)
	}
	b, err := os.ReadFile(filepath.Join(d.Root, "cache", key+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading trial cache: %w", err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, nil // a damaged entry is a miss
	}
	return &r, nil
}

// SaveTrial implements TrialStore.
func (d DirStore) SaveTrial(_ context.Context, execID, stepName string, rec *Record) error {
	dir, err := d.stepDir(execID, stepName)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding trial record: %w", err)
	}
	if err := writeFile(filepath.Join(dir, fmt.Sprintf("trial-%03d.json", rec.Trial)), b); err != nil {
		return fmt.Errorf("saving trial record: %w", err)
	}
	if rec.Status != StatusFailed && rec.CacheKey != "" && !rec.Reused {
		if err := writeFile(filepath.Join(d.Root, "cache", rec.CacheKey+".json"), b); err != nil {
			return fmt.Errorf("saving trial cache entry: %w", err)
		}
	}
	return nil
}

// Trials implements TrialStore.
func (d DirStore) Trials(_ context.Context, execID, stepName string) ([]Record, error) {
	dir, err := d.stepDir(execID, stepName)
	if err != nil {
		return nil, err
	}
	matches, err := filepath.Glob(filepath.Join(dir, "trial-*.json"))
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			return nil, fmt.Errorf("reading trial record: %w", err)
		}
		var r Record
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("reading trial record %s: %w", filepath.Base(m), err)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Trial < out[j].Trial })
	return out, nil
}

// TrialLog implements TrialStore.
func (d DirStore) TrialLog(execID, stepName string, n int) (io.WriteCloser, error) {
	dir, err := d.stepDir(execID, stepName)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return os.Create(filepath.Join(dir, fmt.Sprintf("trial-%03d.log", n)))
}

// LogPath is where trial n's log is.
func (d DirStore) LogPath(execID, stepName string, n int) string {
	return filepath.Join(d.Root, "executions", execID, stepName, fmt.Sprintf("trial-%03d.log", n))
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// parseWarmStart reads one warm_start entry: "EXEC_ID" (this step's name)
// or "EXEC_ID/STEP".
func parseWarmStart(s, stepName string) (execID, step string, err error) {
	execID, step, found := strings.Cut(s, "/")
	if !found {
		step = stepName
	}
	if !safeName.MatchString(execID) || !safeName.MatchString(step) {
		return "", "", fmt.Errorf("want EXEC_ID or EXEC_ID/STEP, got %q", s)
	}
	return execID, step, nil
}

// Records is a TrialStore over the run records (run.TrialStore: the
// database), with each trial's log a file at LogPath. Each trial is a
// child record STEP/trial-NNN of the tuning step's run, which the API,
// `ferry trials` and the console read.
type Records struct {
	Store run.TrialStore
	// LogPath is where a trial's log is written, by execution and trial
	// name (STEP/trial-NNN).
	LogPath func(execID, trialName string) string
}

// CachedTrial implements TrialStore.
func (r Records) CachedTrial(ctx context.Context, key string) (*Record, error) {
	return r.Store.CachedTrial(ctx, key)
}

// SaveTrial implements TrialStore.
func (r Records) SaveTrial(ctx context.Context, execID, stepName string, rec *Record) error {
	rec.ExecutionID, rec.Step = execID, stepName
	return r.Store.SaveTrial(ctx, rec)
}

// Trials implements TrialStore.
func (r Records) Trials(ctx context.Context, execID, stepName string) ([]Record, error) {
	return r.Store.Trials(ctx, execID, stepName)
}

// TrialLog implements TrialStore.
func (r Records) TrialLog(execID, stepName string, n int) (io.WriteCloser, error) {
	path := r.LogPath(execID, TrialName(stepName, n))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating the trial log's directory: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating the trial log: %w", err)
	}
	return f, nil
}

// Interface guards.
var (
	_ TrialStore = DirStore{}
	_ TrialStore = Records{}
)
