package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
)

// StepLog is an open step log; the caller closes it.
type StepLog struct {
	io.ReadCloser
	// Execution is the execution whose log this is: the one asked for or,
	// for a step that did not run there (a cache hit, or a step a
	// selective run took from another execution), the one that ran it.
	Execution string
	// Note says so in that case ("" otherwise).
	Note string
}

// Log opens the log of a step of an execution. A step that did not run in
// the execution has no log of its own there: Log opens the log of the
// execution that ran it and says so in the Note.
func (a *App) Log(ctx context.Context, id, step string) (*StepLog, error) {
	s, ex, err := a.stepOf(ctx, id, step)
	if err != nil {
		return nil, err
	}
	from, note := ex.ID, ""
	if s.Provenance != "" && s.SourceExecution != "" && s.SourceExecution != ex.ID {
		why := "a cache hit"
		if s.Provenance == string(run.FromSelection) {
			why = "not selected in this run"
		}
		from = s.SourceExecution
		note = fmt.Sprintf("step %q did not run in execution %s (%s): this is the log of execution %s, %s",
			step, ex.ID, why, from, engine.LogPath(a.cfg.Home, from, step))
	}
	f, err := os.Open(engine.LogPath(a.cfg.Home, from, step))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("step %q of execution %s has no log (it has not run here): %w", step, from, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading log: %w", err)
	}
	return &StepLog{ReadCloser: f, Execution: from, Note: note}, nil
}

func (a *App) stepOf(ctx context.Context, id, step string) (StepRun, Execution, error) {
	ex, err := a.Execution(ctx, id)
	if err != nil {
		return StepRun{}, Execution{}, err
	}
	for _, s := range ex.Steps {
		if s.Name == step {
			return s, ex, nil
		}
	}
	return StepRun{}, Execution{}, fmt.Errorf("execution %s has no step %q: %w", ex.ID, step, ErrNotFound)
}

// TailLog sends a step's log to fn from byte offset on, as it grows,
// until the step is done (then the rest) or ctx ends. It waits for a log
// that does not exist yet while the step has not finished.
func (a *App) TailLog(ctx context.Context, id, step string, offset int64, fn func([]byte) error) error {
	buf := make([]byte, 32<<10)
	for {
		s, ex, err := a.stepOf(ctx, id, step)
		if err != nil {
			return err
		}
		done := s.Status.Done() || ex.Status.Terminal()
		f, err := os.Open(engine.LogPath(a.cfg.Home, ex.ID, step))
		switch {
		case errors.Is(err, os.ErrNotExist) && done:
			l, err := a.Log(ctx, id, step) // another execution's, or the error that says why
			if err != nil {
				return err
			}
			defer l.Close()
			_, err = copyFrom(l.ReadCloser.(*os.File), offset, buf, fn)
			return err
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return fmt.Errorf("reading log: %w", err)
		default:
			offset, err = copyFrom(f, offset, buf, fn)
			f.Close()
			if err != nil {
				return err
			}
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-a.after():
		}
	}
}

// copyFrom sends f's bytes from offset to its current end to fn and
// returns the new offset.
func copyFrom(f *os.File, offset int64, buf []byte, fn func([]byte) error) (int64, error) {
	// An offset at or past the end has nothing to send yet (and one past
	// the file system's largest file would fail to seek).
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && offset >= fi.Size() {
		return offset, nil
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset, fmt.Errorf("reading log: %w", err)
	}
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if ferr := fn(buf[:n]); ferr != nil {
				return offset, ferr
			}
			offset += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return offset, nil
		}
		if err != nil {
			return offset, fmt.Errorf("reading log: %w", err)
		}
	}
}
