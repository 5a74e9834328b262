package forest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/ferryml/ferry/table"
	"github.com/ferryml/ferry/tree"
)

// Model is a trained random forest. Its output is the mean of its trees'
// leaf values: the prediction for regression, the probability of class 1
// for binary classification. Models come from [Train] or [Read]; treat
// the fields as read-only (prediction uses layouts derived from them). A
// Model is safe for concurrent use.
type Model struct {
	// Task is TaskRegression or TaskBinary.
	Task string
	// Features is the number of input columns.
	Features int
	// Trees are the forest's trees; Value is the node's mean label (class-1
	// fraction) and Cover its weighted training-sample count.
	Trees []tree.Tree
	// Params are the hyperparameters the forest was trained with.
	Params Params

	means    []float64 // per-tree TreeSHAP expected values
	maxDepth int
	flat     *tree.Flat // the trees laid out for fast prediction
}

// Option configures [Train] beyond the hyperparameters.
type Option func(*options)

type options struct {
	progress func(built int)
}

// WithProgress calls f each time a tree is built, with the number of
// trees built so far (1 to NEstimators). Trees are built concurrently;
// the calls are not: f is called by one goroutine at a time, and Train
// returns after the last call.
func WithProgress(f func(built int)) Option {
	return func(o *options) { o.progress = f }
}

// Train fits a forest to data, as scikit-learn's RandomForestRegressor
// or RandomForestClassifier fit(X, y) does: data.X (NaN for a missing
// value) and labels data.Y (0 or 1 for classification). Sample weights
// are not supported: data.Weight must be nil. It checks ctx between
// trees.
func Train(ctx context.Context, data *table.Dataset, p Params, opts ...Option) (*Model, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if data == nil {
		return nil, errors.New("training data is nil")
	}
	if data.Weight != nil {
		return nil, errors.New("training data has sample weights: random forests do not support them")
	}
	x, y, n, m := data.X, data.Y, data.Rows(), data.NumFeature
	p = p.WithDefaults()
	if err := p.Validate(m); err != nil {
		return nil, fmt.Errorf("random forest parameters: %w", err)
	}
	if err := checkData(x, y, n, m, p.Task); err != nil {
		return nil, err
	}
	var (
		mu    sync.Mutex
		built int
	)
	k, _ := p.MaxFeatures.Count(m)
	workers := p.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, p.NEstimators)

	trees := make([]tree.Tree, p.NEstimators)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := &builder{
				x: x, y: y, m: m, classify: p.Task == TaskBinary,
				maxDepth: p.MaxDepth, minSplit: p.MinSamplesSplit, minLeaf: p.MinSamplesLeaf, k: k,
				weight: make([]float64, n),
				order:  make([][]int32, m),
				goLeft: make([]bool, n),
				tmp:    make([]int32, 0, n),
				feats:  make([]int, m),
				keys:   make([]uint64, 0, n),
			}
			for f := range b.order {
				b.order[f] = make([]int32, 0, n)
			}
			for i := range next {
				b.rng = rand.New(rand.NewPCG(p.Seed, uint64(i)+1))
				if *p.Bootstrap {
					clear(b.weight)
					for range n {
						b.weight[b.rng.IntN(n)]++
					}
				} else {
					for j := range b.weight {
						b.weight[j] = 1
					}
				}
				trees[i] = b.grow()
				if o.progress != nil {
					mu.Lock()
					built++
					o.progress(built)
					mu.Unlock()
				}
			}
		}()
	}
	var err error
	for i := range trees {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("training random forest: %w", err)
	}
	return newModel(p.Task, m, trees, p), nil
}

func newModel(task string, m int, trees []tree.Tree, p Params) *Model {
	md := &Model{Task: task, Features: m, Trees: trees, Params: p, means: make([]float64, len(trees))}
	for i := range trees {
		md.means[i] = trees[i].MeanValue()
		md.maxDepth = max(md.maxDepth, trees[i].MaxDepth())
	}
	md.flat = tree.NewFlat(trees)
	return md
}

