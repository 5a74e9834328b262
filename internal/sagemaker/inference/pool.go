// Package inference serves a SageMaker framework model's inference.py
// (model_fn, input_fn, predict_fn, output_fn, transform_fn, called as the
// SageMaker inference toolkit calls them) through a pool of Python worker
// processes that Ferry starts, health-checks and restarts. A [Pool] is a
// serving.Invoker, so the model sits behind the same endpoint routes,
// metrics and data capture as a native one.
//
// Each worker runs worker.py (embedded) with the model's Python: it loads
// the model once, then answers requests framed on two pipes (file
// descriptors 3 and 4), so the user's prints on stdout never corrupt a
// response. A worker that dies, before or after loading, is restarted with
// a growing back-off; a request whose worker died under it is sent to
// another worker, so no request is lost to a crash. Workers run in their
// own process group and die with Ferry.
package inference

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ferryml/ferry/internal/serving"
)

//go:embed worker.py
var workerScript []byte

// Config configures a pool.
type Config struct {
	// Python is the interpreter (and arguments) mapped to the model's image.
	Python []string
	// ModelDir is the unpacked model.tar.gz, passed to model_fn.
	ModelDir string
	// CodeDir holds the inference script (usually ModelDir/code).
	CodeDir string
	// Program is the script's file name in CodeDir (default inference.py;
	// SAGEMAKER_PROGRAM of the model's environment).
	Program string
	// Workers is the number of worker processes (default 2).
	Workers int
	// Env is added to the workers' environment (inherited otherwise).
	Env []string
	// StartTimeout bounds Start's wait for the first loaded worker
	// (default 2 minutes).
	StartTimeout time.Duration
	// HealthInterval is how often idle workers are pinged (default 5 s).
	HealthInterval time.Duration
	// Log receives the workers' stdout and stderr (default: discarded).
	Log    io.Writer
	Logger *slog.Logger
}

// maxAttempts bounds how many workers one request is tried on when
// workers die under it.
const maxAttempts = 3

// Pool is a supervised set of worker processes. It is safe for concurrent
// use.
type Pool struct {
	cfg    Config
	script string
	idle   chan *worker
	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{}

	mu       sync.Mutex
	restarts int
	lastErr  error
	ready    chan struct{} // closed when a first worker is ready
	readyOne sync.Once
	closeOne sync.Once
}

var _ serving.Invoker = (*Pool)(nil)

// Start starts the workers and waits until one has loaded the model. A
// model that does not load (model_fn raises, inference.py has a syntax
// error) fails Start with the worker's stderr tail after three failed
// attempts.
func Start(ctx context.Context, cfg Config) (*Pool, error) {
	if len(cfg.Python) == 0 {
		return nil, errors.New("starting inference workers: no Python runtime")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 2 * time.Minute
	}
	if cfg.HealthInterval <= 0 {
		cfg.HealthInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	f, err := os.CreateTemp("", "ferry-inference-worker-*.py")
	if err != nil {
		return nil, fmt.Errorf("writing worker.py: %w", err)
	}
	if _, err := f.Write(workerScript); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing worker.py: %w", err)
	}
	f.Close()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &Pool{cfg: cfg, script: f.Name(), idle: make(chan *worker, cfg.Workers), cancel: cancel, done: make(chan struct{}), ready: make(chan struct{})}
	failed := make(chan error, 1)
	for i := range cfg.Workers {
		p.wg.Go(func() { p.supervise(runCtx, i, failed) })
	}
	p.wg.Go(func() { p.health(runCtx) })
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case <-p.ready:
		return p, nil
	case err := <-failed:
		p.Close()
		return nil, err
	case <-timer.C:
		p.Close()
		return nil, fmt.Errorf("starting inference workers: no worker loaded the model within %s", cfg.StartTimeout)
	case <-ctx.Done():
		p.Close()
		return nil, ctx.Err()
	}
}

// Restarts reports how many times workers were restarted.
func (p *Pool) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// Close stops the workers. It may be called more than once.
func (p *Pool) Close() error {
	p.closeOne.Do(func() {
		close(p.done)
		p.cancel()
		p.wg.Wait()
		os.Remove(p.script)
	})
	return nil
}

