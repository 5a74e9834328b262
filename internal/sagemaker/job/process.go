package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/sagemaker/optml"
	"github.com/ferryml/ferry/internal/step"
)

// proc is one user process of a job.
type proc struct {
	jobDir  string
	argv    []string
	env     map[string]string
	workDir string // inside the sandbox; "" = /opt/ml
	timeout time.Duration
	runtime imagemap.Runtime
}

// Timing splits a job's wall time into the user's process and Ferry's own
// work around it (inputs, outputs, packing, sandbox set-up).
type Timing struct {
	Total, Process time.Duration
}

// Overhead is everything but the user's process.
func (t Timing) Overhead() time.Duration { return t.Total - t.Process }

// run runs p in the sandbox, logging to log. A non-zero exit fails with the
// tail of stderr (and /opt/ml/output/failure when the script wrote one);
// it is retryable, as a SageMaker job failure is.
func (r *Runner) run(ctx context.Context, p proc, log io.Writer) (time.Duration, error) {
	sb, err := r.Sandbox(ctx)
	if err != nil {
		return 0, err
	}
	env := r.baseEnv()
	// Scripts that call python themselves (FrameworkProcessor's runproc.sh,
	// a training entry point in shell) get the mapped runtime too: a
	// directory of python and python3 shims comes first on PATH.
	shims, err := writeShims(filepath.Join(filepath.Dir(p.jobDir), "ferry-bin"), p.runtime.Command)
	if err != nil {
		return 0, fmt.Errorf("writing the python shims: %w", err)
	}
	env = prependPath(env, shims)
	for _, k := range sortedKeys(r.Env) {
		env = append(env, k+"="+r.Env[k])
	}
	for _, k := range sortedKeys(p.env) {
		env = append(env, k+"="+p.env[k])
	}
	if log == nil {
		log = io.Discard
	}
	fmt.Fprintf(log, "# runtime %s (image %s, rule %q from %s)\n", strings.Join(p.runtime.Command, " "), p.runtime.Image, p.runtime.Pattern, p.runtime.Source)
	fmt.Fprintf(log, "$ %s\n", strings.Join(p.argv, " "))
	if p.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, p.timeout, fmt.Errorf("stopped after MaxRuntimeInSeconds=%d", int(p.timeout.Seconds())))
		defer cancel()
	}
	res, err := sb.Run(ctx, optml.Job{Dir: p.jobDir, Argv: p.argv, Env: env, WorkDir: p.workDir, Stdout: log, Stderr: log})
	elapsed := res.End.Sub(res.Start)
	if err == nil {
		return elapsed, nil
	}
	var ee *optml.ExitError
	if errors.As(err, &ee) {
		if b, ferr := os.ReadFile(filepath.Join(p.jobDir, "output", "failure")); ferr == nil && len(strings.TrimSpace(string(b))) > 0 {
			reason := strings.TrimSpace(string(b))
			if len(reason) > 400 {
				reason = reason[:400] + "…"
			}
			return elapsed, fmt.Errorf("%w (/opt/ml/output/failure: %s)", err, reason)
		}
		return elapsed, err
	}
	if res.Start.IsZero() {
		return 0, step.Permanent(err) // did not start
	}
	return elapsed, err
}

// writeShims writes python and python3 scripts in dir that run cmd.
func writeShims(dir string, cmd []string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\nexec")
	for _, a := range cmd {
		b.WriteString(" '" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	b.WriteString(` "$@"` + "\n")
	for _, name := range []string{"python", "python3"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o755); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// prependPath puts dir first on the PATH of env (adding PATH if absent).
func prependPath(env []string, dir string) []string {
	out := make([]string, 0, len(env)+1)
	found := false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			kv = "PATH=" + dir + string(os.PathListSeparator) + v
			found = true
		}
		out = append(out, kv)
	}
	if !found {
		out = append(out, "PATH="+dir+string(os.PathListSeparator)+"/usr/local/bin:/usr/bin:/bin")
	}
	return out
}