func checkData(x, y []float64, n, m int, task string) error {
	switch {
	case n < 1 || m < 1:
		return fmt.Errorf("training data has %d rows and %d features: want at least one of each", n, m)
	case len(x) != n*m:
		return fmt.Errorf("training data has %d values, want %d rows × %d features = %d", len(x), n, m, n*m)
	case len(y) != n:
		return fmt.Errorf("training data has %d labels for %d rows", len(y), n)
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("label of row %d is %v: want a finite number", i, v)
		}
		if task == TaskBinary && v != 0 && v != 1 {
			return fmt.Errorf("label of row %d is %v: binary classification wants 0 or 1", i, v)
		}
	}
	for i, v := range x {
		if math.IsInf(float64(float32(v)), 0) {
			return fmt.Errorf("feature %d of row %d is %v: want a finite number within float32 range, or NaN for missing", i%m, i/m, v)
		}
	}
	return nil
}

// NumFeatures returns the number of input columns.
func (md *Model) NumFeatures() int { return md.Features }

// NumOutputs returns 1: the prediction, or the probability of class 1.
func (md *Model) NumOutputs() int { return 1 }

// parallelRows is the least number of rows Predict and Contribs split
// across goroutines.
const parallelRows = 256

// Predict writes the forest's output for each row of x (n×NumFeatures)
// into dst (n values), using all cores for large batches. It panics if
// len(x) is not a multiple of the number of features or dst is too short,
// like a slice index would.
func (md *Model) Predict(dst, x []float64) {
	m := md.Features
	n := len(x) / m
	if n*m != len(x) || len(dst) < n {
		panic(fmt.Sprintf("forest: Predict with %d values for %d features and dst of %d", len(x), m, len(dst)))
	}
	inv := 1 / float64(len(md.Trees))
	if n < 2*parallelRows {
		// Row by row: no goroutines and no allocation for serving.
		for i := range n {
			dst[i] = md.flat.Sum(x[i*m:(i+1)*m], 0, len(md.Trees)) * inv
		}
		return
	}
	inParallel(n, func(lo, hi int) {
		out := dst[lo:hi]
		clear(out)
		buf := make([]float32, tree.BlockRows*m)
		md.flat.AddBlock(out, 1, nil, x[lo*m:hi*m], m, buf)
		for i := range out {
			out[i] *= inv
		}
	})
}

// Contribs writes path-dependent TreeSHAP values for each row of x into
// dst (n×(NumFeatures+1)): the trees' values averaged, the last of each
// block the bias (the forest's expected output). Each block sums to the
// row's prediction (for classifiers, the class-1 probability).
func (md *Model) Contribs(dst, x []float64) {
	m := md.Features
	n := len(x) / m
	if n*m != len(x) || len(dst) < n*(m+1) {
		panic(fmt.Sprintf("forest: Contribs with %d values for %d features and dst of %d", len(x), m, len(dst)))
	}
	scale := 1 / float64(len(md.Trees))
	inParallel(n, func(lo, hi int) {
		s := tree.NewShapScratch(md.maxDepth)
		for i := lo; i < hi; i++ {
			out := dst[i*(m+1) : (i+1)*(m+1)]
			clear(out)
			s.PathDependent(md.Trees, md.means, x[i*m:(i+1)*m], out, scale)
		}
	})
}

// ContribsInterventional writes interventional TreeSHAP values of each row
// of x against the background rows (row-major, each weighing equally)
// into dst (n×(NumFeatures+1)), the last of each block the mean output
// over the background; it implements model.InterventionalExplainer.
func (md *Model) ContribsInterventional(dst, x, background []float64) {
	m := md.Features
	n := len(x) / m
	if n*m != len(x) || len(dst) < n*(m+1) || len(background)%m != 0 {
		panic(fmt.Sprintf("forest: ContribsInterventional with %d values for %d features, %d background values and dst of %d", len(x), m, len(background), len(dst)))
	}
	scale := 1 / float64(len(md.Trees))
	inParallel(n, func(lo, hi int) {
		s := tree.NewInterventionalScratch(m, md.maxDepth)
		for i := lo; i < hi; i++ {
			out := dst[i*(m+1) : (i+1)*(m+1)]
			clear(out)
			s.Interventional(md.Trees, x[i*m:(i+1)*m], background, out, scale)
		}
	})
}

// inParallel runs fn over [0, n) split into one range per core when n is
// large enough to pay for the goroutines.
func inParallel(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/parallelRows)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, min(n, lo+per))
		}()
	}
	wg.Wait()
}

// errNoTrees is returned for a model file without trees.
var errNoTrees = errors.New("model has no trees")
