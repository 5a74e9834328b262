package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/auth/authtest"
)

// secretsAPIPipelineSrc is secretsPipelineSrc with an output artifact
// (which holds no secret), so that the artifact routes have something to
// show.
const secretsAPIPipelineSrc = `
version: 1
name: secrets
parameters:
  token: {secret: true}
steps:
  - name: echo
    kind: command
    command: [/bin/sh, -c, 'echo "param=$TOKEN env=$API_KEY"; echo "stderr $TOKEN $API_KEY" >&2; echo ok > "$FERRY_OUTPUT_OUT/ok.txt"; printf "{\"seen\": \"%s\"}" "$TOKEN" > "$FERRY_PROPERTIES_FILE"']
    env:
      TOKEN: "${{ params.token }}"
      API_KEY: {from_env: FERRY_TEST_API_KEY}
    outputs: [out]
  - name: refuse
    kind: command
    command: [/bin/sh, -c, 'echo "denied for ${{ params.token }} and $API_KEY" >&2; exit 3']
    env: {API_KEY: {from_env: FERRY_TEST_API_KEY}}
    depends_on: [echo]
`

// startServerEnv is startServer with the environment env (FERRY_HOME
// included).
func startServerEnv(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	stderr := &syncBuffer{}
	m := NewMain(strings.NewReader(""), io.Discard, stderr, func(k string) string { return env[k] })
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, args) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("server exit %d: %s", code, stderr.String())
		}
	})
	addrRE := regexp.MustCompile(`listening on http://127\.0\.0\.1:(\d+)`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if mm := addrRE.FindStringSubmatch(stderr.String()); mm != nil {
			return "http://127.0.0.1:" + mm[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", stderr.String())
		}
	}
}

