package linear

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ferryml/ferry/table"
)

// Predictor types.
const (
	Regressor        = "regressor"
	BinaryClassifier = "binary_classifier"
)

// Params are the learner's hyperparameters, named after SageMaker's
// linear_learner where it has the concept. Zero values mean defaults.
type Params struct {
	// PredictorType is "regressor" (default) or "binary_classifier".
	PredictorType string `json:"predictor_type,omitempty"`
	// L2 is the L2 penalty (default 0). WD is linear_learner's name for
	// it; set one of them.
	L2 float64 `json:"l2,omitempty"`
	WD float64 `json:"wd,omitempty"`
	// L1 is the L1 penalty (default 0).
	L1 float64 `json:"l1,omitempty"`
	// MaxIter bounds the passes over the coordinates (default 1000).
	// Epochs is linear_learner's name for it; set one of them.
	MaxIter int `json:"max_iter,omitempty"`
	Epochs  int `json:"epochs,omitempty"`
	// Tol stops the solver when no coefficient moves more than Tol in a
	// pass (default 1e-7).
	Tol float64 `json:"tol,omitempty"`
	// Standardize scales features to unit variance (default true; nil
	// means true).
	Standardize *bool `json:"standardize,omitempty"`
	// Seed orders the coordinates: each pass visits them in a random
	// order drawn from Seed. The same seed gives the same model.
	Seed uint64 `json:"seed,omitempty"`
}

// WithDefaults returns p with unset fields given their defaults and the
// linear_learner aliases (wd, epochs) folded into l2 and max_iter.
func (p Params) WithDefaults() Params {
	if p.PredictorType == "" {
		p.PredictorType = Regressor
	}
	if p.L2 == 0 {
		p.L2 = p.WD
	}
	if p.MaxIter == 0 {
		p.MaxIter = p.Epochs
	}
	if p.MaxIter == 0 {
		p.MaxIter = 1000
	}
	if p.Tol == 0 {
		p.Tol = 1e-7
	}
	if p.Standardize == nil {
		t := true
		p.Standardize = &t
	}
	return p
}

// Validate reports a hyperparameter out of range, naming it and the range.
func (p Params) Validate() error {
	switch {
	case p.PredictorType != Regressor && p.PredictorType != BinaryClassifier:
		return fmt.Errorf("predictor_type %q: want %q or %q", p.PredictorType, Regressor, BinaryClassifier)
	case p.WD != 0 && p.L2 != p.WD:
		return fmt.Errorf("l2 %v and wd %v: set one of them", p.L2, p.WD)
	case p.Epochs != 0 && p.MaxIter != p.Epochs:
		return fmt.Errorf("max_iter %d and epochs %d: set one of them", p.MaxIter, p.Epochs)
	case !(p.L2 >= 0) || math.IsInf(p.L2, 0):
		return fmt.Errorf("l2 %v: want a finite number >= 0", p.L2)
	case !(p.L1 >= 0) || math.IsInf(p.L1, 0):
		return fmt.Errorf("l1 %v: want a finite number >= 0", p.L1)
	case p.MaxIter < 1 || p.MaxIter > 10_000_000:
		return fmt.Errorf("max_iter %d: want 1..10000000", p.MaxIter)
	case !(p.Tol > 0) || p.Tol >= 1:
		return fmt.Errorf("tol %v: want a number in (0, 1)", p.Tol)
	}
	return nil
}

// Model is a trained linear model: margin = Intercept + Σ Coef_j ·
// (x_j − Mean_j) / Scale_j, with NaN x_j read as Mean_j.
type Model struct {
	// PredictorType is Regressor or BinaryClassifier.
	PredictorType string
	// Mean and Scale standardise each feature (Scale is 1 for every
	// feature without standardize, and for constant features).
	Mean, Scale []float64
	// Coef are the coefficients on the standardised features.
	Coef []float64
	// Intercept is the margin at the mean row.
	Intercept float64
	// Params are the hyperparameters used.
	Params Params
	// Iterations is the number of passes the solver made.
	Iterations int
}

// Option configures [Train] beyond the hyperparameters.
type Option func(*options)

type options struct {
	progress func(pass int)
}

// WithProgress calls f at the start of every pass over the coordinates
// with the pass number (1 to MaxIter), on Train's goroutine.
func WithProgress(f func(pass int)) Option {
	return func(o *options) { o.progress = f }
}

