package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/step"
)

const cacheSrc = `
version: 1
name: cached
parameters:
  text: {type: string, default: hello}
steps:
  - name: make
    kind: produce
    text: "${{ params.text }}"
    cache: {expire_after: 1h}
  - name: read
    kind: consume
    in: "${{ steps.make.outputs.out }}"
`

// TestCacheHitAndMiss runs the same pipeline several times in one home and
// checks each step's hit or miss and the reason given.
func TestCacheHitAndMiss(t *testing.T) {
	t.Parallel()
	produce, consume := produceKind(), consumeKind()
	b := setup(t, produce, consume)
	now := time.Now()
	b.eng.Now = func() time.Time { return now }

	type want struct {
		status run.StepStatus
		note   string
	}
	steps := []struct {
		name   string
		before func(t *testing.T, first *run.Execution, firstSteps map[string]*run.StepRun)
		opts   engine.RunOptions
		want   map[string]want
	}{
		{
			name: "FirstRunMisses",
			want: map[string]want{
				"make": {run.StepSucceeded, "miss: no earlier run"},
				"read": {run.StepSucceeded, "miss: no earlier run"},
			},
		},
		{
			name: "SameInputsHit",
			want: map[string]want{
				"make": {run.StepCacheHit, "hit: reusing the run in "},
				"read": {run.StepCacheHit, "hit: reusing the run in "},
			},
		},
		{
			name: "ChangedArgumentAndInputDigest",
			opts: engine.RunOptions{Params: map[string]string{"text": "changed"}},
			want: map[string]want{
				"make": {run.StepSucceeded, "argument text"},
				"read": {run.StepSucceeded, "input digest in"},
			},
		},
		{
			name: "NoCache",
			opts: engine.RunOptions{NoCache: true},
			want: map[string]want{
				"make": {run.StepSucceeded, "cache disabled"},
				"read": {run.StepSucceeded, "cache disabled"},
			},
		},
		{
			name: "ArtifactGone",
			before: func(t *testing.T, first *run.Execution, firstSteps map[string]*run.StepRun) {
				ref := firstSteps["make"].Outputs["out"]
				if err := artifact.RemoveTree(filepath.Join(b.home, "artifacts", "sha256", ref.Hex())); err != nil {
					t.Fatal(err)
				}
			},
			want: map[string]want{
				"make": {run.StepSucceeded, "is gone from the artifact store"},
				// make rebuilt the same content, so read's inputs are unchanged.
				"read": {run.StepCacheHit, "hit:"},
			},
		},
		{
			name:   "Expired",
			before: func(*testing.T, *run.Execution, map[string]*run.StepRun) { now = now.Add(2 * time.Hour) },
			want: map[string]want{
				"make": {run.StepSucceeded, "expired (ran 2h0m0s ago, expire_after 1h0m0s)"},
				"read": {run.StepCacheHit, "hit:"},
			},
		},
	}
	var first *run.Execution
	var firstSteps map[string]*run.StepRun
	for _, s := range steps {
		if s.before != nil {
			s.before(t, first, firstSteps)
		}
		ex, rs := b.run(t, cacheSrc, s.opts)
		if ex.Status != run.Succeeded {
			t.Fatalf("%s: execution %s: %s", s.name, ex.Status, ex.FailureReason)
		}
		if first == nil {
			first, firstSteps = ex, rs
		}
		for name, w := range s.want {
			r := rs[name]
			if r.Status != w.status || !strings.Contains(r.CacheNote, w.note) {
				t.Errorf("%s: step %s is %s with note %q, want %s with %q", s.name, name, r.Status, r.CacheNote, w.status, w.note)
			}
			if r.Status == run.StepCacheHit && (r.Provenance != run.FromCache || r.SourceExecution == "" || r.SourceExecution == ex.ID) {
				t.Errorf("%s: step %s hit without provenance: %q from %q", s.name, name, r.Provenance, r.SourceExecution)
			}
		}
	}
	if got := produce.runs.Load(); got != 5 {
		t.Errorf("produce ran %d times, want 5 (every run but the hit)", got)
	}
}

func TestNoCacheKindNeverHits(t *testing.T) {
	t.Parallel()
	k := &fakeKind{spec: step.Spec{Kind: "act", Version: "1", NoCache: true}}
	k.run = func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
		return step.Result{}, nil
	}
	b := setup(t, k)
	const src = "version: 1\nname: act\nsteps:\n  - {name: a, kind: act}\n"
	b.run(t, src, engine.RunOptions{})
	_, rs := b.run(t, src, engine.RunOptions{})
	if rs["a"].Status != run.StepSucceeded || k.runs.Load() != 2 {
		t.Errorf("second run: %s after %d runs, want Succeeded after 2", rs["a"].Status, k.runs.Load())
	}
}
