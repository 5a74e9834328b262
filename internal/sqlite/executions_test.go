package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
)

func openExecutions(t *testing.T) *sqlite.ExecutionStore {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(artifacttest.TempDir(t), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return sqlite.NewExecutionStore(db)
}

var t0 = time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC)

func newExecution(id string, started time.Time) *run.Execution {
	return &run.Execution{
		ID: id, PipelineName: "p", PipelineDigest: "d1", DefinitionPath: "defs/p.yaml",
		Params: map[string]any{"n": 1.5, "s": "x"}, Overrides: map[string]string{"n": "1.5"},
		Status: run.Executing, StartedAt: started, OwnerPID: 42, OwnerHost: "h", Heartbeat: started,
		SelectedSteps: []string{"a"}, SourceExecution: "e-0",
	}
}

func TestExecutionRoundTrip(t *testing.T) {
	t.Parallel()
	s := openExecutions(t)
	ctx := t.Context()
	if err := s.SavePipeline(ctx, "d1", "p", []byte("name: p")); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePipeline(ctx, "d1", "p", []byte("name: p")); err != nil {
		t.Fatalf("saving the same version twice: %v", err)
	}
	src, err := s.PipelineSource(ctx, "d1")
	if err != nil || string(src) != "name: p" {
		t.Fatalf("PipelineSource = %q, %v", src, err)
	}
	ex := newExecution("e-1", t0)
	if err := s.CreateExecution(ctx, ex); err != nil {
		t.Fatal(err)
	}
	got, err := s.Execution(ctx, "e-1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ex, got); diff != "" {
		t.Errorf("execution round trip (-want +got):\n%s", diff)
	}

	if err := s.RequestStop(ctx, "e-1"); err != nil {
		t.Fatal(err)
	}
	if stop, err := s.StopRequested(ctx, "e-1"); err != nil || !stop {
		t.Errorf("StopRequested = %v, %v; want true", stop, err)
	}
	ex.Status, ex.EndedAt, ex.FailureReason = run.Stopped, t0.Add(time.Minute), strings.Repeat("x", 2000)
	if err := s.UpdateExecution(ctx, ex); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Execution(ctx, "e-1")
	if got.Status != run.Stopped || !got.EndedAt.Equal(ex.EndedAt) || len(got.FailureReason) > run.MaxFailureReason {
		t.Errorf("after update: %s ended %v reason of %d bytes", got.Status, got.EndedAt, len(got.FailureReason))
	}
	ex.Status = run.Executing // a resume clears the stop request
	if err := s.UpdateExecution(ctx, ex); err != nil {
		t.Fatal(err)
	}
	if stop, _ := s.StopRequested(ctx, "e-1"); stop {
		t.Error("stop request survived a resume")
	}

	r := &run.StepRun{
		ExecutionID: "e-1", Step: "a", Kind: "k", Status: run.StepSucceeded, Attempts: 2,
		StartedAt: t0, EndedAt: t0.Add(time.Second), FailureReason: "",
		Outputs:    map[string]artifact.Ref{"out": artifact.Ref("sha256:" + strings.Repeat("a", 64))},
		Properties: map[string]any{"auc": 0.9, "nested": map[string]any{"l": []any{1.0, "x"}}},
		CacheKey:   "k1", CacheInputs: `{"kind":"k"}`, CacheNote: "miss: no earlier run",
	}
	if err := s.SaveStepRuns(ctx, r); err != nil {
		t.Fatal(err)
	}
	rs, err := s.StepRuns(ctx, "e-1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*run.StepRun{r}, rs); diff != "" {
		t.Errorf("step run round trip (-want +got):\n%s", diff)
	}
}

