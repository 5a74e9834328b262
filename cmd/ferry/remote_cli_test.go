package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
)

// ferryEnv runs the real wiring with exactly the environment env.
func ferryEnv(t *testing.T, ctx context.Context, env map[string]string, args ...string) ferryResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := NewMain(strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	code := m.Run(ctx, args)
	return ferryResult{stdout.String(), stderr.String(), code}
}

// createToken runs `ferry tokens create` and returns the secret.
func createToken(t *testing.T, home, name, role string) string {
	t.Helper()
	out := mustFerry(t, home, "tokens", "create", "--name", name, "--role", role, "--output", "json")
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &tok); err != nil || tok.Token == "" {
		t.Fatalf("tokens create: %v: %s", err, out)
	}
	return tok.Token
}

// TestRemoteCLI: a quickstart home served by `ferry server` with tokens;
// `ferry --server URL` prints what the local commands print, approves as
// an approver (recorded as the token's name) and is denied as a viewer.
func TestRemoteCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	t.Parallel()
	ctx := t.Context()
	home := artifacttest.TempDir(t)
	if res := ferry(t, ctx, home, "quickstart"); res.code != 0 {
		t.Fatalf("quickstart exited %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	const grp = quickstartGroup
	// Two more versions to approve, one locally and one remotely.
	var v1 struct {
		Model string `json:"model"`
	}
	if err := json.Unmarshal([]byte(mustFerry(t, home, "models", "show", grp+"/1", "--output", "json")), &v1); err != nil {
		t.Fatal(err)
	}
	modelDir := filepath.Join(home, "artifacts", "sha256", strings.TrimPrefix(v1.Model, "sha256:"))
	mustFerry(t, home, "models", "register", grp, modelDir)
	mustFerry(t, home, "models", "register", grp, modelDir)

	approver := createToken(t, home, "alice", "approver")
	viewer := createToken(t, home, "victor", "viewer")
	operator := createToken(t, home, "olga", "operator")
	url := startServer(t, home, "server", "--addr", "127.0.0.1:0", "--poll", "50ms")
	// The remote side has no home of its own.
	remote := func(token string, args ...string) ferryResult {
		return ferryEnv(t, ctx, map[string]string{"FERRY_HOME": filepath.Join(t.TempDir(), "none"), "FERRY_TOKEN": token, "USER": "someone"},
			append([]string{"--server", url}, args...)...)
	}
	local := func(args ...string) ferryResult {
		return ferryEnv(t, ctx, map[string]string{"FERRY_HOME": home, "USER": "someone"}, args...)
	}

	var exs []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(local("executions", "--output", "json").stdout), &exs); err != nil || len(exs) == 0 {
		t.Fatalf("executions: %v", err)
	}
	id := exs[0].ID
	for _, args := range [][]string{
		{"executions"},
		{"executions", "--output", "json"},
		{"executions", "--status", "Succeeded", "--limit", "1"},
		{"executions", "show", id},
		{"executions", "show", id[:16], "--output", "json"},
		{"steps", id},
		{"steps", id, "--output", "json"},
		{"logs", id, "train"},
		{"logs", "--follow", id, "train"},
		{"logs", id, "nope"},
		{"executions", "show", "nope"},
		{"models", "groups"},
		{"models", "list", grp},
		{"models", "show", grp + "/1"},
		{"models", "show", grp + "/1", "--output", "json"},
		{"models", "events"},
		{"endpoints", "list"},
		{"endpoints", "show", quickstartEndpoint},
		{"stop", id},
		{"resume", id},
	} {
		name := strings.Join(args, " ")
		token := approver
		if args[0] == "stop" || args[0] == "resume" {
			token = operator
		}
		l, r := local(args...), remote(token, args...)
		if l.code != r.code || l.stdout != r.stdout {
			t.Errorf("ferry %s: local exit %d, remote exit %d\nlocal stdout:\n%s\nremote stdout:\n%s\nremote stderr:\n%s", name, l.code, r.code, l.stdout, r.stdout, r.stderr)
		}
		if l.code != 0 && l.stderr != r.stderr {
			t.Errorf("ferry %s: local stderr %q, remote stderr %q", name, l.stderr, r.stderr)
		}
	}

	// Approving: denied as a viewer, allowed as an approver, recorded as
	// the token's name; the output is the local command's.
	if r := remote(viewer, "models", "approve", grp+"/2", "--reason", "looks fine"); r.code != 1 || !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("approve as viewer: exit %d, stderr %q; want 1 and forbidden", r.code, r.stderr)
	}
	if r := remote("", "models", "list", grp); r.code != 1 || !strings.Contains(r.stderr, "unauthenticated") {
		t.Errorf("no token: exit %d, stderr %q; want 1 and unauthenticated", r.code, r.stderr)
	}
	r := remote(approver, "models", "approve", grp+"/2", "--reason", "looks fine")
	l := local("models", "approve", grp+"/3", "--reason", "looks fine")
	if r.code != 0 || l.code != 0 || strings.ReplaceAll(l.stdout, "/3", "/2") != r.stdout {
		t.Errorf("approve: remote exit %d %q (stderr %q), local exit %d %q", r.code, r.stdout, r.stderr, l.code, l.stdout)
	}
	show := mustFerry(t, home, "models", "show", grp+"/2")
	if !regexp.MustCompile(`Approved\s+by alice: looks fine`).MatchString(show) {
		t.Errorf("approval of version 2 not recorded as alice:\n%s", show)
	}

	// A run through the server: the definition's local paths resolve on
	// the server (here, the same machine).
	dir := t.TempDir()
	file := writePipeline(t, dir, `version: 1
name: remote
steps:
  - {name: hello, kind: command, command: [/bin/sh, -c, 'echo hi from the server'], outputs: [o]}
`)
	if r := remote(approver, "run", file); r.code != 1 || !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("run as approver: exit %d %q; want forbidden (approvers do not operate)", r.code, r.stderr)
	}
	r = remote(operator, "run", file, "--output", "json")
	if r.code != 0 {
		t.Fatalf("remote run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var ran struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &ran); err != nil || ran.Status != "Succeeded" {
		t.Fatalf("remote run: %v %s", err, r.stdout)
	}
	if l := local("logs", ran.ID, "hello"); !strings.HasSuffix(l.stdout, "\nhi from the server\n") {
		t.Errorf("log of the remote run: %q", l.stdout)
	}
	// The text progress is driven by the server's events.
	r = remote(operator, "run", file, "--no-cache")
	if r.code != 0 || !strings.Contains(r.stdout, "hello") || !regexp.MustCompile(`execution e-\S+ Succeeded in`).MatchString(r.stdout) {
		t.Errorf("remote run (text): exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := remote(operator, "logs", ran.ID, "hello"); !strings.HasSuffix(r.stdout, "\nhi from the server\n") {
		t.Errorf("remote logs of the remote run: %q %q", r.stdout, r.stderr)
	}
	// A cache hit's log is the log of the run it reused, said on stderr,
	// alike through the server and locally.
	r = remote(operator, "run", file, "--output", "json")
	var hit struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &hit); err != nil || r.code != 0 {
		t.Fatalf("third run: %v %s %s", err, r.stdout, r.stderr)
	}
	l = local("logs", hit.ID, "hello")
	r = remote(operator, "logs", hit.ID, "hello")
	if l.code != 0 || l.stdout != r.stdout || l.stderr != r.stderr || !strings.Contains(l.stderr, "did not run in execution") {
		t.Errorf("logs of a cache hit: local %d %q %q; remote %d %q %q", l.code, l.stdout, l.stderr, r.code, r.stdout, r.stderr)
	}
}

