package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/webhook"
)

// MonitorStore implements monitor.Store. Run events go to the registry's
// event log (registry_events), beside the endpoint's own events.
type MonitorStore struct {
	db  *DB
	reg *RegistryStore
}

var _ monitor.Store = (*MonitorStore)(nil)

// NewMonitorStore returns the monitor store of db.
func NewMonitorStore(db *DB) *MonitorStore { return &MonitorStore{db: db, reg: NewRegistryStore(db)} }

// scheduledFormat has a fixed width, so window ends sort as text.
const scheduledFormat = "2006-01-02T15:04:05.000000000Z"

func fmtScheduled(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(scheduledFormat)
}

// CreateMonitor implements monitor.Store.
func (s *MonitorStore) CreateMonitor(ctx context.Context, m monitor.Monitor) error {
	base, err := json.Marshal(m.Baseline)
	if err != nil {
		return fmt.Errorf("encoding baseline: %w", err)
	}
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return fmt.Errorf("encoding config: %w", err)
	}
	_, err = s.db.db.ExecContext(ctx, `INSERT INTO monitors (name, endpoint, type, schedule, baseline, config, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, m.Name, m.Endpoint, string(m.Type), m.Schedule, string(base), string(cfg), fmtTime(m.CreatedAt))
	if err != nil {
		err = translate(err)
		if errors.Is(err, registry.ErrConflict) {
			return fmt.Errorf("a monitor named %q exists: %w", m.Name, registry.ErrConflict)
		}
		return err
	}
	return nil
}

const monitorQuery = `SELECT name, endpoint, type, schedule, baseline, config, created_at FROM monitors`

func scanMonitor(row interface{ Scan(...any) error }) (monitor.Monitor, error) {
	var m monitor.Monitor
	var typ, base, cfg, created string
	if err := row.Scan(&m.Name, &m.Endpoint, &typ, &m.Schedule, &base, &cfg, &created); err != nil {
		return m, translate(err)
	}
	m.Type = monitor.Type(typ)
	m.Baseline = map[string]artifact.Ref{}
	if err := json.Unmarshal([]byte(base), &m.Baseline); err != nil {
		return m, fmt.Errorf("decoding baseline of monitor %q: %w", m.Name, err)
	}
	if err := json.Unmarshal([]byte(cfg), &m.Config); err != nil {
		return m, fmt.Errorf("decoding config of monitor %q: %w", m.Name, err)
	}
	var err error
	m.CreatedAt, err = parseTime(created)
	return m, err
}

// Monitor implements monitor.Store.
func (s *MonitorStore) Monitor(ctx context.Context, name string) (monitor.Monitor, error) {
	return scanMonitor(s.db.db.QueryRowContext(ctx, monitorQuery+` WHERE name = ?`, name))
}

// Monitors implements monitor.Store.
func (s *MonitorStore) Monitors(ctx context.Context) ([]monitor.Monitor, error) {
	rows, err := s.db.db.QueryContext(ctx, monitorQuery+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing monitors: %w", err)
	}
	defer rows.Close()
	var out []monitor.Monitor
	for rows.Next() {
		m, err := scanMonitor(rows)
		if err != nil {
			return nil, fmt.Errorf("listing monitors: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// DeleteMonitor implements monitor.Store.
func (s *MonitorStore) DeleteMonitor(ctx context.Context, name string) error {
	return s.reg.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_runs WHERE monitor = ?`, name); err != nil {
			return translate(err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM monitors WHERE name = ?`, name)
		if err != nil {
			return translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return registry.ErrNotFound
		}
		return nil
	})
}

// ClaimRun implements monitor.Store: the unique index on (monitor,
// scheduled) makes the insert of a scheduled run the atomic claim.
func (s *MonitorStore) ClaimRun(ctx context.Context, r monitor.Run) (monitor.Run, bool, error) {
	res, err := s.db.db.ExecContext(ctx, `INSERT INTO monitor_runs (monitor, scheduled, window_from, window_to, status, owner, started_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.Monitor, fmtScheduled(r.Scheduled), fmtTime(r.Window.From), fmtTime(r.Window.To), string(r.Status), r.Owner, fmtTime(r.StartedAt))
	if err != nil {
		return monitor.Run{}, false, translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return monitor.Run{}, false, nil
	}
	id, err := res.LastInsertId()
	if err != nil {
		return monitor.Run{}, false, err
	}
	r.ID = id
	return r, true, nil
}

// LastScheduled implements monitor.Store.
func (s *MonitorStore) LastScheduled(ctx context.Context, name string) (time.Time, bool, error) {
	var last sql.NullString
	if err := s.db.db.QueryRowContext(ctx, `SELECT MAX(scheduled) FROM monitor_runs WHERE monitor = ? AND scheduled != ''`, name).Scan(&last); err != nil {
		return time.Time{}, false, translate(err)
	}
	if !last.Valid || last.String == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(scheduledFormat, last.String)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("parsing stored time %q: %w", last.String, err)
	}
	return t, true, nil
}

