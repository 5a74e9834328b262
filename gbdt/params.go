package gbdt

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/quote"
)

// Growth policies.
const (
	Depthwise = "depthwise"
	Lossguide = "lossguide"
)

// Params are XGBoost's training parameters, with its names (see [Spec])
// and meanings; each field's comment gives XGBoost's name. Start from
// [DefaultParams] (XGBoost 1.7's defaults), then set fields or call
// [Params.Set] with XGBoost's names.
type Params struct {
	// Objective is the learning task (objective), one of the objective
	// constants such as [BinaryLogistic].
	Objective string
	// NumClass is the number of classes of multi:* objectives
	// (num_class); every label must be below it.
	NumClass int
	// NumRound is the number of boosting rounds (num_round).
	NumRound int
	// Eta is the step shrinkage (eta, learning_rate).
	Eta float64
	// Gamma is the least loss reduction a split needs (gamma,
	// min_split_loss).
	Gamma float64
	// MaxDepth is the deepest a tree grows (max_depth; 0 means
	// unlimited, with grow_policy lossguide only).
	MaxDepth int
	// MinChildWeight is the least hessian sum in a child
	// (min_child_weight).
	MinChildWeight float64
	// Lambda and Alpha are the L2 and L1 regularisation of leaf weights
	// (lambda/reg_lambda, alpha/reg_alpha).
	Lambda float64
	Alpha  float64
	// MaxDeltaStep clips leaf weights (0: none). For count:poisson it is
	// also the hessian's exponent offset, and, as in XGBoost, it defaults
	// to 0.7 there when not set (with [Params.Set], or to a non-zero
	// value); setting it to 0 with Set means 0.
	MaxDeltaStep    float64
	maxDeltaStepSet bool
	// Subsample is the fraction of rows sampled each round (subsample).
	Subsample float64
	// ColsampleByTree, ColsampleByLevel and ColsampleByNode are the
	// fractions of features sampled per tree, per depth and per node
	// (colsample_bytree, colsample_bylevel, colsample_bynode).
	ColsampleByTree  float64
	ColsampleByLevel float64
	ColsampleByNode  float64
	// MaxBin is the most histogram bins per feature (max_bin).
	MaxBin int
	// ScalePosWeight multiplies the weight of positive rows
	// (scale_pos_weight).
	ScalePosWeight float64
	// BaseScore is the initial prediction (a probability for logistic
	// objectives); XGBoost 1.7's default 0.5.
	BaseScore float64
	// Seed seeds row and feature sampling (seed, random_state).
	Seed uint64
	// GrowPolicy is the order trees grow in (grow_policy): [Depthwise]
	// or [Lossguide].
	GrowPolicy string
	// MaxLeaves is the most leaves a tree has (max_leaves; 0 means
	// unlimited).
	MaxLeaves int
	// MaxCatToOnehot and MaxCatThreshold steer categorical splits
	// (categorical.go): a categorical feature with fewer categories than
	// MaxCatToOnehot gets one-hot splits, else partitions considering at
	// most MaxCatThreshold categories. 0 means XGBoost's defaults, 4 and
	// 64.
	MaxCatToOnehot  int
	MaxCatThreshold int
	// NThread is the number of goroutines; 0 means all cores.
	NThread int
	// EvalMetric lists the metrics computed on each eval set every round;
	// empty means the objective's default (logloss, rmse, mlogloss,
	// poisson-nloglik).
	EvalMetric []string
	// EarlyStoppingRounds > 0 stops when the last metric on the last eval
	// set has not improved for that many rounds; the model then keeps the
	// trees up to the best iteration.
	EarlyStoppingRounds int
}

// DefaultParams returns XGBoost 1.7's defaults, with tree_method hist.
func DefaultParams() Params {
	return Params{
		Objective: RegSquaredError, NumRound: 10, Eta: 0.3, MaxDepth: 6, MinChildWeight: 1,
		Lambda: 1, Subsample: 1, ColsampleByTree: 1, ColsampleByLevel: 1, ColsampleByNode: 1,
		MaxBin: 256, ScalePosWeight: 1, BaseScore: 0.5, GrowPolicy: Depthwise,
	}
}

// ParamKind is the value type of a parameter.
type ParamKind int

// Parameter value types.
const (
	KindFloat ParamKind = iota
	KindInt
	KindString
)

