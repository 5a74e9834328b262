package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Clock is the scheduler's time source; tests inject a fake one.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After is time.After.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// ExecuteFunc runs one claimed run of a monitor.
type ExecuteFunc func(ctx context.Context, m Monitor, r Run) (Run, error)

// DefaultPollInterval is how often a scheduler looks for due windows.
const DefaultPollInterval = 30 * time.Second

// Scheduler runs the monitors' schedules. Its state is the store: each
// tick it claims, per monitor, the latest window end that has passed
// since the last claimed one, so after a restart (or downtime spanning
// several windows) a missed window runs once, covering the data since the
// last run, and two schedulers on the same database never run the same
// window twice (the claim is atomic in the store).
type Scheduler struct {
	Store   Store
	Execute ExecuteFunc
	Clock   Clock
	// Interval between ticks (DefaultPollInterval when 0).
	Interval time.Duration
	// Owner names this scheduler in the runs it claims (a host and pid).
	Owner  string
	Logger *slog.Logger
}

// NewScheduler returns a scheduler running svc's monitors on the system clock.
func NewScheduler(svc *Service, owner string) *Scheduler {
	return &Scheduler{Store: svc.Store, Execute: svc.Execute, Clock: SystemClock{}, Owner: owner, Logger: svc.Logger}
}

// Run ticks until ctx is done. Errors of one tick are logged, not fatal.
func (s *Scheduler) Run(ctx context.Context) error {
	d := s.Interval
	if d <= 0 {
		d = DefaultPollInterval
	}
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.logger().ErrorContext(ctx, "monitor scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.Clock.After(d):
		}
	}
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Tick claims and runs every window that is due now, one per monitor,
// and returns the runs it executed.
func (s *Scheduler) Tick(ctx context.Context) ([]Run, error) {
	now := s.Clock.Now().UTC()
	ms, err := s.Store.Monitors(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing monitors: %w", err)
	}
	var ran []Run
	for _, m := range ms {
		if m.Schedule == "" {
			continue
		}
		sched, err := ParseSchedule(m.Schedule)
		if err != nil {
			s.logger().ErrorContext(ctx, "bad monitor schedule", "monitor", m.Name, "err", err)
			continue
		}
		last, ok, err := s.Store.LastScheduled(ctx, m.Name)
		if err != nil {
			return ran, err
		}
		after := m.CreatedAt
		if ok {
			after = last
		}
		due, ok := sched.Due(after, now)
		if !ok {
			continue
		}
		from := last
		if from.IsZero() {
			from = sched.Prev(due)
			if from.IsZero() {
				from = m.CreatedAt
			}
		}
		off := time.Duration(m.Config.Offset)
		r, claimed, err := s.Store.ClaimRun(ctx, Run{Monitor: m.Name, Scheduled: due, Window: Window{From: from.Add(-off), To: due.Add(-off)},
			Status: RunInProgress, Owner: s.Owner, StartedAt: now})
		if err != nil {
			return ran, fmt.Errorf("claiming a window of monitor %q: %w", m.Name, err)
		}
		if !claimed {
			continue // another scheduler has it
		}
		r, err = s.Execute(ctx, m, r)
		if err != nil {
			s.logger().WarnContext(ctx, "monitoring run failed", "monitor", m.Name, "window_end", due, "err", err)
		}
		ran = append(ran, r)
	}
	return ran, nil
}
