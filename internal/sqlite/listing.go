package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferryml/ferry/internal/run"
)

// ListExecutions returns the executions q selects, newest first.
func (s *ExecutionStore) ListExecutions(ctx context.Context, q run.Query) ([]*run.Execution, error) {
	var where []string
	var args []any
	if q.Pipeline != "" {
		where = append(where, "pipeline_name = ?")
		args = append(args, q.Pipeline)
	}
	if len(q.Statuses) > 0 {
		marks := make([]string, len(q.Statuses))
		for i, st := range q.Statuses {
			marks[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "status IN ("+strings.Join(marks, ", ")+")")
	}
	query := `SELECT ` + executionCols + ` FROM executions`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	query += ` ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?`
	args = append(args, limit, max(q.Offset, 0))
	rows, err := s.db.db.QueryContext(ctx, query, args...)
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

// PipelineVersions returns the stored versions of the named pipeline
// ("": of every pipeline), newest first, with their execution counts.
func (s *ExecutionStore) PipelineVersions(ctx context.Context, name string) ([]run.PipelineVersion, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT p.name, p.digest, p.created_at,
		(SELECT count(*) FROM executions e WHERE e.pipeline_digest = p.digest)
		FROM pipelines p WHERE ? = '' OR p.name = ? ORDER BY p.created_at DESC, p.digest`, name, name)
	if err != nil {
		return nil, fmt.Errorf("listing pipeline versions: %w", err)
	}
	defer rows.Close()
	var out []run.PipelineVersion
	for rows.Next() {
		var v run.PipelineVersion
		var created int64
		if err := rows.Scan(&v.Name, &v.Digest, &created, &v.Executions); err != nil {
			return nil, fmt.Errorf("listing pipeline versions: %w", err)
		}
		v.CreatedAt = fromNanos(created)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing pipeline versions: %w", err)
	}
	return out, nil
}
