package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
)

func openTrials(t *testing.T) *sqlite.TrialStore {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(artifacttest.TempDir(t), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return sqlite.NewTrialStore(db)
}

func f64(f float64) *float64 { return &f }

func TestTrialRoundTrip(t *testing.T) {
	t.Parallel()
	s := openTrials(t)
	ctx := t.Context()
	mk := func(exec string, n int, status, key string, reused bool, end time.Time) *run.Trial {
		return &run.Trial{
			ExecutionID: exec, Step: "Tune", Trial: n, Name: run.TrialName("Tune", n), CacheKey: key,
			Hyperparameters: map[string]string{"eta": "0.1", "max_depth": "4"}, Status: status,
			Objective: f64(0.9 + float64(n)/100), ObjectiveMetric: "validation_auc", Direction: "maximize",
			History: []float64{0.8, 0.9}, Rounds: 2, StartedAt: end.Add(-time.Second), EndedAt: end, Seconds: 1, Reused: reused,
			StoppedEarly: status == "Stopped",
		}
	}
	a2 := mk("e1", 2, "Stopped", "k2", false, t0.Add(2*time.Second))
	a1 := mk("e1", 1, "Completed", "k1", false, t0.Add(time.Second))
	a3 := mk("e1", 3, "Failed", "k3", false, t0.Add(3*time.Second))
	b1 := mk("e2", 1, "Completed", "k1", true, t0.Add(4*time.Second)) // reused: not a cache entry
	for _, tr := range []*run.Trial{a2, a1, a3, b1} {
		if err := s.SaveTrial(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	// Saving again replaces (a resumed run re-saves a trial).
	a1.Seconds = 1.5
	if err := s.SaveTrial(ctx, a1); err != nil {
		t.Fatal(err)
	}
	got, err := s.Trials(ctx, "e1", "Tune")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]run.Trial{*a1, *a2, *a3}, got); diff != "" {
		t.Errorf("Trials (-want +got):\n%s", diff)
	}
	if got, err := s.Trials(ctx, "e1", "Other"); err != nil || len(got) != 0 {
		t.Errorf("Trials of a step without trials = %v, %v; want none", got, err)
	}
	for _, tc := range []struct {
		key  string
		want *run.Trial
	}{
		{"k1", a1}, // b1 has the key too, but was reused
		{"k2", a2}, // stopped trials are cached
		{"k3", nil},
		{"nope", nil},
		{"", nil},
	} {
		got, err := s.CachedTrial(ctx, tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("CachedTrial(%q) (-want +got):\n%s", tc.key, diff)
		}
	}
	if err := s.SaveTrial(ctx, &run.Trial{Name: "x"}); err == nil {
		t.Error("SaveTrial without execution, step and number: no error")
	}
}
