//go:build pypi

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
	run := func(name string, extra ...string) {
		t.Helper()
		args := append([]string{"-m", "schemathesis.cli"}, extra...)
		args = append(args, "run", url+"/api/v1/openapi.json",
			"--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
			"--phases", "examples,coverage,fuzzing",
			"--header", "Authorization: Bearer "+token,
			"--max-examples", "40", "--workers", "1", "--seed", "1", // one worker: hypothesis is not thread-safe on every Python
			"--suppress-health-check", "all",
			"--exclude-method", "DELETE", // would delete the quickstart's endpoint the other operations read
		)
		cmd := exec.CommandContext(ctx, py, args...)
		cmd.Env = append(cmd.Environ(), "NO_COLOR=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("schemathesis (%s): %v\n%s", name, err, tail(string(out), 200))
		}
		t.Logf("schemathesis (%s):\n%s", name, tail(string(out), 12))
	}
	// The quickstart's execution, read before schemathesis starts others
	// (a selective run "from" a prefix of its ID, say): its names go in
	// the paths of the second run, so every operation reaches its core.
	var exs []struct {
		ID     string `json:"id"`
		Digest string `json:"pipeline_digest"`
	}
	if err := json.Unmarshal([]byte(mustFerry(t, home, "executions", "--pipeline", "fraud-detect-xgb", "--output", "json")), &exs); err != nil || len(exs) == 0 {
		t.Fatalf("executions: %v", err)
	}
	// A monitor named as the endpoint, so that the monitor routes reach
	// their core under the same path.name (made before schemathesis
	// could take the name).
	data := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(data, []byte("a,b\n1,x\n2,y\n3,x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	baseline := t.TempDir()
	mustFerry(t, home, "monitors", "baseline", "--data", data, "--out", baseline)
	mustFerry(t, home, "monitors", "create", quickstartEndpoint, "--endpoint", quickstartEndpoint, "--type", "data_quality",
		"--statistics", filepath.Join(baseline, "statistics.json"), "--constraints", filepath.Join(baseline, "constraints.json"))
	// Random path parameters: mostly 404s and 400s.
	run("random")
	ex := exs[0]
	var show struct {
		Steps []struct {
			Name    string            `json:"name"`
			Outputs map[string]string `json:"outputs"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(mustFerry(t, home, "executions", "show", ex.ID, "--output", "json")), &show); err != nil {
		t.Fatal(err)
	}
	var model string
	for _, st := range show.Steps {
		if st.Name == "train" {
			model = st.Outputs["model"]
		}
	}
	if model == "" {
		t.Fatalf("execution %s has no train step with a model output", ex.ID)
	}
	cfg := filepath.Join(t.TempDir(), "schemathesis.toml")
	toml := fmt.Sprintf(`[parameters]
"path.id" = %q
"path.step" = "train"
"path.ref" = %q
"path.path" = "ferry-model.json"
"path.group" = %q
"path.version" = 1
"path.name" = %q
"path.digest" = %q
`, ex.ID, model, quickstartGroup, quickstartEndpoint, ex.Digest)
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	run("quickstart names", "--config-file", cfg)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
