package tuning

import (
	"math"
	"math/rand/v2"
	"sort"
)

// tpe is the Tree-structured Parzen Estimator (Bergstra et al., 2011):
// finished trials are split into the best quarter ("good", at most 25) and the
// rest; each side gets a Parzen density per hyperparameter in unit space,
// and the next configuration is the candidate drawn from the good density
// that maximises good/bad. Trials stopped early always count as bad.
type tpe struct {
	space   *Space
	dir     Direction
	seed    uint64
	startup int
}

const (
	defaultStartup = 10
	tpeCandidates  = 24
)

func newTPE(s *Space, o Options) *tpe {
	startup := o.Startup
	if startup <= 0 {
		startup = defaultStartup
		if o.Budget > 0 {
			startup = min(startup, max(2, o.Budget/3))
		}
	}
	return &tpe{space: s, dir: o.Direction, seed: o.Seed, startup: startup}
}

func (t *tpe) Propose(first, n int, done []Trial) []Config {
	var good, bad []unitPoint
	var scored []Trial
	for _, tr := range done {
		if tr.Status == Stopped {
			if p, ok := t.space.point(tr.Config); ok {
				bad = append(bad, p)
			}
			continue
		}
		if tr.usable() {
			scored = append(scored, tr)
		}
	}
	out := make([]Config, n)
	// Stopped trials count towards the start-up budget: they were tried.
	if len(scored) == 0 || len(scored)+len(bad) < t.startup {
		for k := range n {
			rng := trialRand(t.seed, first+k)
			p := make(unitPoint, len(t.space.ranges))
			for i := range p {
				p[i] = rng.Float64()
			}
			out[k] = t.space.config(p)
		}
		return out
	}
	sort.SliceStable(scored, func(i, j int) bool { return t.dir.Better(scored[i].Value, scored[j].Value) })
	nGood := min(int(math.Ceil(0.25*float64(len(scored)))), 25)
	nGood = max(nGood, 1)
	for i, tr := range scored {
		p, ok := t.space.point(tr.Config)
		if !ok {
			continue
		}
		if i < nGood {
			good = append(good, p)
		} else {
			bad = append(bad, p)
		}
	}
	l := make([]parzen, len(t.space.ranges))
	g := make([]parzen, len(t.space.ranges))
	for d, r := range t.space.ranges {
		l[d] = newParzen(r, column(good, d))
		g[d] = newParzen(r, column(bad, d))
	}
	for k := range n {
		rng := trialRand(t.seed, first+k)
		best, bestScore := unitPoint(nil), math.Inf(-1)
		for range tpeCandidates {
			p := make(unitPoint, len(l))
			score := 0.0
			for d := range l {
				p[d] = l[d].sample(rng)
				score += l[d].logPDF(p[d]) - g[d].logPDF(p[d])
			}
			if score > bestScore {
				best, bestScore = p, score
			}
		}
		out[k] = t.space.config(best)
	}
	return out
}

func column(ps []unitPoint, d int) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = p[d]
	}
	return out
}

// parzen is a one-dimensional density on [0, 1]: for numeric ranges an
// equally weighted mixture of Gaussians truncated to [0, 1], one at each
// observation plus a wide prior at 0.5; for categorical ranges smoothed
// category frequencies.
type parzen struct {
	cats    []float64 // categorical: probability per value
	mu, sig []float64
}

func newParzen(r Range, obs []float64) parzen {
	if r.Type == Categorical {
		k := len(r.Values)
		w := make([]float64, k)
		for i := range w {
			w[i] = 1 // prior
		}
		for _, u := range obs {
			w[min(int(u*float64(k)), k-1)]++
		}
		total := float64(k + len(obs))
		for i := range w {
			w[i] /= total
		}
		return parzen{cats: w}
	}
	mu := append([]float64{0.5}, obs...)
	sig := make([]float64, len(mu))
	sig[0] = 1
	// Each observation's bandwidth is the larger gap to its neighbours
	// (the bounds included), clipped to [1/min(100, n+1), 1].
	sorted := append([]float64(nil), obs...)
	sort.Float64s(sorted)
	lo := 1 / math.Min(100, float64(len(obs)+1))
	for i, u := range obs {
		j := sort.SearchFloat64s(sorted, u)
		left, right := 0.0, 1.0
		if j > 0 {
			left = sorted[j-1]
		}
		if j+1 < len(sorted) {
			right = sorted[j+1]
		}
		s := math.Max(u-left, right-u)
		sig[i+1] = min(max(s, lo), 1)
	}
	return parzen{mu: mu, sig: sig}
}

func (p parzen) sample(rng *rand.Rand) float64 {
	if p.cats != nil {
		x, acc := rng.Float64(), 0.0
		for i, w := range p.cats {
			acc += w
			if x < acc || i == len(p.cats)-1 {
				return (float64(i) + 0.5) / float64(len(p.cats))
			}
		}
	}
	c := rng.IntN(len(p.mu))
	for range 100 {
		x := p.mu[c] + p.sig[c]*rng.NormFloat64()
		if x >= 0 && x <= 1 {
			return x
		}
	}
	return min(max(p.mu[c], 0), 1)
}

func (p parzen) logPDF(x float64) float64 {
	if p.cats != nil {
		i := min(int(x*float64(len(p.cats))), len(p.cats)-1)
		return math.Log(p.cats[i])
	}
	sum := 0.0
	for i, m := range p.mu {
		s := p.sig[i]
		z := (x - m) / s
		mass := normCDF((1-m)/s) - normCDF(-m/s)
		sum += math.Exp(-0.5*z*z) / (s * math.Sqrt(2*math.Pi) * math.Max(mass, 1e-12))
	}
	return math.Log(sum/float64(len(p.mu)) + 1e-300)
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
