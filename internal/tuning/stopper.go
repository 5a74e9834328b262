package tuning

import (
	"math"
	"slices"
	"sort"
)

// Stopper is Hyperband as asynchronous early stopping: rungs sit at
// rounds MinRounds, MinRounds*Eta, MinRounds*Eta², ... below MaxRounds. A
// trial that reaches one of its rungs continues only if its objective
// there is in the best 1/Eta of the values that finished trials had at the
// same rung; else it stops early. Trials take Hyperband's brackets in
// turn: trial i is in bracket i mod (rungs+1), and bracket b checks only
// the rungs from the b-th on, so bracket 0 halves from the first rung and
// the last bracket never stops. The brackets hedge against learners (a
// small learning rate) that start slow and finish best. Comparing only
// with finished trials keeps every decision independent of timing.
type Stopper struct {
	Direction Direction
	// MinRounds is the first rung (rounds count from 1); the default is
	// MaxRounds/Eta³ (at least 1), Hyperband's smallest budget with three
	// halvings.
	MinRounds int
	// MaxRounds is the trials' full length (the learner's num_round).
	MaxRounds int
	// Eta is the halving rate (default 3).
	Eta int
	// MinPeers is how many finished trials must have reached a rung
	// before it stops anyone (default Eta).
	MinPeers int
}

func (s *Stopper) defaults() (minRounds, eta, peers int) {
	minRounds, eta, peers = s.MinRounds, s.Eta, s.MinPeers
	if eta < 2 {
		eta = 3
	}
	if minRounds <= 0 {
		minRounds = max(1, s.MaxRounds/(eta*eta*eta))
	}
	if peers <= 0 {
		peers = eta
	}
	return minRounds, eta, peers
}

// Rungs returns the rungs (1-based round counts).
func (s *Stopper) Rungs() []int {
	minRounds, eta, _ := s.defaults()
	var out []int
	for r := minRounds; r < s.MaxRounds; r *= eta {
		out = append(out, r)
	}
	return out
}

// ShouldStop reports whether trial index (0-based), whose objective after
// rounds rounds is value, must stop, given the finished trials.
func (s *Stopper) ShouldStop(index, rounds int, value float64, done []Trial) bool {
	if s == nil || math.IsNaN(value) {
		return false
	}
	_, eta, peers := s.defaults()
	rungs := s.Rungs()
	bracket := index % (len(rungs) + 1)
	if index < 0 { // warm-start trials are never run
		return false
	}
	if !slices.Contains(rungs[bracket:], rounds) {
		return false
	}
	var vals []float64
	for _, t := range done {
		if len(t.History) >= rounds && !math.IsNaN(t.History[rounds-1]) {
			vals = append(vals, t.History[rounds-1])
		}
	}
	if len(vals) < peers {
		return false
	}
	sort.Slice(vals, func(i, j int) bool { return s.Direction.Better(vals[i], vals[j]) })
	keep := max(len(vals)/eta, 1)
	// Continue when at least as good as the keep-th best.
	return s.Direction.Better(vals[keep-1], value)
}

// StopRound replays trial index's history through the stopper: the first round (1
// based) at which the trial would stop, or 0 when it runs to the end.
func (s *Stopper) StopRound(index int, history []float64, done []Trial) int {
	if s == nil {
		return 0
	}
	for i, v := range history {
		if s.ShouldStop(index, i+1, v, done) {
			return i + 1
		}
	}
	return 0
}
