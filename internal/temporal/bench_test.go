//go:build temporal

package temporal_test

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/step"
)

// noop is a kind that does nothing: what remains is the engine's cost.
func noop() *kind {
	return &kind{
		spec: step.Spec{Kind: "noop", Version: "1", Args: []step.Field{{Name: "i", Type: step.Integer}}},
		run: func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			return step.Result{}, nil
		},
	}
}

// chain is a pipeline of n noop steps, each after the previous one.
func chain(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nname: chain\nsteps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: s%d\n    kind: noop\n    i: %d\n    cache: {enabled: false}\n", i, i)
		if i > 0 {
			fmt.Fprintf(&b, "    depends_on: [s%d]\n", i-1)
		}
	}
	return b.String()
}

// BenchmarkTemporalStepOverhead measures the wall time per step of a
// 20-step chain of steps that do nothing: on the local engine, then on
// Temporal (one worker, in-process server) beside plain Temporal's floor
// (a workflow of 20 sequential no-op activities) on the same server, once
// with the server's default configuration and once with
// history.transferProcessorMaxPollRPS raised from 20 to 1000 (the
// setting that makes the floor; see transferPollRPS).
func BenchmarkTemporalStepOverhead(b *testing.B) {
	const n = 20
	src := chain(n)
	for _, srv := range []struct {
		name  string
		tuned bool
	}{{"default", false}, {"transfer-rps-1000", true}} {
		bd := setupServer(b, newServer(b, srv.tuned), 1, 2, noop())
		if !srv.tuned {
			b.Run("local", func(b *testing.B) { stepsPerRun(b, bd, bd.local, src, n) })
		}
		b.Run("server="+srv.name+"/ferry", func(b *testing.B) { stepsPerRun(b, bd, bd.temp, src, n) })
		// The reference: plain Temporal, a workflow that runs n no-op
		// activities one after the other on another queue.
		b.Run("server="+srv.name+"/plain-temporal", func(b *testing.B) { floor(b, bd, n) })
	}
}

// stepsPerRun runs the n-step pipeline src on e and reports ms per step.
func stepsPerRun(b *testing.B, bd *bundle, e *engine.Engine, src string, n int) {
	for b.Loop() {
		ex, _ := bd.run(b, e, src, engine.RunOptions{})
		if ex.Status != run.Succeeded {
			b.Fatalf("status %s (%s)", ex.Status, ex.FailureReason)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*n), "ms/step")
}

// fanOut is a pipeline of n independent steps that each sleep d.
func fanOut(n int, d time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nname: fan\nparallelism: %d\nsteps:\n", n)
	for i := range n {
		fmt.Fprintf(&b, "  - name: s%d\n    kind: sleep\n    for: %s\n    cache: {enabled: false}\n", i, d)
	}
	return b.String()
}

// BenchmarkTemporalFanOut runs a 200-step fan-out (each step sleeps
// 100ms) with one and with two workers of concurrency 4: the second
// worker should halve the wall time.
func BenchmarkTemporalFanOut(b *testing.B) {
	src := fanOut(200, 100*time.Millisecond)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			bd := setupConc(b, workers, 4, sleepy())
			for b.Loop() {
				ex, _ := bd.run(b, bd.temp, src, engine.RunOptions{})
				if ex.Status != run.Succeeded {
					b.Fatalf("status %s (%s)", ex.Status, ex.FailureReason)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
		})
	}
}

// floor runs b.N workflows of n sequential no-op activities (a workflow
// queue and an activity queue, as Ferry uses) and reports ms per activity.
func floor(b *testing.B, bd *bundle, n int) {
	wf := worker.New(bd.c, "floor-wf", worker.Options{})
	wf.RegisterWorkflowWithOptions(func(ctx workflow.Context, n int) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{TaskQueue: "floor-act", StartToCloseTimeout: time.Minute})
		for range n {
			if err := workflow.ExecuteActivity(ctx, "floor.noop").Get(ctx, nil); err != nil {
				return err
			}
		}
		return nil
	}, workflow.RegisterOptions{Name: "floor.chain"})
	wa := worker.New(bd.c, "floor-act", worker.Options{})
	wa.RegisterActivityWithOptions(func(ctx context.Context) error { return nil }, activity.RegisterOptions{Name: "floor.noop"})
	for _, w := range []worker.Worker{wf, wa} {
		if err := w.Start(); err != nil {
			b.Fatal(err)
		}
		defer w.Stop()
	}
	i := 0
	for b.Loop() {
		i++
		r, err := bd.c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: fmt.Sprintf("floor-%d-%d", b.N, i), TaskQueue: "floor-wf"}, "floor.chain", n)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Get(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*n), "ms/step")
}
