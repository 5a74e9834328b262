package gbdt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"

	"github.com/ferryml/ferry/table"
	"github.com/ferryml/ferry/tree"
)

// bigMatrix is the cell count from which Train collects garbage once
// after quantising (about 1 GB of float64 values).
const bigMatrix = 1 << 27

// Option configures [Train] beyond the hyperparameters: the sets it
// evaluates and the progress it reports.
type Option func(*options)

type options struct {
	evals     []evalSet
	progress  func(round int, metrics map[string]float64)
	quantized *Quantized // WithQuantized (quantized.go)
}

// evalSet is a named dataset evaluated after every round.
type evalSet struct {
	name string
	data *table.Dataset
}

// WithEval adds a dataset evaluated after every round (XGBoost's evals
// list), its metrics named "<name>-<metric>". The order matters: early
// stopping watches the last metric of the last set. d may be the
// training dataset itself.
func WithEval(name string, d *table.Dataset) Option {
	return func(o *options) { o.evals = append(o.evals, evalSet{name: name, data: d}) }
}

// WithProgress calls f after every round with the round (0-based) and
// that round's metrics on the [WithEval] sets, named "<set>-<metric>"
// (an empty map without eval sets). f runs on Train's goroutine; Train
// waits for it.
func WithProgress(f func(round int, metrics map[string]float64)) Option {
	return func(o *options) { o.progress = f }
}

// Result is the outcome of [Train].
type Result struct {
	// Model is the trained model.
	Model *Model
	// BestIteration is, with early stopping, the 0-based round with the
	// best value of the watched metric (the last metric of the last eval
	// set); without it, the last round.
	BestIteration int
	// Metrics are the metric values at BestIteration (the returned
	// model's), named "<set>-<metric>".
	Metrics map[string]float64
	// History holds every round's metric values by name.
	History map[string][]float64
}

