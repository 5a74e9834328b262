package command_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/command"
)

type bundle struct {
	store *artifact.Dir
	env   step.Env
	log   *bytes.Buffer
}

func setup(t *testing.T) *bundle {
	t.Helper()
	dir := artifacttest.TempDir(t)
	t.Cleanup(func() { artifact.RemoveTree(dir) }) // artifacts are read-only
	store, err := artifact.OpenDir(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	log := &bytes.Buffer{}
	return &bundle{store: store, log: log, env: step.Env{Store: store, WorkDir: work, Log: log}}
}

func (b *bundle) input(t *testing.T, name, content string) artifact.Ref {
	t.Helper()
	dir := artifacttest.TempDir(t)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	ref, err := b.store.PutDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func argv(s ...string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestRunContract(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := b.input(t, "x.txt", "hello")
	script := `set -e
test "$PWD" = "$FERRY_WORK_DIR"
test "$FERRY_INPUT_RAW_DATA" = "$FERRY_INPUTS_DIR/raw-data"
tr a-z A-Z < "$FERRY_INPUT_RAW_DATA/x.txt" > "$FERRY_OUTPUT_RESULT/y.txt"
echo "$GREETING" > "$FERRY_OUTPUTS_DIR/other/z.txt"
printf '{"n": 3, "who": "%s"}' "$FERRY_STEP_NAME" > "$FERRY_PROPERTIES_FILE"
echo to-stdout
echo to-stderr >&2`
	k := &command.Kind{}
	res, err := k.Run(context.Background(), b.env, step.Request{
		ExecutionID: "e-1", StepName: "shout", Attempt: 1,
		Args: map[string]any{
			"command": argv("/bin/sh", "-c", script),
			"env":     map[string]any{"GREETING": "hi from ${FERRY_STEP_NAME}"},
			"inputs":  map[string]any{"raw-data": in},
			"outputs": argv("result", "other"),
		},
	})
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, b.log)
	}
	if diff := cmp.Diff(map[string]any{"n": 3.0, "who": "shout"}, res.Properties); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{"result/y.txt": "HELLO", "other/z.txt": "hi from shout\n"} {
		out, file, _ := strings.Cut(name, "/")
		dir, err := b.store.Path(context.Background(), res.Outputs[out])
		if err != nil {
			t.Fatalf("output %s: %v", out, err)
		}
		got, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || string(got) != want {
			t.Errorf("output %s = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, want := range []string{"to-stdout", "to-stderr"} {
		if !strings.Contains(b.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, b.log)
		}
	}
}

func TestRunFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		args          map[string]any
		wantErr       string
		wantPermanent bool
	}{
		{
			name:    "NonZeroExitQuotesStderrTail",
			args:    map[string]any{"command": argv("/bin/sh", "-c", "for i in $(seq 1 500); do echo line$i >&2; done; exit 3")},
			wantErr: "exit status 3: ",
		},
		{
			name:          "ProgramNotFound",
			args:          map[string]any{"command": argv("/no/such/program")},
			wantErr:       "starting /no/such/program",
			wantPermanent: true,
		},
		{
			name:          "PropertiesNotAnObject",
			args:          map[string]any{"command": argv("/bin/sh", "-c", `echo '[1,2]' > "$FERRY_PROPERTIES_FILE"`)},
			wantErr:       "must hold a JSON object",
			wantPermanent: true,
		},
		{
			name:          "EmptyCommand",
			args:          map[string]any{"command": argv()},
			wantErr:       "must name a program",
			wantPermanent: true,
		},
		{
			name:          "UnknownArgument",
			args:          map[string]any{"command": argv("true"), "bogus": 1},
			wantErr:       "bogus",
			wantPermanent: true,
		},
		{
			name:          "BadOutputName",
			args:          map[string]any{"command": argv("true"), "outputs": argv("../escape")},
			wantErr:       "bad output name",
			wantPermanent: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			_, err := (&command.Kind{}).Run(context.Background(), b.env, step.Request{StepName: "s", Args: tc.args})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
			if got := step.IsPermanent(err); got != tc.wantPermanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tc.wantPermanent, err)
			}
			if len(err.Error()) > 1000 {
				t.Errorf("error is %d bytes, want the tail only", len(err.Error()))
			}
		})
	}
}

