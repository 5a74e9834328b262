package shap

import (
	"fmt"
	"math"
)

// maxExactFeatures bounds [ExactInterventional], which costs 2^M coalitions.
const maxExactFeatures = 20

// ExactInterventional returns the exact interventional Shapley values of
// one row x (m features) against the nb baseline rows, by brute force over
// all 2^m coalitions: φ_j = Σ_{S ∌ j} |S|!(m−|S|−1)!/m! · (v(S ∪ j) − v(S))
// with v(S) = Σ_b w_b f(x_S, b_rest) / Σ w_b (its logit with UseLogit).
// It uses opts.Outputs, opts.UseLogit and opts.BaselineWeights and
// returns φ as K blocks of m values and v(∅) per output. It is meant for
// checks: m is limited to 20.
func ExactInterventional(f PredictFunc, x []float64, m int, baseline []float64, nb int, opts KernelOptions) (phi, expected []float64, err error) {
	k, err := checkInputs(f, x, 1, m, baseline, nb, &opts)
	if err != nil {
		return nil, nil, fmt.Errorf("exact Shapley values: %w", err)
	}
	if m > maxExactFeatures {
		return nil, nil, fmt.Errorf("exact Shapley values: %d features, at most %d", m, maxExactFeatures)
	}
	subsets := 1 << m
	// v[S·k + c] for every coalition S (bit j set: feature j from x).
	v := make([]float64, subsets*k)
	rows := make([]float64, nb*m)
	for s := range subsets {
		for b := range nb {
			row := rows[b*m : (b+1)*m]
			for j := range m {
				if s&(1<<j) != 0 {
					row[j] = x[j]
				} else {
					row[j] = baseline[b*m+j]
				}
			}
		}
		mean := meanOutputs(f, rows, nb, k, opts.BaselineWeights)
		for c := range k {
			v[s*k+c] = link(mean[c], opts.UseLogit)
		}
	}
	// weight[size] = size! (m−size−1)! / m!
	weight := make([]float64, m)
	for size := range m {
		weight[size] = math.Exp(lgamma(size+1) + lgamma(m-size) - lgamma(m+1))
	}
	phi = make([]float64, k*m)
	for s := range subsets {
		size := popcount(s)
		for j := range m {
			if s&(1<<j) != 0 {
				continue
			}
			w := weight[size]
			for c := range k {
				phi[c*m+j] += w * (v[(s|1<<j)*k+c] - v[s*k+c])
			}
		}
	}
	return phi, v[:k], nil
}

func lgamma(n int) float64 {
	r, _ := math.Lgamma(float64(n))
	return r
}

func popcount(s int) int {
	c := 0
	for ; s != 0; s &= s - 1 {
		c++
	}
	return c
}
