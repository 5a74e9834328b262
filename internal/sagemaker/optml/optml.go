// Package optml runs a SageMaker job's user process with a private /opt/ml:
// inside the process, /opt/ml is the job's own directory, so scripts that
// hard-code /opt/ml/processing/... or /opt/ml/model run unchanged, and two
// jobs running at the same time never see each other's files.
//
// There are no containers. The private view is a bind mount in a new mount
// namespace, made by one of (in order of preference, see [Detect]):
//
//   - bubblewrap (bwrap, Debian package "bubblewrap"): a small, well-kept
//     tool made for exactly this (Flatpak's sandbox). As root it uses a
//     mount namespace; as another user it uses a user namespace.
//   - util-linux unshare(1) with mount(8), as root only: a new mount
//     namespace in which the job directory is bind-mounted on /opt/ml.
//
// Where neither works, [Detect] returns a *[UnavailableError] that says what
// to install or enable.
//
// The process runs in its own process group (cancelling kills the whole
// group), dies with Ferry (Pdeathsig), writes stdout and stderr to the
// job's log, and a non-zero exit becomes an *[ExitError] quoting the tail of
// stderr.
package optml

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Root is where a job sees its directory.
const Root = "/opt/ml"

// Method names how the private /opt/ml is made.
type Method string

// The methods, in the order Detect tries them.
const (
	Bubblewrap Method = "bwrap"
	Unshare    Method = "unshare"
)

// Sandbox runs processes with a private /opt/ml. It is safe for
// concurrent use.
type Sandbox struct {
	method Method
	tool   string // absolute path of bwrap or unshare
	sh     string // /bin/sh, for the unshare method
}

// Method reports how the sandbox makes /opt/ml private.
func (s *Sandbox) Method() Method { return s.method }

// UnavailableError says that no method works here, and what to do.
type UnavailableError struct {
	// Tried holds, per method, why it did not work.
	Tried map[Method]string
}

func (e *UnavailableError) Error() string {
	var b strings.Builder
	b.WriteString("no private /opt/ml for SageMaker jobs on this machine: install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), " +
		"and, when not running as root, enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces>0; " +
		"on Ubuntu 24.04+ also kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap) and create /opt/ml once (mkdir /opt/ml)")
	for _, m := range []Method{Bubblewrap, Unshare} {
		if why, ok := e.Tried[m]; ok {
			fmt.Fprintf(&b, "; %s: %s", m, why)
		}
	}
	return b.String()
}

// Detect finds a method that works by running a no-op job through each:
// bubblewrap first, then unshare(1) when running as root. It takes a few
// milliseconds; call it once at start-up. prefer, when not empty, is the
// only method tried.
func Detect(ctx context.Context, prefer Method) (*Sandbox, error) {
	tried := make(map[Method]string)
	methods := []Method{Bubblewrap, Unshare}
	if prefer != "" {
		if prefer != Bubblewrap && prefer != Unshare {
			return nil, fmt.Errorf("sandbox method %q: want %s or %s", prefer, Bubblewrap, Unshare)
		}
		methods = []Method{prefer}
	}
	for _, m := range methods {
		s, err := probe(ctx, m)
		if err == nil {
			return s, nil
		}
		tried[m] = err.Error()
	}
	return nil, &UnavailableError{Tried: tried}
}

