package tuning

import (
	"fmt"
	"math/rand/v2"
)

// Strategy names (SageMaker's Strategy values, in lower case).
const (
	Random    = "random"
	Grid      = "grid"
	Bayesian  = "bayesian"
	Hyperband = "hyperband"
)

// Strategies lists the strategy names.
func Strategies() []string { return []string{Random, Grid, Bayesian, Hyperband} }

// Sampler proposes configurations.
type Sampler interface {
	// Propose returns the configurations of trials first, first+1, ...,
	// first+n-1, given every finished trial (warm-start trials included).
	// It returns fewer than n when the strategy has no more points (grid).
	Propose(first, n int, done []Trial) []Config
}

// Options configures a strategy.
type Options struct {
	Strategy  string
	Direction Direction
	Seed      uint64
	// GridPoints is the number of points a grid takes on a continuous
	// range (default 5) and at most on an integer range (default: every
	// integer, up to 5 evenly spaced when there are more).
	GridPoints int
	// Startup is the number of random trials before the model-based
	// sampler takes over (default 10, or fewer for a small budget).
	Startup int
	// Budget is the total number of trials (it sizes Startup).
	Budget int
}

// NewSampler returns the strategy's sampler over s. Hyperband samples at
// random; it differs from Random through its [Stopper].
func NewSampler(s *Space, o Options) (Sampler, error) {
	switch o.Strategy {
	case Random, Hyperband:
		return &randomSampler{space: s, seed: o.Seed}, nil
	case Grid:
		return newGrid(s, o.GridPoints), nil
	case Bayesian:
		return newTPE(s, o), nil
	}
	return nil, fmt.Errorf("unknown strategy %q (want random, grid, bayesian or hyperband)", o.Strategy)
}

// trialRand returns the generator of trial i: a function of the seed and
// the index alone.
func trialRand(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^uint64(i)))
}

type randomSampler struct {
	space *Space
	seed  uint64
}

func (r *randomSampler) Propose(first, n int, _ []Trial) []Config {
	out := make([]Config, n)
	for k := range n {
		rng := trialRand(r.seed, first+k)
		p := make(unitPoint, len(r.space.ranges))
		for i := range p {
			p[i] = rng.Float64()
		}
		out[k] = r.space.config(p)
	}
	return out
}
