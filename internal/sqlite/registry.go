package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
)

// RegistryStore implements registry.Store on a DB.
type RegistryStore struct {
	db *DB
}

var _ registry.Store = (*RegistryStore)(nil)

// NewRegistryStore returns the registry store of db.
func NewRegistryStore(db *DB) *RegistryStore { return &RegistryStore{db: db} }

const timeFormat = time.RFC3339Nano

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parsing stored time %q: %w", s, err)
	}
	return t, nil
}

// translate maps driver errors to registry sentinels.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return registry.ErrNotFound
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "PRIMARY KEY") ||
		strings.Contains(msg, "FOREIGN KEY constraint failed") {
		return fmt.Errorf("%w: %s", registry.ErrConflict, msg)
	}
	return err
}

// inTx runs f in one IMMEDIATE transaction (the DSN sets _txlock), so
// concurrent writers, in this process or another, serialize.
func (s *RegistryStore) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", translate(err))
	}
	return nil
}

func (s *RegistryStore) event(ctx context.Context, tx *sql.Tx, e registry.Event) error {
	detail := string(e.Detail)
	if detail == "" {
		detail = "{}"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO registry_events (at, type, group_name, version, endpoint, model, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, fmtTime(s.db.Now()), e.Type, e.Group, e.Version, e.Endpoint, e.Model, detail)
	if err != nil {
		return fmt.Errorf("recording event %s: %w", e.Type, translate(err))
	}
	return nil
}

func detail(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// EnsureGroup implements registry.Store.
func (s *RegistryStore) EnsureGroup(ctx context.Context, g registry.Group) (registry.Group, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO model_groups (name, description, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO NOTHING`, g.Name, g.Description, fmtTime(g.CreatedAt))
		if err != nil {
			return translate(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return s.event(ctx, tx, registry.Event{Type: registry.EventGroupCreated, Group: g.Name})
		}
		return nil
	})
	if err != nil {
		return registry.Group{}, fmt.Errorf("creating model group %q: %w", g.Name, err)
	}
	return s.Group(ctx, g.Name)
}

func scanGroup(row interface{ Scan(...any) error }) (registry.Group, error) {
	var g registry.Group
	var created string
	if err := row.Scan(&g.Name, &g.Description, &g.Endpoint, &g.LatestVersion, &created); err != nil {
		return g, translate(err)
	}
	t, err := parseTime(created)
	g.CreatedAt = t
	return g, err
}

const groupCols = `name, description, endpoint, latest_version, created_at`

// Group implements registry.Store.
func (s *RegistryStore) Group(ctx context.Context, name string) (registry.Group, error) {
	g, err := scanGroup(s.db.db.QueryRowContext(ctx, `SELECT `+groupCols+` FROM model_groups WHERE name = ?`, name))
	if err != nil {
		return g, err // the registry names the group
	}
	return g, nil
}

// Groups implements registry.Store.
func (s *RegistryStore) Groups(ctx context.Context) ([]registry.Group, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT `+groupCols+` FROM model_groups ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing model groups: %w", err)
	}
	defer rows.Close()
	var out []registry.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("listing model groups: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// DeleteGroup implements registry.Store: only a group that never had a
// version (latest_version 0; versions are never deleted) goes.
func (s *RegistryStore) DeleteGroup(ctx context.Context, name string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var latest int
		err := tx.QueryRowContext(ctx, `SELECT latest_version FROM model_groups WHERE name = ?`, name).Scan(&latest)
		if err != nil {
			return translate(err)
		}
		if latest > 0 {
			return fmt.Errorf("it has %d model versions: %w", latest, registry.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM model_groups WHERE name = ?`, name); err != nil {
			return translate(err)
		}
		return s.event(ctx, tx, registry.Event{Type: registry.EventGroupDeleted, Group: name})
	})
}