// TestSecretsNeverAppearInAPIResponses is issue 10's must-show 4 for the
// API: over a home with a run (from the CLI) and a run started through
// the API, both with a secret parameter and a secret environment value,
// a real `ferry server` with tokens answers every /api/v1 route that
// shows executions, steps, logs (whole and tailed), parameters, events,
// pipelines and artifacts, and errors about them, without either secret;
// and the home holds neither afterwards.
func TestSecretsNeverAppearInAPIResponses(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	home, dir := artifacttest.TempDir(t), artifacttest.TempDir(t)
	home = filepath.Join(home, "home")
	file := writePipeline(t, dir, secretsAPIPipelineSrc)
	secrets := []string{cliSecretParam, cliSecretEnv}

	run := secretFerry(t, home, "run", file, "-p", "token="+cliSecretParam)
	cliID := regexp.MustCompile(`e-\d{8}-\d{6}-[0-9a-f]+`).FindString(run.stdout + run.stderr)
	if run.code != 1 || cliID == "" {
		t.Fatalf("run: exit %d, want 1 and an execution id\n%s%s", run.code, run.stdout, run.stderr)
	}
	op := createToken(t, home, "ops", "operator")
	base := startServerEnv(t, map[string]string{"FERRY_HOME": home, "FERRY_TEST_API_KEY": cliSecretEnv},
		"server", "--addr", "127.0.0.1:0", "--poll", "50ms")

	var seen []string // every answer, for the masks
	get := func(method, path, body string) (int, []byte) {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(rctx, method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+op)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: reading: %v", method, path, err)
		}
		name := fmt.Sprintf("%s %s (%d)", method, path, resp.StatusCode)
		authtest.AssertAbsent(t, name+" body", b, secrets...)
		for k, vs := range resp.Header {
			authtest.AssertAbsent(t, name+" header "+k, []byte(strings.Join(vs, "\n")), secrets...)
		}
		seen = append(seen, string(b))
		return resp.StatusCode, b
	}
	wait := func(id string) {
		t.Helper()
		// The event stream ends once the execution has.
		if code, b := get("GET", "/api/v1/executions/"+id+"/events", ""); code != 200 || !strings.Contains(string(b), "event: end") {
			t.Fatalf("events of %s: %d %s", id, code, b)
		}
	}

	// A run started through the API, with the secret as a parameter.
	src, _ := json.Marshal(secretsAPIPipelineSrc)
	code, b := get("POST", "/api/v1/executions", fmt.Sprintf(`{"name": %q, "source": %s, "parameters": {"token": %q}}`, file, src, cliSecretParam))
	var started struct {
		ID             string `json:"id"`
		PipelineDigest string `json:"pipeline_digest"`
	}
	if err := json.Unmarshal(b, &started); code != http.StatusCreated || err != nil {
		t.Fatalf("POST /api/v1/executions: %d %s", code, b)
	}
	wait(started.ID)
	// An error that quotes the parameters: a run with an unknown one.
	if code, b := get("POST", "/api/v1/executions", fmt.Sprintf(`{"name": %q, "source": %s, "parameters": {"token": %q, "nope": %q}}`, file, src, cliSecretParam, cliSecretParam)); code != 400 {
		t.Errorf("start with an unknown parameter: %d %s", code, b)
	}

	for _, id := range []string{cliID, started.ID} {
		ex := "/api/v1/executions/" + id
		for _, path := range []string{
			ex, ex + "/steps", ex + "/steps/echo", ex + "/steps/refuse",
			ex + "/steps/echo/logs", ex + "/steps/refuse/logs",
			ex + "/steps/echo/logs?follow=true", ex + "/steps/refuse/logs?follow=true&offset=0",
			ex + "/steps/nope", ex + "/steps/nope/logs",
		} {
			get("GET", path, "")
		}
		// Artifacts the execution shows, and their files.
		_, b := get("GET", ex, "")
		for _, ref := range slices.Compact(regexp.MustCompile(`sha256:[0-9a-f]{64}`).FindAllString(string(b), -1)) {
			code, lb := get("GET", "/api/v1/artifacts/"+ref, "")
			var listing struct {
				Files []struct {
					Path string `json:"path"`
					Type string `json:"type"`
				} `json:"files"`
			}
			if code != 200 || json.Unmarshal(lb, &listing) != nil {
				t.Errorf("artifact %s: %d %s", ref, code, lb)
				continue
			}
			for _, f := range listing.Files {
				if f.Type == "file" {
					get("GET", "/api/v1/artifacts/"+ref+"/files/"+f.Path, "")
				}
			}
		}
		// Resuming a failed run answers, runs again and fails again.
		if code, b := get("POST", ex+"/resume", "{}"); code != http.StatusAccepted {
			t.Errorf("resume %s: %d %s", id, code, b)
		}
		wait(id)
		get("POST", ex+"/stop", "")
		get("GET", ex, "")
	}
	for _, path := range []string{
		"/api/v1/executions", "/api/v1/executions?pipeline=secrets&status=Failed", "/api/v1/executions?status=Interrupted",
		"/api/v1/pipelines", "/api/v1/pipelines/secrets/versions",
		"/api/v1/pipelines/secrets/versions/" + url.PathEscape(started.PipelineDigest),
		"/api/v1/pipelines/secrets/versions/" + url.PathEscape(started.PipelineDigest) + "/source",
		"/api/v1/events", "/api/v1/events?since=0&limit=1000",
	} {
		get("GET", path, "")
	}
	get("POST", "/api/v1/pipelines/validate", fmt.Sprintf(`{"source": %s}`, src))

	// The answers are the ones that would show the values: the masks are
	// where the values would be.
	all := strings.Join(seen, "\n")
	for _, want := range []string{
		"param=*** env=***",      // the program's stdout, in the log (whole and tailed)
		"stderr *** ***",         // its stderr
		`"token":"***"`,          // parameters
		`"seen":"***"`,           // properties
		"denied for *** and ***", // the failure reason
		"event: step",            // the event stream
		"ok\n",                   // the artifact file
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in the answers", want)
		}
	}
	if n := authtest.AssertAbsentUnder(t, home, secrets...); n < 4 {
		t.Errorf("read only %d files under the home", n)
	}
}
