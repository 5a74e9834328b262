package tuning

import (
	"context"
	"slices"
	"sync"

	"github.com/ferryml/ferry/internal/tuning"
)

// runWindow runs budget trials, at most parallel (P) at a time, in a
// sliding window with a lag L (windowLag): trial i starts as soon as a
// slot is free and trials 0..i-L have finished, and is proposed from
// exactly the warm-start trials and trials 0..i-L (its peers, which
// early stopping compares it with too). So the proposals and stopping
// decisions depend only on the configuration and the results, never on
// timing: a seed reproduces the run. The lag is twice the slots, so a
// slot rarely waits for a long trial while shorter ones (trials stopped
// early, shallow trees) finish beside it; with parallel 1, trial i sees
// every earlier trial.
//
// run is called for each trial with its index, configuration and peers;
// it returns the trial's record. It may call free once its heavy work is
// done (before storing what it made): the next trial may then take its
// slot. runWindow returns the records and
// trials in trial order (fewer than budget when the strategy runs out of
// points), or the first error, after the running trials have ended.
func runWindow(ctx context.Context, sampler tuning.Sampler, budget, parallel int, warm []tuning.Trial,
	run trialFunc) ([]*Record, []tuning.Trial, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recs := make([]*Record, budget)
	trials := make([]tuning.Trial, budget)
	finished := make([]chan struct{}, budget)
	for i := range finished {
		finished[i] = make(chan struct{})
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	lag := windowLag(parallel)
	slots := make(chan struct{}, parallel)
	started := 0
	for i := range budget {
		if j := i - lag; j >= 0 {
			select {
			case <-finished[j]:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		// The proposal depends on the peers only: made while the
		// slots are still busy, it does not hold a core idle.
		peers := slices.Clone(warm)
		if n := i - lag + 1; n > 0 {
			peers = append(peers, trials[:n]...)
		}
		cfgs := sampler.Propose(i, 1, peers)
		if len(cfgs) == 0 {
			break
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		started++
		wg.Go(func() {
			var once sync.Once
			free := func() { once.Do(func() { <-slots }) }
			defer free()
			defer close(finished[i])
			rec, tr, err := run(ctx, i, cfgs[0], peers, free)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				cancel()
				return
			}
			recs[i], trials[i] = rec, tr
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return recs[:started], trials[:started], nil
}

// trialFunc runs trial index with configuration cfg and peers (see
// runWindow).
type trialFunc func(ctx context.Context, index int, cfg tuning.Config, peers []tuning.Trial, free func()) (*Record, tuning.Trial, error)

// windowLag is how many trials behind a trial's peers end: 2P for P
// slots (1 for one slot, where each trial sees every earlier one).
func windowLag(parallel int) int {
	if parallel <= 1 {
		return 1
	}
	return 2 * parallel
}
