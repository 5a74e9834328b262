package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/ferryml/ferry/internal/run"
)

// TrialStore implements run.TrialStore on a DB: the trials of tuning
// steps (migration 0011_trials.sql).
type TrialStore struct {
	db  *DB
	wmu sync.Mutex // serializes this process's writes (parallel trials)
}

var _ run.TrialStore = (*TrialStore)(nil)

// NewTrialStore returns the trial store of db.
func NewTrialStore(db *DB) *TrialStore { return &TrialStore{db: db} }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SaveTrial implements run.TrialStore.
func (s *TrialStore) SaveTrial(ctx context.Context, t *run.Trial) error {
	if t.ExecutionID == "" || t.Step == "" || t.Trial < 1 {
		return fmt.Errorf("saving trial %q: want an execution, a step and a trial number >= 1", t.Name)
	}
	rec, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encoding trial %s: %w", t.Name, err)
	}
	var obj sql.NullFloat64
	if t.Objective != nil {
		obj = sql.NullFloat64{Float64: *t.Objective, Valid: true}
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err = s.db.db.ExecContext(ctx, `INSERT INTO step_trials
		(execution_id, step, trial, name, cache_key, status, objective, stopped_early, reused, started_at, ended_at, record)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (execution_id, step, trial) DO UPDATE SET
		name = excluded.name, cache_key = excluded.cache_key, status = excluded.status, objective = excluded.objective,
		stopped_early = excluded.stopped_early, reused = excluded.reused, started_at = excluded.started_at,
		ended_at = excluded.ended_at, record = excluded.record`,
		t.ExecutionID, t.Step, t.Trial, t.Name, t.CacheKey, t.Status, obj, boolInt(t.StoppedEarly), boolInt(t.Reused),
		unixNanos(t.StartedAt), unixNanos(t.EndedAt), string(rec))
	if err != nil {
		return fmt.Errorf("saving trial %s of execution %s: %w", t.Name, t.ExecutionID, err)
	}
	return nil
}

func decodeTrial(rec string) (*run.Trial, error) {
	var t run.Trial
	if err := json.Unmarshal([]byte(rec), &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Trials implements run.TrialStore.
func (s *TrialStore) Trials(ctx context.Context, executionID, step string) ([]run.Trial, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT trial, record FROM step_trials
		WHERE execution_id = ? AND step = ? ORDER BY trial`, executionID, step)
	if err != nil {
		return nil, fmt.Errorf("reading trials of %s/%s: %w", executionID, step, err)
	}
	defer rows.Close()
	out := []run.Trial{}
	for rows.Next() {
		var n int
		var rec string
		if err := rows.Scan(&n, &rec); err != nil {
			return nil, fmt.Errorf("reading trials of %s/%s: %w", executionID, step, err)
		}
		t, err := decodeTrial(rec)
		if err != nil {
			return nil, fmt.Errorf("reading trial %d of %s/%s: %w", n, executionID, step, err)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading trials of %s/%s: %w", executionID, step, err)
	}
	return out, nil
}

// CachedTrial implements run.TrialStore. A record that no longer decodes
// is a miss, not an error: the trial trains again.
func (s *TrialStore) CachedTrial(ctx context.Context, key string) (*run.Trial, error) {
	if key == "" {
		return nil, nil
	}
	var rec string
	err := s.db.db.QueryRowContext(ctx, `SELECT record FROM step_trials
		WHERE cache_key = ? AND reused = 0 AND status != 'Failed' ORDER BY ended_at DESC LIMIT 1`, key).Scan(&rec)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the trial cache: %w", err)
	}
	t, err := decodeTrial(rec)
	if err != nil {
		return nil, nil
	}
	return t, nil
}
