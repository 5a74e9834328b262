package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/run"
)

// ExecutionStore implements run.Store on a DB: pipeline versions,
// executions and step runs (migration 0001_engine.sql).
type ExecutionStore struct {
	db *DB
	// wmu serializes this process's writes: concurrent steps would
	// otherwise meet SQLITE_BUSY and sleep in the busy handler.
	wmu sync.Mutex
}

var _ run.Store = (*ExecutionStore)(nil)

// NewExecutionStore returns the execution store of db.
func NewExecutionStore(db *DB) *ExecutionStore { return &ExecutionStore{db: db} }

func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func notFound(id string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("execution %q: %w", id, run.ErrNotFound)
	}
	return err
}

// SavePipeline implements run.Store.
func (s *ExecutionStore) SavePipeline(ctx context.Context, digest, name string, source []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if source == nil {
		source = []byte{}
	}
	_, err := s.db.db.ExecContext(ctx, `INSERT INTO pipelines (digest, name, source, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (digest) DO NOTHING`, digest, name, source, unixNanos(s.db.Now()))
	if err != nil {
		return fmt.Errorf("saving pipeline %q: %w", name, err)
	}
	return nil
}

// PipelineSource implements run.Store.
func (s *ExecutionStore) PipelineSource(ctx context.Context, digest string) ([]byte, error) {
	var src []byte
	err := s.db.db.QueryRowContext(ctx, `SELECT source FROM pipelines WHERE digest = ?`, digest).Scan(&src)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("pipeline version %.12s: %w", digest, run.ErrPipelineNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading pipeline version %.12s: %w", digest, err)
	}
	return src, nil
}

func marshalJSON(v any, empty string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if string(b) == "null" {
		return empty, nil
	}
	return string(b), nil
}