// SetGroupEndpoint implements registry.Store.
func (s *RegistryStore) SetGroupEndpoint(ctx context.Context, group, endpoint string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE model_groups SET endpoint = ? WHERE name = ?`, endpoint, group)
		if err != nil {
			return translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return registry.ErrNotFound // the registry names the group
		}
		return s.event(ctx, tx, registry.Event{Type: registry.EventGroupUpdated, Group: group, Endpoint: endpoint,
			Detail: detail(map[string]string{"endpoint": endpoint})})
	})
}

// CreateVersion implements registry.Store: the number is allocated from
// model_groups.latest_version inside one IMMEDIATE transaction.
func (s *RegistryStore) CreateVersion(ctx context.Context, v registry.Version) (registry.Version, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `UPDATE model_groups SET latest_version = latest_version + 1
			WHERE name = ? RETURNING latest_version`, v.Group).Scan(&n); err != nil {
			return fmt.Errorf("model group %q: %w", v.Group, translate(err))
		}
		v.Version = n
		cols, err := jsonCols(v.Metrics, v.DriftBaselines, v.Inference, v.Metadata, v.Lineage)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO model_versions (group_name, version, model, description,
			approval_status, metrics, drift_baselines, inference_spec, metadata, lineage, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.Group, v.Version, string(v.Model), v.Description, string(v.Status),
			cols[0], cols[1], cols[2], cols[3], cols[4], fmtTime(v.CreatedAt), fmtTime(v.UpdatedAt)); err != nil {
			return translate(err)
		}
		for _, a := range v.History {
			if err := insertApproval(ctx, tx, v.Group, v.Version, a); err != nil {
				return err
			}
		}
		return s.event(ctx, tx, registry.Event{Type: registry.EventVersionCreated, Group: v.Group, Version: v.Version,
			Detail: detail(map[string]any{"model": v.Model, "approval_status": v.Status})})
	})
	if err != nil {
		return registry.Version{}, fmt.Errorf("creating a version of %q: %w", v.Group, err)
	}
	return v, nil
}

func insertApproval(ctx context.Context, tx *sql.Tx, group string, version int, a registry.Approval) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO model_approvals (group_name, version, status, by_name, reason, at)
		VALUES (?, ?, ?, ?, ?, ?)`, group, version, string(a.Status), a.By, a.Reason, fmtTime(a.At))
	if err != nil {
		return fmt.Errorf("recording approval: %w", translate(err))
	}
	return nil
}

func jsonCols(vs ...any) ([]string, error) {
	out := make([]string, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encoding column: %w", err)
		}
		out[i] = string(b)
	}
	return out, nil
}

const versionCols = `group_name, version, model, description, approval_status, metrics, drift_baselines,
	inference_spec, metadata, lineage, created_at, updated_at`

func scanVersion(row interface{ Scan(...any) error }) (registry.Version, error) {
	var v registry.Version
	var model, status, metrics, drift, inf, meta, lin, created, updated string
	if err := row.Scan(&v.Group, &v.Version, &model, &v.Description, &status, &metrics, &drift, &inf, &meta, &lin,
		&created, &updated); err != nil {
		return v, translate(err)
	}
	v.Model = artifact.Ref(model)
	v.Status = registry.ApprovalStatus(status)
	for _, c := range []struct {
		name string
		s    string
		dst  any
	}{{"metrics", metrics, &v.Metrics}, {"drift_baselines", drift, &v.DriftBaselines}, {"inference_spec", inf, &v.Inference},
		{"metadata", meta, &v.Metadata}, {"lineage", lin, &v.Lineage}} {
		if err := json.Unmarshal([]byte(c.s), c.dst); err != nil {
			return v, fmt.Errorf("decoding %s of %s/%d: %w", c.name, v.Group, v.Version, err)
		}
	}
	var err error
	if v.CreatedAt, err = parseTime(created); err != nil {
		return v, err
	}
	v.UpdatedAt, err = parseTime(updated)
	return v, err
}

