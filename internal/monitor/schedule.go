package monitor

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed cron expression, evaluated in UTC.
type Schedule struct {
	minute, hour, dom, month, dow uint64 // bit sets
	domAny, dowAny                bool
}

// ParseSchedule parses a schedule: five cron fields "MIN HOUR DOM MONTH
// DOW" (numbers, *, ?, lists a,b, ranges a-b and steps */n or a-b/n;
// Sunday is 0 or 7), SageMaker's "cron(MIN HOUR DOM MONTH DOW YEAR)" with
// the year *, or @hourly / @daily (also "hourly", "daily").
func ParseSchedule(expr string) (*Schedule, error) {
	e := strings.TrimSpace(expr)
	switch strings.ToLower(e) {
	case "@hourly", "hourly":
		e = "0 * * * *"
	case "@daily", "daily", "@midnight":
		e = "0 0 * * *"
	}
	if inner, ok := strings.CutPrefix(e, "cron("); ok {
		inner, ok = strings.CutSuffix(inner, ")")
		if !ok {
			return nil, fmt.Errorf("schedule %q: cron( has no closing parenthesis", expr)
		}
		f := strings.Fields(inner)
		if len(f) != 6 {
			return nil, fmt.Errorf("schedule %q: cron(...) needs 6 fields (minute hour day-of-month month day-of-week year)", expr)
		}
		if f[5] != "*" && f[5] != "?" {
			return nil, fmt.Errorf("schedule %q: only * is supported for the year", expr)
		}
		e = strings.Join(f[:5], " ")
	}
	f := strings.Fields(e)
	if len(f) != 5 {
		return nil, fmt.Errorf("schedule %q: want 5 fields (minute hour day-of-month month day-of-week), @hourly or @daily", expr)
	}
	s := &Schedule{}
	var err error
	specs := []struct {
		dst    *uint64
		lo, hi int
		name   string
	}{{&s.minute, 0, 59, "minute"}, {&s.hour, 0, 23, "hour"}, {&s.dom, 1, 31, "day of month"}, {&s.month, 1, 12, "month"}, {&s.dow, 0, 7, "day of week"}}
	for i, sp := range specs {
		if *sp.dst, err = parseField(f[i], sp.lo, sp.hi); err != nil {
			return nil, fmt.Errorf("schedule %q: %s: %w", expr, sp.name, err)
		}
	}
	if s.dow&(1<<7) != 0 {
		s.dow |= 1 // 7 is Sunday too
	}
	s.domAny = f[2] == "*" || f[2] == "?"
	s.dowAny = f[4] == "*" || f[4] == "?"
	return s, nil
}

func parseField(f string, lo, hi int) (uint64, error) {
	var set uint64
	for _, part := range strings.Split(f, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q: want an integer >= 1", stepText)
			}
			step = n
		}
		a, b := lo, hi
		switch {
		case rng == "*" || rng == "?":
		case strings.Contains(rng, "-"):
			x, y, _ := strings.Cut(rng, "-")
			var err error
			if a, err = bound(x, lo, hi); err != nil {
				return 0, err
			}
			if b, err = bound(y, lo, hi); err != nil {
				return 0, err
			}
			if a > b {
				return 0, fmt.Errorf("range %q is empty", rng)
			}
		default:
			var err error
			if a, err = bound(rng, lo, hi); err != nil {
				return 0, err
			}
			b = a
			if hasStep {
				b = hi
			}
		}
		for v := a; v <= b; v += step {
			set |= 1 << uint(v)
		}
	}
	if set == 0 {
		return 0, errors.New("matches nothing")
	}
	return set, nil
}

func bound(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is outside %d-%d", n, lo, hi)
	}
	return n, nil
}

func (s *Schedule) dayMatches(t time.Time) bool {
	d := s.dom&(1<<uint(t.Day())) != 0
	w := s.dow&(1<<uint(t.Weekday())) != 0
	switch {
	case s.domAny && s.dowAny:
		return true
	case s.domAny:
		return w
	case s.dowAny:
		return d
	}
	return d || w // cron's rule when both are restricted
}

// Next returns the first time after t (in whole minutes, UTC) that the
// schedule fires, or the zero time when there is none within five years.
func (s *Schedule) Next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		switch {
		case s.month&(1<<uint(t.Month())) == 0:
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !s.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		case s.hour&(1<<uint(t.Hour())) == 0:
			t = t.Truncate(time.Hour).Add(time.Hour)
		case s.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

// Due returns the latest fire time in (after, now], the window end a
// scheduler should run now; ok is false when the schedule has not fired
// since after. However many times it fired during a downtime, only the
// latest counts: a missed window runs once.
func (s *Schedule) Due(after, now time.Time) (time.Time, bool) {
	var last time.Time
	t := after
	for i := 0; i < 1_000_000; i++ {
		n := s.Next(t)
		if n.IsZero() || n.After(now) {
			break
		}
		last, t = n, n
	}
	return last, !last.IsZero()
}

// Prev returns the latest fire time strictly before t (searching back at
// most 366 days), used as a first window's start.
func (s *Schedule) Prev(t time.Time) time.Time {
	from := t.AddDate(-1, 0, -1)
	// Start close to t first: most schedules fire hourly or daily.
	for _, back := range []time.Duration{2 * time.Hour, 49 * time.Hour, 32 * 24 * time.Hour} {
		if p, ok := s.Due(t.Add(-back), t.Add(-time.Nanosecond)); ok {
			return p
		}
	}
	p, _ := s.Due(from, t.Add(-time.Nanosecond))
	return p
}