// Train fits a boosted-tree model to train with XGBoost's hist algorithm,
// as xgboost.train(p, dtrain, evals=...) does. It checks ctx before every
// round. With EarlyStoppingRounds the returned model keeps the trees up
// to the best iteration.
func Train(ctx context.Context, train *table.Dataset, p Params, opts ...Option) (*Result, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	evals := o.evals
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("checking parameters: %w", err)
	}
	// A matrix Quantize or an earlier Train on the same bins scanned is
	// not scanned again (see validateData).
	q := o.quantized
	if err := validateData(train, "training", q != nil && sameSlice(q.x, train.X)); err != nil {
		return nil, err
	}
	if err := checkLabels(p.Objective, p.NumClass, train.Y); err != nil {
		return nil, fmt.Errorf("checking training labels: %w", err)
	}
	categorical := categoricalFeatures(train.FeatureTypes)
	if err := checkCategorical(train, categorical, "training", true); err != nil {
		return nil, err
	}
	for _, e := range evals {
		if err := validateData(e.data, e.name, q != nil && (sameSlice(q.x, e.data.X) || q.b.derived.coded(e.data))); err != nil {
			return nil, err
		}
		if e.data.NumFeature != train.NumFeature {
			return nil, fmt.Errorf("eval set %q has %d features, training has %d", e.name, e.data.NumFeature, train.NumFeature)
		}
		if err := checkLabels(p.Objective, p.NumClass, e.data.Y); err != nil {
			return nil, fmt.Errorf("checking %s labels: %w", e.name, err)
		}
		if err := checkCategorical(e.data, categorical, e.name, false); err != nil {
			return nil, err
		}
	}
	// The grower clips leaves with p.MaxDeltaStep: make it the value in
	// effect (0.7 for count:poisson unless set).
	p.MaxDeltaStep = p.maxDeltaStep()
	metrics := p.EvalMetric
	if len(metrics) == 0 {
		metrics = []string{defaultMetric(p.Objective)}
	}
	k := 1
	if p.NumClass > 1 {
		k = p.NumClass
	}
	m := &Model{
		Objective: p.Objective, NumClass: p.NumClass, BaseScore: p.BaseScore,
		NumFeature: train.NumFeature, FeatureNames: train.FeatureNames, FeatureTypes: train.FeatureTypes,
		ScalePosWeight: p.ScalePosWeight, Attributes: map[string]string{},
	}
	if p.Objective == CountPoisson {
		m.MaxDeltaStep = p.MaxDeltaStep
	}
	base, err := baseMargin(p.Objective, p.BaseScore)
	if err != nil {
		return nil, err
	}
	n := train.Rows()
	threads := p.threads()
	b, err := o.quantized.bins(train, p.MaxBin, threads, categorical)
	if err != nil {
		return nil, err
	}
	if n*train.NumFeature >= bigMatrix {
		// On a big matrix, collect the quantiser's column blocks now so
		// that the grower's buffers reuse their memory: the heap, mostly
		// the caller's matrix, is far below the next collection's goal,
		// which would let peak memory grow by the blocks' size.
		runtime.GC()
	}
	pcg := rand.NewPCG(p.Seed, 0x9e3779b97f4a7c15)
	rng := rand.New(pcg)
	gr := newGrower(&p, b, rng)
	if len(gr.allFeat) == 0 {
		return nil, errors.New("training dataset: every feature is missing in every row")
	}

	margin := make([]float64, n*k)
	for i := range margin {
		margin[i] = float64(float32(base))
	}
	evalMargins := make([][]float64, len(evals))
	// The eval sets' rows coded against the cuts, for the per-round
	// margins (addTree).
	evalCoded := make([]*evalCodes, len(evals))
	var walk []walkNode
	var mbuf metricBuf
	for i, e := range evals {
		if e.data == train {
			continue
		}
		evalCoded[i] = b.derived.evalCodes(b, e.data)
		evalMargins[i] = make([]float64, e.data.Rows()*k)
		for j := range evalMargins[i] {
			evalMargins[i][j] = base
		}
	}
	// With one output the gradients are computed straight into the
	// grower's buffer.
	ghAll := gr.gh
	if k > 1 {
		ghAll = make([]gradPair, n*k)
	}
	res := &Result{History: map[string][]float64{}}
	best, bestRound := math.NaN(), -1
	var bestMetrics map[string]float64
	watch := ""
	if len(evals) > 0 {
		watch = evals[len(evals)-1].name + "-" + metrics[len(metrics)-1]
	}

	for round := 0; round < p.NumRound; round++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("training round %d: %w", round, err)
		}
		chunk := max(4096, (n+threads-1)/threads)
		if k == 1 && p.Subsample >= 1 {
			// The tree's gradients are these: sum each chunk of the
			// root's sums right after its gradients, while it is in
			// cache.
			sums := make([]bucket, (n+rootChunk-1)/rootChunk)
			gr.parallel(len(sums), func(c int) {
				lo, hi := c*rootChunk, min((c+1)*rootChunk, n)
				gradients(p.Objective, k, margin, train.Y, train.Weight, p.ScalePosWeight, p.MaxDeltaStep, ghAll, lo, hi)
				sums[c] = sumPairs(ghAll[lo:hi])
			})
			gr.rootSums = sums
		} else {
			gr.parallel((n+chunk-1)/chunk, func(c int) {
				gradients(p.Objective, k, margin, train.Y, train.Weight, p.ScalePosWeight, p.MaxDeltaStep, ghAll, c*chunk, min((c+1)*chunk, n))
			})
		}
		var keep []bool
		switch {
		case p.Subsample < 1 && k == 1:
			// One output: draw the sample and zero the pairs of the
			// rows out of it in one pass (dropSampled).
			dropSampled(pcg, gr.gh, p.Subsample)
		case p.Subsample < 1:
			keep = make([]bool, n)
			for r := range keep {
				keep[r] = rng.Float64() < p.Subsample
			}
		}
		treeFeats := gr.sample(gr.allFeat, p.ColsampleByTree)
		for c := range k {
			if k > 1 {
				// (With k = 1, ghAll is gr.gh and dropSampled zeroed
				// the rows out of the sample in place.)
				gr.parallel((n+chunk-1)/chunk, func(ch int) {
					for r := ch * chunk; r < min((ch+1)*chunk, n); r++ {
						if keep != nil && !keep[r] {
							gr.gh[r] = gradPair{}
							continue
						}
						gr.gh[r] = ghAll[r*k+c]
					}
				})
			}
			// The grower adds the leaf values to the training margins
			// (XGBoost's prediction cache, float32).
			t := gr.grow(treeFeats, leafOut{margin: margin, k: k, c: c})
			m.Trees = append(m.Trees, t)
			m.TreeInfo = append(m.TreeInfo, int32(c))
			for i, e := range evals {
				if evalMargins[i] == nil {
					continue
				}
				walk = addTree(&t, e.data, evalCoded[i], walk, evalMargins[i], k, c)
			}
		}
		if len(evals) == 0 {
			if o.progress != nil {
				o.progress(round, map[string]float64{})
			}
			continue
		}
		cur := map[string]float64{}
		for i, e := range evals {
			mg := evalMargins[i]
			if mg == nil {
				mg = margin
			}
			for _, name := range metrics {
				v, err := evalMetricBuf(name, p.Objective, k, mg, e.data.Y, e.data.Weight, &mbuf)
				if err != nil {
					return nil, fmt.Errorf("evaluating %s: %w", e.name, err)
				}
				key := e.name + "-" + name
				cur[key] = v
				res.History[key] = append(res.History[key], v)
			}
		}
		if o.progress != nil {
			o.progress(round, cur)
		}
		if p.EarlyStoppingRounds <= 0 {
			// Without early stopping the model is the last round's.
			best, bestRound, bestMetrics = cur[watch], round, cur
			continue
		}
		v := cur[watch]
		improved := bestRound < 0 || (maximised(metrics[len(metrics)-1]) && v > best) || (!maximised(metrics[len(metrics)-1]) && v < best)
		if improved {
			best, bestRound, bestMetrics = v, round, cur
		} else if round-bestRound >= p.EarlyStoppingRounds {
			break
		}
	}
	if bestRound < 0 {
		bestRound = len(m.Trees)/k - 1
	}
	if p.EarlyStoppingRounds > 0 {
		m.Trees = m.Trees[:(bestRound+1)*k]
		m.TreeInfo = m.TreeInfo[:(bestRound+1)*k]
	}
	m.Attributes["best_iteration"] = strconv.Itoa(bestRound)
	m.Attributes["best_ntree_limit"] = strconv.Itoa(bestRound + 1)
	if !math.IsNaN(best) {
		m.Attributes["best_score"] = strconv.FormatFloat(best, 'g', -1, 64)
	}
	if err := m.Init(); err != nil {
		return nil, fmt.Errorf("building trained model: %w", err)
	}
	if n*train.NumFeature >= bigMatrix {
		// The bins and the grower's buffers are garbage now; collect
		// them so that the caller's next allocations (final metrics
		// over the same rows) reuse their memory instead of adding to
		// the peak.
		runtime.GC()
	}
	res.Model = m
	res.BestIteration = bestRound
	res.Metrics = bestMetrics
	if res.Metrics == nil {
		res.Metrics = map[string]float64{}
	}
	return res, nil
}

