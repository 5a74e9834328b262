package temporal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/step"
)

// LogLimit is how much of a step's log (its end) a worker sends back.
const LogLimit = 1 << 20

// Worker runs steps from task queues: the process behind `ferry worker`.
// Each attempt runs through an engine.Attempter, as in the local engine.
type Worker struct {
	Client    client.Client
	Queues    []string
	Attempter *engine.Attempter
	Logger    *slog.Logger
	// Identity names the worker in Temporal (default: the SDK's).
	Identity string
	// HeartbeatEvery is how often a running step heartbeats (default
	// 1s); it must be well under the server's heartbeat timeout.
	HeartbeatEvery time.Duration
	// Concurrency bounds the steps this worker runs at once (default 2).
	Concurrency int
	// Report, when set, tells the server that a retry (attempt n > 1)
	// starts, so its record and events follow the step as it runs
	// (ferry worker: POST /api/v1/executions/{id}/steps/{step}/attempts).
	Report func(ctx context.Context, executionID, step string, attempt int) error
	// PartHeartbeatTimeout is how long a part of a step (a tuning
	// step's trial, run by any worker) may go without a heartbeat before
	// Temporal gives it to another worker (default 30s).
	PartHeartbeatTimeout time.Duration
}

// Run polls the queues until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	if len(w.Queues) == 0 {
		return errors.New("temporal worker: no task queues")
	}
	conc := w.Concurrency
	if conc <= 0 {
		conc = 2
	}
	if w.Attempter.Parts == nil {
		// Steps that fan out (tuning trials) spread their parts over the
		// workers of their queue.
		w.Attempter.Parts = w.parts
	}
	var ws []worker.Worker
	for _, q := range w.Queues {
		tw := worker.New(w.Client, q, worker.Options{
			Identity:                           w.Identity,
			MaxConcurrentActivityExecutionSize: conc,
		})
		tw.RegisterActivityWithOptions(w.runStep, activity.RegisterOptions{Name: ActivityName})
		pw := worker.New(w.Client, PartQueue(q), worker.Options{
			Identity:                           w.Identity,
			MaxConcurrentActivityExecutionSize: conc,
		})
		pw.RegisterActivityWithOptions(w.runPart, activity.RegisterOptions{Name: PartActivityName})
		for _, x := range []worker.Worker{tw, pw} {
			if err := x.Start(); err != nil {
				for _, s := range ws {
					s.Stop()
				}
				return fmt.Errorf("starting the worker of queue %s: %w", q, err)
			}
			ws = append(ws, x)
		}
	}
	<-ctx.Done()
	for _, s := range ws {
		s.Stop()
	}
	return nil
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}

// tailBuffer keeps the last LogLimit bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	cut bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - LogLimit; over > 0 {
		b.buf.Next(over)
		b.cut = true
	}
	return len(p), nil
}

func (b *tailBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := bytes.Clone(b.buf.Bytes())
	if b.cut {
		out = append([]byte("[... earlier log cut]\n"), out...)
	}
	return out
}

// runStep is the activity: one attempt of a step, heartbeating while the
// kind runs. Its errors are Temporal application errors whose type tells
// the workflow (and the server) whether it may be retried.
func (w *Worker) runStep(ctx context.Context, wt Task) (activityResult, error) {
	info := activity.GetInfo(ctx)
	n := int(info.Attempt)
	t, err := wt.decode()
	if err != nil {
		return activityResult{}, temporal.NewNonRetryableApplicationError(err.Error(), errPermanent, nil, failureDetails{Attempt: n})
	}
	stop := w.heartbeat(ctx, n)
	defer stop()
	if n > 1 && w.Report != nil {
		if err := w.Report(ctx, t.Request.ExecutionID, t.Request.StepName, n); err != nil {
			w.logger().Warn("reporting an attempt to the server", "execution", t.Request.ExecutionID, "step", t.Request.StepName, "attempt", n, "err", err)
		}
	}
	log := &tailBuffer{}
	fmt.Fprintf(log, "--- %s attempt %d on worker %s\n", time.Now().UTC().Format(time.RFC3339), n, w.Identity)
	res, err := w.Attempter.Attempt(ctx, t, n, log, w.logger())
	if err == nil {
		return activityResult{Outputs: res.Outputs, Properties: res.Properties, Attempt: n, Log: log.bytes()}, nil
	}
	fmt.Fprintf(log, "--- attempt %d failed: %v\n", n, err)
	d := failureDetails{Attempt: n, Log: log.bytes()}
	var fe *step.FailError
	switch {
	case ctx.Err() != nil:
		return activityResult{}, temporal.NewNonRetryableApplicationError(err.Error(), canceledType(ctx), nil, d)
	case errors.As(err, &fe):
		d.FailMessage = fe.Message
		return activityResult{}, temporal.NewNonRetryableApplicationError(err.Error(), errFail, nil, d)
	case step.IsPermanent(err):
		return activityResult{}, temporal.NewNonRetryableApplicationError(err.Error(), errPermanent, nil, d)
	case isTimeout(err):
		return activityResult{}, temporal.NewApplicationErrorWithOptions(err.Error(), errTimeout, temporal.ApplicationErrorOptions{Details: []any{d}})
	default:
		return activityResult{}, temporal.NewApplicationErrorWithOptions(err.Error(), errRetryable, temporal.ApplicationErrorOptions{Details: []any{d}})
	}
}

// heartbeat records the activity's heartbeat (with details) now and
// every HeartbeatEvery until stop is called.
func (w *Worker) heartbeat(ctx context.Context, details any) (stop func()) {
	every := w.HeartbeatEvery
	if every <= 0 {
		every = time.Second
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				activity.RecordHeartbeat(ctx, details)
			}
		}
	}()
	activity.RecordHeartbeat(ctx, details)
	return func() { close(done) }
}

// canceledType tells why an attempt's context ended: errCanceled when
// Temporal asked for it (the execution is stopped), errLost otherwise (the
// SDK gave up on the attempt after its heartbeats failed, as when the
// worker is cut off or starved, or the worker is stopping): the workflow
// runs a lost attempt again, as when its worker dies.
func canceledType(ctx context.Context) string {
	if temporal.IsCanceledError(context.Cause(ctx)) {
		return errCanceled
	}
	return errLost
}

func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || bytes.Contains([]byte(err.Error()), []byte("timed out after"))
}
