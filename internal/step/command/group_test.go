package command_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/procgroup"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/command"
)

// alive reports whether pid is a live process (a zombie is dead).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// grandchild is a program whose child, `sh -c 'sleep 100; true'`, writes
// its pid to pidFile and keeps running; the program then does what rest
// says.
func grandchild(pidFile, rest string) []any {
	return argv("/bin/sh", "-c", fmt.Sprintf(`sh -c 'echo $$ > %s; sleep 100; true' & while [ ! -s %s ]; do sleep 0.01; done; %s`, pidFile, pidFile, rest))
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

// A step's grandchildren end with it, whether it is stopped (the context
// is canceled), times out, or exits leaving them in the background.
func TestNoProcessOutlivesTheStep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rest    string
		ctx     func(pidFile string) (context.Context, context.CancelFunc)
		wantErr bool
	}{
		{"Stop", "sleep 100", func(pidFile string) (context.Context, context.CancelFunc) {
			// Stop once the grandchild runs, as `ferry stop` would.
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				for ctx.Err() == nil {
					if b, _ := os.ReadFile(pidFile); len(b) > 0 {
						cancel()
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
			return ctx, cancel
		}, true},
		{"Timeout", "sleep 100", func(string) (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 2*time.Second)
		}, true},
		{"ExitLeavingItBehind", "exit 0", func(string) (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			pidFile := filepath.Join(t.TempDir(), "pid")
			ctx, cancel := tc.ctx(pidFile)
			defer cancel()
			start := time.Now()
			_, err := (&command.Kind{}).Run(ctx, b.env, step.Request{Args: map[string]any{"command": grandchild(pidFile, tc.rest)}})
			if (err != nil) != tc.wantErr {
				t.Fatalf("Run: %v, want error %v\nlog:\n%s", err, tc.wantErr, b.log)
			}
			if d := time.Since(start); d > 4500*time.Millisecond {
				t.Errorf("Run took %s: the grandchild held it up", d)
			}
			pid := readPID(t, pidFile)
			deadline := time.Now().Add(2 * time.Second)
			for alive(pid) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if alive(pid) {
				t.Errorf("grandchild %d outlived the step", pid)
			}
		})
	}
}

// The work directory records the program's process group, which a resume
// after a crash ends (procgroup.EndRecorded), and the record names the
// group of the program that ran.
func TestProcessGroupIsRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := (&command.Kind{}).Run(context.Background(), b.env, step.Request{Args: map[string]any{
		"command": argv("/bin/sh", "-c", `ps -o pgid= -p $$ > pgid.txt; cp "$FERRY_WORK_DIR/`+procgroup.File+`" record.txt`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	pg, _ := os.ReadFile(filepath.Join(b.env.WorkDir, "pgid.txt"))
	rec, _ := os.ReadFile(filepath.Join(b.env.WorkDir, "record.txt"))
	if id, _, _ := strings.Cut(string(rec), " "); strings.TrimSpace(string(pg)) == "" || id != strings.TrimSpace(string(pg)) {
		t.Errorf("record %q, process group %q", rec, pg)
	}
}

func TestLogLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		limit     int64
		wantBytes int // of program output kept
		wantMark  bool
	}{
		{"UnderTheLimit", 10000, 5000, false},
		{"Truncated", 1000, 1000, true},
		{"NoLimit", -1, 5000, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			// 5000 bytes, then a line, on stdout (one pipe, so the order in
			// the log is the order written; stderr is read concurrently).
			_, err := (&command.Kind{LogLimit: tc.limit}).Run(context.Background(), b.env, step.Request{Args: map[string]any{
				"command": argv("/bin/sh", "-c", `head -c 5000 /dev/zero | tr '\0' x; echo done`),
			}})
			if err != nil {
				t.Fatal(err)
			}
			_, log, _ := strings.Cut(b.log.String(), "\n") // after the "$ command" line
			if got := strings.Count(log, "x"); got != tc.wantBytes {
				t.Errorf("log keeps %d bytes of output, want %d", got, tc.wantBytes)
			}
			if got := strings.Contains(log, "--- log truncated: the program wrote more than"); got != tc.wantMark {
				t.Errorf("marker present = %v, want %v:\n%.300s", got, tc.wantMark, log)
			}
			if tc.wantMark && strings.Contains(log, "done") {
				t.Errorf("output after the limit reached the log")
			}
		})
	}
}

func TestDefaultLogLimit(t *testing.T) {
	t.Parallel()
	if command.DefaultLogLimit != 64<<20 {
		t.Errorf("DefaultLogLimit = %d; docs/command-step.md says 64 MiB", command.DefaultLogLimit)
	}
}
