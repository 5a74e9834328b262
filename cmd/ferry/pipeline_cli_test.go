package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
)

// ferryResult is one in-process `ferry` invocation.
type ferryResult struct {
	stdout, stderr string
	code           int
}

// ferry runs the real wiring (Main) with FERRY_HOME=home.
func ferry(t *testing.T, ctx context.Context, home string, args ...string) ferryResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := map[string]string{"FERRY_HOME": home}
	m := NewMain(strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	code := m.Run(ctx, args)
	return ferryResult{stdout.String(), stderr.String(), code}
}

func writePipeline(t *testing.T, dir, src string) string {
	t.Helper()
	path := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const cliPipeline = `
version: 1
name: cli
parameters:
  word: {type: string, default: hello}
  threshold: {type: integer, default: 3}
steps:
  - name: write
    kind: command
    command: [/bin/sh, -c, 'echo "$WORD" > "$FERRY_OUTPUT_TEXT/word.txt"; printf "{\"length\": %d}" ${#WORD} > "$FERRY_PROPERTIES_FILE"; echo wrote "$WORD"']
    env: {WORD: "${{ params.word }}"}
    outputs: [text]
  - name: long-enough
    kind: condition
    if: "steps.write.properties.length >= params.threshold"
    then: [shout]
    else: [too-short]
  - name: shout
    kind: command
    command: [/bin/sh, -c, 'tr a-z A-Z < "$FERRY_INPUT_TEXT/word.txt" > "$FERRY_OUTPUT_LOUD/word.txt"']
    inputs: {text: "${{ steps.write.outputs.text }}"}
    outputs: [loud]
  - name: too-short
    kind: fail
    message: "word is shorter than ${{ params.threshold }}"
`

func TestRunAndInspect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	home, dir := artifacttest.TempDir(t), artifacttest.TempDir(t)
	file := writePipeline(t, dir, cliPipeline)

	first := ferry(t, ctx, home, "run", file, "-p", "word=ferry")
	if first.code != 0 {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", first.code, first.stdout, first.stderr)
	}
	for _, want := range []string{"write", "Executing", "miss: no earlier run", "too-short", "Skipped", "Succeeded in"} {
		if !strings.Contains(first.stdout, want) {
			t.Errorf("first run output lacks %q:\n%s", want, first.stdout)
		}
	}
	second := ferry(t, ctx, home, "run", file, "-p", "word=ferry")
	if second.code != 0 || !strings.Contains(second.stdout, "CacheHit") || !strings.Contains(second.stdout, "hit: reusing the run in e-") {
		t.Errorf("second run: exit %d, want cache hits:\n%s%s", second.code, second.stdout, second.stderr)
	}
	third := ferry(t, ctx, home, "run", "-p", "word=boat", file)
	if third.code != 0 || !strings.Contains(third.stdout, "changed since e-") || !strings.Contains(third.stdout, "argument env.WORD") {
		t.Errorf("third run: exit %d, want a miss naming env.WORD:\n%s%s", third.code, third.stdout, third.stderr)
	}

	list := ferry(t, ctx, home, "executions", "--output", "json")
	var exs []app.Execution
	if err := json.Unmarshal([]byte(list.stdout), &exs); err != nil {
		t.Fatalf("executions --output json: %v\n%s", err, list.stdout)
	}
	if len(exs) != 3 || exs[0].Status != "Succeeded" || exs[0].Parameters["word"] != "boat" {
		t.Fatalf("executions: %+v", exs)
	}
	id := exs[2].ID
	// The second run's write step was a cache hit: its log is the first
	// run's, and logs says so.
	hit := ferry(t, ctx, home, "logs", exs[1].ID, "write")
	if hit.code != 0 || !strings.Contains(hit.stdout, "wrote ferry") ||
		!strings.Contains(hit.stderr, "a cache hit") || !strings.Contains(hit.stderr, "log of execution "+id) {
		t.Errorf("logs of a cache hit: exit %d\nstdout: %s\nstderr: %s", hit.code, hit.stdout, hit.stderr)
	}

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "List", args: []string{"executions"}, want: []string{"ID", "STATUS", id, "cli", "Succeeded"}},
		{name: "Show", args: []string{"executions", "show", id}, want: []string{"Execution:", id, `"word":"ferry"`, "write", "too-short"}},
		{name: "Steps", args: []string{"steps", id}, want: []string{"STEP", "write", "command", "Succeeded", "shout", "too-short", "Skipped"}},
		{name: "StepsJSON", args: []string{"steps", id, "--output", "json"}, want: []string{`"name": "write"`, `"outputs"`, `"length": 5`}},
		{name: "Logs", args: []string{"logs", id, "write"}, want: []string{"wrote ferry", "attempt 1"}},
		{name: "PrefixID", args: []string{"steps", id[:len(id)-2]}, want: []string{"write"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ferry(t, ctx, home, tc.args...)
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, res.stdout)
				}
			}
		})
	}
}

