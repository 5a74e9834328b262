package monitor

import (
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestScheduleNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, from, want string
	}{
		{"0 * * * *", "2026-01-01T10:07:00Z", "2026-01-01T11:00:00Z"},
		{"@hourly", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z"},
		{"cron(0 * ? * * *)", "2026-01-01T23:30:00Z", "2026-01-02T00:00:00Z"},
		{"@daily", "2026-01-01T10:07:00Z", "2026-01-02T00:00:00Z"},
		{"*/15 * * * *", "2026-01-01T10:07:00Z", "2026-01-01T10:15:00Z"},
		{"30 2 * * 1", "2026-01-01T10:07:00Z", "2026-01-05T02:30:00Z"}, // 2026-01-05 is a Monday
		{"0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"5-10/5 8,20 * * 7", "2026-01-01T00:00:00Z", "2026-01-04T08:05:00Z"}, // Sunday as 7
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			t.Parallel()
			s, err := ParseSchedule(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(mustTime(t, tc.from)); !got.Equal(mustTime(t, tc.want)) {
				t.Errorf("Next(%s) = %s, want %s", tc.from, got, tc.want)
			}
		})
	}
}

func TestScheduleDueAndPrev(t *testing.T) {
	t.Parallel()
	s, err := ParseSchedule("0 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	due, ok := s.Due(mustTime(t, "2026-01-01T11:00:00Z"), mustTime(t, "2026-01-01T15:30:00Z"))
	if !ok || !due.Equal(mustTime(t, "2026-01-01T15:00:00Z")) {
		t.Errorf("Due = %s, %v; want the latest missed window only", due, ok)
	}
	if _, ok := s.Due(mustTime(t, "2026-01-01T15:00:00Z"), mustTime(t, "2026-01-01T15:30:00Z")); ok {
		t.Error("Due reported a window already run")
	}
	if p := s.Prev(mustTime(t, "2026-01-01T15:00:00Z")); !p.Equal(mustTime(t, "2026-01-01T14:00:00Z")) {
		t.Errorf("Prev = %s", p)
	}
}

func TestParseScheduleErrors(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"", "* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "5-1 * * * *", "a * * * *",
		"cron(0 * * * *)", "cron(0 * ? * * 2027)", "cron(0 * ? * * *"} {
		if _, err := ParseSchedule(expr); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", expr)
		}
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"0 * * * *", "@daily", "cron(0 * ? * * *)", "*/5 1-3 1,15 * 0-6", "0 0 31 2 *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := ParseSchedule(expr)
		if err != nil {
			return
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if n := s.Next(from); !n.IsZero() && !n.After(from) {
			t.Fatalf("Next(%s) = %s is not after it", from, n)
		}
	})
}

func FuzzParseInput(f *testing.F) {
	for _, s := range []string{"1,2,3\n4,,6\n", `{"instances": [{"a": 1, "b": "x"}]}`, `[[1, 2], [3, null]]`, `[1, 2]`, `{"features": [1]}`, `"x`} {
		f.Add("text/csv", s)
		f.Add("application/json", s)
		f.Add("application/jsonlines", s)
	}
	f.Fuzz(func(t *testing.T, ct, body string) {
		recs, err := ParseInput(ct, []byte(body))
		if err != nil {
			return
		}
		p := NewProfiler(nil)
		for _, r := range recs {
			if len(r.Values) != len(r.Present) || (r.Names != nil && len(r.Names) != len(r.Values)) {
				t.Fatalf("malformed record %+v", r)
			}
			p.Add(r)
		}
		p.Profile()
	})
}

func FuzzParseGroundTruth(f *testing.F) {
	f.Add(`{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "a"}, "eventVersion": "0"}`)
	f.Add("inference_id,label\na,1\nb,0\n")
	f.Fuzz(func(t *testing.T, s string) {
		gts, err := ParseGroundTruth(stringsReader(s))
		if err != nil {
			return
		}
		for _, g := range gts {
			if g.EventMetadata.EventID == "" {
				t.Fatal("accepted an empty id")
			}
		}
	})
}
