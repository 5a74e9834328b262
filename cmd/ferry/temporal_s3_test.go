//go:build temporal

package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
)

// inspectS3 opens a home whose artifacts are on the test's S3 server
// (it recorded the store; the S3 credentials and CA come from s3.env).
func inspectS3(t *testing.T, home string, s3 *testS3) *Main {
	t.Helper()
	m := NewMain(strings.NewReader(""), os.Stdout, os.Stderr, func(k string) string {
		if k == "FERRY_HOME" {
			return home
		}
		return s3.env[k]
	})
	t.Cleanup(func() { m.Close() })
	return m
}

// envList turns env into KEY=VALUE entries after the test's own.
func envList(env map[string]string) []string {
	out := os.Environ()
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// startProc starts `ferry args...` as a child process with
// FERRY_HOME=home and env, its output in home/NAME.log; it is killed at
// the end of the test.
func startProc(t *testing.T, name, home string, env map[string]string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := ferryCommand(home, args...)
	cmd.Env = append(envList(env), envRunAsFerry+"=1", "FERRY_HOME="+home)
	logf, err := os.Create(filepath.Join(home, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGCONT)
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
		logf.Close()
	})
	return cmd
}

// freeAddr returns a free 127.0.0.1 address.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startFerryServer starts `ferry server --engine temporal` on the env's
// Temporal with its artifacts on the test's S3 server (prefix), and
// returns its URL once it answers.
func startFerryServer(t *testing.T, env *temporalEnv, s3 *testS3, prefix string, extra ...string) string {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"server", "--addr", addr, "--artifacts", "s3://artifacts/" + prefix}, env.runArgs("4s")...)
	startProc(t, "server", env.home, s3.env, append(args, extra...)...)
	url := "http://" + addr
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(url + "/api/v1/engine")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(env.home, "server.log"))
			t.Fatalf("the server did not come up: %v\n%s", err, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// s3Worker starts a `ferry worker --server URL` with its own home and
// only S3 credentials: it learns Temporal's address and the S3 store
// from the server.
func s3Worker(t *testing.T, s3 *testS3, url, name string, extra ...string) (home string, cmd *exec.Cmd) {
	t.Helper()
	home = artifacttest.TempDir(t)
	env := map[string]string{}
	for _, k := range []string{"AWS_CA_BUNDLE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		env[k] = s3.env[k]
	}
	args := append([]string{"worker", "--server", url, "--queues", "default", "--identity", name}, extra...)
	return home, startProc(t, "worker", home, env, args...)
}

// The fraud pipeline on a server whose artifacts are on an S3-compatible
// server, with two workers that have separate homes and share only the
// S3 server and the Ferry server's API: the same records, model digest
// and registered version as the local engine, every artifact on S3, no
// artifact in any home's directory and no credential in any file.
func TestTemporalFraudOnS3(t *testing.T) {
	ctx := t.Context()
	params := []string{
		"-p", "skip_model_bias_check=true", "-p", "register_new_model_bias_baseline=true",
		"-p", "skip_model_explainability_check=true", "-p", "register_new_model_explainability_baseline=true",
	}
	pipe := "../../examples/fraud-detection/pipeline.yaml"
	local := artifacttest.TempDir(t)
	if res := ferry(t, ctx, local, append(append([]string{"run"}, params...), pipe)...); res.code != 0 {
		t.Fatalf("local run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	s3 := startTestS3(t)
	env := newTemporalEnv(t)
	url := startFerryServer(t, env, s3, "fraud")
	h1, _ := s3Worker(t, s3, url, "worker-1")
	h2, _ := s3Worker(t, s3, url, "worker-2")
	client := artifacttest.TempDir(t)
	start := time.Now()
	res := ferry(t, ctx, client, append(append([]string{"--server", url, "run"}, params...), pipe)...)
	if res.code != 0 {
		t.Fatalf("run through the server exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	t.Logf("fraud on Temporal, artifacts on S3, two workers: %s", time.Since(start).Round(time.Millisecond))
	lex, lsteps := latestExecution(t, ctx, inspect(t, local))
	tex, tsteps := latestExecution(t, ctx, inspectS3(t, env.home, s3))
	if tex.Status != run.Succeeded {
		t.Fatalf("temporal: %s (%s)", tex.Status, tex.FailureReason)
	}
	if diff := cmp.Diff(viewSteps(lsteps, lex.ID), viewSteps(tsteps, tex.ID)); diff != "" {
		t.Errorf("step records, local (-) vs Temporal on S3 (+):\n%s", diff)
	}
	if diff := cmp.Diff(versions(t, ctx, local), versionsOf(t, ctx, inspectS3(t, env.home, s3))); diff != "" {
		t.Errorf("registered versions, local (-) vs Temporal on S3 (+):\n%s", diff)
	}
	// Every output is on S3; no home holds an artifact of its own.
	onS3 := s3.manifests(t, "fraud")
	for name, r := range tsteps {
		for out, ref := range r.Outputs {
			if !strings.Contains(strings.Join(onS3, " "), string(ref)) {
				t.Errorf("%s.%s = %s is not on S3", name, out, ref)
			}
		}
	}
	ran := map[string]bool{}
	for _, home := range []string{env.home, h1, h2} {
		if ents, _ := os.ReadDir(filepath.Join(home, "artifacts", "sha256")); len(ents) > 0 {
			t.Errorf("%s/artifacts holds %d artifacts, want none (the store is S3)", home, len(ents))
		}
		noSecretIn(t, home)
	}
	for name, r := range tsteps {
		if r.Status != run.StepSucceeded || r.Kind == "condition" {
			continue
		}
		b, _ := os.ReadFile(engine.LogPath(env.home, tex.ID, name))
		for _, w := range []string{"worker-1", "worker-2"} {
			if strings.Contains(string(b), "on worker "+w) {
				ran[w] = true
			}
		}
	}
	t.Logf("workers that ran steps: %v; %d artifacts on S3", ran, len(onS3))
	if len(ran) == 0 {
		t.Errorf("no step ran on a worker")
	}
}

// A worker cut off from the network mid-step (in its own network
// namespace whose link the test takes down; TCP proxies the test stops
// where namespaces cannot be made) has its step rescheduled on another
// worker after the heartbeat timeout. When its network comes back, its
// late result is refused: one execution, one record per step, one
// attempt, the same artifacts on S3 and one model version.
func TestTemporalWorkerCutOff(t *testing.T) {
	ctx := t.Context()
	s3 := startTestS3(t)
	env := newTemporalEnv(t)
	url := startFerryServer(t, env, s3, "cut")
	dir := t.TempDir()
	data, err := filepath.Abs("../../examples/abalone-clarify/data/abalone.csv")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "long.yaml")
	if err := os.WriteFile(path, []byte(`
version: 1
name: long
steps:
  - name: prepare
    kind: processing
    processor: tabular_prepare
    inputs: {abalone: `+data+`}
    config:
      rename: {Class_number_of_rings: Rings}
      one_hot: {columns: [Sex]}
      label: Rings
      split: {test: 0.3, validation: 0, seed: 42}
  - name: long
    kind: command
    command: [sh, -c, 'sleep 6; mkdir -p "$FERRY_OUTPUT_RESULT"; echo done > "$FERRY_OUTPUT_RESULT/out.txt"']
    outputs: [result]
    depends_on: [prepare]
  - name: after
    kind: command
    command: [sh, -c, 'cat "$FERRY_INPUT_IN/out.txt"']
    inputs: {in: "${{ steps.long.outputs.result }}"}
  - name: train
    kind: training
    algorithm: random_forest
    inputs: {train: "${{ steps.prepare.outputs.train }}", schema: "${{ steps.prepare.outputs.schema }}"}
    hyperparameters: {task: regression, n_estimators: 10, max_depth: 5, seed: 42}
    depends_on: [long]
  - name: register
    kind: register_model
    model: ${{ steps.train.outputs.model }}
    model_package_group_name: cut-rf
    approval_status: Approved
`), 0o644); err != nil {
		t.Fatal(err)
	}
	// worker-1 reaches the server, Temporal and S3 only through the cut.
	cut := newCutoff(t)
	t.Logf("worker-1 behind %s", cut)
	hostOf := func(u string) string { return u[strings.Index(u, "//")+2:] }
	wURL := "http://" + cut.addr(t, hostOf(url))
	wTemporal := cut.addr(t, env.addr)
	wS3 := "https://" + cut.addr(t, hostOf(s3.env["AWS_ENDPOINT_URL"]))
	h1 := artifacttest.TempDir(t)
	wenv := map[string]string{}
	for _, k := range []string{"AWS_CA_BUNDLE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		wenv[k] = s3.env[k]
	}
	first := ferryCommand(h1, "worker", "--server", wURL, "--temporal-address", wTemporal, "--artifacts-endpoint", wS3,
		"--queues", "default", "--identity", "worker-1")
	first.Env = append(envList(wenv), envRunAsFerry+"=1", "FERRY_HOME="+h1)
	cut.command(first)
	logf, err := os.Create(filepath.Join(h1, "worker.log"))
	if err != nil {
		t.Fatal(err)
	}
	first.Stdout, first.Stderr = logf, logf
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		first.Process.Kill()
		first.Wait()
		logf.Close()
	})
	client := artifacttest.TempDir(t)
	done := make(chan ferryResult, 1)
	go func() { done <- ferry(t, ctx, client, "--server", url, "run", path) }()
	m := inspectS3(t, env.home, s3)
	deadline := time.Now().Add(90 * time.Second)
	for stepStatus(t, ctx, m, "long") != run.StepExecuting {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(h1, "worker.log"))
			t.Fatalf("the long step never started; worker-1:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitWorkDir(t, h1, "long")
	time.Sleep(2 * time.Second) // worker-1 is inside `sleep 6`
	cut.cut(t)
	cutAt := time.Now()
	s3Worker(t, s3, url, "worker-2")
	var res ferryResult
	select {
	case res = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the execution did not finish after worker-1 was cut off")
	}
	if res.code != 0 {
		t.Fatalf("run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	t.Logf("finished %s after the cut", time.Since(cutAt).Round(time.Millisecond))
	ex, steps := latestExecution(t, ctx, m)
	before := viewSteps(steps, ex.ID)
	manifests := s3.manifests(t, "cut")
	// worker-1 comes back: its attempt has finished meanwhile, and its
	// output upload and late result now go through.
	cut.heal(t)
	time.Sleep(10 * time.Second)
	ex, steps = latestExecution(t, ctx, m)
	if ex.Status != run.Succeeded || len(steps) != 5 {
		t.Fatalf("execution %s with %d step records, want Succeeded with 5", ex.Status, len(steps))
	}
	if diff := cmp.Diff(before, viewSteps(steps, ex.ID)); diff != "" {
		t.Errorf("the records changed after worker-1 came back (-before +after):\n%s", diff)
	}
	long := steps["long"]
	if long.Status != run.StepSucceeded || long.Attempts != 1 || len(long.Outputs) != 1 {
		t.Errorf("long: %s after %d attempts with %d outputs, want Succeeded, 1 attempt, 1 output", long.Status, long.Attempts, len(long.Outputs))
	}
	b, err := os.ReadFile(engine.LogPath(env.home, ex.ID, "long"))
	if err != nil || !strings.Contains(string(b), "lost with their worker") || !strings.Contains(string(b), "on worker worker-2") {
		t.Errorf("log of long = %q (%v), want the lost attempt noted and worker-2's run", b, err)
	}
	// The same content makes the same artifact: worker-1's late upload,
	// if it got through, adds nothing.
	if after := s3.manifests(t, "cut"); !cmp.Equal(manifests, after) || !slices.Contains(after, string(long.Outputs["result"])) {
		t.Errorf("artifacts on S3: %v before worker-1 came back, %v after; want the same, with %s", manifests, after, long.Outputs["result"])
	}
	if vs := versionsOf(t, ctx, m); len(vs) != 1 || !strings.HasPrefix(vs[0], "cut-rf/1 ") {
		t.Errorf("model versions %v, want one: cut-rf/1", vs)
	}
	db, err := m.DB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if all, err := sqlite.NewExecutionStore(db).Executions(ctx, 0); err != nil || len(all) != 1 {
		t.Errorf("%d executions (%v), want 1", len(all), err)
	}
	w1, _ := os.ReadFile(filepath.Join(h1, "worker.log"))
	t.Logf("worker-1's log:\n%s", w1)
}