func TestRunFailsWithStatus1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	home, dir := artifacttest.TempDir(t), artifacttest.TempDir(t)
	file := writePipeline(t, dir, cliPipeline)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{name: "FailStep", args: []string{"run", file, "-p", "word=ab"}, wantCode: 1, wantStderr: "word is shorter than 3"},
		{name: "BadParam", args: []string{"run", file, "-p", "threshold=many"}, wantCode: 1, wantStderr: "threshold"},
		{name: "MissingFile", args: []string{"run", filepath.Join(dir, "nope.yaml")}, wantCode: 1, wantStderr: "reading pipeline"},
		{name: "NoFile", args: []string{"run"}, wantCode: 2, wantStderr: "exactly one pipeline FILE"},
		{name: "BadOutput", args: []string{"run", file, "--output", "xml"}, wantCode: 2, wantStderr: "want text or json"},
		{name: "UnknownExecution", args: []string{"steps", "e-nope"}, wantCode: 1, wantStderr: "not found"},
		{name: "LogsOfUnknownStep", args: []string{"logs", "e-nope", "x"}, wantCode: 1, wantStderr: "not found"},
		{name: "ResumeUnknown", args: []string{"resume", "e-nope"}, wantCode: 1, wantStderr: "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ferry(t, ctx, home, tc.args...)
			if res.code != tc.wantCode || !strings.Contains(res.stderr, tc.wantStderr) {
				t.Errorf("exit %d, stderr %q; want %d containing %q", res.code, res.stderr, tc.wantCode, tc.wantStderr)
			}
		})
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"run"}, {"executions"}, {"executions", "show"}, {"steps"}, {"logs"}, {"stop"}, {"resume"}} {
		t.Run(strings.Join(cmd, "_"), func(t *testing.T) {
			res := ferry(t, context.Background(), artifacttest.TempDir(t), append(cmd, "--help")...)
			if res.code != 0 || !strings.Contains(res.stderr, "Usage: ferry "+strings.Join(cmd, " ")) {
				t.Errorf("exit %d, stderr %q; want 0 and a usage line", res.code, res.stderr)
			}
		})
	}
}

func TestStopFromAnotherInvocation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	home, dir := artifacttest.TempDir(t), artifacttest.TempDir(t)
	file := writePipeline(t, dir, `
version: 1
name: stoppable
steps:
  - {name: wait, kind: command, command: [sleep, "30"]}
  - {name: after, kind: command, command: ["true"], depends_on: [wait]}
`)
	done := make(chan ferryResult, 1)
	go func() { done <- ferry(t, ctx, home, "run", file) }()
	id := waitForStep(t, ctx, home, "wait", "Executing")
	stop := ferry(t, ctx, home, "stop", id, "--wait")
	if stop.code != 0 || !strings.Contains(stop.stdout, "Stopped") {
		t.Errorf("stop: exit %d\n%s%s", stop.code, stop.stdout, stop.stderr)
	}
	var res ferryResult
	select {
	case res = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("run did not return within 60s of stop")
	}
	if res.code != 1 || !strings.Contains(res.stderr, "Stopped") {
		t.Errorf("run: exit %d, stderr %q; want 1 and Stopped", res.code, res.stderr)
	}
	again := ferry(t, ctx, home, "stop", id)
	if again.code != 1 || !strings.Contains(again.stderr, "not running") {
		t.Errorf("second stop: exit %d, %q; want 1, not running", again.code, again.stderr)
	}
}

