package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ferryml/ferry/internal/registry"
)

// PutEndpointConfig implements registry.Store. Config versions continue
// across a delete and re-create, so a server never mistakes a new
// endpoint for the one it already loaded.
func (s *RegistryStore) PutEndpointConfig(ctx context.Context, name string, prevVersion int, cfg registry.EndpointConfig, status registry.EndpointStatus) (registry.Endpoint, error) {
	body, err := json.Marshal(cfg)
	if err != nil {
		return registry.Endpoint{}, fmt.Errorf("encoding config of endpoint %q: %w", name, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var cur int
		err := tx.QueryRowContext(ctx, `SELECT config_version FROM endpoints WHERE name = ?`, name).Scan(&cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			cur = 0
		case err != nil:
			return translate(err)
		}
		if cur != prevVersion {
			return fmt.Errorf("endpoint %q is at config version %d, not %d: %w", name, cur, prevVersion, registry.ErrConflict)
		}
		var next int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM endpoint_configs WHERE endpoint = ?`,
			name).Scan(&next); err != nil {
			return translate(err)
		}
		t := fmtTime(s.db.Now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO endpoint_configs (endpoint, version, config, created_at) VALUES (?, ?, ?, ?)`,
			name, next, string(body), t); err != nil {
			return translate(err)
		}
		if cur == 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO endpoints (name, config_version, status, failure_reason, created_at, updated_at)
				VALUES (?, ?, ?, '', ?, ?)`, name, next, string(status), t, t)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE endpoints SET config_version = ?, status = ?, failure_reason = '', updated_at = ?
				WHERE name = ?`, next, string(status), t, name)
		}
		if err != nil {
			return translate(err)
		}
		return s.event(ctx, tx, registry.Event{Type: registry.EventEndpointConfigured, Endpoint: name,
			Detail: detail(map[string]any{"config_version": next, "status": status, "config": cfg})})
	})
	if err != nil {
		return registry.Endpoint{}, fmt.Errorf("configuring endpoint %q: %w", name, err)
	}
	return s.Endpoint(ctx, name)
}

// SetEndpointStatus implements registry.Store.
func (s *RegistryStore) SetEndpointStatus(ctx context.Context, name string, configVersion int, status registry.EndpointStatus, reason string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var cur int
		var curStatus, curReason string
		err := tx.QueryRowContext(ctx, `SELECT config_version, status, failure_reason FROM endpoints WHERE name = ?`, name).
			Scan(&cur, &curStatus, &curReason)
		if err != nil {
			return fmt.Errorf("endpoint %q: %w", name, translate(err))
		}
		if cur != configVersion || (curStatus == string(status) && curReason == reason) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE endpoints SET status = ?, failure_reason = ?, updated_at = ? WHERE name = ?`,
			string(status), reason, fmtTime(s.db.Now()), name); err != nil {
			return translate(err)
		}
		return s.event(ctx, tx, registry.Event{Type: registry.EventEndpointStatus, Endpoint: name,
			Detail: detail(map[string]any{"config_version": configVersion, "status": status, "reason": reason})})
	})
}

const endpointQuery = `SELECT e.name, e.config_version, e.status, e.failure_reason, e.created_at, e.updated_at, c.config
	FROM endpoints e JOIN endpoint_configs c ON c.endpoint = e.name AND c.version = e.config_version`

func scanEndpoint(row interface{ Scan(...any) error }) (registry.Endpoint, error) {
	var e registry.Endpoint
	var status, created, updated, cfg string
	if err := row.Scan(&e.Name, &e.ConfigVersion, &status, &e.FailureReason, &created, &updated, &cfg); err != nil {
		return e, translate(err)
	}
	e.Status = registry.EndpointStatus(status)
	if err := json.Unmarshal([]byte(cfg), &e.Config); err != nil {
		return e, fmt.Errorf("decoding config %d of endpoint %q: %w", e.ConfigVersion, e.Name, err)
	}
	var err error
	if e.CreatedAt, err = parseTime(created); err != nil {
		return e, err
	}
	e.UpdatedAt, err = parseTime(updated)
	return e, err
}

// Endpoint implements registry.Store.
func (s *RegistryStore) Endpoint(ctx context.Context, name string) (registry.Endpoint, error) {
	e, err := scanEndpoint(s.db.db.QueryRowContext(ctx, endpointQuery+` WHERE e.name = ?`, name))
	if err != nil {
		return e, err // the registry names the endpoint
	}
	return e, nil
}

// Endpoints implements registry.Store.
func (s *RegistryStore) Endpoints(ctx context.Context) ([]registry.Endpoint, error) {
	rows, err := s.db.db.QueryContext(ctx, endpointQuery+` ORDER BY e.name`)
	if err != nil {
		return nil, fmt.Errorf("listing endpoints: %w", err)
	}
	defer rows.Close()
	var out []registry.Endpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("listing endpoints: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DeleteEndpoint implements registry.Store. The config history is kept.
func (s *RegistryStore) DeleteEndpoint(ctx context.Context, name string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM endpoints WHERE name = ?`, name)
		if err != nil {
			return translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return registry.ErrNotFound // the registry names the endpoint
		}
		return s.event(ctx, tx, registry.Event{Type: registry.EventEndpointDeleted, Endpoint: name})
	})
}
