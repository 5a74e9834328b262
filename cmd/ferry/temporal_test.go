//go:build temporal

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.temporal.io/server/common/dynamicconfig"
	temporalsrv "go.temporal.io/server/temporal"
	"go.temporal.io/server/temporaltest"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
)

// temporalEnv is an in-process Temporal server and the ferry worker
// processes polling it, which share the artifacts of a server home.
type temporalEnv struct {
	addr, ns string
	home     string // the server's FERRY_HOME
	mu       sync.Mutex
	workers  []*exec.Cmd
	homes    map[string]string // each worker's FERRY_HOME by name
}

func newTemporalEnv(t *testing.T) *temporalEnv {
	t.Helper()
	// history.transferProcessorMaxPollRPS: see docs/scale-out.md (every
	// workflow and activity task waits for a read of the transfer queue,
	// 20 a second per shard by default).
	dc := dynamicconfig.StaticClient{
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true, // temporaltest's own
		dynamicconfig.TransferProcessorMaxPollRPS.Key():             1000,
	}
	ts := temporaltest.NewServer(temporaltest.WithT(t), temporaltest.WithBaseServerOptions(temporalsrv.WithDynamicConfigClient(dc)))
	env := &temporalEnv{addr: ts.GetFrontendHostPort(), ns: ts.GetDefaultNamespace(), home: artifacttest.TempDir(t)}
	t.Cleanup(func() {
		env.mu.Lock()
		defer env.mu.Unlock()
		for _, w := range env.workers {
			if w.ProcessState == nil {
				w.Process.Kill()
				w.Wait()
			}
		}
	})
	return env
}

