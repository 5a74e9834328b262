package gbdt

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ferryml/ferry/table"
)

// Quantized is a training dataset's features binned once, as [Train]
// bins them (XGBoost's hist quantiles for max_bin): tuning trains many
// models on the same rows, and with [WithQuantized] each trial skips the
// sketch and the binning. A Quantized is read-only and can be shared by
// concurrent Train calls.
type Quantized struct {
	x, w   []float64
	rows   int
	maxBin int
	types  []string
	b      *binned
}

// Quantize bins data's features for training with p: its max_bin, its
// nthread (the goroutines that bin) and data's feature types
// (categorical features) and weights (the quantile sketch is weighted).
// The bins depend on nothing else in p, so one Quantized serves every
// Params with the same max_bin. data must not change while the Quantized
// is in use.
func Quantize(data *table.Dataset, p Params) (*Quantized, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("checking parameters: %w", err)
	}
	if err := data.Validate("training"); err != nil {
		return nil, err
	}
	categorical := categoricalFeatures(data.FeatureTypes)
	if err := checkCategorical(data, categorical, "training", true); err != nil {
		return nil, err
	}
	n := data.Rows()
	b := quantise(data.X, data.Weight, n, data.NumFeature, p.MaxBin, p.threads(), categorical)
	return &Quantized{x: data.X, w: data.Weight, rows: n, maxBin: p.MaxBin, types: slices.Clone(data.FeatureTypes), b: b}, nil
}

// MaxBin is the max_bin the features were binned for.
func (q *Quantized) MaxBin() int { return q.maxBin }

// WithQuantized has [Train] use q's bins instead of binning the training
// dataset itself. q must come from [Quantize] on the same rows (the same
// X and Weight slices, unchanged) with the same feature types and
// max_bin as the training; Train returns an error otherwise. The model
// is the one Train makes without the option, bit for bit. The eval sets'
// rows are coded against q's cuts once per eval feature matrix and the
// codes kept with q: an eval set's X must not change while q is in use.
func WithQuantized(q *Quantized) Option {
	return func(o *options) { o.quantized = q }
}

// bins returns the training bins: q's when given (after checking that
// they are train's), else train binned now.
func (q *Quantized) bins(train *table.Dataset, maxBin, threads int, categorical []bool) (*binned, error) {
	if q == nil {
		return quantise(train.X, train.Weight, train.Rows(), train.NumFeature, maxBin, threads, categorical), nil
	}
	if !sameSlice(q.x, train.X) || !sameSlice(q.w, train.Weight) || q.b.cols != train.NumFeature {
		return nil, errors.New("quantized data: it was made from other rows than the training dataset's")
	}
	if q.maxBin != maxBin {
		return nil, fmt.Errorf("quantized data: it was binned for max_bin %d, the training asks for %d", q.maxBin, maxBin)
	}
	if !slices.Equal(categoricalFeatures(q.types), categorical) {
		return nil, errors.New("quantized data: its categorical features differ from the training dataset's")
	}
	return q.b, nil
}

// sameSlice reports whether a and b are the same slice (nil counts as
// nil only).
func sameSlice(a, b []float64) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	return len(a) == 0 || &a[0] == &b[0]
}
