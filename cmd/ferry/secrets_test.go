package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/auth/authtest"
)

const (
	cliSecretParam = "Sekr1t-param-58d1c0"
	cliSecretEnv   = "Sekr1t-env-9a77be"
)

const secretsPipelineSrc = `
version: 1
name: secrets
parameters:
  token: {secret: true}
steps:
  - name: echo
    kind: command
    command: [/bin/sh, -c, 'echo "param=$TOKEN env=$API_KEY"; echo "stderr $TOKEN $API_KEY" >&2; printf "{\"seen\": \"%s\"}" "$TOKEN" > "$FERRY_PROPERTIES_FILE"']
    env:
      TOKEN: "${{ params.token }}"
      API_KEY: {from_env: FERRY_TEST_API_KEY}
  - name: refuse
    kind: command
    command: [/bin/sh, -c, 'echo "denied for ${{ params.token }} and $API_KEY" >&2; exit 3']
    env: {API_KEY: {from_env: FERRY_TEST_API_KEY}}
    depends_on: [echo]
`

// secretFerry runs the real wiring with FERRY_HOME=home and the secret
// environment variable set in Ferry's environment.
func secretFerry(t *testing.T, home string, args ...string) ferryResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := map[string]string{"FERRY_HOME": home, "FERRY_TEST_API_KEY": cliSecretEnv, "TERM": "dumb"}
	m := NewMain(strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	code := m.Run(context.Background(), args)
	return ferryResult{stdout.String(), stderr.String(), code}
}

// TestSecretsNeverAppearInPlaintext is issue 10's must-show 4 for the CLI:
// a run with a secret parameter and a secret environment value, both
// echoed by the program (stdout, stderr, properties, failure), leaves
// neither in ferry.db (raw bytes, -wal included), any log, work
// directory, or the output of run, executions, executions show, steps
// and logs; and the home's files are its owner's only.
func TestSecretsNeverAppearInPlaintext(t *testing.T) {
	t.Parallel()
	home, dir := artifacttest.TempDir(t), artifacttest.TempDir(t)
	home = filepath.Join(home, "home") // created by ferry, so its mode is ferry's
	file := writePipeline(t, dir, secretsPipelineSrc)
	secrets := []string{cliSecretParam, cliSecretEnv}
	var outputs []string
	check := func(r ferryResult, args ...string) ferryResult {
		t.Helper()
		name := "ferry " + strings.Join(args, " ")
		authtest.AssertAbsent(t, name+" stdout", []byte(r.stdout), secrets...)
		authtest.AssertAbsent(t, name+" stderr", []byte(r.stderr), secrets...)
		outputs = append(outputs, r.stdout+r.stderr)
		return r
	}
	do := func(args ...string) ferryResult {
		t.Helper()
		return check(secretFerry(t, home, args...), args...)
	}

	run := do("run", file, "-p", "token="+cliSecretParam)
	if run.code != 1 || !strings.Contains(run.stdout+run.stderr, "refuse") {
		t.Fatalf("run: exit %d, want 1 (the refuse step fails)\n%s%s", run.code, run.stdout, run.stderr)
	}
	id := regexp.MustCompile(`e-\d{8}-\d{6}-[0-9a-f]+`).FindString(run.stdout + run.stderr)
	if id == "" {
		t.Fatalf("no execution id in:\n%s%s", run.stdout, run.stderr)
	}
	do("run", file, "-p", "token="+cliSecretParam, "--output", "json")
	do("executions")
	do("executions", "--output", "json")
	do("executions", "show", id)
	do("executions", "show", id, "--output", "json")
	do("steps", id)
	do("steps", id, "--output", "json")
	logs := do("logs", id, "echo")
	do("logs", id, "refuse")
	do("resume", id)

	// The masks are where the values would be.
	all := strings.Join(outputs, "\n")
	for _, want := range []string{
		"param=*** env=***",      // the program's stdout, in the log
		"stderr *** ***",         // its stderr
		`"token": "***"`,         // parameters, overrides
		"denied for *** and ***", // the failure reason
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in the outputs", want)
		}
	}
	if !strings.Contains(logs.stdout, "param=*** env=***") {
		t.Errorf("ferry logs:\n%s", logs.stdout)
	}

	// Every file under the home: ferry.db and ferry.db-wal as raw bytes,
	// the logs, the work directories, the artifacts.
	if n := authtest.AssertAbsentUnder(t, home, secrets...); n < 4 {
		t.Errorf("read only %d files under the home", n)
	}
	// ferry.db, logs and work directories are the owner's only.
	for path, want := range map[string]os.FileMode{
		"":                         0o700,
		"ferry.db":                 0o600,
		"logs":                     0o700,
		"logs/" + id:               0o700,
		"logs/" + id + "/echo.log": 0o600,
		"work":                     0o700,
		"secret.key":               0o600,
	} {
		fi, err := os.Stat(filepath.Join(home, path))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %04o, want %04o", path, got, want)
		}
	}
}

func TestStepsDoNotInheritTheSecretKey(t *testing.T) {
	t.Parallel()
	got := withoutSecretKey([]string{"PATH=/bin", "FERRY_SECRET_KEY=abcd", "FERRY_SECRET_KEYS=x", "HOME=/root"})
	want := []string{"PATH=/bin", "FERRY_SECRET_KEYS=x", "HOME=/root"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("withoutSecretKey = %v, want %v", got, want)
	}
}
