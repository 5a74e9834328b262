package linear

import (
	"context"
	"math"
	"math/rand/v2"
)

// solver holds the column-major standardised features.
type solver struct {
	z    []float64 // m columns of n
	y    []float64
	n, m int
	p    Params
	w    []float64
	rng  *rand.Rand
	// progress, when not nil, is called with the pass number at the
	// start of every pass.
	progress func(pass int)
}

func softThreshold(v, t float64) float64 {
	switch {
	case v > t:
		return v - t
	case v < -t:
		return v + t
	}
	return 0
}

// order returns a random permutation of the coordinates.
func (s *solver) order(perm []int) {
	for j := range perm {
		perm[j] = j
	}
	s.rng.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
}

// regress minimises the penalised squared error by coordinate descent.
// The features are centred, so the intercept is the mean label.
func (s *solver) regress(ctx context.Context) (float64, int, error) {
	n, m := s.n, s.m
	b := 0.0
	for _, v := range s.y {
		b += v
	}
	b /= float64(n)
	r := make([]float64, n)
	for i := range r {
		r[i] = s.y[i] - b
	}
	sq := make([]float64, m)
	for j := range m {
		for _, v := range s.z[j*n : (j+1)*n] {
			sq[j] += v * v
		}
		sq[j] /= float64(n)
	}
	perm := make([]int, m)
	iter := 0
	for iter < s.p.MaxIter {
		if err := ctx.Err(); err != nil {
			return 0, iter, err
		}
		iter++
		if s.progress != nil {
			s.progress(iter)
		}
		s.order(perm)
		maxDelta := 0.0
		for _, j := range perm {
			if sq[j] == 0 {
				continue
			}
			col := s.z[j*n : (j+1)*n]
			rho := 0.0
			for i, v := range col {
				rho += v * r[i]
			}
			rho = rho/float64(n) + sq[j]*s.w[j]
			nw := softThreshold(rho, s.p.L1) / (sq[j] + s.p.L2)
			if d := nw - s.w[j]; d != 0 {
				for i, v := range col {
					r[i] -= d * v
				}
				maxDelta = max(maxDelta, math.Abs(d))
				s.w[j] = nw
			}
		}
		if maxDelta < s.p.Tol {
			break
		}
	}
	return b, iter, nil
}

// logistic minimises the penalised log loss by proximal Newton steps,
// each solved by weighted coordinate descent, with step halving whenever
// a step does not decrease the objective.
func (s *solver) logistic(ctx context.Context) (float64, int, error) {
	n, m := s.n, s.m
	fn := float64(n)
	mean := 0.0
	for _, v := range s.y {
		mean += v
	}
	mean /= fn
	mean = min(max(mean, 1e-6), 1-1e-6)
	b := math.Log(mean / (1 - mean))
	eta := make([]float64, n)
	for i := range eta {
		eta[i] = b
	}
	h := make([]float64, n)    // Newton weights / n
	work := make([]float64, n) // working response
	r := make([]float64, n)    // inner residual
	hsq := make([]float64, m)
	perm := make([]int, m)
	prevW := make([]float64, m)
	obj := s.objective(eta)
	iter := 0
	for iter < s.p.MaxIter {
		if err := ctx.Err(); err != nil {
			return 0, iter, err
		}
		iter++
		if s.progress != nil {
			s.progress(iter)
		}
		hsum := 0.0
		for i := range n {
			p := sigmoid(eta[i])
			hi := max(p*(1-p), 1e-5)
			work[i] = eta[i] + (s.y[i]-p)/hi
			h[i] = hi / fn
			r[i] = work[i] - eta[i]
			hsum += h[i]
		}
		for j := range m {
			hsq[j] = 0
			for i, v := range s.z[j*n : (j+1)*n] {
				hsq[j] += h[i] * v * v
			}
		}
		copy(prevW, s.w)
		prevB := b
		// Inner coordinate descent on the quadratic approximation.
		for inner := 0; inner < s.p.MaxIter; inner++ {
			maxDelta := 0.0
			s.order(perm)
			for _, j := range perm {
				if hsq[j] == 0 {
					continue
				}
				col := s.z[j*n : (j+1)*n]
				num := 0.0
				for i, v := range col {
					num += h[i] * v * r[i]
				}
				num += hsq[j] * s.w[j]
				nw := softThreshold(num, s.p.L1) / (hsq[j] + s.p.L2)
				if d := nw - s.w[j]; d != 0 {
					for i, v := range col {
						r[i] -= d * v
					}
					maxDelta = max(maxDelta, math.Abs(d))
					s.w[j] = nw
				}
			}
			db := 0.0
			for i := range n {
				db += h[i] * r[i]
			}
			db /= hsum
			if db != 0 {
				for i := range r {
					r[i] -= db
				}
				b += db
				maxDelta = max(maxDelta, math.Abs(db))
			}
			if maxDelta < s.p.Tol/10 {
				break
			}
		}
		// Step halving on the true objective.
		var newObj float64
		for try := 0; ; try++ {
			for i := range n {
				eta[i] = b
			}
			for j := range m {
				if s.w[j] == 0 {
					continue
				}
				for i, v := range s.z[j*n : (j+1)*n] {
					eta[i] += s.w[j] * v
				}
			}
			newObj = s.objective(eta)
			if newObj <= obj+1e-15*math.Abs(obj) || try == 30 {
				break
			}
			for j := range m {
				s.w[j] = (s.w[j] + prevW[j]) / 2
			}
			b = (b + prevB) / 2
		}
		maxDelta := math.Abs(b - prevB)
		for j := range m {
			maxDelta = max(maxDelta, math.Abs(s.w[j]-prevW[j]))
		}
		obj = newObj
		if maxDelta < s.p.Tol {
			break
		}
	}
	return b, iter, nil
}

// objective is the penalised mean log loss at margins eta.
func (s *solver) objective(eta []float64) float64 {
	loss := 0.0
	for i, e := range eta {
		// log(1 + exp(e)) − y·e, computed stably.
		loss += math.Max(e, 0) + math.Log1p(math.Exp(-math.Abs(e))) - s.y[i]*e
	}
	loss /= float64(s.n)
	for _, w := range s.w {
		loss += s.p.L2/2*w*w + s.p.L1*math.Abs(w)
	}
	return loss
}
