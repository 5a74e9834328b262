package shap

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// PredictFunc evaluates a model: for x holding r rows of M features
// (row-major), it writes r×K outputs into dst, K being the model's number
// of outputs. It is called from several goroutines at once.
type PredictFunc func(dst, x []float64)

// Aggregation methods for global SHAP values.
const (
	AggMeanAbs = "mean_abs" // mean of |φ| (the default)
	AggMedian  = "median"   // median of the signed φ
	AggMeanSq  = "mean_sq"  // mean of φ², without a square root
)

// KernelOptions configure [Kernel]. The zero value is Clarify's default:
// 2M + 2048 coalitions, mean_abs, no logit, seed 0, one output.
type KernelOptions struct {
	// NumSamples is the number of coalitions per row; 0 means 2M + 2048.
	// It is capped at 2^M − 2, where the result is exact.
	NumSamples int
	// AggMethod is AggMeanAbs (default), AggMedian or AggMeanSq.
	AggMethod string
	// UseLogit explains the logit of the model's output (a probability):
	// v(z) = logit(mean over the baseline), outputs clipped to
	// [1e-12, 1 − 1e-12] first.
	UseLogit bool
	// Seed fixes the coalition sampling; each row draws from its own
	// stream, so results do not depend on Workers.
	Seed uint64
	// Outputs is the number of outputs K of the model per row; 0 means 1.
	Outputs int
	// BaselineWeights weight the baseline rows (for example k-means
	// cluster sizes); nil means equal weights.
	BaselineWeights []float64
	// Workers is the number of goroutines explaining rows; 0 means
	// GOMAXPROCS.
	Workers int
	// Progress, when set, is called after each explained row with the
	// number of rows done so far. It is called from the worker goroutines,
	// so it must be safe for concurrent use.
	Progress func(done int)
}

// Explanation holds Kernel SHAP values.
type Explanation struct {
	// Rows, Features and Outputs are n, M and K.
	Rows, Features, Outputs int
	// Local holds the local SHAP values: K blocks of n×M, so the value
	// of feature j for row i and output k is Local[(k·n + i)·M + j].
	Local []float64
	// Expected holds, per output, the value of the empty coalition: the
	// weighted mean model output over the baseline (its logit with UseLogit).
	Expected []float64
	// Global holds, per output, the aggregated SHAP value of each feature:
	// Global[k·M + j].
	Global []float64
}

// maxChunk bounds the number of synthetic rows sent to the model at once.
const maxChunk = 4096

// Kernel explains the n rows of x (n×m, row-major) against the nb baseline
// rows with Kernel SHAP. It checks ctx between rows.
func Kernel(ctx context.Context, f PredictFunc, x []float64, n, m int, baseline []float64, nb int, opts KernelOptions) (*Explanation, error) {
	k, err := checkInputs(f, x, n, m, baseline, nb, &opts)
	if err != nil {
		return nil, err
	}
	switch opts.AggMethod {
	case "":
		opts.AggMethod = AggMeanAbs
	case AggMeanAbs, AggMedian, AggMeanSq:
	default:
		return nil, fmt.Errorf("kernel SHAP: agg_method %q: want %s, %s or %s", opts.AggMethod, AggMeanAbs, AggMedian, AggMeanSq)
	}
	if opts.NumSamples < 0 {
		return nil, fmt.Errorf("kernel SHAP: num_samples %d: want >= 0 (0 for the default)", opts.NumSamples)
	}
	e := &Explanation{Rows: n, Features: m, Outputs: k, Local: make([]float64, k*n*m), Expected: make([]float64, k), Global: make([]float64, k*m)}

	fnull := meanOutputs(f, baseline, nb, k, opts.BaselineWeights)
	fx := make([]float64, n*k)
	if n > 0 {
		f(fx, x)
	}
	for c := range k {
		e.Expected[c] = link(fnull[c], opts.UseLogit)
	}

	workers := opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ex := explainer{f: f, m: m, k: k, baseline: baseline, nb: nb, opts: &opts, fnull: fnull}
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				ex.row(i, x[i*m:(i+1)*m], fx[i*k:(i+1)*k], e.Local, n)
				if d := int(done.Add(1)); opts.Progress != nil {
					opts.Progress(d)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("kernel SHAP: %w", err)
	}
	aggregate(e, opts.AggMethod)
	return e, nil
}