// CreateExecution implements run.Store.
func (s *ExecutionStore) CreateExecution(ctx context.Context, e *run.Execution) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	params, err := marshalJSON(e.Params, "{}")
	if err != nil {
		return fmt.Errorf("encoding parameters of %s: %w", e.ID, err)
	}
	overrides, err := marshalJSON(e.Overrides, "{}")
	if err != nil {
		return fmt.Errorf("encoding overrides of %s: %w", e.ID, err)
	}
	selected, err := marshalJSON(e.SelectedSteps, "[]")
	if err != nil {
		return fmt.Errorf("encoding selected steps of %s: %w", e.ID, err)
	}
	_, err = s.db.db.ExecContext(ctx, `INSERT INTO executions (id, pipeline_digest, pipeline_name, definition_path,
		params, overrides, status, started_at, ended_at, failure_reason, source_execution, selected_steps,
		parallelism, no_cache, owner_pid, owner_host, heartbeat_at, stop_requested, sealed_params)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
		e.ID, e.PipelineDigest, e.PipelineName, e.DefinitionPath, params, overrides, string(e.Status),
		unixNanos(e.StartedAt), unixNanos(e.EndedAt), e.FailureReason, e.SourceExecution, selected,
		e.Parallelism, e.NoCache, e.OwnerPID, e.OwnerHost, unixNanos(e.Heartbeat), nonNilBytes(e.SealedParams))
	if err != nil {
		return fmt.Errorf("inserting execution %s: %w", e.ID, err)
	}
	return nil
}

// UpdateExecution implements run.Store.
func (s *ExecutionStore) UpdateExecution(ctx context.Context, e *run.Execution) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	params, err := marshalJSON(e.Params, "{}")
	if err != nil {
		return fmt.Errorf("encoding parameters of %s: %w", e.ID, err)
	}
	res, err := s.db.db.ExecContext(ctx, `UPDATE executions SET status = ?, ended_at = ?, failure_reason = ?,
		params = ?, parallelism = ?, no_cache = ?, owner_pid = ?, owner_host = ?, heartbeat_at = ?,
		stop_requested = CASE WHEN ? = 'Executing' THEN 0 ELSE stop_requested END
		WHERE id = ?`,
		string(e.Status), unixNanos(e.EndedAt), run.TruncateReason(e.FailureReason), params,
		e.Parallelism, e.NoCache, e.OwnerPID, e.OwnerHost, unixNanos(e.Heartbeat), string(e.Status), e.ID)
	if err != nil {
		return fmt.Errorf("updating execution %s: %w", e.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("updating execution %q: %w", e.ID, run.ErrNotFound)
	}
	return nil
}

// ClaimExecution implements run.Store: one UPDATE that matches only
// while the row still has was's status, owner and heartbeat.
func (s *ExecutionStore) ClaimExecution(ctx context.Context, e, was *run.Execution) (bool, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	params, err := marshalJSON(e.Params, "{}")
	if err != nil {
		return false, fmt.Errorf("encoding parameters of %s: %w", e.ID, err)
	}
	res, err := s.db.db.ExecContext(ctx, `UPDATE executions SET status = ?, ended_at = ?, failure_reason = ?,
		params = ?, parallelism = ?, no_cache = ?, owner_pid = ?, owner_host = ?, heartbeat_at = ?,
		stop_requested = CASE WHEN ? = 'Executing' THEN 0 ELSE stop_requested END
		WHERE id = ? AND status = ? AND owner_pid = ? AND owner_host = ? AND heartbeat_at = ?`,
		string(e.Status), unixNanos(e.EndedAt), run.TruncateReason(e.FailureReason), params,
		e.Parallelism, e.NoCache, e.OwnerPID, e.OwnerHost, unixNanos(e.Heartbeat), string(e.Status), e.ID,
		string(was.Status), was.OwnerPID, was.OwnerHost, unixNanos(was.Heartbeat))
	if err != nil {
		return false, fmt.Errorf("claiming execution %s: %w", e.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claiming execution %s: %w", e.ID, err)
	}
	return n == 1, nil
}

// nonNilBytes stores nil as an empty blob (the column is NOT NULL).
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

const executionCols = `id, pipeline_digest, pipeline_name, definition_path, params, overrides, status,
	started_at, ended_at, failure_reason, source_execution, selected_steps, parallelism, no_cache,
	owner_pid, owner_host, heartbeat_at, stop_requested, sealed_params`

func scanExecution(row interface{ Scan(...any) error }) (*run.Execution, error) {
	var (
		e                         run.Execution
		params, overrides, sel    string
		status                    string
		started, ended, heartbeat int64
		noCache, stop             bool
	)
	if err := row.Scan(&e.ID, &e.PipelineDigest, &e.PipelineName, &e.DefinitionPath, &params, &overrides,
		&status, &started, &ended, &e.FailureReason, &e.SourceExecution, &sel, &e.Parallelism, &noCache,
		&e.OwnerPID, &e.OwnerHost, &heartbeat, &stop, &e.SealedParams); err != nil {
		return nil, err
	}
	e.Status, e.NoCache, e.StopRequested = run.Status(status), noCache, stop
	e.StartedAt, e.EndedAt, e.Heartbeat = fromNanos(started), fromNanos(ended), fromNanos(heartbeat)
	if err := json.Unmarshal([]byte(params), &e.Params); err != nil {
		return nil, fmt.Errorf("decoding parameters of %s: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(overrides), &e.Overrides); err != nil {
		return nil, fmt.Errorf("decoding overrides of %s: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(sel), &e.SelectedSteps); err != nil {
		return nil, fmt.Errorf("decoding selected steps of %s: %w", e.ID, err)
	}
	return &e, nil
}

// Execution implements run.Store.
func (s *ExecutionStore) Execution(ctx context.Context, id string) (*run.Execution, error) {
	e, err := scanExecution(s.db.db.QueryRowContext(ctx, `SELECT `+executionCols+` FROM executions WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(id, err)
	}
	return e, nil
}