// addTree adds tree t's value for every row of d into margins[row*k+c]:
// through d's codes when it has them and they decide every split of t,
// else through tree.Predict. It returns the walk's buffer for the next
// call.
func addTree(t *tree.Tree, d *table.Dataset, codes *evalCodes, buf []walkNode, margins []float64, k, c int) []walkNode {
	if codes != nil {
		if nodes, depth, ok := codes.nodes(t, buf); ok {
			codes.add(nodes, depth, margins, k, c)
			return nodes
		}
	}
	nf := d.NumFeature
	parallelRows(d.Rows(), 4096, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			margins[r*k+c] += t.Predict(d.X[r*nf : (r+1)*nf])
		}
	})
	return buf
}

// validateData is d.Validate, or d.ValidateLayout when its feature
// matrix was scanned (an unchanged matrix: Quantize's, or an eval set's
// that an earlier Train on the same bins validated before coding it).
func validateData(d *table.Dataset, role string, scanned bool) error {
	if scanned {
		return d.ValidateLayout(role)
	}
	return d.Validate(role)
}

// dropSampled zeroes the gradient pairs of the rows out of the tree's
// sample: row r stays when the r-th draw of src, as rand.Rand's Float64
// makes it, is below frac. The draws are rand.Rand's (Float64 is the low
// 53 bits of Uint64 over 2^53, and x/2^53 < frac exactly when x <
// ceil(frac*2^53)), so the sample is the one a Float64 per row gives; the
// zeroing is branch-free (the draws are random, a branch would miss half
// the time) and leaves +0 pairs.
func dropSampled(src *rand.PCG, gh []gradPair, frac float64) {
	limit := uint64(math.Ceil(frac * (1 << 53)))
	for r := range gh {
		x := src.Uint64() << 11 >> 11
		keep := uint32((x - limit) >> 63) // 1 when x < limit
		mask := -keep
		p := &gh[r]
		p.g = math.Float32frombits(math.Float32bits(p.g) & mask)
		p.h = math.Float32frombits(math.Float32bits(p.h) & mask)
	}
}
