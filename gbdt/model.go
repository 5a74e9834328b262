package gbdt

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"

	"github.com/ferryml/ferry/tree"
)

// Objective names, as XGBoost spells them.
const (
	BinaryLogistic   = "binary:logistic"
	BinaryLogitRaw   = "binary:logitraw"
	RegSquaredError  = "reg:squarederror"
	RegLogistic      = "reg:logistic"
	MultiSoftprob    = "multi:softprob"
	MultiSoftmax     = "multi:softmax"
	CountPoisson     = "count:poisson"
	regLinearOldName = "reg:linear"
)

// Limits on what a model may declare, so a corrupt file cannot ask for
// absurd allocations.
const (
	maxFeatures = 1 << 24
	maxClasses  = 1 << 16
)

// Model is a boosted-tree ensemble in XGBoost's sense: a base score plus
// the sum of tree outputs (one sum per class for multi-class objectives),
// turned into predictions by the objective's transform. Build one with
// [Train] or [ReadModel], then call [Model.Init] if fields were changed by
// hand. A Model is safe for concurrent prediction.
type Model struct {
	// Objective is the XGBoost objective name, for example binary:logistic.
	Objective string
	// NumClass is the number of classes of multi-class objectives, else 0.
	NumClass int
	// BaseScore is XGBoost's base_score (in prediction space: a
	// probability for logistic objectives).
	BaseScore float64
	// BaseScores, when not nil, are per-class base scores (margins, one
	// per output group), which XGBoost 3.x writes for multi-class models
	// as base_score "[a,b,c]"; BaseScore is then unused.
	BaseScores []float64
	// NumFeature is the number of input features.
	NumFeature int
	// FeatureNames and FeatureTypes are XGBoost's feature_names and
	// feature_types, when the model has them (nil otherwise); type "c"
	// ([FeatureCategorical]) marks a categorical feature.
	FeatureNames []string
	FeatureTypes []string
	// Trees holds the trees in boosting order; TreeInfo[i] is the class
	// (output group) of tree i.
	Trees    []tree.Tree
	TreeInfo []int32
	// Attributes are XGBoost's learner attributes (best_iteration, ...).
	Attributes map[string]string
	// ScalePosWeight and MaxDeltaStep are objective parameters XGBoost
	// stores with the objective.
	ScalePosWeight float64
	MaxDeltaStep   float64
	// NumParallelTree is XGBoost's num_parallel_tree: trees per class in
	// each boosting round (more than 1 for XGBoost random forests). Their
	// outputs add up like any other trees'; it sets how many trees a
	// round holds, which best_iteration counts in. 0 means 1.
	NumParallelTree int
	// TreeWeights are the dart booster's tree weights (XGBoost's
	// weight_drop), one per tree; nil for gbtree. Tree i's output is its
	// leaf value times TreeWeights[i], in predictions and contributions.
	TreeWeights []float64
	// AllTrees makes prediction and explanation use every tree. By
	// default a model whose Attributes record best_iteration (early
	// stopping) uses the trees of rounds 0 to best_iteration only, as
	// XGBoost's scikit-learn API and SageMaker's XGBoost container
	// predict. Call Init after changing it.
	AllTrees bool

	used        int // trees used: all, or those up to best_iteration
	classTrees  [][]tree.Tree
	lay         *layouts
	maxDepth    int
	baseMargin  float64   // margin offset of group 0
	baseMargins []float64 // margin offset per output group
}

