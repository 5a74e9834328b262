package pipeline

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Day, week, month and year lengths used by durations: fixed, not
// calendar-aware (a cache expiry does not need calendars).
const (
	day   = 24 * time.Hour
	week  = 7 * day
	month = 30 * day
	year  = 365 * day
)

var (
	goDuration  = regexp.MustCompile(`^(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h|d|w))+$`)
	goComponent = regexp.MustCompile(`([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h|d|w)`)
	// isoDuration is ISO 8601 (P1Y2M3W4DT5H6M7.5S) and SageMaker's form
	// without the P (30d, 5y, T16m, 30dT5h).
	isoDuration = regexp.MustCompile(`^[Pp]?(?:([0-9]+)[Yy])?(?:([0-9]+)M)?(?:([0-9]+)[Ww])?(?:([0-9]+)[Dd])?(?:[Tt](?:([0-9]+)[Hh])?(?:([0-9]+)[Mm])?(?:([0-9]+(?:\.[0-9]+)?)[Ss])?)?$`)
)

// ParseDuration parses a duration in any of the forms a definition accepts:
//
//   - Go's form, plus d (24h) and w (7d): 90s, 1h30m, 1.5h, 30d, 2w;
//   - ISO 8601: P30D, PT1H, P1Y2M, P1DT12H, PT0.5S (Y = 365d, M = 30d);
//   - SageMaker's ISO form without the P: 5y, T16m, 30dT5h.
//
// Durations are non-negative; zero is allowed.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if goDuration.MatchString(s) {
		var total float64
		for _, m := range goComponent.FindAllStringSubmatch(s, -1) {
			n, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				return 0, fmt.Errorf("duration %q: %w", s, err)
			}
			total += n * float64(unitOf(m[2]))
		}
		return fromFloat(s, total)
	}
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "p" || strings.HasSuffix(s, "T") || strings.HasSuffix(s, "t") || allEmpty(m[1:]) {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return 0, fmt.Errorf("duration %q has no unit (write for example %ss)", s, s)
		}
		return 0, fmt.Errorf("bad duration %q (examples: 90s, 1h30m, 30d, P30D, PT1H, 30dT5h)", s)
	}
	units := []time.Duration{year, month, week, day, time.Hour, time.Minute, time.Second}
	var total float64
	for i, part := range m[1:] {
		if part == "" {
			continue
		}
		n, err := strconv.ParseFloat(part, 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %w", s, err)
		}
		total += n * float64(units[i])
	}
	return fromFloat(s, total)
}

func allEmpty(parts []string) bool {
	for _, p := range parts {
		if p != "" {
			return false
		}
	}
	return true
}

func unitOf(u string) time.Duration {
	switch u {
	case "ns":
		return time.Nanosecond
	case "us", "µs":
		return time.Microsecond
	case "ms":
		return time.Millisecond
	case "s":
		return time.Second
	case "m":
		return time.Minute
	case "h":
		return time.Hour
	case "d":
		return day
	}
	return week
}

func fromFloat(s string, ns float64) (time.Duration, error) {
	if ns >= math.MaxInt64 || math.IsNaN(ns) {
		return 0, fmt.Errorf("duration %q is too long (more than about 292 years)", s)
	}
	return time.Duration(ns), nil
}

// FormatDuration writes d in the shortest form ParseDuration reads back,
// using d for whole days: 30d, 1d12h, 1h30m, 1.5s.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	days := d / day
	rest := d % day
	switch {
	case days == 0:
		return trimZeroUnits(rest.String())
	case rest == 0:
		return strconv.FormatInt(int64(days), 10) + "d"
	}
	return strconv.FormatInt(int64(days), 10) + "d" + trimZeroUnits(rest.String())
}

// trimZeroUnits turns Go's "1h0m0s" into "1h".
func trimZeroUnits(s string) string {
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
