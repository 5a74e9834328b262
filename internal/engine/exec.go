package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/step"
)

// abandonAfter is how long the engine waits, after an attempt's context
// ends, for a kind that ignores cancellation before giving up on it.
const abandonAfter = 10 * time.Second

// runStep resolves, caches or runs one step with its retry policy and
// records the outcome in r. It returns the message of a fail step
// (*step.FailError) and any failure to record state; step failures are
// recorded in r.
func (x *execution) runStep(ctx, rec context.Context, st *pipeline.Step, r *run.StepRun, sc *scope) (string, error) {
	e := x.e
	save := func() error {
		if err := x.store().SaveStepRuns(rec, r); err != nil {
			return fmt.Errorf("recording step %s: %w", r.Step, err)
		}
		return nil
	}
	emit := func(msg string) {
		x.em.emit(Event{Time: e.now(), ExecutionID: x.ex.ID, Step: r.Step, StepStatus: r.Status, Attempt: r.Attempts, Message: msg})
	}
	fail := func(status run.StepStatus, reason string) error {
		r.Status, r.EndedAt, r.FailureReason = status, e.now(), run.TruncateReason(x.sec.mask(reason))
		err := save()
		emit(r.FailureReason)
		return err
	}

	lf, err := openLog(e.LogPath(x.ex.ID, r.Step))
	if err != nil {
		return "", fail(run.StepFailed, err.Error())
	}
	defer lf.Close()
	var logf io.Writer = lf
	if x.sec.active() {
		rw := x.sec.writer(lf)
		defer rw.Flush()
		logf = rw
	}

	kind, ok := e.Kinds.Lookup(st.Kind)
	if !ok {
		return "", fail(run.StepFailed, fmt.Sprintf("unknown step kind %q", st.Kind))
	}
	spec := kind.Spec()
	args, err := st.ResolveArgs(sc)
	if err != nil {
		return "", fail(run.StepFailed, fmt.Sprintf("resolving arguments: %v", err))
	}
	if args, err = x.importArtifacts(ctx, spec, args); err != nil {
		if ctx.Err() != nil {
			return "", fail(run.StepStopped, context.Cause(ctx).Error())
		}
		return "", fail(run.StepFailed, err.Error())
	}
	req := step.Request{
		ExecutionID: x.ex.ID, PipelineName: x.p.Name, PipelineDigest: x.p.Digest, StepName: r.Step, Args: args,
		Parallelism: x.limit(),
	}

	if !spec.NoCache {
		key, inputs, err := cacheKey(ctx, kind, spec, st, req, x.sec)
		if err != nil {
			return "", fail(run.StepFailed, fmt.Sprintf("computing cache key: %v", err))
		}
		r.CacheKey, r.CacheInputs = key, inputs
	}
	switch {
	case spec.NoCache:
		r.CacheNote = "not cached: kind " + spec.Kind + " never uses the cache"
	case x.ex.NoCache:
		r.CacheNote = "miss: cache disabled for this run"
	case !st.Cache.Enabled:
		r.CacheNote = "miss: cache disabled for this step"
	default:
		hit, note, err := x.lookupCache(rec, st, spec, r)
		if err != nil {
			return "", fail(run.StepFailed, fmt.Sprintf("looking up the cache: %v", err))
		}
		r.CacheNote = note
		if hit != nil {
			r.Status, r.EndedAt = run.StepCacheHit, e.now()
			r.Outputs, r.Properties = hit.Outputs, hit.Properties
			r.Provenance, r.SourceExecution = run.FromCache, hit.SourceExecution
			if r.SourceExecution == "" {
				r.SourceExecution = hit.ExecutionID
			}
			err := save()
			emit(r.CacheNote)
			return "", err
		}
	}

	r.Status = run.StepExecuting
	task := Task{
		Request: req, Kind: st.Kind, Queue: st.Queue, Timeout: st.Timeout, Retry: retryPolicy(st.Retry),
		PropertyFiles: st.PropertyFiles, Outputs: declaredOutputs(spec, req.Args), Secret: x.sec.active(),
	}
	obs := Observer{
		Log:    logf,
		Logger: x.sec.logger(e.logger()),
		Attempt: func(n int) error {
			r.Attempts = n
			if err := save(); err != nil {
				return err
			}
			if n == 1 {
				emit(r.CacheNote)
			} else {
				emit("")
			}
			return nil
		},
		Retry: func(n int, err error, wait time.Duration) {
			r.FailureReason = run.TruncateReason(x.sec.mask(err.Error()))
			emit(fmt.Sprintf("attempt %d failed (%v); retrying in %s", n, err, wait))
		},
	}
	res, err := e.runner().RunStep(ctx, task, obs)
	if err == nil {
		r.Status, r.EndedAt, r.FailureReason = run.StepSucceeded, e.now(), ""
		r.Outputs, r.Properties = res.Outputs, x.sec.maskMap(res.Properties)
		err := save()
		emit("")
		return "", err
	}
	var re *RecordError
	if errors.As(err, &re) {
		return "", re.Err
	}
	if ctx.Err() != nil {
		return "", fail(run.StepStopped, context.Cause(ctx).Error())
	}
	msg := ""
	var fe *step.FailError
	if errors.As(err, &fe) {
		msg = fe.Message
	}
	return x.sec.mask(msg), fail(run.StepFailed, err.Error())
}

