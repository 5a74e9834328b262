package run_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ferryml/ferry/internal/run"
)

func TestEffective(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	alive := func(pid int) bool { return pid == 1 }
	tests := []struct {
		name string
		ex   run.Execution
		want run.Status
	}{
		{name: "RunningHere", ex: run.Execution{Status: run.Executing, OwnerPID: 1, OwnerHost: "h", Heartbeat: now}, want: run.Executing},
		{name: "DeadPIDHere", ex: run.Execution{Status: run.Executing, OwnerPID: 2, OwnerHost: "h", Heartbeat: now}, want: run.Interrupted},
		{name: "StoppingDead", ex: run.Execution{Status: run.Stopping, OwnerPID: 2, OwnerHost: "h", Heartbeat: now}, want: run.Interrupted},
		{name: "OtherHostFresh", ex: run.Execution{Status: run.Executing, OwnerPID: 2, OwnerHost: "g", Heartbeat: now.Add(-time.Second)}, want: run.Executing},
		{name: "OtherHostStale", ex: run.Execution{Status: run.Executing, OwnerPID: 2, OwnerHost: "g", Heartbeat: now.Add(-time.Minute)}, want: run.Interrupted},
		{name: "FinishedStays", ex: run.Execution{Status: run.Failed, OwnerPID: 2, OwnerHost: "h"}, want: run.Failed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.ex.Effective(now, "h", 10*time.Second, alive); got != tc.want {
				t.Errorf("Effective = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestTruncateReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{name: "Short", in: "boom"},
		{name: "ASCIILong", in: strings.Repeat("x", 5000)},
		{name: "MultibyteLong", in: strings.Repeat("é", 3000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := run.TruncateReason(tc.in)
			if len(got) > run.MaxFailureReason || !utf8.ValidString(got) {
				t.Errorf("%d bytes, valid UTF-8 %v; want <= %d and valid", len(got), utf8.ValidString(got), run.MaxFailureReason)
			}
			if len(tc.in) <= run.MaxFailureReason && got != tc.in {
				t.Errorf("short reason changed: %q", got)
			}
		})
	}
}

func FuzzTruncateReason(f *testing.F) {
	f.Add("boom")
	f.Add(strings.Repeat("日本", 400))
	f.Fuzz(func(t *testing.T, s string) {
		got := run.TruncateReason(s)
		if len(got) > run.MaxFailureReason {
			t.Fatalf("%d bytes", len(got))
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("valid input became invalid UTF-8")
		}
	})
}