// ParamSpec describes one parameter: its XGBoost name, aliases, type and
// allowed range (inclusive unless MinOpen), or allowed values.
type ParamSpec struct {
	Name    string   // XGBoost's name, as Set takes it
	Aliases []string // other names Set takes (learning_rate, ...)
	Kind    ParamKind
	Min     float64 // least value (KindFloat, KindInt)
	Max     float64 // greatest value (KindFloat, KindInt)
	MinOpen bool    // Min itself is not allowed
	Enum    []string
	Doc     string // a short description
}

// Range describes the allowed values, for error messages.
func (s ParamSpec) Range() string {
	if s.Kind == KindString {
		return "one of " + strings.Join(s.Enum, ", ")
	}
	lo := "["
	if s.MinOpen {
		lo = "("
	}
	hi := "]"
	mx := strconv.FormatFloat(s.Max, 'g', -1, 64)
	if math.IsInf(s.Max, 1) {
		mx, hi = "inf", ")"
	}
	return lo + strconv.FormatFloat(s.Min, 'g', -1, 64) + ", " + mx + hi
}

var inf = math.Inf(1)

// MaxNumClass caps num_class at training: each round grows num_class trees
// and keeps num_class margins and gradients per row, so a larger value
// mostly means a typo, and costs rows × num_class × 24 bytes. (Reading a
// model accepts more.)
const MaxNumClass = 1024

// Spec lists the parameters [Params.Set] accepts.
func Spec() []ParamSpec {
	return []ParamSpec{
		{Name: "objective", Kind: KindString, Enum: []string{BinaryLogistic, BinaryLogitRaw, RegSquaredError, RegLogistic, MultiSoftprob, MultiSoftmax, CountPoisson}, Doc: "learning task"},
		{Name: "num_class", Kind: KindInt, Min: 0, Max: MaxNumClass, Doc: "number of classes (multi:*; every label must be below it)"},
		{Name: "num_round", Aliases: []string{"num_boost_round", "n_estimators"}, Kind: KindInt, Min: 1, Max: 1 << 20, Doc: "boosting rounds"},
		{Name: "eta", Aliases: []string{"learning_rate"}, Kind: KindFloat, Min: 0, Max: 1, Doc: "step shrinkage"},
		{Name: "gamma", Aliases: []string{"min_split_loss"}, Kind: KindFloat, Min: 0, Max: inf, Doc: "minimum loss reduction to split"},
		{Name: "max_depth", Kind: KindInt, Min: 0, Max: 63, Doc: "maximum depth (0: unlimited, lossguide only)"},
		{Name: "min_child_weight", Kind: KindFloat, Min: 0, Max: inf, Doc: "minimum hessian sum in a child"},
		{Name: "lambda", Aliases: []string{"reg_lambda"}, Kind: KindFloat, Min: 0, Max: inf, Doc: "L2 regularisation"},
		{Name: "alpha", Aliases: []string{"reg_alpha"}, Kind: KindFloat, Min: 0, Max: inf, Doc: "L1 regularisation"},
		{Name: "max_delta_step", Kind: KindFloat, Min: 0, Max: inf, Doc: "leaf weight clip (0: none)"},
		{Name: "subsample", Kind: KindFloat, Min: 0, Max: 1, MinOpen: true, Doc: "row sampling ratio per round"},
		{Name: "colsample_bytree", Kind: KindFloat, Min: 0, Max: 1, MinOpen: true, Doc: "feature sampling per tree"},
		{Name: "colsample_bylevel", Kind: KindFloat, Min: 0, Max: 1, MinOpen: true, Doc: "feature sampling per depth"},
		{Name: "colsample_bynode", Kind: KindFloat, Min: 0, Max: 1, MinOpen: true, Doc: "feature sampling per node"},
		{Name: "max_bin", Kind: KindInt, Min: 2, Max: 256, Doc: "histogram bins per feature (Ferry uses at most 255)"},
		{Name: "scale_pos_weight", Kind: KindFloat, Min: 0, Max: inf, MinOpen: true, Doc: "weight of positive rows"},
		{Name: "base_score", Kind: KindFloat, Min: -inf, Max: inf, Doc: "initial prediction"},
		{Name: "seed", Aliases: []string{"random_state"}, Kind: KindInt, Min: 0, Max: 1 << 53, Doc: "random seed"},
		{Name: "grow_policy", Kind: KindString, Enum: []string{Depthwise, Lossguide}, Doc: "tree growth order"},
		{Name: "max_leaves", Kind: KindInt, Min: 0, Max: 1 << 20, Doc: "maximum leaves (0: unlimited)"},
		{Name: "max_cat_to_onehot", Kind: KindInt, Min: 1, Max: 1 << 20, Doc: "categorical features with fewer categories get one-hot splits (default 4)"},
		{Name: "max_cat_threshold", Kind: KindInt, Min: 1, Max: 1 << 20, Doc: "most categories a partition split considers (default 64)"},
		{Name: "nthread", Kind: KindInt, Min: 0, Max: 1024, Doc: "threads (0: all cores)"},
		{Name: "eval_metric", Kind: KindString, Enum: []string{"auc", "logloss", "error", "rmse", "mae", "mlogloss", "merror", "poisson-nloglik"}, Doc: "evaluation metric (comma-separated list allowed)"},
		{Name: "early_stopping_rounds", Kind: KindInt, Min: 0, Max: 1 << 20, Doc: "stop after this many rounds without improvement (0: off)"},
		{Name: "tree_method", Kind: KindString, Enum: []string{"hist", "auto", "approx", "exact"}, Doc: "accepted for compatibility; always hist"},
		{Name: "verbosity", Kind: KindInt, Min: 0, Max: 3, Doc: "accepted for compatibility; ignored"},
	}
}

