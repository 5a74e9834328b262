package metric

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrSingleClass is returned by ROCAUC and AveragePrecision when y holds
// only one class: the metric is undefined (scikit-learn raises a
// ValueError for ROC-AUC).
var ErrSingleClass = errors.New("only one class present in the labels")

// LogLossEps is the clipping applied to probabilities by LogLoss:
// scikit-learn 1.2's default eps="auto", the float64 machine epsilon
// (2⁻⁵²). Releases before 1.2 clipped at 1e-15; the committed fixtures
// (scikit-learn 1.2.1) confirm the value.
const LogLossEps = 0x1p-52

func check(y, p, w []float64, binary bool) error {
	if len(y) == 0 {
		return errors.New("no samples")
	}
	if len(p) != len(y) {
		return fmt.Errorf("%d labels but %d predictions", len(y), len(p))
	}
	if w != nil && len(w) != len(y) {
		return fmt.Errorf("%d labels but %d weights", len(y), len(w))
	}
	for i := range y {
		if binary && y[i] != 0 && y[i] != 1 {
			return fmt.Errorf("label %v at row %d: want 0 or 1", y[i], i)
		}
		if math.IsNaN(y[i]) {
			return fmt.Errorf("label at row %d is NaN", i)
		}
		if math.IsNaN(p[i]) {
			return fmt.Errorf("prediction at row %d is NaN", i)
		}
		if w != nil && (math.IsNaN(w[i]) || w[i] < 0) {
			return fmt.Errorf("weight %v at row %d: want a non-negative number", w[i], i)
		}
	}
	return nil
}

func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// curve returns, for each distinct score in decreasing order, the
// cumulative weighted true and false positives at that threshold.
func curve(y, p, w []float64) (tps, fps []float64) {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	var tp, fp float64
	for k, i := range idx {
		wi := weight(w, i)
		if y[i] == 1 {
			tp += wi
		} else {
			fp += wi
		}
		if k == len(idx)-1 || p[idx[k+1]] != p[i] {
			tps = append(tps, tp)
			fps = append(fps, fp)
		}
	}
	return tps, fps
}

// ROCAUC returns the area under the ROC curve, computed as scikit-learn's
// roc_auc_score: the trapezoidal area over the distinct thresholds, so
// tied scores count half (the average-rank Mann–Whitney statistic when
// unweighted). A single class in y gives ErrSingleClass.
func ROCAUC(y, p, w []float64) (float64, error) {
	if err := check(y, p, w, true); err != nil {
		return math.NaN(), fmt.Errorf("ROC-AUC: %w", err)
	}
	tps, fps := curve(y, p, w)
	P, N := tps[len(tps)-1], fps[len(fps)-1]
	if P == 0 || N == 0 {
		return math.NaN(), fmt.Errorf("ROC-AUC: %w", ErrSingleClass)
	}
	var area, prevTP, prevFP float64
	for i := range tps {
		area += (fps[i] - prevFP) * (tps[i] + prevTP) / 2
		prevTP, prevFP = tps[i], fps[i]
	}
	return area / (P * N), nil
}

// AveragePrecision returns the area under the precision-recall curve as
// scikit-learn's average_precision_score computes it: the sum over
// distinct thresholds of (Rₙ − Rₙ₋₁)·Pₙ, a step function with no
// interpolation. This is what Ferry reports as pr_auc. A single class in
// y gives ErrSingleClass (scikit-learn returns a degenerate value with a
// warning instead).
func AveragePrecision(y, p, w []float64) (float64, error) {
	if err := check(y, p, w, true); err != nil {
		return math.NaN(), fmt.Errorf("average precision: %w", err)
	}
	tps, fps := curve(y, p, w)
	P, N := tps[len(tps)-1], fps[len(fps)-1]
	if P == 0 || N == 0 {
		return math.NaN(), fmt.Errorf("average precision: %w", ErrSingleClass)
	}
	var ap, prevR float64
	for i := range tps {
		r := tps[i] / P
		prec := 0.0
		if tps[i]+fps[i] > 0 {
			prec = tps[i] / (tps[i] + fps[i])
		}
		ap += (r - prevR) * prec
		prevR = r
	}
	return ap, nil
}

