package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
)

const validDef = `version: 1
name: hello
parameters:
  who: {type: string, default: world}
steps:
  - name: greet
    kind: command
    command: [echo, "hello ${{ params.who }}"]
    inputs: {data: data.txt}
    outputs: [out]
  - name: check
    kind: condition
    if: "params.who == 'world'"
    then: [done]
    else: [stop]
  - {name: done, kind: command, command: [echo, "${{ steps.greet.outputs.out }}"]}
  - {name: stop, kind: fail, message: "not for ${{ params.who }}"}
`

const invalidDef = `version: 1
name: broken
steps:
  - name: greet
    kind: comand
  - name: next
    kind: command
    command: [echo, "${{ steps.gret.outputs.out }}"]
    inputs: {data: missing.txt}
    timeout: 5 minutes
`

// runValidate runs `ferry validate args...` through Main.
func runValidate(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	home := artifacttest.TempDir(t)
	m := NewMain(strings.NewReader(""), &out, &errb, func(k string) string {
		if k == "FERRY_HOME" {
			return home
		}
		return ""
	})
	code = m.Run(t.Context(), append([]string{"validate"}, args...))
	return code, out.String(), errb.String()
}

func writeDefs(t *testing.T) (valid, invalid string) {
	t.Helper()
	dir := artifacttest.TempDir(t)
	valid = filepath.Join(dir, "valid.yaml")
	invalid = filepath.Join(dir, "invalid.yaml")
	for path, body := range map[string]string{valid: validDef, invalid: invalidDef, filepath.Join(dir, "data.txt"): "x"} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return valid, invalid
}

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	valid, invalid := writeDefs(t)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    []string // lines, in order
		wantStderr string
	}{
		{
			name:     "valid",
			args:     []string{valid},
			wantCode: 0,
			wantOut:  []string{valid + `: valid: pipeline "hello", 4 steps, digest `},
		},
		{
			name:     "every problem at once",
			args:     []string{invalid},
			wantCode: 1,
			wantOut: []string{
				invalid + `:5:11: step "greet": field "kind": unknown step kind "comand"; did you mean "command"?`,
				invalid + `:8:26: step "next": field "command[1]": unknown step "gret" in reference steps.gret.outputs.out`,
				invalid + `:9:20: step "next": field "inputs.data": local artifact path "missing.txt" does not exist`,
				invalid + `:10:14: step "next": field "timeout": bad duration "5 minutes" (examples: 90s, 1h30m, 30d, P30D, PT1H, 30dT5h)`,
			},
			wantStderr: "ferry validate: " + invalid + ": 4 problems\n",
		},
		{
			name:       "several files",
			args:       []string{valid, invalid},
			wantCode:   1,
			wantStderr: "ferry validate: 1 of 2 definitions have problems\n",
		},
		{
			name:       "missing file",
			args:       []string{filepath.Join(filepath.Dir(valid), "nope.yaml")},
			wantCode:   1,
			wantStderr: "1 problem\n",
		},
		{
			name:       "no file",
			wantCode:   2,
			wantStderr: "ferry validate: no definition file given\n",
		},
		{
			name:       "bad output flag",
			args:       []string{"--output", "xml", valid},
			wantCode:   2,
			wantStderr: `ferry validate: --output "xml": want text or json` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runValidate(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			for i, want := range tt.wantOut {
				if i >= len(lines) || !strings.HasPrefix(lines[i], want) {
					t.Errorf("stdout line %d:\n got: %q\nwant: %q...", i+1, at(lines, i), want)
				}
			}
			if tt.wantOut != nil && len(lines) != len(tt.wantOut) {
				t.Errorf("stdout has %d lines, want %d:\n%s", len(lines), len(tt.wantOut), out)
			}
			if !strings.HasSuffix(errOut, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to end with %q", errOut, tt.wantStderr)
			}
		})
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}

func TestValidateJSON(t *testing.T) {
	t.Parallel()
	valid, invalid := writeDefs(t)
	code, out, _ := runValidate(t, "--output", "json", valid, invalid)
	if code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	var got []validateResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d results, want 2", len(got))
	}
	if !got[0].Valid || got[0].Name != "hello" || got[0].Steps != 4 || len(got[0].Digest) != 64 || len(got[0].Problems) != 0 {
		t.Errorf("valid result = %+v", got[0])
	}
	want := validateProblem{File: invalid, Line: 5, Column: 11, Step: "greet", Field: "kind", Message: `unknown step kind "comand"; did you mean "command"?`}
	if got[1].Valid || len(got[1].Problems) != 4 {
		t.Fatalf("invalid result = %+v, want 4 problems", got[1])
	}
	if diff := cmp.Diff(want, got[1].Problems[0]); diff != "" {
		t.Errorf("first problem (-want +got):\n%s", diff)
	}
}