// Init validates the model and builds its prediction layouts. [Train] and
// [ReadModel] call it; call it again after changing fields.
func (m *Model) Init() error {
	switch m.Objective {
	case BinaryLogistic, BinaryLogitRaw, RegSquaredError, RegLogistic, CountPoisson:
		if m.NumClass > 1 {
			return fmt.Errorf("objective %s with num_class %d: multi-class needs multi:softprob or multi:softmax", m.Objective, m.NumClass)
		}
		m.NumClass = 0
	case MultiSoftprob, MultiSoftmax:
		if m.NumClass < 2 {
			return fmt.Errorf("objective %s needs num_class >= 2, got %d", m.Objective, m.NumClass)
		}
	default:
		return fmt.Errorf("unsupported objective %q: Ferry predicts with the objectives it trains (%s, %s, %s, %s, %s, %s, %s), whose output transforms it knows", m.Objective,
			BinaryLogistic, BinaryLogitRaw, RegSquaredError, RegLogistic, MultiSoftprob, MultiSoftmax, CountPoisson)
	}
	if m.NumFeature <= 0 || m.NumFeature > maxFeatures {
		return fmt.Errorf("model has %d features, want 1 to %d", m.NumFeature, maxFeatures)
	}
	if m.NumClass > maxClasses {
		return fmt.Errorf("model has %d classes, want at most %d", m.NumClass, maxClasses)
	}
	if len(m.FeatureNames) != 0 && len(m.FeatureNames) != m.NumFeature {
		return fmt.Errorf("model has %d feature names for %d features", len(m.FeatureNames), m.NumFeature)
	}
	if len(m.TreeInfo) != len(m.Trees) {
		return fmt.Errorf("tree_info has %d entries for %d trees", len(m.TreeInfo), len(m.Trees))
	}
	if m.NumParallelTree == 0 {
		m.NumParallelTree = 1
	}
	if m.NumParallelTree < 0 || m.NumParallelTree > maxParallelTree {
		return fmt.Errorf("num_parallel_tree %d is outside [1, %d]", m.NumParallelTree, maxParallelTree)
	}
	if m.TreeWeights != nil && len(m.TreeWeights) != len(m.Trees) {
		return fmt.Errorf("dart weight_drop has %d weights for %d trees", len(m.TreeWeights), len(m.Trees))
	}
	used, err := m.treesUsed()
	if err != nil {
		return err
	}
	m.used = used
	margin, err := baseMargin(m.Objective, m.BaseScore)
	if err != nil {
		return err
	}
	k := m.NumOutputGroups()
	m.baseMargins = make([]float64, k)
	for g := range k {
		m.baseMargins[g] = margin
	}
	if m.BaseScores != nil {
		if len(m.BaseScores) != k {
			return fmt.Errorf("model has %d base scores for %d output groups", len(m.BaseScores), k)
		}
		for g, s := range m.BaseScores {
			if m.baseMargins[g], err = baseMargin(m.Objective, s); err != nil {
				return err
			}
		}
	}
	m.baseMargin = m.baseMargins[0]
	m.classTrees = make([][]tree.Tree, k)
	m.maxDepth = 0
	for i := range m.Trees {
		t := &m.Trees[i]
		if err := t.Validate(m.NumFeature); err != nil {
			return fmt.Errorf("tree %d: %w", i, err)
		}
		g := m.TreeInfo[i]
		if g < 0 || int(g) >= k {
			return fmt.Errorf("tree %d: tree_info %d out of range [0,%d)", i, g, k)
		}
		if m.TreeWeights != nil {
			if w := m.TreeWeights[i]; math.IsNaN(w) || math.IsInf(w, 0) {
				return fmt.Errorf("tree %d: dart weight %v is not finite", i, w)
			}
		}
	}
	trees := m.Trees[:used]
	if m.TreeWeights != nil {
		trees = weightedTrees(trees, m.TreeWeights)
	}
	for i := range trees {
		t := &trees[i]
		m.classTrees[m.TreeInfo[i]] = append(m.classTrees[m.TreeInfo[i]], *t)
		m.maxDepth = max(m.maxDepth, t.MaxDepth())
	}
	m.lay = &layouts{trees: trees, classTrees: m.classTrees}
	return nil
}

// layouts are a model's prediction and explanation layouts, built at
// their first use: a tuning trial's model is written, not used, so it
// never builds them.
type layouts struct {
	once       sync.Once
	trees      []tree.Tree   // the trees used
	classTrees [][]tree.Tree // the trees used, per output group
	flat       *tree.Flat
	classShap  []*tree.ShapTrees
}

// layouts returns m's layouts, built (once) if need be.
func (m *Model) layouts() *layouts {
	l := m.lay
	l.once.Do(func() {
		l.flat = tree.NewFlat(l.trees)
		l.classShap = make([]*tree.ShapTrees, len(l.classTrees))
		for g, ts := range l.classTrees {
			l.classShap[g] = tree.NewShapTrees(ts)
		}
	})
	return l
}

// maxParallelTree bounds num_parallel_tree.
const maxParallelTree = 1 << 16

// treesUsed returns how many trees predictions use: those of rounds 0 to
// best_iteration unless AllTrees is set or no best_iteration is recorded.
func (m *Model) treesUsed() (int, error) {
	v, ok := m.Attributes["best_iteration"]
	if m.AllTrees || !ok {
		return len(m.Trees), nil
	}
	best, err := strconv.Atoi(v)
	if err != nil || best < 0 {
		return 0, fmt.Errorf("attribute best_iteration %q is not a round number", v)
	}
	perRound := m.NumOutputGroups() * m.NumParallelTree
	if best >= len(m.Trees)/perRound {
		return len(m.Trees), nil
	}
	return (best + 1) * perRound, nil
}