// LogLoss returns the mean (weighted) binary cross-entropy of
// probabilities p, clipped to [LogLossEps, 1−LogLossEps] as scikit-learn
// 1.2 does. Unlike scikit-learn it accepts y holding one class, since the
// classes {0, 1} are known.
func LogLoss(y, p, w []float64) (float64, error) {
	if err := check(y, p, w, true); err != nil {
		return math.NaN(), fmt.Errorf("log loss: %w", err)
	}
	var sum, tw float64
	for i := range y {
		q := min(max(p[i], LogLossEps), 1-LogLossEps)
		l := -math.Log(1 - q)
		if y[i] == 1 {
			l = -math.Log(q)
		}
		wi := weight(w, i)
		sum += wi * l
		tw += wi
	}
	if tw == 0 {
		return math.NaN(), errors.New("log loss: weights sum to zero")
	}
	return sum / tw, nil
}

// Confusion is a binary confusion matrix of (weighted) counts.
type Confusion struct {
	TN, FP, FN, TP float64 // true negatives, false positives, false negatives, true positives
}

// ConfusionAt returns the confusion matrix of predictions p ≥ threshold
// (predicted positive) against labels y.
func ConfusionAt(y, p, w []float64, threshold float64) (Confusion, error) {
	if err := check(y, p, w, true); err != nil {
		return Confusion{}, fmt.Errorf("confusion matrix: %w", err)
	}
	var c Confusion
	for i := range y {
		wi := weight(w, i)
		pos := p[i] >= threshold
		switch {
		case y[i] == 1 && pos:
			c.TP += wi
		case y[i] == 1:
			c.FN += wi
		case pos:
			c.FP += wi
		default:
			c.TN += wi
		}
	}
	return c, nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Accuracy returns (TP+TN)/total, 0 when empty.
func (c Confusion) Accuracy() float64 { return ratio(c.TP+c.TN, c.TP+c.TN+c.FP+c.FN) }

// Precision returns TP/(TP+FP), 0 when nothing is predicted positive
// (scikit-learn's zero_division=0).
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall returns TP/(TP+FN), 0 when there is no positive label.
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 returns 2TP/(2TP+FP+FN), the harmonic mean of precision and recall,
// 0 when undefined.
func (c Confusion) F1() float64 { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

// MSE returns the (weighted) mean squared error.
func MSE(y, p, w []float64) (float64, error) {
	if err := check(y, p, w, false); err != nil {
		return math.NaN(), fmt.Errorf("MSE: %w", err)
	}
	return wmean(len(y), w, func(i int) float64 { d := y[i] - p[i]; return d * d })
}

// RMSE returns the square root of MSE.
func RMSE(y, p, w []float64) (float64, error) {
	m, err := MSE(y, p, w)
	if err != nil {
		return math.NaN(), fmt.Errorf("RMSE: %w", err)
	}
	return math.Sqrt(m), nil
}

// MAE returns the (weighted) mean absolute error.
func MAE(y, p, w []float64) (float64, error) {
	if err := check(y, p, w, false); err != nil {
		return math.NaN(), fmt.Errorf("MAE: %w", err)
	}
	return wmean(len(y), w, func(i int) float64 { return math.Abs(y[i] - p[i]) })
}

// R2 returns the coefficient of determination 1 − SSres/SStot around the
// (weighted) mean of y. With constant y it returns 1 for a perfect fit
// and 0 otherwise, as scikit-learn 1.2 (force_finite=True) does.
func R2(y, p, w []float64) (float64, error) {
	if err := check(y, p, w, false); err != nil {
		return math.NaN(), fmt.Errorf("r2: %w", err)
	}
	mean, err := wmean(len(y), w, func(i int) float64 { return y[i] })
	if err != nil {
		return math.NaN(), fmt.Errorf("r2: %w", err)
	}
	var res, tot float64
	for i := range y {
		wi := weight(w, i)
		d := y[i] - p[i]
		res += wi * d * d
		e := y[i] - mean
		tot += wi * e * e
	}
	if tot == 0 {
		if res == 0 {
			return 1, nil
		}
		return 0, nil
	}
	return 1 - res/tot, nil
}

func wmean(n int, w []float64, f func(int) float64) (float64, error) {
	var sum, tw float64
	for i := 0; i < n; i++ {
		wi := weight(w, i)
		sum += wi * f(i)
		tw += wi
	}
	if tw == 0 {
		return math.NaN(), errors.New("weights sum to zero")
	}
	return sum / tw, nil
}
