// Package command is the "command" step kind: it runs a user program
// (the equivalent of a Lambda or state-machine task) under a documented
// contract (docs/command-step.md):
//
//   - argv is the "command" argument, run with the working directory set
//     to the attempt's scratch directory (WorkDir); "${FERRY_...}" in an
//     argv element is replaced by that variable's value;
//   - each input artifact is visible at inputs/<name>/ (read-only: a link
//     into the artifact store), named by FERRY_INPUT_<NAME>, with
//     FERRY_INPUTS_DIR naming inputs/; a program that modifies an input
//     anyway fails the step permanently;
//   - every FERRY_*_DIR, FERRY_INPUT_*, FERRY_OUTPUT_* and
//     FERRY_PROPERTIES_FILE path is absolute;
//   - each declared output is an empty directory outputs/<name>/, named by
//     FERRY_OUTPUT_<NAME>, with FERRY_OUTPUTS_DIR naming outputs/; after a
//     zero exit each is stored as the output artifact <name>;
//   - a JSON object the program writes to $FERRY_PROPERTIES_FILE becomes
//     the step's properties;
//   - stdout and stderr go to the step log; a non-zero exit fails the step
//     with the tail of stderr (retryable); a program that cannot start
//     fails it permanently.
//
// <NAME> is the name upper-cased with every character other than A-Z, 0-9
// and _ replaced by _.
package command

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/step"
)

// tailBytes is how much of stderr a failure reason quotes.
const tailBytes = 800

// Kind is the command step kind. The zero value is ready to use; it is safe
// for concurrent use.
type Kind struct {
	// Environ is the environment the program inherits before Ferry's
	// variables and the step's env are added (default os.Environ()).
	Environ func() []string
	// LogLimit caps the program output (stdout and stderr together) one
	// attempt writes to the step log: 0 means DefaultLogLimit, a negative
	// value no cap. Output past it is discarded after a marker line.
	LogLimit int64

	mu     sync.Mutex
	hashes map[string]fileHash // script digests by path, while unchanged
}

type fileHash struct {
	size  int64
	mtime time.Time
	sum   string
}

var (
	_ step.Kind         = (*Kind)(nil)
	_ step.CodeDigester = (*Kind)(nil)
	_ step.Validator    = (*Kind)(nil)
)

// Spec implements step.Kind.
func (k *Kind) Spec() step.Spec {
	return step.Spec{
		Kind:        "command",
		Description: "Runs a program with argv and env, input artifacts in inputs/<name>/ and outputs built in outputs/<name>/; a JSON object written to $FERRY_PROPERTIES_FILE becomes its properties.",
		Version:     "1",
		Args: []step.Field{
			{Name: "command", Type: step.StringList, Required: true, Description: "The program and its arguments (argv)."},
			{Name: "env", Type: step.StringMap, Description: "Extra environment variables."},
			{Name: "inputs", Type: step.ArtifactMap, Description: "Input artifacts by name."},
			{Name: "outputs", Type: step.StringList, Description: "Names of the output artifacts the program builds."},
		},
		DynamicOutputs:    true,
		DynamicProperties: true,
	}
}