// startWorker starts a `ferry worker` process (the test binary runs as
// ferry) with its own FERRY_HOME.
func (env *temporalEnv) startWorker(t *testing.T, name string) *exec.Cmd {
	t.Helper()
	home := artifacttest.TempDir(t)
	cmd := ferryCommand(home, "worker", "--temporal-address", env.addr, "--namespace", env.ns,
		"--artifacts", filepath.Join(env.home, "artifacts"), "--identity", name, "--queues", "default")
	logf, err := os.Create(filepath.Join(home, "worker.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	env.mu.Lock()
	env.workers = append(env.workers, cmd)
	if env.homes == nil {
		env.homes = map[string]string{}
	}
	env.homes[name] = home
	env.mu.Unlock()
	return cmd
}

func (env *temporalEnv) runArgs(heartbeat string) []string {
	return []string{"--engine", "temporal", "--temporal-address", env.addr, "--namespace", env.ns, "--heartbeat-timeout", heartbeat}
}

// stepView is what must match between engines: everything but times and
// IDs.
type stepView struct {
	Status     run.StepStatus
	Attempts   int
	Outputs    map[string]artifact.Ref
	Properties map[string]any
	CacheKey   string
	CacheNote  string
	Failure    string
}

func viewSteps(rs map[string]*run.StepRun, execID string) map[string]stepView {
	out := make(map[string]stepView, len(rs))
	for name, r := range rs {
		props := make(map[string]any, len(r.Properties))
		for k, v := range r.Properties {
			if s, ok := v.(string); ok {
				v = strings.ReplaceAll(s, execID, "EXEC")
			}
			props[k] = v
		}
		out[name] = stepView{r.Status, r.Attempts, r.Outputs, props, r.CacheKey, r.CacheNote, r.FailureReason}
	}
	return out
}

// The fraud and abalone pipelines run unchanged on Temporal with two
// worker processes and give the records of the local engine: the same
// model digests, metrics and registered versions.
func TestTemporalExamples(t *testing.T) {
	// The first run of the fraud pipeline makes the check baselines, as
	// the quickstart's first run does.
	firstRun := []string{
		"-p", "skip_model_bias_check=true", "-p", "register_new_model_bias_baseline=true",
		"-p", "skip_model_explainability_check=true", "-p", "register_new_model_explainability_baseline=true",
	}
	for _, tc := range []struct {
		pipe   string
		params []string
	}{
		{"fraud-detection/pipeline.yaml", firstRun},
		{"abalone-clarify/pipeline.yaml", nil},
	} {
		pipe := tc.pipe
		t.Run(pipe, func(t *testing.T) {
			ctx := t.Context()
			path := "../../examples/" + pipe
			local := artifacttest.TempDir(t)
			if res := ferry(t, ctx, local, append(append([]string{"run"}, tc.params...), path)...); res.code != 0 {
				t.Fatalf("local run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			env := newTemporalEnv(t)
			env.startWorker(t, "worker-1")
			env.startWorker(t, "worker-2")
			start := time.Now()
			args := append(append([]string{"run"}, env.runArgs("10s")...), tc.params...)
			res := ferry(t, ctx, env.home, append(args, path)...)
			if res.code != 0 {
				t.Fatalf("temporal run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			t.Logf("%s on Temporal with two workers: %s", pipe, time.Since(start).Round(time.Millisecond))
			lex, lsteps := latestExecution(t, ctx, inspect(t, local))
			tex, tsteps := latestExecution(t, ctx, inspect(t, env.home))
			if lex.Status != run.Succeeded || tex.Status != run.Succeeded {
				t.Fatalf("local %s, temporal %s (%s)", lex.Status, tex.Status, tex.FailureReason)
			}
			if diff := cmp.Diff(viewSteps(lsteps, lex.ID), viewSteps(tsteps, tex.ID)); diff != "" {
				t.Errorf("step records, local (-) vs Temporal (+):\n%s", diff)
			}
			// Every step that ran did so on a worker (its log says which),
			// the registry's ones on the server's queue.
			ranOn := map[string]int{}
			for name, r := range tsteps {
				if r.Status != run.StepSucceeded || r.Kind == "condition" {
					continue
				}
				b, err := os.ReadFile(engine.LogPath(env.home, tex.ID, name))
				if err != nil {
					t.Errorf("log of %s: %v", name, err)
					continue
				}
				switch {
				case strings.Contains(string(b), "on worker worker-"):
					ranOn[name]++
				case strings.Contains(string(b), "on worker ferry-server@"):
				default:
					t.Errorf("log of %s does not say which worker ran it:\n%s", name, b)
				}
			}
			if len(ranOn) == 0 {
				t.Errorf("no step ran on a ferry worker")
			}
			lv, tv := versions(t, ctx, local), versions(t, ctx, env.home)
			if len(lv) == 0 {
				t.Errorf("the local run registered no model version")
			}
			t.Logf("steps run by ferry workers: %d; versions: %v", len(ranOn), tv)
			if diff := cmp.Diff(lv, tv); diff != "" {
				t.Errorf("registered versions, local (-) vs Temporal (+):\n%s", diff)
			}
		})
	}
}

// versions lists a home's model versions: group, number and model digest.
func versions(t *testing.T, ctx context.Context, home string) []string {
	t.Helper()
	return versionsOf(t, ctx, inspect(t, home))
}

// versionsOf lists the model versions of the home m opens.
func versionsOf(t *testing.T, ctx context.Context, m *Main) []string {
	t.Helper()
	reg, err := m.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := reg.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range groups {
		vs, err := reg.Versions(ctx, g.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			out = append(out, fmt.Sprintf("%s/%d %s %s", g.Name, v.Version, v.Model, v.Status))
		}
	}
	return out
}

// A worker killed with SIGKILL in the middle of a long step loses
// nothing: after its heartbeat times out, the other worker runs the step
// and the execution succeeds with one record per step and one output.
func TestTemporalWorkerKilled(t *testing.T) { testWorkerLost(t, false) }

// A worker that goes silent mid-step (frozen with SIGSTOP: no heartbeats,
// as when it is cut off from the network) has its step rescheduled on
// another worker; when it comes back and finishes, its late result is
// refused and nothing is recorded twice.
func TestTemporalWorkerSilenced(t *testing.T) { testWorkerLost(t, true) }

func testWorkerLost(t *testing.T, freeze bool) {
	ctx := t.Context()
	env := newTemporalEnv(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "long.yaml")
	if err := os.WriteFile(path, []byte(`
version: 1
name: long
steps:
  - name: long
    kind: command
    command: [sh, -c, 'sleep 6; mkdir -p "$FERRY_OUTPUT_RESULT"; echo done > "$FERRY_OUTPUT_RESULT/out.txt"']
    outputs: [result]
  - name: after
    kind: command
    command: [sh, -c, 'cat "$FERRY_INPUT_IN/out.txt"']
    inputs: {in: "${{ steps.long.outputs.result }}"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	first := env.startWorker(t, "worker-1")
	done := make(chan ferryResult, 1)
	go func() {
		done <- ferry(t, ctx, env.home, append(append([]string{"run"}, env.runArgs("4s")...), path)...)
	}()
	// Wait until the long step runs, then kill its worker mid-step.
	m := inspect(t, env.home)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("the long step never started")
		}
		if st := stepStatus(t, ctx, m, "long"); st == run.StepExecuting {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	env.mu.Lock()
	home := env.homes["worker-1"]
	env.mu.Unlock()
	waitWorkDir(t, home, "long")
	time.Sleep(2 * time.Second) // the worker is inside `sleep 6`
	if freeze {
		if err := first.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { first.Process.Signal(syscall.SIGCONT) })
	} else {
		if err := first.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		first.Wait()
	}
	killedAt := time.Now()
	env.startWorker(t, "worker-2")
	var res ferryResult
	select {
	case res = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the execution did not finish after the worker was killed")
	}
	if res.code != 0 {
		t.Fatalf("run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	t.Logf("finished %s after the kill", time.Since(killedAt).Round(time.Millisecond))
	if freeze {
		// The silenced worker comes back: its attempt finishes and reports
		// late, which Temporal refuses.
		if err := first.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		time.Sleep(8 * time.Second)
	}
	ex, steps := latestExecution(t, ctx, m)
	if ex.Status != run.Succeeded || len(steps) != 2 {
		t.Fatalf("execution %s with %d step records, want Succeeded with 2", ex.Status, len(steps))
	}
	long := steps["long"]
	if long.Status != run.StepSucceeded || long.Attempts != 1 || len(long.Outputs) != 1 {
		t.Errorf("long: %s after %d attempts with %d outputs, want Succeeded, 1 attempt (the lost one is not the step's fault), 1 output", long.Status, long.Attempts, len(long.Outputs))
	}
	b, err := os.ReadFile(engine.LogPath(env.home, ex.ID, "long"))
	if err != nil || !strings.Contains(string(b), "lost with their worker") || !strings.Contains(string(b), "on worker worker-2") {
		t.Errorf("log of long = %q (%v), want the lost attempt noted and worker-2's run", b, err)
	}
	db, err := m.DB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := sqlite.NewExecutionStore(db).Executions(ctx, 0)
	if err != nil || len(all) != 1 {
		t.Errorf("%d executions (%v), want 1", len(all), err)
	}
}

func stepStatus(t *testing.T, ctx context.Context, m *Main, name string) run.StepStatus {
	t.Helper()
	db, err := m.DB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	es := sqlite.NewExecutionStore(db)
	exs, err := es.Executions(ctx, 0)
	if err != nil || len(exs) == 0 {
		return ""
	}
	rs, err := es.StepRuns(ctx, exs[0].ID)
	if err != nil {
		return ""
	}
	for _, r := range rs {
		if r.Step == name {
			return r.Status
		}
	}
	return ""
}

// `ferry server --engine temporal` and `ferry worker --server URL`: the
// worker learns Temporal's address, the namespace and the artifact store
// from GET /api/v1/engine, and a run started through the server's API
// runs its steps on the worker, which reports its retry to the API.
// startServer starts `ferry server --engine temporal` over env's home and
// returns its URL and its log (read it only once the test failed).
func (env *temporalEnv) startServer(t *testing.T) (string, *syncBuffer) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	srv := ferryCommand(env.home, append([]string{"server", "--addr", addr}, env.runArgs("10s")...)...)
	srvLog := &syncBuffer{}
	srv.Stdout, srv.Stderr = srvLog, srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
	})
	url := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/api/v1/engine")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not come up: %v\n%s", err, srvLog.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	return url, srvLog
}

func TestTemporalServerAndWorker(t *testing.T) {
	ctx := t.Context()
	env := newTemporalEnv(t)
	url, srvLog := env.startServer(t)
	whome := artifacttest.TempDir(t)
	w := ferryCommand(whome, "worker", "--server", url, "--queues", "default", "--identity", "worker-api")
	var wlog strings.Builder
	w.Stdout, w.Stderr = &wlog, &wlog
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.Process.Kill()
		w.Wait()
	})
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(path, []byte(`
version: 1
name: remote
steps:
  - name: hello
    kind: command
    command: [sh, -c, 'if [ -e "$MARK" ]; then echo hello from the worker; else touch "$MARK"; exit 1; fi']
    env: {MARK: `+filepath.Join(dir, "mark")+`}
    retry: {max_attempts: 2, interval: 100ms}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	res := ferry(t, ctx, whome, "--server", url, "run", "--output", "json", path)
	var ex struct {
		ID     string     `json:"id"`
		Status run.Status `json:"status"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &ex); err != nil || res.code != 0 || ex.Status != run.Succeeded {
		t.Fatalf("run through the server exited %d\n%s\n%s\nserver:\n%s\nworker:\n%s", res.code, res.stdout, res.stderr, srvLog.String(), wlog.String())
	}
	// The retry was reported through the API as it started.
	if _, steps := latestExecution(t, ctx, inspect(t, env.home)); steps["hello"].Attempts != 2 || strings.Contains(wlog.String(), "reporting an attempt") {
		t.Errorf("hello: %d attempts, want 2 reported by the worker\nworker:\n%s", steps["hello"].Attempts, wlog.String())
	}
	logs := ferry(t, ctx, whome, "--server", url, "logs", ex.ID, "hello")
	if !strings.Contains(logs.stdout, "hello from the worker") || !strings.Contains(logs.stdout, "on worker worker-api") {
		t.Errorf("ferry logs through the server:\n%s\n%s", logs.stdout, logs.stderr)
	}
}

// waitWorkDir waits until a worker (its home) runs a step: the step's
// record says Executing as soon as the server hands it to Temporal, which
// may be before a loaded machine's worker has it.
func waitWorkDir(t *testing.T, home, step string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m, _ := filepath.Glob(filepath.Join(home, "work", "*-"+step+"-*")); len(m) > 0 {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(home, "worker.log"))
			t.Fatalf("the worker never ran step %s:\n%s", step, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTemporalTuningTrialsSpread: a tuning step on Temporal hands its
// trials to the workers as parts (each on whichever worker takes it); the
// run ends as a local run of the same definition does: the same best
// model (digest), objective and stopping decisions.
func TestTemporalTuningTrialsSpread(t *testing.T) {
	ctx := t.Context()
	const trials = 12
	path := "../../examples/fraud-detection/tuning.yaml"
	params := []string{"-p", fmt.Sprintf("max_trials=%d", trials)}
	local := artifacttest.TempDir(t)
	if res := ferry(t, ctx, local, append(append([]string{"run"}, params...), path)...); res.code != 0 {
		t.Fatalf("local run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	env := newTemporalEnv(t)
	env.startWorker(t, "worker-1")
	env.startWorker(t, "worker-2")
	args := append(append([]string{"run"}, env.runArgs("10s")...), params...)
	if res := ferry(t, ctx, env.home, append(args, path)...); res.code != 0 {
		t.Fatalf("temporal run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	lex, lsteps := latestExecution(t, ctx, inspect(t, local))
	tex, tsteps := latestExecution(t, ctx, inspect(t, env.home))
	if lex.Status != run.Succeeded || tex.Status != run.Succeeded {
		t.Fatalf("local %s, temporal %s (%s)", lex.Status, tex.Status, tex.FailureReason)
	}
	lt, tt := lsteps["tune"], tsteps["tune"]
	if lt.Outputs["model"] != tt.Outputs["model"] {
		t.Errorf("best model: local %s, Temporal %s", lt.Outputs["model"], tt.Outputs["model"])
	}
	for _, p := range []string{"best_objective", "best_trial", "best_iteration", "trials_completed", "trials_stopped"} {
		if !cmp.Equal(lt.Properties[p], tt.Properties[p]) {
			t.Errorf("%s: local %v, Temporal %v", p, lt.Properties[p], tt.Properties[p])
		}
	}
	// Each trial's part names its worker in the step's log.
	b, err := os.ReadFile(engine.LogPath(env.home, tex.ID, "tune"))
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]string{} // trial -> worker
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == "---" && strings.HasPrefix(f[2], "trial-") && f[3] == "on" && f[4] == "worker" {
			ran[f[2]] = f[5]
		}
	}
	workers := map[string]int{}
	for _, w := range ran {
		workers[w]++
	}
	if len(ran) != trials {
		t.Errorf("%d trials ran as parts, want %d; the step's log:\n%s", len(ran), trials, b)
	}
	if len(workers) < 2 {
		t.Errorf("trials per worker %v: want them spread over both workers", workers)
	}
	t.Logf("trials per worker: %v", workers)
}
