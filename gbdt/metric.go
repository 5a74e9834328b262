package gbdt

import (
	"fmt"
	"math"
	"strings"
)

// Metric names.
const (
	MetricAUC      = "auc"
	MetricLogloss  = "logloss"
	MetricError    = "error"
	MetricRMSE     = "rmse"
	MetricMAE      = "mae"
	MetricMLogloss = "mlogloss"
	MetricMError   = "merror"
	MetricPoisson  = "poisson-nloglik"
)

// defaultMetric is XGBoost 1.7's default eval metric per objective.
func defaultMetric(objective string) string {
	switch objective {
	case BinaryLogistic, BinaryLogitRaw:
		return MetricLogloss
	case MultiSoftprob:
		return MetricMLogloss
	case MultiSoftmax:
		return MetricMError
	case CountPoisson:
		return MetricPoisson
	}
	return MetricRMSE
}

// maximised reports whether a larger value of the metric is better.
func maximised(metric string) bool {
	for _, p := range []string{"auc", "aucpr", "map", "ndcg"} {
		if strings.HasPrefix(metric, p) {
			return true
		}
	}
	return false
}

// DefaultMetric is XGBoost's default eval_metric for an objective: the one
// metric it evaluates per round when none is given.
func DefaultMetric(objective string) string { return defaultMetric(objective) }

// EvalMetric computes an eval_metric (a Metric constant) from margins
// (rows×k, as [Model.PredictMargin] writes them), labels and optional
// weights, as training reports it.
func EvalMetric(name, objective string, k int, margin, y, w []float64) (float64, error) {
	return evalMetric(name, objective, k, margin, y, w)
}

// evalMetric computes a metric from margins (n×k), labels and weights.
func evalMetric(name, objective string, k int, margin, y, w []float64) (float64, error) {
	return evalMetricBuf(name, objective, k, margin, y, w, nil)
}

// metricBuf is evalMetricBuf's scratch, reused from round to round by a
// training (nil: fresh buffers).
type metricBuf struct {
	p   []float64
	idx []int32
	// zeros and gh are probs' scratch for the logistic kernel.
	zeros []float64
	gh    []gradPair
	// pos, neg, keys and keys2 are aucLogistic's.
	pos, neg    []float32
	keys, keys2 []uint32
}

// probs is the scores a metric reads from one-output margins: the
// objective's inverse link (prob in evalMetricBuf), in buf.
func probs(objective string, margin []float64, buf *metricBuf) []float64 {
	p := buf.p[:len(margin)]
	switch {
	case logisticLink(objective):
		// The gradient of a row labelled 0 is its probability (p - 0
		// is p), so the logistic gradient kernel computes them in
		// blocks of 8 where it runs.
		if len(buf.zeros) < len(margin) {
			buf.zeros, buf.gh = make([]float64, len(margin)), make([]gradPair, len(margin))
		}
		done := logisticBlocks(margin, buf.zeros, nil, 1, buf.gh)
		for r, g := range buf.gh[:done] {
			p[r] = float64(g.g)
		}
		for r := done; r < len(margin); r++ {
			p[r] = float64(sigmoid32(float32(margin[r])))
		}
	case objective == CountPoisson:
		for r, m := range margin {
			p[r] = math.Exp(m)
		}
	default:
		copy(p, margin)
	}
	return p
}

// logisticLink reports whether the objective's metrics read sigmoid
// probabilities of the margins.
func logisticLink(objective string) bool {
	switch objective {
	case BinaryLogistic, RegLogistic, BinaryLogitRaw:
		return true
	}
	return false
}