// TestServerAuthRule: without tokens, ferry server refuses a non-loopback
// address unless --insecure-no-auth; with tokens it serves and asks for
// them; a loopback address without tokens is open, as before.
func TestServerAuthRule(t *testing.T) {
	t.Parallel()
	home := artifacttest.TempDir(t)
	res := ferry(t, t.Context(), home, "server", "--addr", "0.0.0.0:0")
	if res.code != 1 || !strings.Contains(res.stderr, "refusing to serve 0.0.0.0:0 without authentication") || !strings.Contains(res.stderr, "--insecure-no-auth") {
		t.Errorf("non-loopback without tokens: exit %d, stderr %q", res.code, res.stderr)
	}
	if res := ferry(t, t.Context(), home, "server", "--tls-cert", "x.pem"); res.code != 2 {
		t.Errorf("--tls-cert without --tls-key: exit %d, stderr %q", res.code, res.stderr)
	}
	open := startServer(t, home, "server", "--addr", "127.0.0.1:0")
	if r := ferryEnv(t, t.Context(), map[string]string{"FERRY_SERVER": open}, "executions"); r.code != 0 {
		t.Errorf("loopback without tokens: exit %d %q", r.code, r.stderr)
	}
	startServer(t, home, "server", "--addr", "0.0.0.0:0", "--insecure-no-auth")
	tok := createToken(t, home, "ops", "viewer")
	guarded := startServer(t, home, "server", "--addr", "0.0.0.0:0")
	if r := ferryEnv(t, t.Context(), map[string]string{"FERRY_SERVER": guarded}, "executions"); r.code != 1 || !strings.Contains(r.stderr, "unauthenticated") {
		t.Errorf("with tokens, no token: exit %d %q", r.code, r.stderr)
	}
	if r := ferryEnv(t, t.Context(), map[string]string{"FERRY_SERVER": guarded, "FERRY_TOKEN": tok}, "executions"); r.code != 0 {
		t.Errorf("with a viewer token: exit %d %q", r.code, r.stderr)
	}
}
