package engine_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/step"
)

const resumeSrc = `
version: 1
name: resumable
steps:
  - name: make
    kind: produce
    text: data
  - name: flaky
    kind: gate
    in: "${{ steps.make.outputs.out }}"
  - name: read
    kind: consume
    in: "${{ steps.make.outputs.out }}"
    depends_on: [flaky]
`

// gateKind fails until open is set.
func gateKind(open *atomic.Bool) *fakeKind {
	k := &fakeKind{spec: step.Spec{Kind: "gate", Version: "1", Args: []step.Field{{Name: "in", Type: step.Artifact}}}}
	k.run = func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
		if !open.Load() {
			return step.Result{}, step.Permanent(errTransient)
		}
		return step.Result{}, nil
	}
	return k
}

func TestResume(t *testing.T) {
	t.Parallel()
	var open atomic.Bool
	produce, gate, consume := produceKind(), gateKind(&open), consumeKind()
	b := setup(t, produce, gate, consume)
	ex, rs := b.run(t, resumeSrc, engine.RunOptions{})
	if ex.Status != run.Failed || !strings.Contains(ex.FailureReason, "step flaky: transient failure") {
		t.Fatalf("first run: %s %q, want Failed at flaky", ex.Status, ex.FailureReason)
	}
	want := map[string]run.StepStatus{"make": run.StepSucceeded, "flaky": run.StepFailed, "read": run.StepPending}
	if diff := cmp.Diff(want, statuses(rs)); diff != "" {
		t.Fatalf("first run (-want +got):\n%s", diff)
	}

	open.Store(true)
	p, _ := b.load(t, resumeSrc)
	res, err := b.eng.Resume(context.Background(), p, ex.ID, engine.RunOptions{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != ex.ID || res.Status != run.Succeeded {
		t.Fatalf("resume: %s %s (%s), want %s Succeeded", res.ID, res.Status, res.FailureReason, ex.ID)
	}
	rs = b.steps(t, ex.ID)
	want = map[string]run.StepStatus{"make": run.StepSucceeded, "flaky": run.StepSucceeded, "read": run.StepSucceeded}
	if diff := cmp.Diff(want, statuses(rs)); diff != "" {
		t.Errorf("after resume (-want +got):\n%s", diff)
	}
	if got := produce.runs.Load(); got != 1 {
		t.Errorf("make ran %d times, want 1 (resume reuses it)", got)
	}
	if got := rs["read"].Properties["content"]; got != "data" {
		t.Errorf("read.content = %v, want data", got)
	}

	t.Run("ErrSucceeded", func(t *testing.T) {
		if _, err := b.eng.Resume(context.Background(), p, ex.ID, engine.RunOptions{}); err == nil || !strings.Contains(err.Error(), "already succeeded") {
			t.Errorf("resuming a succeeded execution: %v, want an 'already succeeded' error", err)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		if _, err := b.eng.Resume(context.Background(), p, "e-nope", engine.RunOptions{}); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("resuming an unknown execution: %v, want not found", err)
		}
	})
}

func TestSelectiveExecution(t *testing.T) {
	t.Parallel()
	var open atomic.Bool
	open.Store(true)
	produce, gate, consume := produceKind(), gateKind(&open), consumeKind()
	b := setup(t, produce, gate, consume)
	first, _ := b.run(t, resumeSrc, engine.RunOptions{})
	if first.Status != run.Succeeded {
		t.Fatalf("first run: %s %s", first.Status, first.FailureReason)
	}
	ex, rs := b.run(t, resumeSrc, engine.RunOptions{Steps: []string{"read"}, From: first.ID, NoCache: true})
	if ex.Status != run.Succeeded {
		t.Fatalf("selective run: %s %s", ex.Status, ex.FailureReason)
	}
	if produce.runs.Load() != 1 || gate.runs.Load() != 1 || consume.runs.Load() != 2 {
		t.Errorf("runs make=%d flaky=%d read=%d, want 1, 1, 2", produce.runs.Load(), gate.runs.Load(), consume.runs.Load())
	}
	for _, name := range []string{"make", "flaky"} {
		if r := rs[name]; r.Provenance != run.FromSelection || r.SourceExecution != first.ID || r.Status != run.StepSucceeded {
			t.Errorf("%s: %s %q from %q, want Succeeded from selection of %s", name, r.Status, r.Provenance, r.SourceExecution, first.ID)
		}
	}
	if r := rs["read"]; r.Provenance != run.Ran || r.Properties["content"] != "data" {
		t.Errorf("read: provenance %q, content %v; want a fresh run reading data", r.Provenance, r.Properties["content"])
	}

	mid, rs := b.run(t, resumeSrc, engine.RunOptions{Steps: []string{"flaky"}, From: first.ID, NoCache: true})
	if _, ok := rs["read"]; mid.Status != run.Succeeded || ok {
		t.Errorf("selecting a middle step: %s (%s), downstream step recorded: %v; want Succeeded without it", mid.Status, mid.FailureReason, ok)
	}

	errs := []struct {
		name string
		opts engine.RunOptions
		want string
	}{
		{name: "NeedsFrom", opts: engine.RunOptions{Steps: []string{"read"}}, want: "or name a source execution"},
		{name: "UnknownStep", opts: engine.RunOptions{Steps: []string{"nope"}, From: first.ID}, want: `"nope": no such step`},
		{name: "GapBetweenSelected", opts: engine.RunOptions{Steps: []string{"make", "read"}, From: first.ID}, want: `"flaky" lies between`},
		{name: "FromWithoutSteps", opts: engine.RunOptions{From: first.ID}, want: "needs selected steps"},
		{name: "UnknownSource", opts: engine.RunOptions{Steps: []string{"read"}, From: "e-x"}, want: "not found"},
	}
	p, src := b.load(t, resumeSrc)
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Source = src
			_, err := b.eng.Run(context.Background(), p, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