// LookupSpec returns the spec of a parameter by name or alias.
func LookupSpec(name string) (ParamSpec, bool) {
	for _, s := range Spec() {
		if s.Name == name {
			return s, true
		}
		for _, a := range s.Aliases {
			if a == name {
				return s, true
			}
		}
	}
	return ParamSpec{}, false
}

// ParamError is an unknown parameter or a value out of its range.
type ParamError struct {
	Name string // the parameter's name as given
	Msg  string // what is wrong with it
}

// Error returns "parameter NAME: MSG".
func (e *ParamError) Error() string { return "parameter " + e.Name + ": " + e.Msg }

// Set sets one parameter by XGBoost name from a string, number or bool
// (SageMaker passes hyperparameters as strings: "5" is 5). It returns a
// *ParamError for an unknown name or a value outside the allowed range.
func (p *Params) Set(name string, value any) error {
	spec, ok := LookupSpec(name)
	if !ok {
		return &ParamError{Name: name, Msg: "unknown parameter"}
	}
	var str string
	var num float64
	switch v := value.(type) {
	case string:
		str = strings.TrimSpace(v)
	case float64:
		num, str = v, strconv.FormatFloat(v, 'g', -1, 64)
	case int:
		num, str = float64(v), strconv.Itoa(v)
	case int64:
		num, str = float64(v), strconv.FormatInt(v, 10)
	default:
		return &ParamError{Name: name, Msg: fmt.Sprintf("value %v (%T) is not a string or number", value, value)}
	}
	if spec.Kind == KindString {
		if spec.Name == "eval_metric" {
			var metrics []string
			for _, m := range strings.Split(str, ",") {
				m = strings.TrimSpace(m)
				if !slicesContains(spec.Enum, m) {
					return &ParamError{Name: name, Msg: fmt.Sprintf("%s is not allowed: %s", quote.Value(m), spec.Range())}
				}
				metrics = append(metrics, m)
			}
			p.EvalMetric = metrics
			return nil
		}
		if !slicesContains(spec.Enum, str) {
			return &ParamError{Name: name, Msg: fmt.Sprintf("%s is not allowed: %s", quote.Value(str), spec.Range())}
		}
	} else {
		if _, isStr := value.(string); isStr {
			f, err := strconv.ParseFloat(str, 64)
			if err != nil {
				return &ParamError{Name: name, Msg: fmt.Sprintf("%s is not a number", quote.Value(str))}
			}
			num = f
		}
		if math.IsNaN(num) || num < spec.Min || num > spec.Max || (spec.MinOpen && num == spec.Min) {
			return &ParamError{Name: name, Msg: fmt.Sprintf("%s is out of range %s", str, spec.Range())}
		}
		if spec.Kind == KindInt && num != math.Trunc(num) {
			return &ParamError{Name: name, Msg: fmt.Sprintf("%s is not an integer", quote.Value(str))}
		}
	}
	switch spec.Name {
	case "objective":
		p.Objective = str
	case "num_class":
		p.NumClass = int(num)
	case "num_round":
		p.NumRound = int(num)
	case "eta":
		p.Eta = num
	case "gamma":
		p.Gamma = num
	case "max_depth":
		p.MaxDepth = int(num)
	case "min_child_weight":
		p.MinChildWeight = num
	case "lambda":
		p.Lambda = num
	case "alpha":
		p.Alpha = num
	case "max_delta_step":
		p.MaxDeltaStep = num
		p.maxDeltaStepSet = true
	case "subsample":
		p.Subsample = num
	case "colsample_bytree":
		p.ColsampleByTree = num
	case "colsample_bylevel":
		p.ColsampleByLevel = num
	case "colsample_bynode":
		p.ColsampleByNode = num
	case "max_bin":
		p.MaxBin = int(num)
	case "scale_pos_weight":
		p.ScalePosWeight = num
	case "base_score":
		p.BaseScore = num
	case "seed":
		p.Seed = uint64(num)
	case "grow_policy":
		p.GrowPolicy = str
	case "max_leaves":
		p.MaxLeaves = int(num)
	case "max_cat_to_onehot":
		p.MaxCatToOnehot = int(num)
	case "max_cat_threshold":
		p.MaxCatThreshold = int(num)
	case "nthread":
		p.NThread = int(num)
	case "early_stopping_rounds":
		p.EarlyStoppingRounds = int(num)
	case "tree_method", "verbosity":
	}
	return nil
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// validate checks combinations the per-parameter ranges cannot.
func (p *Params) validate() error {
	switch p.Objective {
	case MultiSoftprob, MultiSoftmax:
		if p.NumClass < 2 || p.NumClass > MaxNumClass {
			return fmt.Errorf("objective %s needs num_class in [2, %d], got %d", p.Objective, MaxNumClass, p.NumClass)
		}
	case BinaryLogistic, BinaryLogitRaw, RegSquaredError, RegLogistic, CountPoisson:
		if p.NumClass > 1 {
			return fmt.Errorf("num_class %d needs a multi:* objective, got %s", p.NumClass, p.Objective)
		}
	default:
		return fmt.Errorf("unsupported objective %s", quote.Value(p.Objective))
	}
	if p.NumRound < 1 {
		return fmt.Errorf("num_round %d must be >= 1", p.NumRound)
	}
	if p.GrowPolicy != Depthwise && p.GrowPolicy != Lossguide {
		return fmt.Errorf("grow_policy %s must be depthwise or lossguide", quote.Value(p.GrowPolicy))
	}
	if p.GrowPolicy == Depthwise && p.MaxDepth < 1 {
		return fmt.Errorf("max_depth %d must be >= 1 with grow_policy depthwise", p.MaxDepth)
	}
	if p.GrowPolicy == Lossguide && p.MaxDepth == 0 && p.MaxLeaves == 0 {
		return fmt.Errorf("lossguide with max_depth 0 needs max_leaves > 0")
	}
	if p.MaxBin < 2 {
		return fmt.Errorf("max_bin %d must be >= 2", p.MaxBin)
	}
	for name, v := range map[string]float64{"subsample": p.Subsample, "colsample_bytree": p.ColsampleByTree, "colsample_bylevel": p.ColsampleByLevel, "colsample_bynode": p.ColsampleByNode} {
		if !(v > 0 && v <= 1) {
			return fmt.Errorf("%s %v must be in (0, 1]", name, v)
		}
	}
	if p.Eta < 0 || p.Lambda < 0 || p.Alpha < 0 || p.Gamma < 0 || p.MinChildWeight < 0 || p.MaxDeltaStep < 0 {
		return fmt.Errorf("eta, lambda, alpha, gamma, min_child_weight and max_delta_step must be >= 0")
	}
	if _, err := baseMargin(p.Objective, p.BaseScore); err != nil {
		return err
	}
	return nil
}

// maxDeltaStep returns the max_delta_step in effect: the user's, or for
// count:poisson when not set XGBoost's default 0.7 (its learner sets it
// for the objective and the tree updater alike).
func (p *Params) maxDeltaStep() float64 {
	if p.Objective == CountPoisson && p.MaxDeltaStep == 0 && !p.maxDeltaStepSet {
		return poissonMaxDeltaStep
	}
	return p.MaxDeltaStep
}

func (p *Params) threads() int {
	if p.NThread > 0 {
		return p.NThread
	}
	return runtime.GOMAXPROCS(0)
}

func (p *Params) maxCatToOnehot() int {
	if p.MaxCatToOnehot <= 0 {
		return 4
	}
	return p.MaxCatToOnehot
}

func (p *Params) maxCatThreshold() int {
	if p.MaxCatThreshold <= 0 {
		return 64
	}
	return p.MaxCatThreshold
}
