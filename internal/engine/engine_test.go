package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/fail"
)

func TestDataFlowAndPropertyFiles(t *testing.T) {
	t.Parallel()
	b := setup(t, produceKind(), consumeKind())
	ex, rs := b.run(t, `
version: 1
name: flow
parameters:
  text: {type: string, default: hello}
steps:
  - name: make
    kind: produce
    text: "${{ params.text }}"
    score: 0.75
    property_files: {metrics: metrics.json}
  - name: read
    kind: consume
    in: "${{ steps.make.outputs.out }}"
`, engine.RunOptions{Params: map[string]string{"text": "ferry"}})
	if ex.Status != run.Succeeded {
		t.Fatalf("status %s (%s), want Succeeded", ex.Status, ex.FailureReason)
	}
	if got := rs["read"].Properties["content"]; got != "ferry" {
		t.Errorf("read.content = %v, want ferry", got)
	}
	metrics, _ := rs["make"].Properties["metrics"].(map[string]any)
	if got := metrics["score"]; got != 0.75 {
		t.Errorf("make.properties.metrics.score = %v, want 0.75", got)
	}
	if got := rs["make"].Properties["length"]; got != float64(5) {
		t.Errorf("make.properties.length = %v, want 5", got)
	}
	var got []string
	for _, ev := range b.events.all() {
		if ev.Step == "" {
			got = append(got, string(ev.Status))
		} else {
			got = append(got, ev.Step+":"+string(ev.StepStatus))
		}
	}
	want := []string{"Executing", "make:Starting", "make:Executing", "make:Succeeded", "read:Starting", "read:Executing", "read:Succeeded", "Succeeded"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	for _, name := range []string{"make", "read"} {
		if r := rs[name]; r.Attempts != 1 || r.StartedAt.IsZero() || r.EndedAt.Before(r.StartedAt) {
			t.Errorf("%s: attempts %d, times %v..%v", name, r.Attempts, r.StartedAt, r.EndedAt)
		}
	}
}

func TestLocalArtifactPathIsImported(t *testing.T) {
	t.Parallel()
	b := setup(t, consumeKind())
	writeFile(t, b.home, "data/data.txt", "from disk")
	_, rs := b.run(t, `
version: 1
name: local
steps:
  - name: read
    kind: consume
    in: data
`, engine.RunOptions{})
	if got := rs["read"].Properties["content"]; got != "from disk" {
		t.Errorf("content = %v (%s), want 'from disk'", got, rs["read"].FailureReason)
	}
	if !strings.Contains(rs["read"].CacheInputs, "sha256:") {
		t.Errorf("cache inputs %s do not hold the imported digest", rs["read"].CacheInputs)
	}
}

func TestConditionBranchesAndSkipPropagation(t *testing.T) {
	t.Parallel()
	const src = `
version: 1
name: branches
parameters:
  threshold: {type: float, default: 0.5}
steps:
  - name: make
    kind: produce
    text: x
    score: 0.7
    property_files: {metrics: metrics.json}
  - name: check
    kind: condition
    if: "steps.make.properties.metrics.score >= params.threshold"
    then: [good]
    else: [bad, stop]
  - name: good
    kind: noop
    value: g
  - name: after-good
    kind: noop
    value: "${{ steps.good.properties.value }}-after"
  - name: bad
    kind: noop
    value: 1
  - name: after-bad
    kind: noop
    value: 2
    depends_on: [bad]
  - name: after-after-bad
    kind: noop
    value: 3
    depends_on: [after-bad]
  - name: stop
    kind: fail
    depends_on: [after-after-bad]
    message: "score below ${{ params.threshold }}"
`
	tests := []struct {
		name       string
		threshold  string
		wantStatus run.Status
		wantReason string
		want       map[string]run.StepStatus
	}{
		{
			name: "ThenTaken", threshold: "0.5", wantStatus: run.Succeeded,
			want: map[string]run.StepStatus{
				"make": run.StepSucceeded, "check": run.StepSucceeded, "good": run.StepSucceeded,
				"after-good": run.StepSucceeded, "bad": run.StepSkipped, "after-bad": run.StepSkipped,
				"after-after-bad": run.StepSkipped, "stop": run.StepSkipped,
			},
		},
		{
			name: "ElseTakenFails", threshold: "0.9", wantStatus: run.Failed,
			wantReason: "score below 0.9",
			want: map[string]run.StepStatus{
				"make": run.StepSucceeded, "check": run.StepSucceeded, "good": run.StepSkipped,
				"after-good": run.StepSkipped, "bad": run.StepSucceeded, "after-bad": run.StepSucceeded,
				"after-after-bad": run.StepSucceeded, "stop": run.StepFailed,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, produceKind(), noopKind(), fail.Kind{})
			ex, rs := b.run(t, src, engine.RunOptions{Params: map[string]string{"threshold": tc.threshold}})
			if ex.Status != tc.wantStatus || !strings.Contains(ex.FailureReason, tc.wantReason) {
				t.Errorf("execution %s %q, want %s containing %q", ex.Status, ex.FailureReason, tc.wantStatus, tc.wantReason)
			}
			if diff := cmp.Diff(tc.want, statuses(rs)); diff != "" {
				t.Errorf("step statuses (-want +got):\n%s", diff)
			}
			want := tc.threshold == "0.5"
			if got := rs["check"].Properties["outcome"]; got != want {
				t.Errorf("check outcome = %v, want %v", got, want)
			}
		})
	}
}

func TestRetryBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		failures     int
		permanent    bool
		retry        string
		wantStatus   run.StepStatus
		wantAttempts int
		wantGaps     []time.Duration
	}{
		{
			name: "BackoffCapped", failures: 3, wantStatus: run.StepSucceeded, wantAttempts: 4,
			retry:    "{max_attempts: 5, interval: 1s, backoff_rate: 2, max_interval: 3s}",
			wantGaps: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second},
		},
		{
			name: "Exhausted", failures: 10, wantStatus: run.StepFailed, wantAttempts: 3,
			retry:    "{max_attempts: 3, interval: 10s, backoff_rate: 1.5}",
			wantGaps: []time.Duration{10 * time.Second, 15 * time.Second},
		},
		{
			name: "PermanentNotRetried", failures: 10, permanent: true, wantStatus: run.StepFailed, wantAttempts: 1,
			retry: "{max_attempts: 5, interval: 1s}",
		},
		{
			name: "NoPolicyOneAttempt", failures: 1, wantStatus: run.StepFailed, wantAttempts: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var times []time.Time
				k := &fakeKind{spec: step.Spec{Kind: "flaky", Version: "1"}}
				k.run = func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
					times = append(times, time.Now())
					if len(times) <= tc.failures {
						if tc.permanent {
							return step.Result{}, step.Permanent(fmt.Errorf("bad input (attempt %d)", req.Attempt))
						}
						return step.Result{}, fmt.Errorf("attempt %d: %w", req.Attempt, errTransient)
					}
					return step.Result{}, nil
				}
				b := setup(t, k)
				retry := ""
				if tc.retry != "" {
					retry = "\n    retry: " + tc.retry
				}
				_, rs := b.run(t, "version: 1\nname: retry\nsteps:\n  - name: s\n    kind: flaky"+retry+"\n", engine.RunOptions{})
				r := rs["s"]
				if r.Status != tc.wantStatus || r.Attempts != tc.wantAttempts {
					t.Errorf("status %s after %d attempts (%s), want %s after %d", r.Status, r.Attempts, r.FailureReason, tc.wantStatus, tc.wantAttempts)
				}
				var gaps []time.Duration
				for i := 1; i < len(times); i++ {
					gaps = append(gaps, times[i].Sub(times[i-1]))
				}
				if diff := cmp.Diff(tc.wantGaps, gaps); diff != "" {
					t.Errorf("waits between attempts (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := setup(t, sleepKind(nil))
		start := time.Now()
		ex, rs := b.run(t, `
version: 1
name: timeout
steps:
  - name: slow
    kind: sleep
    ms: 60000
    timeout: 2s
    retry: {max_attempts: 2, interval: 1s}
`, engine.RunOptions{})
		r := rs["slow"]
		if ex.Status != run.Failed || r.Status != run.StepFailed || !strings.Contains(r.FailureReason, "timed out after 2s") {
			t.Errorf("execution %s, step %s %q; want Failed with 'timed out after 2s'", ex.Status, r.Status, r.FailureReason)
		}
		if r.Attempts != 2 {
			t.Errorf("attempts = %d, want 2 (timeouts are retryable)", r.Attempts)
		}
		if got, want := time.Since(start), 5*time.Second; got != want {
			t.Errorf("took %s, want %s (two 2s attempts and a 1s wait)", got, want)
		}
	})
}

func TestPanicBecomesFailure(t *testing.T) {
	t.Parallel()
	k := &fakeKind{spec: step.Spec{Kind: "boom", Version: "1"}}
	k.run = func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
		panic(fmt.Sprintf("kind bug on attempt %d", req.Attempt))
	}
	b := setup(t, k)
	ex, rs := b.run(t, "version: 1\nname: p\nsteps:\n  - name: s\n    kind: boom\n    retry: {max_attempts: 3}\n", engine.RunOptions{})
	r := rs["s"]
	if ex.Status != run.Failed || r.Attempts != 1 || !strings.Contains(r.FailureReason, "panicked") {
		t.Errorf("execution %s, step %s after %d attempts: %q; want one failed attempt that panicked", ex.Status, r.Status, r.Attempts, r.FailureReason)
	}
}