func checkInputs(f PredictFunc, x []float64, n, m int, baseline []float64, nb int, opts *KernelOptions) (int, error) {
	k := opts.Outputs
	if k == 0 {
		k = 1
	}
	switch {
	case f == nil:
		return 0, fmt.Errorf("kernel SHAP: no model")
	case m < 1 || n < 0:
		return 0, fmt.Errorf("kernel SHAP: %d rows of %d features: want n >= 0 and at least one feature", n, m)
	case len(x) != n*m:
		return 0, fmt.Errorf("kernel SHAP: data has %d values, want %d rows × %d features", len(x), n, m)
	case nb < 1:
		return 0, fmt.Errorf("kernel SHAP: baseline has %d rows: want at least one", nb)
	case len(baseline) != nb*m:
		return 0, fmt.Errorf("kernel SHAP: baseline has %d values, want %d rows × %d features", len(baseline), nb, m)
	case k < 1:
		return 0, fmt.Errorf("kernel SHAP: %d outputs: want at least one", k)
	case opts.Workers < 0:
		return 0, fmt.Errorf("kernel SHAP: %d workers: want >= 0", opts.Workers)
	}
	if w := opts.BaselineWeights; w != nil {
		if len(w) != nb {
			return 0, fmt.Errorf("kernel SHAP: %d baseline weights for %d baseline rows", len(w), nb)
		}
		total := 0.0
		for i, v := range w {
			if !(v >= 0) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("kernel SHAP: baseline weight %d is %v: want a finite number >= 0", i, v)
			}
			total += v
		}
		if total <= 0 {
			return 0, fmt.Errorf("kernel SHAP: baseline weights sum to %v: want > 0", total)
		}
	}
	return k, nil
}

// meanOutputs returns the weighted mean of f over the rows of data.
func meanOutputs(f PredictFunc, data []float64, rows, k int, weights []float64) []float64 {
	out := make([]float64, rows*k)
	f(out, data)
	mean := make([]float64, k)
	total := 0.0
	for r := range rows {
		w := 1.0
		if weights != nil {
			w = weights[r]
		}
		total += w
		for c := range k {
			mean[c] += w * out[r*k+c]
		}
	}
	for c := range mean {
		mean[c] /= total
	}
	return mean
}

func link(p float64, logit bool) float64 {
	if !logit {
		return p
	}
	p = min(max(p, 1e-12), 1-1e-12)
	return math.Log(p / (1 - p))
}

// explainer holds one goroutine's scratch space.
type explainer struct {
	f        PredictFunc
	m, k     int
	baseline []float64
	nb       int
	opts     *KernelOptions
	fnull    []float64

	varying []int
	masks   []bool    // nsamples×M coalitions over the varying features
	weights []float64 // kernel weight per coalition
	ey      []float64 // nsamples×K coalition values
	buf     []float64 // synthetic rows
	out     []float64 // model outputs of synthetic rows
	ata     []float64
	atb     []float64
	erow    []float64
	work    []float64
}

// row writes the SHAP values of row i into local.
func (ex *explainer) row(i int, x, fx, local []float64, n int) {
	m, k := ex.m, ex.k
	ex.varying = ex.varying[:0]
	for j := range m {
		for b := range ex.nb {
			if v := ex.baseline[b*m+j]; v != x[j] && !(math.IsNaN(v) && math.IsNaN(x[j])) {
				ex.varying = append(ex.varying, j)
				break
			}
		}
	}
	for c := range k {
		clear(local[(c*n+i)*m : (c*n+i+1)*m])
	}
	mv := len(ex.varying)
	switch mv {
	case 0:
		return
	case 1:
		for c := range k {
			local[(c*n+i)*m+ex.varying[0]] = link(fx[c], ex.opts.UseLogit) - link(ex.fnull[c], ex.opts.UseLogit)
		}
		return
	}
	rng := rand.New(rand.NewPCG(ex.opts.Seed, uint64(i)))
	ex.coalitions(mv, ex.opts.NumSamples, rng)
	ex.evaluate(x)
	phi := make([]float64, mv)
	ex.normalMatrix(mv)
	for c := range k {
		ex.solve(mv, c, link(fx[c], ex.opts.UseLogit), link(ex.fnull[c], ex.opts.UseLogit), phi)
		for t, j := range ex.varying {
			local[(c*n+i)*m+j] = phi[t]
		}
	}
}

// numSamples returns the number of coalitions for M varying features.
func numSamples(mv, requested int) int {
	ns := requested
	if ns == 0 {
		ns = 2*mv + 2048
	}
	if mv <= 30 && ns > 1<<mv-2 {
		ns = 1<<mv - 2
	}
	return ns
}