// FinishRun implements monitor.Store.
func (s *MonitorStore) FinishRun(ctx context.Context, r monitor.Run, endpoint string) error {
	hook := ""
	if r.Webhook != nil {
		b, err := json.Marshal(r.Webhook)
		if err != nil {
			return fmt.Errorf("encoding the webhook delivery: %w", err)
		}
		hook = string(b)
	}
	return s.reg.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE monitor_runs SET status = ?, records = ?, violations = ?, output = ?, failure = ?, ended_at = ?, webhook = ?
			WHERE id = ?`, string(r.Status), r.Records, r.Violations, string(r.Output), r.Failure, fmtTime(r.EndedAt), hook, r.ID)
		if err != nil {
			return translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("monitoring run %d: %w", r.ID, registry.ErrNotFound)
		}
		d := map[string]any{
			"monitor": r.Monitor, "run": r.ID, "status": r.Status, "violations": r.Violations, "records": r.Records,
			"window": r.Window, "output": r.Output, "failure_reason": r.Failure,
		}
		if r.Webhook != nil {
			d["webhook"] = r.Webhook
		}
		return s.reg.event(ctx, tx, registry.Event{Type: r.EventType(), Endpoint: endpoint, Detail: detail(d)})
	})
}

// Runs implements monitor.Store.
func (s *MonitorStore) Runs(ctx context.Context, name string, limit int) ([]monitor.Run, error) {
	q := `SELECT id, monitor, scheduled, window_from, window_to, status, records, violations, output, failure, owner, started_at, ended_at, webhook
		FROM monitor_runs WHERE monitor = ? ORDER BY id DESC`
	args := []any{name}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing runs of monitor %q: %w", name, err)
	}
	defer rows.Close()
	var out []monitor.Run
	for rows.Next() {
		var r monitor.Run
		var sched, from, to, status, output, started, ended, hook string
		if err := rows.Scan(&r.ID, &r.Monitor, &sched, &from, &to, &status, &r.Records, &r.Violations, &output, &r.Failure, &r.Owner, &started, &ended, &hook); err != nil {
			return nil, fmt.Errorf("listing runs of monitor %q: %w", name, err)
		}
		if hook != "" {
			r.Webhook = new(webhook.Delivery)
			if err := json.Unmarshal([]byte(hook), r.Webhook); err != nil {
				return nil, fmt.Errorf("decoding the webhook delivery of run %d: %w", r.ID, err)
			}
		}
		r.Status, r.Output = monitor.RunStatus(status), artifact.Ref(output)
		var perr error
		if sched != "" {
			r.Scheduled, perr = time.Parse(scheduledFormat, sched)
		}
		for _, p := range []struct {
			dst *time.Time
			s   string
		}{{&r.Window.From, from}, {&r.Window.To, to}, {&r.StartedAt, started}, {&r.EndedAt, ended}} {
			if p.s != "" && perr == nil {
				*p.dst, perr = parseTime(p.s)
			}
		}
		if perr != nil {
			return nil, perr
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