// SetAllTrees sets [Model.AllTrees] and rebuilds the prediction layouts.
func (m *Model) SetAllTrees(all bool) error {
	m.AllTrees = all
	return m.Init()
}

// NumTreesUsed returns the number of trees prediction and explanation use
// (see [Model.AllTrees]).
func (m *Model) NumTreesUsed() int { return m.used }

// weightedTrees returns copies of trees whose values are scaled by the
// dart weights, rounded to float32 as XGBoost multiplies.
func weightedTrees(trees []tree.Tree, w []float64) []tree.Tree {
	out := make([]tree.Tree, len(trees))
	for i, t := range trees {
		vals := make([]float64, len(t.Value))
		for j, v := range t.Value {
			vals[j] = float64(float32(v) * float32(w[i]))
		}
		t.Value = vals
		out[i] = t
	}
	return out
}

// baseMargin turns base_score into the margin-space offset, as XGBoost's
// ProbToMargin does.
func baseMargin(objective string, score float64) (float64, error) {
	switch objective {
	case BinaryLogistic, RegLogistic:
		if !(score > 0 && score < 1) {
			return 0, fmt.Errorf("base_score %v must be in (0,1) for %s", score, objective)
		}
		return float64(float32(-math.Log(1/score - 1))), nil
	case CountPoisson:
		if !(score > 0) {
			return 0, fmt.Errorf("base_score %v must be > 0 for %s", score, objective)
		}
		return float64(float32(math.Log(score))), nil
	}
	if math.IsNaN(score) || math.IsInf(score, 0) {
		return 0, fmt.Errorf("base_score %v is not finite", score)
	}
	return score, nil
}

// NumOutputGroups is the number of margins per row: NumClass for
// multi-class objectives, else 1.
func (m *Model) NumOutputGroups() int {
	if m.NumClass > 1 {
		return m.NumClass
	}
	return 1
}

// NumFeatures returns the number of input columns.
func (m *Model) NumFeatures() int { return m.NumFeature }

// NumOutputs returns the number of prediction values per row: the number
// of classes for multi:softprob, else 1 (multi:softmax predicts the class
// index, as XGBoost does).
func (m *Model) NumOutputs() int {
	if m.Objective == MultiSoftmax {
		return 1
	}
	return m.NumOutputGroups()
}

// BaseMargin returns the margin every row starts from (of class 0 when
// classes have their own, see [Model.BaseScores]).
func (m *Model) BaseMargin() float64 { return m.baseMargin }

// MarginRow writes the margins of one row into dst (NumOutputGroups
// values). It does not allocate.
func (m *Model) MarginRow(dst, x []float64) {
	k := m.NumOutputGroups()
	if k == 1 {
		dst[0] = m.baseMargin + m.layouts().flat.Sum(x, 0, m.used)
		return
	}
	copy(dst[:k], m.baseMargins)
	flat := m.layouts().flat
	for ti, g := range m.TreeInfo[:m.used] {
		dst[g] += flat.Value(ti, x)
	}
}

// PredictRow writes the predictions of one row into dst (NumOutputs
// values). It does not allocate (except for multi:softmax with more than
// 16 classes).
func (m *Model) PredictRow(dst, x []float64) {
	switch {
	case m.Objective == MultiSoftmax:
		// Margins on the stack for up to 16 classes; more classes
		// allocate.
		var buf [16]float64
		var margins []float64
		if m.NumClass <= len(buf) {
			margins = buf[:m.NumClass]
		} else {
			margins = make([]float64, m.NumClass)
		}
		m.MarginRow(margins, x)
		dst[0] = float64(argmax(margins))
	case m.NumOutputGroups() == 1:
		m.MarginRow(dst[:1], x)
		m.transform(dst[:1])
	default:
		m.MarginRow(dst[:m.NumClass], x)
		m.transform(dst[:m.NumClass])
	}
}