// coalitions fills ex.masks and ex.weights as shap's KernelExplainer does.
func (ex *explainer) coalitions(mv, requested int, rng *rand.Rand) {
	ns := numSamples(mv, requested)
	ex.masks = ex.masks[:0]
	ex.weights = ex.weights[:0]
	numSizes := mv / 2 // ceil((M-1)/2)
	numPaired := (mv - 1) / 2
	wv := make([]float64, numSizes)
	total := 0.0
	for s := 1; s <= numSizes; s++ {
		wv[s-1] = float64(mv-1) / float64(s*(mv-s))
		if s <= numPaired {
			wv[s-1] *= 2
		}
		total += wv[s-1]
	}
	for s := range wv {
		wv[s] /= total
	}
	remaining := slices.Clone(wv)
	left := ns
	full := 0
	mask := make([]bool, mv)
	for s := 1; s <= numSizes; s++ {
		nsub := binom(mv, s)
		if s <= numPaired {
			nsub *= 2
		}
		if float64(left)*remaining[s-1]/nsub < 1-1e-8 {
			break
		}
		full++
		left -= int(nsub)
		if remaining[s-1] < 1 {
			r := 1 - remaining[s-1]
			for t := range remaining {
				remaining[t] /= r
			}
		}
		w := wv[s-1] / binom(mv, s)
		if s <= numPaired {
			w /= 2
		}
		combinations(mv, s, mask, func(mask []bool) {
			ex.add(mask, w)
			if s <= numPaired {
				ex.addComplement(mask, w)
			}
		})
	}
	if full == numSizes || left <= 0 {
		return
	}
	// Sample the remaining sizes in proportion to their kernel weight.
	fixed := len(ex.weights)
	rw := slices.Clone(wv)
	for s := range numPaired {
		rw[s] /= 2 // two samples are drawn each time for paired sizes
	}
	rw = rw[full:]
	cum := 0.0
	for _, v := range rw {
		cum += v
	}
	perm := make([]int, mv)
	used := make(map[string]int)
	key := make([]byte, mv)
	maxDraws := 4 * left
	for draws := 0; left > 0 && draws < maxDraws; draws++ {
		u, t := rng.Float64()*cum, 0
		for t < len(rw)-1 && u >= rw[t] {
			u -= rw[t]
			t++
		}
		size := t + full + 1
		for j := range perm {
			perm[j] = j
		}
		clear(mask)
		for j := range size {
			r := j + rng.IntN(mv-j)
			perm[j], perm[r] = perm[r], perm[j]
			mask[perm[j]] = true
		}
		for j, b := range mask {
			key[j] = 0
			if b {
				key[j] = 1
			}
		}
		at, seen := used[string(key)]
		if !seen {
			used[string(key)] = len(ex.weights)
			left--
			ex.add(mask, 1)
		} else {
			ex.weights[at]++
		}
		if left > 0 && size <= numPaired {
			if !seen {
				left--
				ex.addComplement(mask, 1)
			} else {
				ex.weights[at+1]++
			}
		}
	}
	weightLeft := 0.0
	for _, v := range wv[full:] {
		weightLeft += v
	}
	sampled := 0.0
	for _, v := range ex.weights[fixed:] {
		sampled += v
	}
	for t := fixed; t < len(ex.weights); t++ {
		ex.weights[t] *= weightLeft / sampled
	}
}

func (ex *explainer) add(mask []bool, w float64) {
	ex.masks = append(ex.masks, mask...)
	ex.weights = append(ex.weights, w)
}

func (ex *explainer) addComplement(mask []bool, w float64) {
	for _, b := range mask {
		ex.masks = append(ex.masks, !b)
	}
	ex.weights = append(ex.weights, w)
}

// combinations calls fn with every size-s subset of {0..mv-1} as a mask,
// in itertools.combinations order.
func combinations(mv, s int, mask []bool, fn func([]bool)) {
	idx := make([]int, s)
	for j := range idx {
		idx[j] = j
	}
	for {
		clear(mask)
		for _, j := range idx {
			mask[j] = true
		}
		fn(mask)
		j := s - 1
		for j >= 0 && idx[j] == mv-s+j {
			j--
		}
		if j < 0 {
			return
		}
		idx[j]++
		for t := j + 1; t < s; t++ {
			idx[t] = idx[t-1] + 1
		}
	}
}

func binom(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return math.Round(r)
}

// evaluate fills ex.ey with each coalition's weighted mean model output.
func (ex *explainer) evaluate(x []float64) {
	m, k, nb := ex.m, ex.k, ex.nb
	mv := len(ex.varying)
	ns := len(ex.weights)
	ex.ey = resize(ex.ey, ns*k)
	clear(ex.ey)
	per := max(1, maxChunk/nb) // coalitions per chunk
	ex.buf = resize(ex.buf, min(per, ns)*nb*m)
	ex.out = resize(ex.out, min(per, ns)*nb*k)
	total := 0.0
	for b := range nb {
		total += ex.baselineWeight(b)
	}
	for start := 0; start < ns; start += per {
		end := min(ns, start+per)
		rows := (end - start) * nb
		buf := ex.buf[:rows*m]
		for s := start; s < end; s++ {
			mask := ex.masks[s*mv : (s+1)*mv]
			for b := range nb {
				row := buf[((s-start)*nb+b)*m : ((s-start)*nb+b+1)*m]
				copy(row, ex.baseline[b*m:(b+1)*m])
				for t, j := range ex.varying {
					if mask[t] {
						row[j] = x[j]
					}
				}
			}
		}
		out := ex.out[:rows*k]
		ex.f(out, buf)
		for s := start; s < end; s++ {
			for b := range nb {
				w := ex.baselineWeight(b) / total
				for c := range k {
					ex.ey[s*k+c] += w * out[((s-start)*nb+b)*k+c]
				}
			}
		}
	}
}

