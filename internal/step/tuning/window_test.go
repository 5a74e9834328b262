package tuning

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

// TestWindowProposesFromFinishedTrials: with P = 2 slots, trial i is
// proposed from the warm start and trials 0..i-4 exactly (a lag of 2P),
// and a long trial does not hold up the other slot: trials 1, 2 and 3
// run one after another beside trial 0.
func TestWindowProposesFromFinishedTrials(t *testing.T) {
	t.Parallel()
	s := &countingSampler{seen: map[int][]int{}}
	warm := []tuning.Trial{{Index: -1}}
	// Trial 0 runs until trial 3 has started.
	release := make(chan struct{})
	var running sync.Map
	run := func(ctx context.Context, i int, cfg tuning.Config, peers []tuning.Trial, _ func()) (*Record, tuning.Trial, error) {
		running.Store(i, true)
		defer running.Delete(i)
		n := 0
		running.Range(func(any, any) bool { n++; return true })
		if n > 2 {
			return nil, tuning.Trial{}, fmt.Errorf("trial %d: %d trials running in 2 slots", i, n)
		}
		switch i {
		case 0:
			select {
			case <-release:
			case <-time.After(20 * time.Second):
				return nil, tuning.Trial{}, errors.New("trial 3 did not start beside trial 0")
			}
		case 3:
			close(release)
		}
		return &Record{Trial: i + 1}, tuning.Trial{Index: i, Status: tuning.Completed}, nil
	}
	recs, trials, err := runWindow(t.Context(), s, 7, 2, warm, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7 || len(trials) != 7 {
		t.Fatalf("%d records, %d trials; want 7", len(recs), len(trials))
	}
	want := map[int][]int{0: {-1}, 1: {-1}, 2: {-1}, 3: {-1}, 4: {-1, 0}, 5: {-1, 0, 1}, 6: {-1, 0, 1, 2}}
	for i, w := range want {
		if diff := cmp.Diff(w, s.seen[i]); diff != "" {
			t.Errorf("trial %d proposed from (-want +got):\n%s", i, diff)
		}
	}
}

// TestWindowOneSlot: with one slot each trial sees every earlier trial.
func TestWindowOneSlot(t *testing.T) {
	t.Parallel()
	s := &countingSampler{seen: map[int][]int{}}
	run := func(ctx context.Context, i int, cfg tuning.Config, peers []tuning.Trial, _ func()) (*Record, tuning.Trial, error) {
		return &Record{Trial: i + 1}, tuning.Trial{Index: i, Status: tuning.Completed}, nil
	}
	if _, _, err := runWindow(t.Context(), s, 4, 1, nil, run); err != nil {
		t.Fatal(err)
	}
	want := map[int][]int{0: nil, 1: {0}, 2: {0, 1}, 3: {0, 1, 2}}
	for i, w := range want {
		if diff := cmp.Diff(w, s.seen[i]); diff != "" {
			t.Errorf("trial %d proposed from (-want +got):\n%s", i, diff)
		}
	}
}

func TestWindowStopsAtTheFirstError(t *testing.T) {
	t.Parallel()
	s := &countingSampler{seen: map[int][]int{}}
	boom := errors.New("boom")
	run := func(ctx context.Context, i int, cfg tuning.Config, peers []tuning.Trial, _ func()) (*Record, tuning.Trial, error) {
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

// TestWindowFreeStartsNextTrial: a trial that calls free gives up its
// slot before it returns: with two slots, trials 0 and 1 both wait for
// trial 2 to start, which it can only once trial 0 has freed its slot;
// free twice is harmless.
func TestWindowFreeStartsNextTrial(t *testing.T) {
	t.Parallel()
	s := &countingSampler{seen: map[int][]int{}}
	started2 := make(chan struct{})
	wait := func() error {
		select {
		case <-started2:
			return nil
		case <-time.After(20 * time.Second):
			return errors.New("trial 2 did not start while trial 0 had freed its slot")
		}
	}
	run := func(ctx context.Context, i int, cfg tuning.Config, peers []tuning.Trial, free func()) (*Record, tuning.Trial, error) {
		switch i {
		case 0:
			free()
			free()
			if err := wait(); err != nil {
				return nil, tuning.Trial{}, err
			}
		case 1:
			if err := wait(); err != nil {
				return nil, tuning.Trial{}, err
			}
		case 2:
			close(started2)
		}
		return &Record{Trial: i + 1}, tuning.Trial{Index: i, Status: tuning.Completed}, nil
	}
	if _, _, err := runWindow(t.Context(), s, 4, 2, nil, run); err != nil {
		t.Fatal(err)
	}
}