func probe(ctx context.Context, m Method) (*Sandbox, error) {
	s := &Sandbox{method: m}
	var err error
	switch m {
	case Bubblewrap:
		if s.tool, err = exec.LookPath("bwrap"); err != nil {
			return nil, errors.New("bwrap is not installed")
		}
	case Unshare:
		if os.Geteuid() != 0 {
			return nil, errors.New("needs root")
		}
		if s.tool, err = exec.LookPath("unshare"); err != nil {
			return nil, errors.New("unshare is not installed")
		}
		if s.sh, err = exec.LookPath("sh"); err != nil {
			return nil, errors.New("no sh on PATH")
		}
	}
	dir, err := os.MkdirTemp("", "ferry-optml-probe-")
	if err != nil {
		return nil, fmt.Errorf("making a probe directory: %w", err)
	}
	defer os.RemoveAll(dir)
	const marker = "ferry-probe"
	if err := os.WriteFile(filepath.Join(dir, marker), []byte("ok"), 0o644); err != nil {
		return nil, fmt.Errorf("writing the probe: %w", err)
	}
	cat, err := exec.LookPath("cat")
	if err != nil {
		return nil, errors.New("no cat on PATH for the probe")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	res, err := s.Run(ctx, Job{Dir: dir, Argv: []string{cat, Root + "/" + marker}, Stdout: &out})
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 || out.String() != "ok" {
		return nil, fmt.Errorf("probe did not see its own /opt/ml (exit %d): %s", res.ExitCode, strings.TrimSpace(res.StderrTail))
	}
	return s, nil
}

// Job is one process to run.
type Job struct {
	// Dir is the job's directory: the process sees it at /opt/ml.
	Dir string
	// Argv is the program and its arguments; Argv[0] is looked up on PATH
	// when it has no slash.
	Argv []string
	// Env is the process environment (nil: none).
	Env []string
	// WorkDir is the working directory inside the sandbox ("" = /opt/ml).
	WorkDir string
	// Stdout and Stderr receive the output (nil discards). They may be the
	// same writer; writes are serialized.
	Stdout, Stderr io.Writer
}

// Result is how the process ended.
type Result struct {
	ExitCode int
	// StderrTail is the last TailBytes of stderr, starting at a line.
	StderrTail string
	// Start is when the process was started, for overhead accounting.
	Start, End time.Time
}

// TailBytes is how much of stderr an ExitError quotes.
const TailBytes = 800

// ExitError is a process that exited non-zero or was killed by a signal.
type ExitError struct {
	Program string
	State   string // "exit status 2", "signal: killed"
	Tail    string // the end of stderr
}

func (e *ExitError) Error() string {
	if e.Tail == "" {
		return fmt.Sprintf("%s: %s", e.Program, e.State)
	}
	return fmt.Sprintf("%s: %s: %s", e.Program, e.State, e.Tail)
}

// argv returns the full command line that makes /opt/ml private.
func (s *Sandbox) argv(j Job) []string {
	wd := j.WorkDir
	if wd == "" {
		wd = Root
	}
	switch s.method {
	case Bubblewrap:
		a := []string{s.tool, "--dev-bind", "/", "/", "--bind", j.Dir, Root, "--die-with-parent", "--chdir", wd, "--"}
		return append(a, j.Argv...)
	default: // Unshare
		script := `mkdir -p "$1" && mount --bind "$0" "$1" && cd "$2" && shift 3 && exec "$@"`
		a := []string{s.tool, "--mount", "--propagation", "private", "--", s.sh, "-c", script, j.Dir, Root, wd, "--"}
		return append(a, j.Argv...)
	}
}

// Run runs the job and waits for it. A non-zero exit is returned as an
// *ExitError together with the Result; a process that cannot start is
// another error. Cancelling ctx kills the process group.
func (s *Sandbox) Run(ctx context.Context, j Job) (Result, error) {
	if len(j.Argv) == 0 {
		return Result{}, errors.New("running a job: empty argv")
	}
	dir, err := filepath.Abs(j.Dir)
	if err != nil {
		return Result{}, fmt.Errorf("job directory: %w", err)
	}
	j.Dir = dir
	full := s.argv(j)
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Env = j.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, stderr := j.Stdout, j.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	var mu sync.Mutex
	tail := &tailBuffer{max: TailBytes}
	cmd.Stdout = &lockedWriter{mu: &mu, w: stdout}
	cmd.Stderr = io.MultiWriter(&lockedWriter{mu: &mu, w: stderr}, tail)
	res := Result{Start: time.Now()}
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("starting %s: %w", full[0], err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		case <-done:
		}
	}()
	err = cmd.Wait()
	close(done)
	res.End = time.Now()
	res.StderrTail = strings.TrimSpace(tail.String())
	if err == nil {
		return res, nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return res, fmt.Errorf("running %s: %w", j.Argv[0], err)
	}
	res.ExitCode = ee.ExitCode()
	if ctx.Err() != nil {
		return res, fmt.Errorf("%s: %w", j.Argv[0], context.Cause(ctx))
	}
	return res, &ExitError{Program: filepath.Base(j.Argv[0]), State: ee.ProcessState.String(), Tail: res.StderrTail}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
	cut bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
		t.cut = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	cut := t.cut
	if len(b) > t.max {
		b = b[len(b)-t.max:]
		cut = true
	}
	s := string(b)
	if cut {
		if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
			s = s[i+1:]
		}
		s = "…" + s
	}
	return s
}