// transform turns one row's margins into predictions in place.
func (m *Model) transform(v []float64) {
	switch m.Objective {
	case BinaryLogistic, RegLogistic:
		v[0] = sigmoid(v[0])
	case CountPoisson:
		v[0] = math.Exp(v[0])
	case MultiSoftprob:
		softmax(v)
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func softmax(v []float64) {
	mx := v[0]
	for _, x := range v[1:] {
		mx = max(mx, x)
	}
	s := 0.0
	for i, x := range v {
		v[i] = math.Exp(x - mx)
		s += v[i]
	}
	for i := range v {
		v[i] /= s
	}
}

func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// parallelRows splits n rows into contiguous chunks run on all cores.
func parallelRows(n, minChunk int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 2*minChunk || workers == 1 {
		fn(0, n)
		return
	}
	chunk := max(minChunk, (n+workers*4-1)/(workers*4))
	var wg sync.WaitGroup
	next := make(chan int, (n+chunk-1)/chunk)
	for lo := 0; lo < n; lo += chunk {
		next <- lo
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				fn(lo, min(lo+chunk, n))
			}
		}()
	}
	wg.Wait()
}

// blockBufs holds float32 block scratch for [tree.Flat.AddBlock], so
// serving-size batches do not allocate.
var blockBufs sync.Pool

// marginBlock fills dst (rows×k) with the base margin plus the trees.
func (m *Model) marginBlock(dst, x []float64, k int, group []int32) {
	for i := range dst {
		dst[i] = m.baseMargins[i%k]
	}
	need := tree.FastBlockBuf(m.NumFeature)
	bp, _ := blockBufs.Get().(*[]float32)
	if bp == nil || cap(*bp) < need {
		b := make([]float32, need)
		bp = &b
	}
	m.layouts().flat.AddBlock(dst, k, group, x, m.NumFeature, (*bp)[:need])
	blockBufs.Put(bp)
}

// PredictMargin writes the margins of each row of x (row-major,
// n×NumFeature, NaN = missing) into dst (n×NumOutputGroups), using all
// cores for large batches. Batches of fewer than 512 rows run on the
// caller's goroutine and do not allocate.
func (m *Model) PredictMargin(dst, x []float64) {
	nf := m.NumFeature
	n := len(x) / nf
	k := m.NumOutputGroups()
	var group []int32
	if k > 1 {
		group = m.TreeInfo[:m.used]
	}
	if n < 2*parallelMinRows {
		m.marginBlock(dst[:n*k], x[:n*nf], k, group)
		return
	}
	parallelRows(n, parallelMinRows, func(lo, hi int) {
		m.marginBlock(dst[lo*k:hi*k], x[lo*nf:hi*nf], k, group)
	})
}

// parallelMinRows is the smallest chunk of rows worth a goroutine.
const parallelMinRows = 256

// Predict writes the predictions of each row of x into dst
// (n×NumOutputs): probabilities for logistic and softprob objectives,
// class indices for multi:softmax, values for regression. It implements
// model.Predictor.
func (m *Model) Predict(dst, x []float64) {
	nf := m.NumFeature
	n := len(x) / nf
	if n == 1 {
		m.PredictRow(dst, x)
		return
	}
	k := m.NumOutputGroups()
	margins := dst
	if m.Objective == MultiSoftmax {
		margins = make([]float64, n*k)
	}
	m.PredictMargin(margins, x)
	for r := range n {
		row := margins[r*k : (r+1)*k]
		if m.Objective == MultiSoftmax {
			dst[r] = float64(argmax(row))
			continue
		}
		m.transform(row)
	}
}

// Contribs writes path-dependent TreeSHAP values, as XGBoost's
// pred_contribs computes them (covers = sum_hessian), for each row of x
// into dst: n×NumOutputGroups×(NumFeature+1), each block's last value the
// bias (base margin plus the trees' expected values). Each block sums to
// the row's margin. It implements model.Explainer.
func (m *Model) Contribs(dst, x []float64) {
	nf := m.NumFeature
	n := len(x) / nf
	k := m.NumOutputGroups()
	w := nf + 1
	shap := m.layouts().classShap
	parallelRows(n, 16, func(lo, hi int) {
		s := tree.NewShapScratch(m.maxDepth)
		for r := lo; r < hi; r++ {
			for g := range k {
				d := dst[(r*k+g)*w : (r*k+g+1)*w]
				clear(d)
				d[nf] = m.baseMargins[g]
			}
		}
		// Blocks of rows through each tree: its leaf table stays in cache.
		for g := range k {
			s.PathDependentRows(shap[g], x[lo*nf:hi*nf], nf, dst[(lo*k+g)*w:], k*w, 1)
		}
	})
}