// supervise keeps worker slot i running until ctx ends.
func (p *Pool) supervise(ctx context.Context, slot int, failed chan<- error) {
	backoff := 100 * time.Millisecond
	loadFailures := 0
	for ctx.Err() == nil {
		w, err := p.spawn(ctx, slot)
		if err == nil {
			err = w.waitReady(ctx)
		}
		if err == nil {
			loadFailures = 0
			backoff = 100 * time.Millisecond
			p.readyOne.Do(func() { close(p.ready) })
			select {
			case p.idle <- w:
			case <-ctx.Done():
			}
			<-w.exited // until the worker dies (or is killed by Close)
			if ctx.Err() != nil {
				return
			}
			p.cfg.Logger.Warn("inference worker died; restarting", "slot", slot, "pid", w.pid(), "state", w.state())
		} else {
			if ctx.Err() != nil {
				return
			}
			loadFailures++
			p.mu.Lock()
			p.lastErr = err
			p.mu.Unlock()
			p.cfg.Logger.Warn("inference worker did not load the model; restarting", "slot", slot, "error", err)
			if loadFailures >= 3 {
				select {
				case failed <- fmt.Errorf("loading inference.py: %w", err):
				default:
				}
			}
		}
		p.mu.Lock()
		p.restarts++
		p.mu.Unlock()
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// health pings idle workers; one that does not answer is killed (and
// restarted by its supervisor).
func (p *Pool) health(ctx context.Context) {
	t := time.NewTicker(p.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for range len(p.idle) {
			var w *worker
			select {
			case w = <-p.idle:
			default:
			}
			if w == nil {
				break
			}
			if w.dead() {
				continue
			}
			if _, err := w.call(ctx, frame{Ping: true}, nil, 5*time.Second); err != nil {
				p.cfg.Logger.Warn("inference worker failed its health check; restarting", "pid", w.pid(), "error", err)
				w.kill()
				continue
			}
			p.idle <- w
		}
	}
}

// Invoke implements serving.Invoker: one request, on an idle worker; if
// the worker dies under it, on another.
func (p *Pool) Invoke(ctx context.Context, contentType, accept string, body []byte) (string, []byte, error) {
	var lastErr error
	for attempt := 0; attempt < maxAttempts; {
		var w *worker
		select {
		case w = <-p.idle:
		case <-ctx.Done():
			return "", nil, &serving.StatusError{Status: http.StatusServiceUnavailable, Err: fmt.Errorf("waiting for an inference worker: %w", ctx.Err())}
		case <-p.done:
			return "", nil, &serving.StatusError{Status: http.StatusServiceUnavailable, Err: errors.New("the model's inference workers are stopped")}
		}
		if w.dead() {
			continue // its supervisor is restarting it
		}
		attempt++
		resp, err := w.call(ctx, frame{ContentType: contentType, Accept: accept}, body, 0)
		if err != nil {
			// A broken pipe or EOF: the worker died mid-request. Kill it
			// (its supervisor restarts it) and try another worker.
			w.kill()
			lastErr = err
			if ctx.Err() != nil {
				return "", nil, &serving.StatusError{Status: http.StatusServiceUnavailable, Err: ctx.Err()}
			}
			continue
		}
		p.idle <- w
		if !resp.hdr.OK {
			return "", nil, &serving.StatusError{Status: http.StatusInternalServerError, Err: fmt.Errorf("inference.py: %s", resp.hdr.Error)}
		}
		ct := resp.hdr.ContentType
		if ct == "" {
			ct = accept
		}
		return ct, resp.body, nil
	}
	return "", nil, &serving.StatusError{Status: http.StatusServiceUnavailable, Err: fmt.Errorf("inference workers died %d times under this request: %w", maxAttempts, lastErr)}
}

// frame is a message header on the worker pipes.
type frame struct {
	Len         int    `json:"len"`
	Ping        bool   `json:"ping,omitempty"`
	Pong        bool   `json:"pong,omitempty"`
	Ready       bool   `json:"ready,omitempty"`
	Pid         int    `json:"pid,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Accept      string `json:"accept,omitempty"`
	OK          bool   `json:"ok,omitempty"`
	Error       string `json:"error,omitempty"`
}

type response struct {
	hdr  frame
	body []byte
}

// worker is one Python process.
type worker struct {
	cmd    *exec.Cmd
	req    *os.File      // our end of fd 3
	resp   *bufio.Reader // our end of fd 4
	respF  *os.File
	tail   *tailWriter
	exited chan struct{}
	mu     sync.Mutex // one call at a time
}

func (p *Pool) spawn(ctx context.Context, slot int) (*worker, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	respR, respW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, err
	}
	modelDir, _ := filepath.Abs(p.cfg.ModelDir)
	codeDir, _ := filepath.Abs(p.cfg.CodeDir)
	program := p.cfg.Program
	if program == "" {
		program = "inference.py"
	}
	args := append(append(append([]string(nil), p.cfg.Python[1:]...), p.script), modelDir, codeDir, program)
	cmd := exec.Command(p.cfg.Python[0], args...)
	cmd.Dir = codeDir
	cmd.Env = append(append(os.Environ(), "PYTHONUNBUFFERED=1", fmt.Sprintf("FERRY_WORKER_SLOT=%d", slot)), p.cfg.Env...)
	cmd.ExtraFiles = []*os.File{reqR, respW} // fds 3 and 4
	tail := &tailWriter{max: 800}
	out := io.MultiWriter(p.cfg.Log, tail)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		reqR.Close()
		reqW.Close()
		respR.Close()
		respW.Close()
		return nil, fmt.Errorf("starting %s: %w", p.cfg.Python[0], err)
	}
	reqR.Close()
	respW.Close()
	w := &worker{cmd: cmd, req: reqW, respF: respR, resp: bufio.NewReader(respR), tail: tail, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		w.req.Close()
		close(w.exited)
	}()
	go func() { // Close kills the workers
		select {
		case <-ctx.Done():
			w.kill()
		case <-w.exited:
		}
	}()
	return w, nil
}

// waitReady reads the worker's ready frame.
func (w *worker) waitReady(ctx context.Context) error {
	got := make(chan error, 1)
	go func() {
		hdr, _, err := w.read()
		if err == nil && !hdr.Ready {
			err = fmt.Errorf("unexpected first frame %+v", hdr)
		}
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			w.kill()
			<-w.exited
			return fmt.Errorf("worker exited (%s) while loading the model: %s", w.state(), strings.TrimSpace(w.tail.String()))
		}
		return nil
	case <-ctx.Done():
		w.kill()
		return ctx.Err()
	}
}

func (w *worker) dead() bool {
	select {
	case <-w.exited:
		return true
	default:
		return false
	}
}

func (w *worker) pid() int { return w.cmd.Process.Pid }

func (w *worker) state() string {
	if w.cmd.ProcessState == nil {
		return "running"
	}
	return w.cmd.ProcessState.String()
}

func (w *worker) kill() { _ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL) }

// call sends one frame and reads the answer; timeout 0 means none but ctx.
func (w *worker) call(ctx context.Context, hdr frame, body []byte, timeout time.Duration) (response, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	hdr.Len = len(body)
	line, err := json.Marshal(hdr)
	if err != nil {
		return response{}, err
	}
	type result struct {
		r   response
		err error
	}
	got := make(chan result, 1)
	go func() {
		if _, err := w.req.Write(append(line, '\n')); err != nil {
			got <- result{err: fmt.Errorf("writing to worker %d: %w", w.pid(), err)}
			return
		}
		if _, err := w.req.Write(body); err != nil {
			got <- result{err: fmt.Errorf("writing to worker %d: %w", w.pid(), err)}
			return
		}
		h, b, err := w.read()
		got <- result{response{h, b}, err}
	}()
	var tc <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	select {
	case r := <-got:
		return r.r, r.err
	case <-ctx.Done():
		w.kill()
		<-got
		return response{}, ctx.Err()
	case <-tc:
		w.kill()
		<-got
		return response{}, fmt.Errorf("worker %d did not answer within %s", w.pid(), timeout)
	}
}

// read reads one frame from the worker.
func (w *worker) read() (frame, []byte, error) {
	line, err := w.resp.ReadBytes('\n')
	if err != nil {
		return frame{}, nil, fmt.Errorf("reading from worker: %w", err)
	}
	var hdr frame
	if err := json.Unmarshal(line, &hdr); err != nil {
		return frame{}, nil, fmt.Errorf("reading from worker: bad frame %q: %w", line, err)
	}
	if hdr.Len < 0 || hdr.Len > 1<<30 {
		return frame{}, nil, fmt.Errorf("reading from worker: bad length %d", hdr.Len)
	}
	body := make([]byte, hdr.Len)
	if _, err := io.ReadFull(w.resp, body); err != nil {
		return frame{}, nil, fmt.Errorf("reading from worker: %w", err)
	}
	return hdr, body, nil
}

// tailWriter keeps the last max bytes written.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) > t.max {
		return "…" + string(t.buf[len(t.buf)-t.max:])
	}
	return string(t.buf)
}