type args struct {
	Command []string                `json:"command"`
	Env     map[string]string       `json:"env"`
	Inputs  map[string]artifact.Ref `json:"inputs"`
	Outputs []string                `json:"outputs"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// ValidateArgs implements step.Validator: the argv is not empty and
// output and input names are usable as directory names.
func (k *Kind) ValidateArgs(a map[string]any) []error {
	var errs []error
	if l, ok := a["command"].([]any); ok && len(l) == 0 {
		errs = append(errs, &step.FieldError{Field: "command", Msg: "must name a program"})
	}
	seen := make(map[string]bool)
	if l, ok := a["outputs"].([]any); ok {
		for i, v := range l {
			s, ok := v.(string)
			if !ok {
				continue
			}
			if !nameRE.MatchString(s) {
				errs = append(errs, &step.FieldError{Field: fmt.Sprintf("outputs.%d", i), Msg: fmt.Sprintf("output name %q: use letters, digits, _, - and .", s)})
			}
			if seen[envName(s)] {
				errs = append(errs, &step.FieldError{Field: fmt.Sprintf("outputs.%d", i), Msg: fmt.Sprintf("output %q is listed twice (or clashes once upper-cased)", s)})
			}
			seen[envName(s)] = true
		}
	}
	if m, ok := a["inputs"].(map[string]any); ok {
		for name := range m {
			if !nameRE.MatchString(name) {
				errs = append(errs, &step.FieldError{Field: "inputs." + name, Msg: "input name: use letters, digits, _, - and ."})
			}
		}
	}
	return errs
}

func decode(req step.Request) (args, error) {
	a, err := step.Decode[args](req.Args)
	if err != nil {
		return a, err
	}
	if len(a.Command) == 0 {
		return a, step.Permanent(errors.New("argument command: must name a program"))
	}
	for name := range a.Inputs {
		if !nameRE.MatchString(name) {
			return a, step.Permanent(fmt.Errorf("argument inputs: bad input name %q", name))
		}
	}
	for _, name := range a.Outputs {
		if !nameRE.MatchString(name) {
			return a, step.Permanent(fmt.Errorf("argument outputs: bad output name %q", name))
		}
	}
	return a, nil
}

// envName turns an input or output name into the suffix of its variable.
func envName(s string) string {
	b := []byte(strings.ToUpper(s))
	for i, c := range b {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

var varRE = regexp.MustCompile(`\$\{(FERRY_[A-Z0-9_]+)\}`)

// expand replaces ${FERRY_...} in s with the values in vars, leaving
// unknown names as they are.
func expand(s string, vars map[string]string) string {
	return varRE.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vars[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// Run implements step.Kind.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	a, err := decode(req)
	if err != nil {
		return step.Result{}, err
	}
	log := env.Log
	if log == nil {
		log = io.Discard
	}
	// The program runs in the work directory, so every path it is given
	// must be absolute: a relative one would be resolved against it.
	workDir, err := filepath.Abs(env.WorkDir)
	if err != nil {
		return step.Result{}, fmt.Errorf("work directory: %w", err)
	}
	vars := map[string]string{
		"FERRY_WORK_DIR":        workDir,
		"FERRY_INPUTS_DIR":      filepath.Join(workDir, "inputs"),
		"FERRY_OUTPUTS_DIR":     filepath.Join(workDir, "outputs"),
		"FERRY_PROPERTIES_FILE": filepath.Join(workDir, "properties.json"),
		"FERRY_EXECUTION_ID":    req.ExecutionID,
		"FERRY_PIPELINE_NAME":   req.PipelineName,
		"FERRY_STEP_NAME":       req.StepName,
		"FERRY_ATTEMPT":         fmt.Sprint(req.Attempt),
	}
	for _, d := range []string{vars["FERRY_INPUTS_DIR"], vars["FERRY_OUTPUTS_DIR"]} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return step.Result{}, fmt.Errorf("preparing %s: %w", d, err)
		}
	}
	inputDirs := make(map[string]string, len(a.Inputs))
	for name, ref := range a.Inputs {
		src, err := env.Store.Path(ctx, ref)
		if err != nil {
			return step.Result{}, step.Permanent(fmt.Errorf("input %q: %w", name, err))
		}
		if src, err = filepath.Abs(src); err != nil { // a relative link would dangle
			return step.Result{}, step.Permanent(fmt.Errorf("input %q: %w", name, err))
		}
		inputDirs[name] = src
		dst := filepath.Join(vars["FERRY_INPUTS_DIR"], name)
		if err := os.Symlink(src, dst); err != nil {
			return step.Result{}, fmt.Errorf("input %q: linking %s: %w", name, src, err)
		}
		vars["FERRY_INPUT_"+envName(name)] = dst
	}
	for _, name := range a.Outputs {
		dst := filepath.Join(vars["FERRY_OUTPUTS_DIR"], name)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return step.Result{}, fmt.Errorf("output %q: %w", name, err)
		}
		vars["FERRY_OUTPUT_"+envName(name)] = dst
	}

	argv := make([]string, len(a.Command))
	for i, s := range a.Command {
		argv[i] = expand(s, vars)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = workDir
	environ := os.Environ
	if k.Environ != nil {
		environ = k.Environ
	}
	cmd.Env = environ()
	for _, name := range sortedKeys(vars) {
		cmd.Env = append(cmd.Env, name+"="+vars[name])
	}
	for _, name := range sortedKeys(a.Env) {
		cmd.Env = append(cmd.Env, name+"="+expand(a.Env[name], vars))
	}
	inOwnGroup(cmd)
	tail := &tailBuffer{max: tailBytes}
	lw := &lockedWriter{w: capLog(log, k.logLimit())} // stdout and stderr are copied concurrently
	cmd.Stdout = lw
	cmd.Stderr = io.MultiWriter(lw, tail)
	fmt.Fprintf(log, "$ %s\n", strings.Join(argv, " "))
	if err := startGroup(cmd, workDir); err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("starting %s: %w", argv[0], err))
	}
	waitErr := waitGroup(cmd)
	// The inputs are links into the artifact store. Its trees are
	// read-only, but a program running as root (or one that changed the
	// modes) can still write there: make sure no input was modified, so a
	// corrupted artifact is never silently reused.
	if err := verifyInputs(context.WithoutCancel(ctx), a.Inputs, inputDirs); err != nil {
		return step.Result{}, err
	}
	if err := waitErr; err != nil {
		if ctx.Err() != nil {
			return step.Result{}, fmt.Errorf("%s: %w", argv[0], context.Cause(ctx))
		}
		msg := strings.TrimSpace(tail.String())
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if msg == "" {
				return step.Result{}, fmt.Errorf("%s: %s", argv[0], ee.ProcessState)
			}
			return step.Result{}, fmt.Errorf("%s: %s: %s", argv[0], ee.ProcessState, msg)
		}
		return step.Result{}, fmt.Errorf("running %s: %w", argv[0], err)
	}

	res := step.Result{Outputs: make(map[string]artifact.Ref, len(a.Outputs))}
	for _, name := range a.Outputs {
		ref, err := env.Store.PutDir(ctx, vars["FERRY_OUTPUT_"+envName(name)])
		if err != nil {
			return step.Result{}, fmt.Errorf("storing output %q: %w", name, err)
		}
		res.Outputs[name] = ref
	}
	props, err := readProperties(vars["FERRY_PROPERTIES_FILE"])
	if err != nil {
		return step.Result{}, err
	}
	res.Properties = props
	return res, nil
}

// verifyInputs checks that every input artifact's stored tree still has
// its digest, failing permanently with the first one that does not.
func verifyInputs(ctx context.Context, inputs map[string]artifact.Ref, dirs map[string]string) error {
	names := make([]string, 0, len(inputs))
	for name := range inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ref := inputs[name]
		got, err := artifact.Digest(ctx, dirs[name])
		if err != nil {
			return step.Permanent(fmt.Errorf("input %q (artifact %s) was modified in the artifact store by the program: %w", name, ref.Short(), err))
		}
		if got != ref {
			return step.Permanent(fmt.Errorf("input %q (artifact %s) was modified in the artifact store by the program (its content now digests to %s); the store is corrupted: remove %s", name, ref.Short(), got.Short(), dirs[name]))
		}
	}
	return nil
}

// readProperties reads the properties file, if the program wrote one.
func readProperties(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading $FERRY_PROPERTIES_FILE: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	var props map[string]any
	if err := json.Unmarshal(b, &props); err != nil || props == nil {
		if err == nil {
			err = errors.New("got null")
		}
		return nil, step.Permanent(fmt.Errorf("$FERRY_PROPERTIES_FILE must hold a JSON object: %w", err))
	}
	return props, nil
}

// CodeDigest implements step.CodeDigester: a digest of the argv and of the
// content of every argv element that names an existing regular file (the
// program and its scripts), so editing a script misses the cache.
func (k *Kind) CodeDigest(ctx context.Context, req step.Request) (string, error) {
	a, err := decode(req)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, s := range a.Command {
		fmt.Fprintf(h, "arg %d:%s\n", len(s), s)
		path := s
		if lp, err := exec.LookPath(s); err == nil && !strings.ContainsRune(s, os.PathSeparator) {
			path = lp // argv[0] found on PATH
		}
		sum, ok, err := k.fileDigest(path)
		if err != nil {
			return "", fmt.Errorf("digesting %s: %w", path, err)
		}
		if ok {
			fmt.Fprintf(h, "file %s\n", sum)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fileDigest hashes a regular file, remembering the digest while its size
// and modification time stay the same.
func (k *Kind) fileDigest(path string) (string, bool, error) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false, nil
	}
	k.mu.Lock()
	c, ok := k.hashes[path]
	k.mu.Unlock()
	if ok && c.size == fi.Size() && c.mtime.Equal(fi.ModTime()) {
		return c.sum, true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", false, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	k.mu.Lock()
	if k.hashes == nil {
		k.hashes = make(map[string]fileHash)
	}
	k.hashes[path] = fileHash{size: fi.Size(), mtime: fi.ModTime(), sum: sum}
	k.mu.Unlock()
	return sum, true, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
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
	cut bool // bytes were dropped from the front
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
		t.cut = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := string(t.buf)
	if t.cut {
		// Start at a line boundary, marking the cut.
		if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
			s = s[i+1:]
		}
		s = "…" + s
	}
	return s
}
