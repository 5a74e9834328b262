package gbdt

import (
	"fmt"
	"math"
)

// gradPair is one row's gradient and hessian, in float32 as XGBoost keeps
// them.
type gradPair struct{ g, h float32 }

// sigmoid32 is XGBoost 1.7's float32 logistic function.
func sigmoid32(m float32) float32 {
	return 1 / (float32(math.Exp(float64(min(-m, 88.7)))) + 1 + 1e-16)
}

// poissonMaxDeltaStep is XGBoost's default count:poisson max_delta_step,
// which it adds to the hessian's exponent (and clips leaves with).
const poissonMaxDeltaStep = 0.7

// checkLabels rejects labels the objective cannot fit.
func checkLabels(objective string, numClass int, y []float64) error {
	for i, v := range y {
		switch {
		case math.IsNaN(v):
			return fmt.Errorf("label of row %d is missing", i+1)
		case (objective == BinaryLogistic || objective == RegLogistic || objective == BinaryLogitRaw) && (v < 0 || v > 1):
			return fmt.Errorf("label %v of row %d is outside [0,1], as %s needs", v, i+1, objective)
		case (objective == MultiSoftprob || objective == MultiSoftmax) && (v < 0 || v >= float64(numClass) || v != math.Trunc(v)):
			return fmt.Errorf("label %v of row %d is not a class in [0,%d)", v, i+1, numClass)
		case objective == CountPoisson && v < 0:
			return fmt.Errorf("label %v of row %d is negative, as count:poisson forbids", v, i+1)
		}
	}
	return nil
}

// gradients fills gh (n×k, class-major per row) from the margins.
// maxDelta is the max_delta_step in effect, count:poisson's hessian
// exponent offset. The objective is chosen once, outside the row loops.
func gradients(objective string, k int, margin, y, w []float64, scalePos, maxDelta float64, gh []gradPair, lo, hi int) {
	// weight is row r's weight; XGBoost keeps labels as float32.
	weight := func(r int, label float32) float32 {
		wt := float32(1)
		if w != nil {
			wt = float32(w[r])
		}
		if label == 1 && scalePos != 1 && k == 1 {
			wt *= float32(scalePos)
		}
		return wt
	}
	switch objective {
	case BinaryLogistic, RegLogistic, BinaryLogitRaw:
		if w == nil && scalePos == 1 {
			logisticUnweighted(margin[lo:hi], y[lo:hi], gh[lo:hi])
			return
		}
		// weight's factor for label 1 (a product with 1 changes
		// nothing).
		sp := float32(1)
		if scalePos != 1 && k == 1 {
			sp = float32(scalePos)
		}
		var wr []float64
		if w != nil {
			wr = w[lo:hi]
		}
		logistic(margin[lo:hi], y[lo:hi], wr, sp, gh[lo:hi])
	case RegSquaredError:
		for r := lo; r < hi; r++ {
			label := float64(float32(y[r]))
			wt := weight(r, float32(label))
			gh[r] = gradPair{float32(margin[r]-label) * wt, wt}
		}
	case CountPoisson:
		for r := lo; r < hi; r++ {
			label := float32(y[r])
			wt := weight(r, label)
			m := float32(margin[r])
			gh[r] = gradPair{(float32(math.Exp(float64(m))) - label) * wt, float32(math.Exp(float64(m)+maxDelta)) * wt}
		}
	case MultiSoftprob, MultiSoftmax:
		for r := lo; r < hi; r++ {
			label := float32(y[r])
			wt := weight(r, label)
			row := margin[r*k : (r+1)*k]
			mx := float32(row[0])
			for _, v := range row[1:] {
				mx = max(mx, float32(v))
			}
			var sum float32
			for _, v := range row {
				sum += float32(math.Exp(float64(float32(v) - mx)))
			}
			for c, v := range row {
				p := float32(math.Exp(float64(float32(v)-mx))) / sum
				t := float32(0)
				if int(label) == c {
					t = 1
				}
				gh[r*k+c] = gradPair{(p - t) * wt, max(2*p*(1-p), 1e-16) * wt}
			}
		}
	}
}

// logisticUnweighted is the logistic gradients of rows of weight 1: in
// blocks of 8 rows with AVX-512 where it runs (objective_amd64.s), the
// rest with logisticUnweightedGo.
func logisticUnweighted(margin, y []float64, gh []gradPair) {
	done := logisticBlocks(margin, y, nil, 1, gh)
	logisticUnweightedGo(margin[done:], y[done:], gh[done:])
}

// logisticUnweightedGo is the logistic gradients of rows of weight 1.
func logisticUnweightedGo(margin, y []float64, gh []gradPair) {
	y = y[:len(margin)]
	gh = gh[:len(margin)]
	for r, m := range margin {
		p := sigmoid32(float32(m))
		gh[r] = gradPair{p - float32(y[r]), max(p*(1-p), 1e-16)}
	}
}

// logistic is the logistic gradients of rows of weights w (nil: 1), the
// weight times scalePos where the label is 1: in blocks of 8 rows with
// AVX-512 where it runs (objective_amd64.s), the rest with logisticGo.
func logistic(margin, y, w []float64, scalePos float32, gh []gradPair) {
	done := logisticBlocks(margin, y, w, scalePos, gh)
	var wr []float64
	if w != nil {
		wr = w[done:]
	}
	logisticGo(margin[done:], y[done:], wr, scalePos, gh[done:])
}

// logisticGo is logistic in Go, row by row.
func logisticGo(margin, y, w []float64, scalePos float32, gh []gradPair) {
	y = y[:len(margin)]
	gh = gh[:len(margin)]
	for r, m := range margin {
		label := float32(y[r])
		wt := float32(1)
		if w != nil {
			wt = float32(w[r])
		}
		if label == 1 && scalePos != 1 {
			wt *= scalePos
		}
		p := sigmoid32(float32(m))
		gh[r] = gradPair{(p - label) * wt, max(p*(1-p), 1e-16) * wt}
	}
}