// waitForStep polls `ferry executions --output json` until the newest
// execution's step has the given status, and returns the execution's ID.
func waitForStep(t *testing.T, ctx context.Context, home, step, status string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	last := "no execution"
	for time.Now().Before(deadline) {
		list := ferry(t, ctx, home, "executions", "--output", "json")
		last = list.stdout + list.stderr
		var exs []app.Execution
		if json.Unmarshal([]byte(list.stdout), &exs) == nil && len(exs) > 0 {
			show := ferry(t, ctx, home, "executions", "show", exs[0].ID, "--output", "json")
			var ex app.Execution
			last = show.stdout + show.stderr
			if json.Unmarshal([]byte(show.stdout), &ex) == nil {
				for _, s := range ex.Steps {
					if s.Name == step && string(s.Status) == status {
						return ex.ID
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("step %s never reached %s; last seen:\n%s", step, status, last)
	return ""
}

func TestResumeAfterFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	home, dir := artifacttest.TempDir(t), artifacttest.TempDir(t)
	marker := filepath.Join(dir, "fixed")
	ran := filepath.Join(dir, "ran.txt")
	file := writePipeline(t, dir, fmt.Sprintf(`
version: 1
name: resumable
steps:
  - {name: one, kind: command, command: [/bin/sh, -c, 'echo one >> %[2]s']}
  - {name: two, kind: command, command: [/bin/sh, -c, 'echo two >> %[2]s; test -f %[1]s'], depends_on: [one]}
  - {name: three, kind: command, command: [/bin/sh, -c, 'echo three >> %[2]s'], depends_on: [two]}
`, marker, ran))
	first := ferry(t, ctx, home, "run", file)
	if first.code != 1 {
		t.Fatalf("first run: exit %d, want 1\n%s%s", first.code, first.stdout, first.stderr)
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	list := ferry(t, ctx, home, "executions", "--output", "json")
	var exs []app.Execution
	if err := json.Unmarshal([]byte(list.stdout), &exs); err != nil || len(exs) != 1 || exs[0].Status != "Failed" {
		t.Fatalf("executions: %v %+v", err, exs)
	}
	res := ferry(t, ctx, home, "resume", exs[0].ID)
	if res.code != 0 {
		t.Fatalf("resume: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	got, _ := os.ReadFile(ran)
	if want := "one\ntwo\ntwo\nthree\n"; string(got) != want {
		t.Errorf("steps ran:\n%s\nwant:\n%s", got, want)
	}
}

// FuzzParamFlag: any -p value is accepted as name=value or rejected with
// an error, never a panic, and a value round-trips.
func FuzzParamFlag(f *testing.F) {
	for _, s := range []string{"a=1", "=1", "a", "a==b", "a=", "ü=ö=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := paramFlags{}
		err := p.Set(s)
		name, value, ok := strings.Cut(s, "=")
		if (err == nil) != (ok && name != "") {
			t.Fatalf("Set(%q) = %v", s, err)
		}
		if err == nil && p[name] != value {
			t.Fatalf("Set(%q) stored %q, want %q", s, p[name], value)
		}
	})
}

func TestProgressTable(t *testing.T) {
	t.Parallel()
	p, err := pipeline.Load("p.yaml", []byte("version: 1\nname: p\nsteps:\n  - {name: a, kind: fail}\n  - {name: bb, kind: fail, depends_on: [a]}\n"), (&Main{Getenv: func(string) string { return "" }}).kindSpecs())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	events := []engine.Event{
		{Time: now, ExecutionID: "e-1", Status: run.Executing},
		{Time: now, ExecutionID: "e-1", Step: "a", StepStatus: run.StepStarting},
		{Time: now, ExecutionID: "e-1", Step: "a", StepStatus: run.StepExecuting, Message: "miss: no earlier run"},
		{Time: now, ExecutionID: "e-1", Step: "a", StepStatus: run.StepExecuting, Attempt: 2},
	}
	tests := []struct {
		name   string
		tty    bool
		height int
		want   []string
		not    []string
	}{
		{name: "Terminal", tty: true, want: []string{"\x1b[3A", "\x1b[2K", "  a     Executing x2", "  bb    Pending"}},
		// A terminal too short for the table: counts, then the active steps.
		{name: "ShortTerminal", tty: true, height: 3, want: []string{"  1 Pending, 1 Executing\n"}, not: []string{"  bb    Pending", "  a     Executing"}},
		{name: "Piped", tty: false, want: []string{"execution e-1 Executing\n", "a     Executing  miss: no earlier run\n", "a     Executing  attempt 2\n"}, not: []string{"\x1b[", "Starting"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			pr := newProgress(&buf, p, tc.tty)
			pr.height = tc.height
			for _, ev := range events {
				pr.event(ev)
			}
			pr.finish(&run.Execution{ID: "e-1", Status: run.Failed, StartedAt: now, EndedAt: now.Add(time.Second), FailureReason: "boom"})
			out := buf.String()
			for _, w := range append(tc.want, "execution e-1 Failed in 1s: boom") {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%q", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%q", w, out)
				}
			}
		})
	}
}

func TestEditedScriptMissesTheCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	home, dir := artifacttest.TempDir(t), artifacttest.TempDir(t)
	script := filepath.Join(dir, "step.sh")
	file := writePipeline(t, dir, fmt.Sprintf("version: 1\nname: code\nsteps:\n  - {name: s, kind: command, command: [/bin/sh, %q]}\n", script))
	runs := []struct {
		script, want string
	}{
		{"echo one\n", "miss: no earlier run"},
		{"echo one\n", "hit: reusing the run in"},
		{"echo two, longer\n", "changed since e-"},
	}
	for i, r := range runs {
		if err := os.WriteFile(script, []byte(r.script), 0o644); err != nil {
			t.Fatal(err)
		}
		mt := time.Now().Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(script, mt, mt); err != nil {
			t.Fatal(err)
		}
		res := ferry(t, ctx, home, "run", file)
		if res.code != 0 || !strings.Contains(res.stdout, r.want) {
			t.Errorf("run %d: exit %d, want %q in:\n%s%s", i+1, res.code, r.want, res.stdout, res.stderr)
		}
		if i == 2 && !strings.Contains(res.stdout, "code digest") {
			t.Errorf("run 3 does not name the code digest as the change:\n%s", res.stdout)
		}
	}
}