// retryPolicy fills in a step's retry defaults: one attempt, 1s interval,
// backoff rate 2.
func retryPolicy(p *pipeline.RetryPolicy) pipeline.RetryPolicy {
	out := pipeline.RetryPolicy{MaxAttempts: 1, Interval: time.Second, BackoffRate: 2}
	if p == nil {
		return out
	}
	if p.MaxAttempts > 0 {
		out.MaxAttempts = p.MaxAttempts
	}
	if p.Interval > 0 {
		out.Interval = p.Interval
	}
	if p.BackoffRate > 0 {
		out.BackoffRate = p.BackoffRate
	}
	out.MaxInterval = p.MaxInterval
	return out
}

// timeoutError is the cause of an attempt's context when the step's
// timeout elapses.
type timeoutError struct{ d time.Duration }

func (e timeoutError) Error() string { return fmt.Sprintf("timed out after %s", e.d) }

// properties returns a step's properties: those of its kind (base) and
// those read from its property files in outputs, normalized through JSON.
func properties(ctx context.Context, store artifact.Store, files map[string]pipeline.PropertyFile, base map[string]any, outputs map[string]artifact.Ref) (map[string]any, error) {
	props := make(map[string]any, len(base)+len(files))
	for k, v := range base {
		props[k] = v
	}
	for name, pf := range files {
		v, err := readPropertyFile(ctx, store, pf, outputs)
		if err != nil {
			return nil, fmt.Errorf("property file %q: %w", name, err)
		}
		props[name] = v
	}
	// Normalize through JSON, so a fresh result and one read back from the
	// store (a cache hit, a resume) look the same to later steps.
	b, err := json.Marshal(props)
	if err != nil {
		return nil, fmt.Errorf("encoding properties: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decoding properties: %w", err)
	}
	return out, nil
}

func declaredOutputs(spec step.Spec, args map[string]any) []string {
	if !spec.DynamicOutputs {
		names := make([]string, 0, len(spec.Outputs))
		for _, f := range spec.Outputs {
			names = append(names, f.Name)
		}
		return names
	}
	var names []string
	switch l := args["outputs"].(type) {
	case []any:
		for _, v := range l {
			if s, ok := v.(string); ok {
				names = append(names, s)
			}
		}
	case []string:
		names = l
	}
	return names
}

func readPropertyFile(ctx context.Context, store artifact.Store, pf pipeline.PropertyFile, outputs map[string]artifact.Ref) (any, error) {
	out := pf.Output
	if out == "" {
		if len(outputs) != 1 {
			return nil, fmt.Errorf("the step has %d outputs: name the one holding %s", len(outputs), pf.Path)
		}
		for name := range outputs {
			out = name
		}
	}
	ref, ok := outputs[out]
	if !ok {
		return nil, fmt.Errorf("the step produced no output %q", out)
	}
	if !filepath.IsLocal(filepath.FromSlash(pf.Path)) {
		return nil, fmt.Errorf("path %q must be relative and inside output %q", pf.Path, out)
	}
	dir, err := store.Path(ctx, ref)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(pf.Path)))
	if err != nil {
		return nil, fmt.Errorf("reading %s in output %q: %w", pf.Path, out, err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("parsing %s in output %q as JSON: %w", pf.Path, out, err)
	}
	return v, nil
}

// importArtifacts turns artifact-typed arguments into references: a
// "sha256:" reference is checked, anything else is a local path (relative
// to the definition's directory) that is stored.
func (x *execution) importArtifacts(ctx context.Context, spec step.Spec, args map[string]any) (map[string]any, error) {
	for _, f := range spec.Args {
		v, ok := args[f.Name]
		if !ok || v == nil {
			continue
		}
		switch f.Type {
		case step.Artifact:
			ref, err := x.importOne(ctx, v)
			if err != nil {
				return nil, fmt.Errorf("argument %s: %w", f.Name, err)
			}
			args[f.Name] = ref
		case step.ArtifactMap:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("argument %s: got %T, want a map of artifacts", f.Name, v)
			}
			out := make(map[string]any, len(m))
			for k, mv := range m {
				ref, err := x.importOne(ctx, mv)
				if err != nil {
					return nil, fmt.Errorf("argument %s.%s: %w", f.Name, k, err)
				}
				out[k] = ref
			}
			args[f.Name] = out
		}
	}
	return args, nil
}

func (x *execution) importOne(ctx context.Context, v any) (artifact.Ref, error) {
	var s string
	switch t := v.(type) {
	case artifact.Ref:
		s = string(t)
	case string:
		s = t
	default:
		return "", fmt.Errorf("got %T, want an artifact reference or a local path", v)
	}
	if strings.HasPrefix(s, "sha256:") {
		ref, err := artifact.ParseRef(s)
		if err != nil {
			return "", err
		}
		ok, err := x.e.Artifacts.Exists(ctx, ref)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("artifact %s is not in the store", ref)
		}
		return ref, nil
	}
	if s == "" {
		return "", errors.New("empty path")
	}
	path := s
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(x.p.File), filepath.FromSlash(s))
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("importing local path %q: %w", s, err)
	}
	var ref artifact.Ref
	if fi.IsDir() {
		ref, err = x.e.Artifacts.PutDir(ctx, path)
	} else {
		ref, err = x.e.Artifacts.PutFile(ctx, path, filepath.Base(path))
	}
	if err != nil {
		return "", fmt.Errorf("importing local path %q: %w", s, err)
	}
	return ref, nil
}

// lockedFile is a step log shared by a kind's concurrent writers (a
// command's stdout and stderr).
type lockedFile struct {
	mu sync.Mutex
	f  *os.File
}

func openLog(path string) (*lockedFile, error) {
	// Owner only: a program may print what it should not.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening step log: %w", err)
	}
	return &lockedFile{f: f}, nil
}

func (l *lockedFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

func (l *lockedFile) Close() error { return l.f.Close() }