func (ex *explainer) baselineWeight(b int) float64 {
	if ex.opts.BaselineWeights == nil {
		return 1
	}
	return ex.opts.BaselineWeights[b]
}

// normalMatrix fills ex.ata with Σ_s w_s e_s e_sᵀ, where e_s is coalition
// s's mask over the first M−1 varying features minus its last entry: the
// least-squares matrix once the last feature is eliminated with the
// efficiency constraint. It is the same for every output.
func (ex *explainer) normalMatrix(mv int) {
	p := mv - 1
	ex.ata = resize(ex.ata, p*p)
	clear(ex.ata)
	e := ex.e(p)
	for s := range ex.weights {
		mask := ex.masks[s*mv : (s+1)*mv]
		ex.design(mask, e)
		w := ex.weights[s]
		for a := range p {
			if e[a] == 0 {
				continue
			}
			wa := w * e[a]
			row := ex.ata[a*p : (a+1)*p]
			for b := a; b < p; b++ {
				row[b] += wa * e[b]
			}
		}
	}
	for a := range p { // mirror the upper triangle
		for b := a + 1; b < p; b++ {
			ex.ata[b*p+a] = ex.ata[a*p+b]
		}
	}
}

func (ex *explainer) e(p int) []float64 {
	ex.erow = resize(ex.erow, p)
	return ex.erow
}

// design writes a coalition's row of the reduced design matrix into e.
func (ex *explainer) design(mask []bool, e []float64) {
	p := len(e)
	last := 0.0
	if mask[p] {
		last = 1
	}
	for j := range p {
		e[j] = -last
		if mask[j] {
			e[j]++
		}
	}
}

// solve writes into phi the constrained weighted least-squares solution
// for output c, eliminating the last varying feature with the efficiency
// constraint Σφ = lfx − lnull, as shap's KernelExplainer.solve does.
// ex.normalMatrix must have run for this row.
func (ex *explainer) solve(mv, c int, lfx, lnull float64, phi []float64) {
	p := mv - 1
	ex.atb = resize(ex.atb, p)
	ex.work = resize(ex.work, 2*p*p+p)
	clear(ex.atb)
	diff := lfx - lnull
	e := ex.e(p)
	for s := range ex.weights {
		mask := ex.masks[s*mv : (s+1)*mv]
		ex.design(mask, e)
		last := 0.0
		if mask[p] {
			last = 1
		}
		wy := ex.weights[s] * (link(ex.ey[s*ex.k+c], ex.opts.UseLogit) - lnull - last*diff)
		for a := range p {
			ex.atb[a] += e[a] * wy
		}
	}
	solveSPD(ex.ata, ex.atb, p, ex.work)
	sum := 0.0
	for j := range p {
		phi[j] = ex.atb[j]
		sum += phi[j]
	}
	phi[p] = diff - sum
}

func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// aggregate fills e.Global from e.Local.
func aggregate(e *Explanation, method string) {
	n, m := e.Rows, e.Features
	if n == 0 {
		return
	}
	col := make([]float64, n)
	for c := range e.Outputs {
		for j := range m {
			for i := range n {
				col[i] = e.Local[(c*n+i)*m+j]
			}
			e.Global[c*m+j] = Aggregate(col, method)
		}
	}
}

// Aggregate reduces one feature's local SHAP values to a global value by
// method (AggMeanAbs, AggMedian or AggMeanSq; anything else is mean_abs).
// It reorders vals for the median.
func Aggregate(vals []float64, method string) float64 {
	if len(vals) == 0 {
		return 0
	}
	switch method {
	case AggMedian:
		slices.Sort(vals)
		h := len(vals) / 2
		if len(vals)%2 == 1 {
			return vals[h]
		}
		return (vals[h-1] + vals[h]) / 2
	case AggMeanSq:
		s := 0.0
		for _, v := range vals {
			s += v * v
		}
		return s / float64(len(vals))
	default:
		s := 0.0
		for _, v := range vals {
			s += math.Abs(v)
		}
		return s / float64(len(vals))
	}
}