func TestRequestCarriesPipelineIdentity(t *testing.T) {
	t.Parallel()
	var got step.Request
	k := &fakeKind{spec: step.Spec{Kind: "probe", Version: "1"}}
	k.run = func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
		got = req
		return step.Result{}, nil
	}
	b := setup(t, k)
	p, source := b.load(t, "version: 1\nname: ident\nsteps:\n  - name: s\n    kind: probe\n")
	if p.Digest == "" {
		t.Fatal("the loaded pipeline has no digest")
	}
	ex, err := b.eng.Run(context.Background(), p, engine.RunOptions{Source: source})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != run.Succeeded {
		t.Fatalf("execution %s: %s", ex.Status, ex.FailureReason)
	}
	if got.ExecutionID != ex.ID || got.PipelineName != "ident" || got.PipelineDigest != p.Digest || got.StepName != "s" {
		t.Errorf("request %+v; want execution %s, pipeline ident, digest %s, step s", got, ex.ID, p.Digest)
	}
	if ex.PipelineDigest != p.Digest {
		t.Errorf("request digest %s is not the stored definition's %s", p.Digest, ex.PipelineDigest)
	}
}

func TestBoundedParallelism(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		pipeline int
		override int
		want     int
	}{
		{name: "PipelineLimit", pipeline: 3, want: 3},
		{name: "RunOverride", pipeline: 3, override: 2, want: 2},
		{name: "Unlimited", pipeline: 0, want: 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				g := &gauge{}
				b := setup(t, sleepKind(g))
				var src strings.Builder
				fmt.Fprintf(&src, "version: 1\nname: par\nparallelism: %d\nsteps:\n", tc.pipeline)
				for i := range 8 {
					fmt.Fprintf(&src, "  - {name: s%d, kind: sleep, ms: %d, id: %d}\n", i, 100+10*i, i)
				}
				ex, _ := b.run(t, src.String(), engine.RunOptions{Parallelism: tc.override})
				if ex.Status != run.Succeeded {
					t.Fatalf("status %s: %s", ex.Status, ex.FailureReason)
				}
				if got := g.peak(); got != tc.want {
					t.Errorf("at most %d steps ran at once, want exactly %d", got, tc.want)
				}
			})
		})
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		stop func(b *bundle, id string, cancel context.CancelFunc) error
	}{
		{name: "StopRequest", stop: func(b *bundle, id string, _ context.CancelFunc) error {
			return b.store.RequestStop(context.Background(), id)
		}},
		{name: "ContextCancel", stop: func(_ *bundle, _ string, cancel context.CancelFunc) error {
			cancel()
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, sleepKind(nil), noopKind())
			p, src := b.load(t, `
version: 1
name: stop
steps:
  - {name: quick, kind: noop}
  - {name: forever, kind: sleep, depends_on: [quick]}
  - {name: after, kind: noop, depends_on: [forever]}
`)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			started := make(chan string, 8)
			opts := engine.RunOptions{Source: src, OnEvent: func(ev engine.Event) {
				if ev.Step == "forever" && ev.StepStatus == run.StepExecuting {
					started <- ev.ExecutionID
				}
			}}
			type result struct {
				ex  *run.Execution
				err error
			}
			done := make(chan result, 1)
			go func() {
				ex, err := b.eng.Run(ctx, p, opts)
				done <- result{ex, err}
			}()
			id := <-started
			if err := tc.stop(b, id, cancel); err != nil {
				t.Fatal(err)
			}
			var res result
			select {
			case res = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the execution did not stop within 10s")
			}
			if res.err != nil {
				t.Fatal(res.err)
			}
			want := map[string]run.StepStatus{"quick": run.StepSucceeded, "forever": run.StepStopped, "after": run.StepPending}
			if diff := cmp.Diff(want, statuses(b.steps(t, id))); diff != "" {
				t.Errorf("step statuses (-want +got):\n%s", diff)
			}
			stored, err := b.store.Execution(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if res.ex.Status != run.Stopped || stored.Status != run.Stopped {
				t.Errorf("execution status %s (stored %s), want Stopped", res.ex.Status, stored.Status)
			}
		})
	}
}

func TestGeneratedPipeline200Steps(t *testing.T) {
	t.Parallel()
	b := setup(t, noopKind())
	ex, rs := b.run(t, generated(200), engine.RunOptions{Parallelism: 8, NoCache: true})
	if ex.Status != run.Succeeded || len(rs) != 200 {
		t.Fatalf("status %s (%s) with %d steps, want Succeeded with 200", ex.Status, ex.FailureReason, len(rs))
	}
	for name, r := range rs {
		if r.Status != run.StepSucceeded {
			t.Errorf("step %s: %s", name, r.Status)
		}
	}
}

// generated returns a pipeline of n no-op steps: layers of 10, each step
// depending on two steps of the layer before it.
func generated(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nname: generated\nsteps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: s%d\n    kind: noop\n    value: %d\n", i, i)
		if i >= 10 {
			l := i/10*10 - 10
			fmt.Fprintf(&b, "    depends_on: [s%d, s%d]\n", l+i%10, l+(i+1)%10)
		}
	}
	return b.String()
}