// ResolveExecution returns the execution whose ID is id or, failing that,
// the only one whose ID starts with id (IDs are long to type).
func (s *ExecutionStore) ResolveExecution(ctx context.Context, id string) (*run.Execution, error) {
	e, err := s.Execution(ctx, id)
	if err == nil || !errors.Is(err, run.ErrNotFound) || id == "" {
		return e, err
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT id FROM executions WHERE substr(id, 1, ?) = ? LIMIT 2`, len(id), id)
	if err != nil {
		return nil, fmt.Errorf("looking up execution %q: %w", id, err)
	}
	var ids []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return nil, fmt.Errorf("looking up execution %q: %w", id, err)
		}
		ids = append(ids, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("looking up execution %q: %w", id, err)
	}
	switch len(ids) {
	case 0:
		return nil, fmt.Errorf("execution %q: %w", id, run.ErrNotFound)
	case 1:
		return s.Execution(ctx, ids[0])
	}
	return nil, fmt.Errorf("execution %q: the prefix matches more than one execution", id)
}

// Executions returns the most recent executions, newest first (limit <= 0:
// all).
func (s *ExecutionStore) Executions(ctx context.Context, limit int) ([]*run.Execution, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT `+executionCols+` FROM executions ORDER BY started_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("listing executions: %w", err)
	}
	defer rows.Close()
	var out []*run.Execution
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			return nil, fmt.Errorf("listing executions: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing executions: %w", err)
	}
	return out, nil
}

// Heartbeat implements run.Store.
func (s *ExecutionStore) Heartbeat(ctx context.Context, id string, t time.Time) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.db.db.ExecContext(ctx, `UPDATE executions SET heartbeat_at = ? WHERE id = ?`, unixNanos(t), id); err != nil {
		return fmt.Errorf("recording heartbeat of %s: %w", id, err)
	}
	return nil
}

// StopRequested implements run.Store.
func (s *ExecutionStore) StopRequested(ctx context.Context, id string) (bool, error) {
	var stop bool
	err := s.db.db.QueryRowContext(ctx, `SELECT stop_requested FROM executions WHERE id = ?`, id).Scan(&stop)
	if err != nil {
		return false, fmt.Errorf("reading stop request of %s: %w", id, notFound(id, err))
	}
	return stop, nil
}

// RequestStop asks the process running execution id to stop it; the
// engine notices within its poll interval. It fails when the execution
// does not exist.
func (s *ExecutionStore) RequestStop(ctx context.Context, id string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	res, err := s.db.db.ExecContext(ctx, `UPDATE executions SET stop_requested = 1 WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("requesting stop of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("requesting stop of %q: %w", id, run.ErrNotFound)
	}
	return nil
}

// SaveStepRuns implements run.Store.
func (s *ExecutionStore) SaveStepRuns(ctx context.Context, runs ...*run.StepRun) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if len(runs) == 0 {
		return nil
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("saving step runs: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO step_runs (execution_id, step, kind, status,
		attempts, started_at, ended_at, failure_reason, outputs, properties, cache_key, cache_inputs,
		cache_note, provenance, source_execution) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("saving step runs: %w", err)
	}
	defer stmt.Close()
	for _, r := range runs {
		outputs, err := marshalJSON(r.Outputs, "{}")
		if err != nil {
			return fmt.Errorf("encoding outputs of step %s: %w", r.Step, err)
		}
		props, err := marshalJSON(r.Properties, "{}")
		if err != nil {
			return fmt.Errorf("encoding properties of step %s: %w", r.Step, err)
		}
		if _, err := stmt.ExecContext(ctx, r.ExecutionID, r.Step, r.Kind, string(r.Status), r.Attempts,
			unixNanos(r.StartedAt), unixNanos(r.EndedAt), run.TruncateReason(r.FailureReason), outputs, props,
			r.CacheKey, r.CacheInputs, r.CacheNote, string(r.Provenance), r.SourceExecution); err != nil {
			return fmt.Errorf("saving step %s of %s: %w", r.Step, r.ExecutionID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("saving step runs: %w", err)
	}
	return nil
}

const stepRunCols = `execution_id, step, kind, status, attempts, started_at, ended_at, failure_reason,
	outputs, properties, cache_key, cache_inputs, cache_note, provenance, source_execution`

func scanStepRun(row interface{ Scan(...any) error }) (*run.StepRun, error) {
	var (
		r              run.StepRun
		status, prov   string
		started, ended int64
		outputs, props string
	)
	if err := row.Scan(&r.ExecutionID, &r.Step, &r.Kind, &status, &r.Attempts, &started, &ended,
		&r.FailureReason, &outputs, &props, &r.CacheKey, &r.CacheInputs, &r.CacheNote, &prov,
		&r.SourceExecution); err != nil {
		return nil, err
	}
	r.Status, r.Provenance = run.StepStatus(status), run.Provenance(prov)
	r.StartedAt, r.EndedAt = fromNanos(started), fromNanos(ended)
	var outs map[string]artifact.Ref
	if err := json.Unmarshal([]byte(outputs), &outs); err != nil {
		return nil, fmt.Errorf("decoding outputs of step %s: %w", r.Step, err)
	}
	if len(outs) > 0 {
		r.Outputs = outs
	}
	var ps map[string]any
	if err := json.Unmarshal([]byte(props), &ps); err != nil {
		return nil, fmt.Errorf("decoding properties of step %s: %w", r.Step, err)
	}
	if len(ps) > 0 {
		r.Properties = ps
	}
	return &r, nil
}

func (s *ExecutionStore) queryStepRuns(ctx context.Context, query string, args ...any) ([]*run.StepRun, error) {
	rows, err := s.db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*run.StepRun
	for rows.Next() {
		r, err := scanStepRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// StepRuns implements run.Store. Runs come in the order they started,
// then by name.
func (s *ExecutionStore) StepRuns(ctx context.Context, executionID string) ([]*run.StepRun, error) {
	rs, err := s.queryStepRuns(ctx, `SELECT `+stepRunCols+` FROM step_runs WHERE execution_id = ?
		ORDER BY started_at = 0, started_at, rowid`, executionID)
	if err != nil {
		return nil, fmt.Errorf("reading steps of %s: %w", executionID, err)
	}
	return rs, nil
}

// CachedRun implements run.Store.
func (s *ExecutionStore) CachedRun(ctx context.Context, key string) (*run.StepRun, error) {
	rs, err := s.queryStepRuns(ctx, `SELECT `+stepRunCols+` FROM step_runs
		WHERE cache_key = ? AND status = 'Succeeded' AND provenance = '' ORDER BY ended_at DESC LIMIT 1`, key)
	if err != nil {
		return nil, fmt.Errorf("looking up cache key %.12s: %w", key, err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	return rs[0], nil
}

// PreviousRun implements run.Store.
func (s *ExecutionStore) PreviousRun(ctx context.Context, pipelineName, stepName, excludeExecution string) (*run.StepRun, error) {
	rs, err := s.queryStepRuns(ctx, `SELECT `+prefixCols("r.", stepRunCols)+` FROM step_runs r
		JOIN executions e ON e.id = r.execution_id
		WHERE e.pipeline_name = ? AND r.step = ? AND r.execution_id != ? AND r.cache_inputs != ''
			AND r.provenance != 'selection'
		ORDER BY e.started_at DESC, r.started_at DESC LIMIT 1`, pipelineName, stepName, excludeExecution)
	if err != nil {
		return nil, fmt.Errorf("looking up earlier runs of step %s: %w", stepName, err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	return rs[0], nil
}

// prefixCols qualifies a comma-separated column list with a table alias.
func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
