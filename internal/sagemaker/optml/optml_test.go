package optml_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferryml/ferry/internal/sagemaker/optml"
)

// sandbox detects a method or skips: machines without bubblewrap and not
// running as root cannot run SageMaker jobs (Detect's error says why).
func sandbox(t *testing.T, m optml.Method) *optml.Sandbox {
	t.Helper()
	s, err := optml.Detect(t.Context(), m)
	if err != nil {
		var ue *optml.UnavailableError
		if !errors.As(err, &ue) {
			t.Fatal(err)
		}
		if os.Getenv("CI") == "true" && m == "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return s
}

func sh(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	return p
}

// TestConcurrentJobsPrivateOptML is must-show 2: jobs that use the same
// /opt/ml paths at the same time each see only their own directory.
func TestConcurrentJobsPrivateOptML(t *testing.T) {
	t.Parallel()
	for _, m := range []optml.Method{optml.Bubblewrap, optml.Unshare} {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			s := sandbox(t, m)
			shell := sh(t)
			const jobs = 4
			dirs := make([]string, jobs)
			for i := range dirs {
				dirs[i] = t.TempDir()
				in := filepath.Join(dirs[i], "processing", "input")
				if err := os.MkdirAll(in, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(in, "data.csv"), []byte(fmt.Sprintf("job%d\n", i)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// Each job writes its input to the same output path, waits so
			// that all jobs overlap, then checks that the file is still its
			// own and that it sees exactly one input.
			script := `mkdir -p /opt/ml/processing/output && cat /opt/ml/processing/input/data.csv > /opt/ml/processing/output/out.txt && sleep 0.3 &&
n=$(ls /opt/ml/processing/input | wc -l) && [ "$n" = 1 ] || { echo "sees $n inputs" >&2; exit 3; }
cmp /opt/ml/processing/input/data.csv /opt/ml/processing/output/out.txt || { echo "output overwritten" >&2; exit 4; }`
			var wg sync.WaitGroup
			errs := make([]error, jobs)
			for i := range jobs {
				wg.Go(func() {
					_, errs[i] = s.Run(t.Context(), optml.Job{Dir: dirs[i], Argv: []string{shell, "-c", script}, Env: []string{"PATH=/usr/bin:/bin"}})
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("job %d: %v", i, err)
				}
				got, err := os.ReadFile(filepath.Join(dirs[i], "processing", "output", "out.txt"))
				if err != nil {
					t.Fatal(err)
				}
				if want := fmt.Sprintf("job%d\n", i); string(got) != want {
					t.Errorf("job %d wrote %q, want %q", i, got, want)
				}
			}
			if _, err := os.Stat(filepath.Join(optml.Root, "processing", "output", "out.txt")); err == nil {
				t.Errorf("a job wrote to the host's %s", optml.Root)
			}
		})
	}
}

func TestExitErrorQuotesStderrTail(t *testing.T) {
	t.Parallel()
	s := sandbox(t, "")
	script := `i=0; while [ $i -lt 200 ]; do echo "noise line $i" >&2; i=$((i+1)); done; echo "ValueError: bad column fraud" >&2; exit 2`
	var log bytes.Buffer
	res, err := s.Run(t.Context(), optml.Job{Dir: t.TempDir(), Argv: []string{sh(t), "-c", script}, Stderr: &log})
	var ee *optml.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("got %v, want an *ExitError", err)
	}
	if res.ExitCode != 2 || !strings.Contains(err.Error(), "exit status 2") {
		t.Errorf("exit: got %d, %v", res.ExitCode, err)
	}
	if !strings.HasSuffix(err.Error(), "ValueError: bad column fraud") {
		t.Errorf("failure reason does not end with the last stderr line: %q", err)
	}
	if len(ee.Tail) > optml.TailBytes+10 {
		t.Errorf("tail is %d bytes, want about %d", len(ee.Tail), optml.TailBytes)
	}
	if !strings.Contains(log.String(), "noise line 0\n") {
		t.Error("the log lacks the start of stderr")
	}
}

func TestCancelKillsProcessGroup(t *testing.T) {
	t.Parallel()
	s := sandbox(t, "")
	ctx, cancel := contextWithCancel(t)
	done := make(chan error, 1)
	go func() {
		_, err := s.Run(ctx, optml.Job{Dir: t.TempDir(), Argv: []string{sh(t), "-c", "sleep 30 & sleep 30; wait"}})
		done <- err
	}()
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled job succeeded")
	}
}

func TestUnavailableErrorSaysWhatToEnable(t *testing.T) {
	t.Parallel()
	err := (&optml.UnavailableError{Tried: map[optml.Method]string{optml.Bubblewrap: "bwrap is not installed"}}).Error()
	for _, want := range []string{"apt-get install bubblewrap", "unprivileged_userns_clone", "bwrap: bwrap is not installed"} {
		if !strings.Contains(err, want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
