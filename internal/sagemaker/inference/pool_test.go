package inference_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/sagemaker/inference"
	"github.com/ferryml/ferry/internal/serving"
)

// inferencePy doubles a weight from the model dir; it records each
// loading worker's pid in $PID_DIR and, for a body "slow", sleeps in
// predict_fn so a test can kill the worker mid-request.
const inferencePy = `
import json, os, time
def model_fn(model_dir):
    d = os.environ.get("PID_DIR")
    if d:
        open(os.path.join(d, "%d" % os.getpid()), "w").close()
        time.sleep(float(os.environ.get("LOAD_SLEEP", "0")))
    return json.load(open(os.path.join(model_dir, "weights.json")))
def input_fn(body, content_type):
    assert content_type == "text/csv", content_type
    return body.decode().strip()
def predict_fn(data, model):
    if data == "slow":
        open(os.path.join(os.environ["PID_DIR"], "busy-%d" % os.getpid()), "w").close()
        time.sleep(2)
        return model["w"]
    if data == "boom":
        raise RuntimeError("boom in predict_fn")
    return float(data) * model["w"]
def output_fn(prediction, accept):
    print("stdout noise that must not corrupt the response")
    return json.dumps({"prediction": prediction}), "application/json"
`

func modelDir(t *testing.T, code string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "code"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "code", "inference.py"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "weights.json"), []byte(`{"w": 2.5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func python(t *testing.T) []string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	return []string{py}
}

func start(t *testing.T, cfg inference.Config) *inference.Pool {
	t.Helper()
	p, err := inference.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestServeThroughRoutes(t *testing.T) {
	t.Parallel()
	dir := modelDir(t, inferencePy)
	pool := start(t, inference.Config{Python: python(t), ModelDir: dir, CodeDir: filepath.Join(dir, "code"), Workers: 2})
	h, _, err := serving.NewModelHandler(&serving.Model{Invoker: pool}, serving.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/invocations", "text/csv", strings.NewReader("4\n"))
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body.String() != `{"prediction": 10.0}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q %s", resp.StatusCode, body.String(), resp.Header.Get("Content-Type"))
	}
	resp, err = http.Post(srv.URL+"/invocations", "text/csv", strings.NewReader("boom"))
	if err != nil {
		t.Fatal(err)
	}
	body.Reset()
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(body.String(), "RuntimeError: boom in predict_fn") {
		t.Errorf("error: got %d %s", resp.StatusCode, body.String())
	}
}

// waitFile waits for a file in dir whose name has prefix, returning the
// number after the prefix.
func waitFile(t *testing.T, dir, prefix string) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if rest, ok := strings.CutPrefix(e.Name(), prefix); ok {
				if n, err := strconv.Atoi(rest); err == nil {
					return n
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %s* file in %s", prefix, dir)
	return 0
}

// TestWorkerKilledMidLoad is must-show 3: a worker killed while model_fn
// runs is restarted, Start still succeeds, and no request is lost.
func TestWorkerKilledMidLoad(t *testing.T) {
	t.Parallel()
	dir := modelDir(t, inferencePy)
	pids := t.TempDir()
	type started struct {
		p   *inference.Pool
		err error
	}
	ch := make(chan started, 1)
	go func() {
		p, err := inference.Start(t.Context(), inference.Config{Python: python(t), ModelDir: dir, CodeDir: filepath.Join(dir, "code"), Workers: 2,
			Env: []string{"PID_DIR=" + pids, "LOAD_SLEEP=0.5"}})
		ch <- started{p, err}
	}()
	victim := waitFile(t, pids, "")
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s := <-ch
	if s.err != nil {
		t.Fatal(s.err)
	}
	pool := s.p
	defer pool.Close()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			_, body, err := pool.Invoke(t.Context(), "text/csv", "application/json", []byte(strconv.Itoa(i)))
			if err == nil && string(body) != fmt.Sprintf(`{"prediction": %.1f}`, float64(i)*2.5) {
				err = fmt.Errorf("request %d: got %s", i, body)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for pool.Restarts() < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if pool.Restarts() < 1 {
		t.Error("the killed worker was not restarted")
	}
}

// TestWorkerKilledMidRequest: the request in flight moves to another worker.
func TestWorkerKilledMidRequest(t *testing.T) {
	t.Parallel()
	dir := modelDir(t, inferencePy)
	pids := t.TempDir()
	pool := start(t, inference.Config{Python: python(t), ModelDir: dir, CodeDir: filepath.Join(dir, "code"), Workers: 2, Env: []string{"PID_DIR=" + pids}})
	done := make(chan error, 1)
	go func() {
		_, body, err := pool.Invoke(t.Context(), "text/csv", "application/json", []byte("slow"))
		if err == nil && string(body) != `{"prediction": 2.5}` {
			err = fmt.Errorf("got %s", body)
		}
		done <- err
	}()
	busy := waitFile(t, pids, "busy-")
	if err := syscall.Kill(busy, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the request was lost: %v", err)
	}
}

func TestModelFnRaises(t *testing.T) {
	t.Parallel()
	dir := modelDir(t, "def model_fn(model_dir):\n    raise FileNotFoundError('no model.pth in ' + model_dir)\n")
	_, err := inference.Start(t.Context(), inference.Config{Python: python(t), ModelDir: dir, CodeDir: filepath.Join(dir, "code"), Workers: 1})
	if err == nil || !strings.Contains(err.Error(), "FileNotFoundError: no model.pth in") {
		t.Fatalf("got %v", err)
	}
}

// TestProgramName: SAGEMAKER_PROGRAM may name another script than
// inference.py.
func TestProgramName(t *testing.T) {
	t.Parallel()
	dir := modelDir(t, "")
	if err := os.WriteFile(filepath.Join(dir, "code", "serve.py"), []byte("def model_fn(d):\n    return 3\ndef transform_fn(model, body, ct, accept):\n    return str(model * int(body)), 'text/plain'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pool := start(t, inference.Config{Python: python(t), ModelDir: dir, CodeDir: filepath.Join(dir, "code"), Program: "serve.py", Workers: 1})
	ct, body, err := pool.Invoke(t.Context(), "text/csv", "text/plain", []byte("7"))
	if err != nil || string(body) != "21" || ct != "text/plain" {
		t.Errorf("got %q %q %v", ct, body, err)
	}
}
