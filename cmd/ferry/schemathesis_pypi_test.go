//go:build pypi

package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/pythontest"
)

// TestPyPISchemathesis runs schemathesis (from PyPI) against a live
// `ferry server` over a quickstart home, with an admin token: no answer
// may be a 5xx, and every answer must match the OpenAPI document (status
// code, content type, body schema).
func TestPyPISchemathesis(t *testing.T) {
	py := pythontest.Venv(t, "schemathesis")
	ctx := t.Context()
	home := artifacttest.TempDir(t)
	if res := ferry(t, ctx, home, "quickstart"); res.code != 0 {
		t.Fatalf("quickstart exited %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	token := createToken(t, home, "schemathesis", "admin")
	url := startServer(t, home, "server", "--addr", "127.0.0.1:0")
	cmd := exec.CommandContext(ctx, py, "-m", "schemathesis.cli", "run", url+"/api/v1/openapi.json",
		"--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
		"--phases", "examples,coverage,fuzzing",
		"--header", "Authorization: Bearer "+token,
		"--max-examples", "40", "--workers", "1", "--seed", "1", // one worker: hypothesis is not thread-safe on every Python
		"--suppress-health-check", "all",
		"--exclude-method", "DELETE", // would delete the quickstart's endpoint the other operations read
	)
	cmd.Env = append(cmd.Environ(), "SCHEMATHESIS_HOOKS=", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("schemathesis: %v\n%s", err, tail(string(out), 200))
	}
	t.Logf("schemathesis:\n%s", tail(string(out), 30))
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
