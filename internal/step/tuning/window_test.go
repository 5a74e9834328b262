package tuning

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/tuning"
)

// countingSampler proposes {"i": index} and records what each proposal saw.
type countingSampler struct {
	mu   sync.Mutex
	seen map[int][]int // trial -> indices of the peers it was proposed from
}

func (s *countingSampler) Propose(first, n int, done []tuning.Trial) []tuning.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	var idx []int
	for _, d := range done {
		idx = append(idx, d.Index)
	}
	s.seen[first] = idx
	out := make([]tuning.Config, n)
	for k := range out {
		out[k] = tuning.Config{"i": first + k}
	}
	return out
}

// TestWindowProposesFromFinishedTrials: trial i is proposed from the warm
// start and trials 0..i-P exactly, and a long trial does not hold up the
// other slot.
func TestWindowProposesFromFinishedTrials(t *testing.T) {
	t.Parallel()
	s := &countingSampler{seen: map[int][]int{}}
	warm := []tuning.Trial{{Index: -1}}
	// Trial 1 runs until trial 2 has started: in a window of 2, trial 2
	// waits for trial 0 only (batches would wait for trial 1 too).
	release := make(chan struct{})
	run := func(ctx context.Context, i int, cfg tuning.Config, peers []tuning.Trial) (*Record, tuning.Trial, error) {
		switch i {
		case 1:
			select {
			case <-release:
			case <-time.After(20 * time.Second):
				return nil, tuning.Trial{}, errors.New("trial 2 did not start beside trial 1")
			}
		case 2:
			close(release)
		}
		return &Record{Trial: i + 1}, tuning.Trial{Index: i, Status: tuning.Completed}, nil
	}
	recs, trials, err := runWindow(t.Context(), s, 6, 2, warm, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 || len(trials) != 6 {
		t.Fatalf("%d records, %d trials; want 6", len(recs), len(trials))
	}
	want := map[int][]int{0: {-1}, 1: {-1}, 2: {-1, 0}, 3: {-1, 0, 1}, 4: {-1, 0, 1, 2}, 5: {-1, 0, 1, 2, 3}}
	for i, w := range want {
		if got := s.seen[i]; len(got) != len(w) {
			t.Errorf("trial %d proposed from %v, want %v", i, got, w)
		}
	}
}

func TestWindowStopsAtTheFirstError(t *testing.T) {
	t.Parallel()
	s := &countingSampler{seen: map[int][]int{}}
	boom := errors.New("boom")
	run := func(ctx context.Context, i int, cfg tuning.Config, peers []tuning.Trial) (*Record, tuning.Trial, error) {
		if i == 2 {
			return nil, tuning.Trial{}, boom
		}
		select {
		case <-ctx.Done():
			return nil, tuning.Trial{}, ctx.Err()
		case <-time.After(time.Millisecond):
		}
		return &Record{}, tuning.Trial{Index: i}, nil
	}
	if _, _, err := runWindow(t.Context(), s, 20, 2, nil, run); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the trial's error", err)
	}
	if len(s.seen) > 5 {
		t.Errorf("%d trials proposed after trial 2 failed; want the window to stop", len(s.seen))
	}
}