// Train fits a model to data: features data.X (NaN for missing) and
// labels data.Y (0 or 1 for binary_classifier), as scikit-learn's Ridge,
// Lasso, ElasticNet or LogisticRegression fit(X, y) does (see the package
// comment for the mapping). Sample weights are not supported:
// data.Weight must be nil. It checks ctx between passes.
func Train(ctx context.Context, data *table.Dataset, p Params, opts ...Option) (*Model, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if data == nil {
		return nil, errors.New("training data is nil")
	}
	if data.Weight != nil {
		return nil, errors.New("training data has sample weights: the linear learner does not support them")
	}
	x, y, n, m := data.X, data.Y, data.Rows(), data.NumFeature
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("linear learner parameters: %w", err)
	}
	if err := checkData(x, y, n, m, p.PredictorType); err != nil {
		return nil, err
	}
	md := &Model{PredictorType: p.PredictorType, Mean: make([]float64, m), Scale: make([]float64, m), Coef: make([]float64, m), Params: p}
	z := standardize(x, n, m, *p.Standardize, md.Mean, md.Scale)
	s := &solver{z: z, y: y, n: n, m: m, p: p, w: md.Coef, rng: rand.New(rand.NewPCG(p.Seed, 0x6c696e)), progress: o.progress}
	var err error
	if p.PredictorType == Regressor {
		md.Intercept, md.Iterations, err = s.regress(ctx)
	} else {
		md.Intercept, md.Iterations, err = s.logistic(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("training linear learner: %w", err)
	}
	return md, nil
}

func checkData(x, y []float64, n, m int, ptype string) error {
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
		if ptype == BinaryClassifier && v != 0 && v != 1 {
			return fmt.Errorf("label of row %d is %v: binary_classifier wants 0 or 1", i, v)
		}
	}
	for i, v := range x {
		if math.IsInf(v, 0) {
			return fmt.Errorf("feature %d of row %d is %v: want a finite number, or NaN for missing", i%m, i/m, v)
		}
	}
	return nil
}

// standardize fills mean and scale and returns the imputed, centred (and
// with std, scaled) features in column-major order.
func standardize(x []float64, n, m int, std bool, mean, scale []float64) []float64 {
	z := make([]float64, n*m)
	for j := range m {
		s, c := 0.0, 0
		for i := range n {
			if v := x[i*m+j]; !math.IsNaN(v) {
				s += v
				c++
			}
		}
		if c > 0 {
			mean[j] = s / float64(c)
		}
		col := z[j*n : (j+1)*n]
		ss := 0.0
		for i := range n {
			v := x[i*m+j]
			if math.IsNaN(v) {
				v = mean[j]
			}
			col[i] = v - mean[j]
			ss += col[i] * col[i]
		}
		scale[j] = 1
		if sd := math.Sqrt(ss / float64(n)); std && sd > 1e-12*max(1, math.Abs(mean[j])) {
			scale[j] = sd
			for i := range col {
				col[i] /= sd
			}
		}
	}
	return z
}

// NumFeatures returns the number of input columns.
func (md *Model) NumFeatures() int { return len(md.Coef) }

// NumOutputs returns 1.
func (md *Model) NumOutputs() int { return 1 }

// Margin writes b + w·z for each row of x (n×NumFeatures) into dst.
func (md *Model) Margin(dst, x []float64) {
	m := len(md.Coef)
	n := len(x) / m
	if n*m != len(x) || len(dst) < n {
		panic(fmt.Sprintf("linear: Margin with %d values for %d features and dst of %d", len(x), m, len(dst)))
	}
	for i := range n {
		s := md.Intercept
		for j, v := range x[i*m : (i+1)*m] {
			if math.IsNaN(v) {
				continue
			}
			s += md.Coef[j] * (v - md.Mean[j]) / md.Scale[j]
		}
		dst[i] = s
	}
}

// Predict writes, for each row of x, the prediction (regressor) or the
// probability of class 1 (binary_classifier) into dst.
func (md *Model) Predict(dst, x []float64) {
	md.Margin(dst, x)
	if md.PredictorType == BinaryClassifier {
		n := len(x) / len(md.Coef)
		for i := range n {
			dst[i] = sigmoid(dst[i])
		}
	}
}

// Weights returns the coefficients and intercept on the original
// (unstandardised) features: margin = bias + Σ w_j x_j for a row without
// missing values.
func (md *Model) Weights() (w []float64, bias float64) {
	w = make([]float64, len(md.Coef))
	bias = md.Intercept
	for j, c := range md.Coef {
		w[j] = c / md.Scale[j]
		bias -= w[j] * md.Mean[j]
	}
	return w, bias
}

func sigmoid(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

// Contribs writes linear SHAP values for each row of x into dst
// (n×(NumFeatures+1)): φ_j = Coef_j·(x_j − Mean_j)/Scale_j (0 for a missing
// value) and, last, the bias Intercept, the margin of the mean row. Each
// block sums to the row's margin (the logit for binary_classifier). These
// are the exact Shapley values of the margin with the training means as
// the baseline.
func (md *Model) Contribs(dst, x []float64) {
	m := len(md.Coef)
	n := len(x) / m
	if n*m != len(x) || len(dst) < n*(m+1) {
		panic(fmt.Sprintf("linear: Contribs with %d values for %d features and dst of %d", len(x), m, len(dst)))
	}
	for i := range n {
		out := dst[i*(m+1) : (i+1)*(m+1)]
		for j, v := range x[i*m : (i+1)*m] {
			out[j] = 0
			if !math.IsNaN(v) {
				out[j] = md.Coef[j] * (v - md.Mean[j]) / md.Scale[j]
			}
		}
		out[m] = md.Intercept
	}
}
