package tuning

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/tuning"
)

// TestReplayCached: a cached trial is reused as this run's stopping rule
// would end it, or not at all.
func TestReplayCached(t *testing.T) {
	t.Parallel()
	// Rungs at rounds 1 and 3 of 9 (eta 3); trial 0 is in the bracket
	// that checks both. Three peers had 0.9 at both rungs.
	st := &tuning.Stopper{Direction: tuning.Maximize, MinRounds: 1, MaxRounds: 9, Eta: 3}
	peer := tuning.Trial{Index: 1, Status: tuning.Completed, Value: 0.9, History: []float64{0.9, 0.9, 0.9}}
	peers := []tuning.Trial{peer, peer, peer}
	good := []float64{0.95, 0.95, 0.95, 0.96}
	late := []float64{0.95, 0.8, 0.7, 0.6} // fails the rung at round 3
	full := func(status string, h []float64) Record {
		return Record{Status: status, History: h, Rounds: len(h), Objective: ptr(h[len(h)-1]), Model: "m", Metrics: map[string]float64{"validation_auc": h[len(h)-1]}}
	}
	stopped := func(h []float64) *Record {
		return &Record{Status: StatusStopped, StoppedEarly: true, History: h, Rounds: len(h), Objective: ptr(h[len(h)-1])}
	}
	for _, tc := range []struct {
		name    string
		rec     Record
		stopper *tuning.Stopper
		want    *Record
	}{
		{"completed, not stopped now", full(StatusCompleted, good), st, ptrRec(full(StatusCompleted, good))},
		{"completed, no early stopping", full(StatusCompleted, late), nil, ptrRec(full(StatusCompleted, late))},
		{"completed, stopped now at round 3", full(StatusCompleted, late), st, stopped(late[:3])},
		{"stopped, stopped now no later", *stopped(late[:3]), st, stopped(late[:3])},
		{"stopped, not stopped now", *stopped(late[:3]), nil, nil},
		{"failed", Record{Status: StatusFailed, Error: "boom"}, st, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ReplayCached(tc.rec, 0, tc.stopper, peers)
			if ok != (tc.want != nil) {
				t.Fatalf("reused %v, want %v", ok, tc.want != nil)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

func ptrRec(r Record) *Record { return &r }