func TestCancelKillsProcessGroup(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := (&command.Kind{}).Run(ctx, b.env, step.Request{Args: map[string]any{
		"command": argv("/bin/sh", "-c", "sleep 30 & sleep 30; wait"),
	}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the context's error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s to stop, want well under the 5s wait delay", d)
	}
}

func TestCodeDigest(t *testing.T) {
	t.Parallel()
	dir := artifacttest.TempDir(t)
	script := filepath.Join(dir, "prep.sh")
	write := func(s string) {
		if err := os.WriteFile(script, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		// Make sure the modification time moves even on coarse clocks.
		mt := time.Now().Add(time.Duration(len(s)) * time.Second)
		if err := os.Chtimes(script, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	k := &command.Kind{}
	digest := func(args ...string) string {
		d, err := k.CodeDigest(context.Background(), step.Request{Args: map[string]any{"command": argv(args...)}})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	write("echo one")
	a := digest("/bin/sh", script)
	if b := digest("/bin/sh", script); a != b {
		t.Errorf("same script, different digests %s, %s", a, b)
	}
	write("echo two!")
	if b := digest("/bin/sh", script); a == b {
		t.Error("editing the script did not change the digest")
	}
	if digest("/bin/sh", "-c", "x") == digest("/bin/sh", "-c", "y") {
		t.Error("different argv, same digest")
	}
}

func TestValidateArgs(t *testing.T) {
	t.Parallel()
	errs := (&command.Kind{}).ValidateArgs(map[string]any{
		"command": argv(),
		"outputs": argv("ok", "a/b", "OK"),
		"inputs":  map[string]any{"bad name": "x"},
	})
	var fields []string
	for _, err := range errs {
		var fe *step.FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("%v is not a *step.FieldError", err)
		}
		fields = append(fields, fe.Field)
	}
	want := []string{"command", "outputs.1", "outputs.2", "inputs.bad name"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

// relStore hands out artifact paths relative to the working directory.
type relStore struct{ *artifact.Dir }

func (s relStore) Path(ctx context.Context, ref artifact.Ref) (string, error) {
	p, err := s.Dir.Path(ctx, ref)
	if err != nil {
		return "", err
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return filepath.Rel(wd, p)
}

// TestRunRelativePaths runs a program with a relative work directory and a
// store giving relative paths: every path it is given must still work from
// its own working directory (the work directory).
func TestRunRelativePaths(t *testing.T) {
	b := setup(t)
	in := b.input(t, "x.txt", "hello")
	t.Chdir(filepath.Dir(b.env.WorkDir))
	env := b.env
	env.WorkDir = "work"
	env.Store = relStore{b.store}
	script := `set -e
for p in "$FERRY_WORK_DIR" "$FERRY_INPUT_IN" "$FERRY_OUTPUT_OUT" "$FERRY_PROPERTIES_FILE"; do
  case "$p" in /*) ;; *) echo "relative path $p" >&2; exit 1;; esac
done
cat "$FERRY_INPUT_IN/x.txt" > "$FERRY_OUTPUT_OUT/y.txt"`
	res, err := (&command.Kind{}).Run(context.Background(), env, step.Request{StepName: "s", Args: map[string]any{
		"command": argv("/bin/sh", "-c", script),
		"inputs":  map[string]any{"in": in},
		"outputs": argv("out"),
	}})
	if err != nil {
		t.Fatalf("Run: %v\nlog:\n%s", err, b.log)
	}
	dir, err := b.store.Path(context.Background(), res.Outputs["out"])
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "y.txt")); err != nil || string(got) != "hello" {
		t.Errorf("output y.txt = %q, %v; want %q", got, err, "hello")
	}
}

// TestRunModifiedInputFails checks that a program writing into an input
// (through its link into the artifact store) fails the step permanently,
// naming the input, even when it exits 0.
func TestRunModifiedInputFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := b.input(t, "x.txt", "hello")
	script := `chmod u+w "$FERRY_INPUT_DATA/" "$FERRY_INPUT_DATA/x.txt" && echo evil > "$FERRY_INPUT_DATA/x.txt"`
	_, err := (&command.Kind{}).Run(context.Background(), b.env, step.Request{StepName: "s", Args: map[string]any{
		"command": argv("/bin/sh", "-c", script),
		"inputs":  map[string]any{"data": in},
	}})
	if err == nil {
		t.Fatal("Run succeeded after the program modified its input")
	}
	if !step.IsPermanent(err) || !strings.Contains(err.Error(), `input "data"`) || !strings.Contains(err.Error(), "modified") {
		t.Errorf("Run error = %v (permanent %v), want a permanent error naming input \"data\" as modified", err, step.IsPermanent(err))
	}
}