func (s *RegistryStore) history(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, group string, version int) ([]registry.Approval, error) {
	rows, err := q.QueryContext(ctx, `SELECT status, by_name, reason, at FROM model_approvals
		WHERE group_name = ? AND version = ? ORDER BY id`, group, version)
	if err != nil {
		return nil, fmt.Errorf("reading approval history of %s/%d: %w", group, version, err)
	}
	defer rows.Close()
	var out []registry.Approval
	for rows.Next() {
		var a registry.Approval
		var status, at string
		if err := rows.Scan(&status, &a.By, &a.Reason, &at); err != nil {
			return nil, fmt.Errorf("reading approval history of %s/%d: %w", group, version, err)
		}
		a.Status = registry.ApprovalStatus(status)
		if a.At, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Version implements registry.Store.
func (s *RegistryStore) Version(ctx context.Context, group string, version int) (registry.Version, error) {
	v, err := scanVersion(s.db.db.QueryRowContext(ctx, `SELECT `+versionCols+` FROM model_versions
		WHERE group_name = ? AND version = ?`, group, version))
	if err != nil {
		return v, err // the registry names the version
	}
	v.History, err = s.history(ctx, s.db.db, group, version)
	return v, err
}

// Versions implements registry.Store.
func (s *RegistryStore) Versions(ctx context.Context, group string) ([]registry.Version, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT `+versionCols+` FROM model_versions
		WHERE group_name = ? ORDER BY version`, group)
	if err != nil {
		return nil, fmt.Errorf("listing versions of %q: %w", group, err)
	}
	var out []registry.Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("listing versions of %q: %w", group, err)
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing versions of %q: %w", group, err)
	}
	// One query for every history, grouped in Go.
	hrows, err := s.db.db.QueryContext(ctx, `SELECT version, status, by_name, reason, at FROM model_approvals
		WHERE group_name = ? ORDER BY id`, group)
	if err != nil {
		return nil, fmt.Errorf("reading approval histories of %q: %w", group, err)
	}
	defer hrows.Close()
	byVersion := make(map[int][]registry.Approval)
	for hrows.Next() {
		var n int
		var a registry.Approval
		var status, at string
		if err := hrows.Scan(&n, &status, &a.By, &a.Reason, &at); err != nil {
			return nil, fmt.Errorf("reading approval histories of %q: %w", group, err)
		}
		a.Status = registry.ApprovalStatus(status)
		if a.At, err = parseTime(at); err != nil {
			return nil, err
		}
		byVersion[n] = append(byVersion[n], a)
	}
	for i := range out {
		out[i].History = byVersion[out[i].Version]
	}
	return out, hrows.Err()
}

// UpdateApproval implements registry.Store.
func (s *RegistryStore) UpdateApproval(ctx context.Context, group string, version int, from registry.ApprovalStatus, a registry.Approval) (registry.Version, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE model_versions SET approval_status = ?, updated_at = ?
			WHERE group_name = ? AND version = ? AND approval_status = ?`,
			string(a.Status), fmtTime(a.At), group, version, string(from))
		if err != nil {
			return translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var cur string
			err := tx.QueryRowContext(ctx, `SELECT approval_status FROM model_versions WHERE group_name = ? AND version = ?`,
				group, version).Scan(&cur)
			if err != nil {
				return translate(err)
			}
			return fmt.Errorf("status is %s, not %s: %w", cur, from, registry.ErrConflict)
		}
		if err := insertApproval(ctx, tx, group, version, a); err != nil {
			return err
		}
		return s.event(ctx, tx, registry.Event{Type: registry.EventApprovalChanged, Group: group, Version: version,
			Detail: detail(map[string]any{"from": from, "to": a.Status, "by": a.By, "reason": a.Reason})})
	})
	if err != nil {
		return registry.Version{}, fmt.Errorf("updating approval of %s/%d: %w", group, version, err)
	}
	return s.Version(ctx, group, version)
}

// PutModel implements registry.Store.
func (s *RegistryStore) PutModel(ctx context.Context, m registry.Model) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO named_models (name, artifact, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET artifact = excluded.artifact, created_at = excluded.created_at`,
			m.Name, string(m.Artifact), fmtTime(m.CreatedAt)); err != nil {
			return translate(err)
		}
		return s.event(ctx, tx, registry.Event{Type: registry.EventModelCreated, Model: m.Name,
			Detail: detail(map[string]any{"artifact": m.Artifact})})
	})
}

// Model implements registry.Store.
func (s *RegistryStore) Model(ctx context.Context, name string) (registry.Model, error) {
	var m registry.Model
	var ref, created string
	err := s.db.db.QueryRowContext(ctx, `SELECT name, artifact, created_at FROM named_models WHERE name = ?`, name).
		Scan(&m.Name, &ref, &created)
	if err != nil {
		return m, fmt.Errorf("reading model %q: %w", name, translate(err))
	}
	m.Artifact = artifact.Ref(ref)
	m.CreatedAt, err = parseTime(created)
	return m, err
}

// Events implements registry.Store.
func (s *RegistryStore) Events(ctx context.Context, since int64, limit int) ([]registry.Event, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT id, at, type, group_name, version, endpoint, model, detail
		FROM registry_events WHERE id > ? ORDER BY id LIMIT ?`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("listing registry events: %w", err)
	}
	defer rows.Close()
	var out []registry.Event
	for rows.Next() {
		var e registry.Event
		var at, d string
		if err := rows.Scan(&e.ID, &at, &e.Type, &e.Group, &e.Version, &e.Endpoint, &e.Model, &d); err != nil {
			return nil, fmt.Errorf("listing registry events: %w", err)
		}
		if e.Time, err = parseTime(at); err != nil {
			return nil, err
		}
		e.Detail = json.RawMessage(d)
		out = append(out, e)
	}
	return out, rows.Err()
}