func TestCacheQueries(t *testing.T) {
	t.Parallel()
	s := openExecutions(t)
	ctx := t.Context()
	if err := s.SavePipeline(ctx, "d1", "p", nil); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"e-1", "e-2", "e-3"} {
		if err := s.CreateExecution(ctx, newExecution(id, t0.Add(time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	save := func(exec string, status run.StepStatus, key string, ended time.Time, prov run.Provenance) {
		t.Helper()
		err := s.SaveStepRuns(ctx, &run.StepRun{ExecutionID: exec, Step: "a", Kind: "k", Status: status,
			StartedAt: ended.Add(-time.Second), EndedAt: ended, CacheKey: key, CacheInputs: `{"k":"` + key + `"}`, Provenance: prov})
		if err != nil {
			t.Fatal(err)
		}
	}
	save("e-1", run.StepSucceeded, "K", t0.Add(time.Minute), run.Ran)
	save("e-2", run.StepFailed, "K", t0.Add(time.Hour+time.Minute), run.Ran)
	save("e-3", run.StepSucceeded, "K", t0.Add(2*time.Hour+time.Minute), run.FromSelection)

	tests := []struct {
		name    string
		get     func() (*run.StepRun, error)
		wantExe string // "" for no run
	}{
		{name: "CachedRunSkipsFailedAndCopied", get: func() (*run.StepRun, error) { return s.CachedRun(ctx, "K") }, wantExe: "e-1"},
		{name: "CachedRunUnknownKey", get: func() (*run.StepRun, error) { return s.CachedRun(ctx, "other") }},
		{name: "PreviousRunNewestRan", get: func() (*run.StepRun, error) { return s.PreviousRun(ctx, "p", "a", "e-9") }, wantExe: "e-2"},
		{name: "PreviousRunExcludesCurrent", get: func() (*run.StepRun, error) { return s.PreviousRun(ctx, "p", "a", "e-2") }, wantExe: "e-1"},
		{name: "PreviousRunOtherPipeline", get: func() (*run.StepRun, error) { return s.PreviousRun(ctx, "q", "a", "") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.get()
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if r != nil {
				got = r.ExecutionID
			}
			if got != tc.wantExe {
				t.Errorf("got execution %q, want %q", got, tc.wantExe)
			}
		})
	}
}

func TestResolveExecution(t *testing.T) {
	t.Parallel()
	s := openExecutions(t)
	ctx := context.Background()
	if err := s.SavePipeline(ctx, "d1", "p", nil); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"e-20261123-aaa", "e-20261123-abb", "e-20261124-ccc"} {
		if err := s.CreateExecution(ctx, newExecution(id, t0.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, id, want, wantErr string
	}{
		{name: "Exact", id: "e-20261123-abb", want: "e-20261123-abb"},
		{name: "UniquePrefix", id: "e-20261124", want: "e-20261124-ccc"},
		{name: "ErrAmbiguous", id: "e-20261123-a", wantErr: "more than one"},
		{name: "ErrNotFound", id: "e-x", wantErr: "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := s.ResolveExecution(ctx, tc.id)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("got %v, want an error containing %q", err, tc.wantErr)
				}
				if tc.wantErr == "not found" && !errors.Is(err, run.ErrNotFound) {
					t.Errorf("error %v does not wrap run.ErrNotFound", err)
				}
				return
			}
			if err != nil || ex.ID != tc.want {
				t.Errorf("got %v, %v; want %s", ex, err, tc.want)
			}
		})
	}
	list, err := s.Executions(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "e-20261124-ccc" {
		t.Errorf("Executions(2) = %d executions starting %v, want the 2 newest", len(list), list)
	}
}

// TestClaimExecution checks that a claim succeeds only while the row still
// has the status, owner and heartbeat the claimer read.
func TestClaimExecution(t *testing.T) {
	t.Parallel()
	s := openExecutions(t)
	ctx := t.Context()
	if err := s.SavePipeline(ctx, "d1", "p", []byte("name: p")); err != nil {
		t.Fatal(err)
	}
	ex := newExecution("e-1", t0)
	ex.Status, ex.EndedAt, ex.FailureReason = run.Failed, t0.Add(time.Minute), "boom"
	if err := s.CreateExecution(ctx, ex); err != nil {
		t.Fatal(err)
	}
	was, err := s.Execution(ctx, "e-1")
	if err != nil {
		t.Fatal(err)
	}
	claim := func(pid int) (bool, error) {
		c := *was
		c.Status, c.EndedAt, c.FailureReason = run.Executing, time.Time{}, ""
		c.OwnerPID, c.Heartbeat = pid, t0.Add(time.Duration(pid)*time.Second)
		return s.ClaimExecution(ctx, &c, was)
	}
	if ok, err := claim(7); err != nil || !ok {
		t.Fatalf("first claim = %v, %v; want true", ok, err)
	}
	if ok, err := claim(8); err != nil || ok {
		t.Fatalf("second claim of the same state = %v, %v; want false", ok, err)
	}
	got, err := s.Execution(ctx, "e-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != run.Executing || got.OwnerPID != 7 || got.FailureReason != "" {
		t.Errorf("after the claims: status %s, owner %d, reason %q; want Executing by 7", got.Status, got.OwnerPID, got.FailureReason)
	}
}