// evalMetricBuf is evalMetric with scratch buffers.
func evalMetricBuf(name, objective string, k int, margin, y, w []float64, buf *metricBuf) (float64, error) {
	n := len(y)
	prob := func(r int) float64 {
		switch objective {
		case BinaryLogistic, RegLogistic, BinaryLogitRaw:
			return float64(sigmoid32(float32(margin[r])))
		case CountPoisson:
			return math.Exp(margin[r])
		}
		return margin[r]
	}
	wt := func(r int) float64 {
		if w == nil {
			return 1
		}
		return w[r]
	}
	var num, den float64
	switch name {
	case MetricAUC:
		if k > 1 {
			return multiAUC(margin, y, w, k), nil
		}
		if buf == nil {
			buf = &metricBuf{}
		}
		if w == nil && logisticLink(objective) {
			if v, ok := aucLogistic(margin[:n], y, buf); ok {
				return v, nil
			}
		}
		if cap(buf.p) < n {
			buf.p, buf.idx = make([]float64, n), make([]int32, n)
		}
		p := probs(objective, margin[:n], buf)
		idx := buf.idx[:n]
		rankDescending(idx, p)
		return aucRanked(idx, p, y, w), nil
	case MetricLogloss:
		for r := range n {
			p := prob(r)
			num += wt(r) * (-y[r]*math.Log(max(p, 1e-16)) - (1-y[r])*math.Log(max(1-p, 1e-16)))
			den += wt(r)
		}
	case MetricError:
		for r := range n {
			pred := 0.0
			if prob(r) > 0.5 {
				pred = 1
			}
			if pred != y[r] {
				num += wt(r)
			}
			den += wt(r)
		}
	case MetricRMSE, MetricMAE:
		for r := range n {
			d := y[r] - prob(r)
			if name == MetricRMSE {
				num += wt(r) * d * d
			} else {
				num += wt(r) * math.Abs(d)
			}
			den += wt(r)
		}
		if name == MetricRMSE {
			return math.Sqrt(num / den), nil
		}
	case MetricPoisson:
		for r := range n {
			p := prob(r)
			lg, _ := math.Lgamma(y[r] + 1)
			num += wt(r) * (lg + p - y[r]*math.Log(max(p, 1e-16)))
			den += wt(r)
		}
	case MetricMLogloss, MetricMError:
		if k < 2 {
			return 0, fmt.Errorf("metric %s needs a multi-class objective", name)
		}
		p := make([]float64, k)
		for r := range n {
			copy(p, margin[r*k:(r+1)*k])
			softmax(p)
			c := int(y[r])
			if name == MetricMLogloss {
				num += wt(r) * -math.Log(max(p[c], 1e-16))
			} else if argmax(p) != c {
				num += wt(r)
			}
			den += wt(r)
		}
	default:
		return 0, fmt.Errorf("unknown eval metric %q", name)
	}
	return num / den, nil
}

// AUC is the area under the ROC curve of scores against 0/1 labels, ties
// counted as half (the Mann–Whitney statistic, as XGBoost and scikit-learn
// compute it). w nil means unweighted. It is NaN when only one class is
// present.
func AUC(score, y, w []float64) float64 {
	idx := make([]int32, len(score))
	rankDescending(idx, score)
	return aucRanked(idx, score, y, w)
}

// aucRanked is AUC given the rows ranked by descending score.
func aucRanked(idx []int32, score, y, w []float64) float64 {
	var tp, fp, tpPrev, fpPrev, area float64
	for i, r := range idx {
		wt := 1.0
		if w != nil {
			wt = w[r]
		}
		tp += wt * y[r]
		fp += wt * (1 - y[r])
		if i == len(idx)-1 || score[idx[i+1]] != score[r] {
			area += (fp - fpPrev) * (tp + tpPrev) / 2
			tpPrev, fpPrev = tp, fp
		}
	}
	if tp == 0 || fp == 0 {
		return math.NaN()
	}
	return area / (tp * fp)
}

// multiAUC averages one-vs-rest AUCs weighted by class prevalence.
func multiAUC(margin, y, w []float64, k int) float64 {
	n := len(y)
	score := make([]float64, n)
	bin := make([]float64, n)
	p := make([]float64, k)
	var total, wsum float64
	for c := range k {
		prev := 0.0
		for r := range n {
			copy(p, margin[r*k:(r+1)*k])
			softmax(p)
			score[r] = p[c]
			bin[r] = 0
			if int(y[r]) == c {
				bin[r] = 1
				if w != nil {
					prev += w[r]
				} else {
					prev++
				}
			}
		}
		if a := AUC(score, bin, w); !math.IsNaN(a) {
			total += prev * a
			wsum += prev
		}
	}
	return total / wsum
}
