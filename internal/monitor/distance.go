package monitor

import (
	"math"
)

// LInfinity is the L-infinity distance between the empirical cumulative
// distribution functions of two numeric distributions: the largest
// |F_a(x) - F_b(x)| over x, which is the two-sample Kolmogorov-Smirnov
// statistic (scipy.stats.ks_2samp's). Over exact sketches (at most
// sketchK values each) it is exact. It returns 0 when either side is
// empty.
func LInfinity(a, b KLLSketch) float64 {
	return ksDistance(distributionOf(a), distributionOf(b))
}

func ksDistance(a, b weighted) float64 {
	if a.total == 0 || b.total == 0 {
		return 0
	}
	var i, j int
	var ca, cb, d float64
	for i < len(a.x) || j < len(b.x) {
		var x float64
		switch {
		case j >= len(b.x) || (i < len(a.x) && a.x[i] <= b.x[j]):
			x = a.x[i]
		default:
			x = b.x[j]
		}
		for i < len(a.x) && a.x[i] == x {
			ca += a.w[i]
			i++
		}
		for j < len(b.x) && b.x[j] == x {
			cb += b.w[j]
			j++
		}
		d = max(d, math.Abs(ca/a.total-cb/b.total))
	}
	return d
}

// CategoricalLInfinity is the L-infinity distance between two categorical
// distributions: the largest difference of a value's relative frequency.
func CategoricalLInfinity(a, b []CategoryBucket) float64 {
	var ta, tb float64
	for _, x := range a {
		ta += float64(x.Count)
	}
	for _, x := range b {
		tb += float64(x.Count)
	}
	if ta == 0 || tb == 0 {
		return 0
	}
	pa := make(map[string]float64, len(a))
	for _, x := range a {
		pa[x.Value] += float64(x.Count) / ta
	}
	pb := make(map[string]float64, len(b))
	for _, x := range b {
		pb[x.Value] += float64(x.Count) / tb
	}
	var d float64
	for v, p := range pa {
		d = max(d, math.Abs(p-pb[v]))
	}
	for v, p := range pb {
		if _, ok := pa[v]; !ok {
			d = max(d, p)
		}
	}
	return d
}

// KSCritical is the two-sample Kolmogorov-Smirnov critical value at
// significance alpha for samples of n and m values: the distance above
// which the two samples differ with confidence 1-alpha,
// c(alpha)·sqrt((n+m)/(n·m)) with c(alpha) = sqrt(-ln(alpha/2)/2)
// (the large-sample form). It is +Inf when either sample is empty.
func KSCritical(alpha float64, n, m int64) float64 {
	if n <= 0 || m <= 0 {
		return math.Inf(1)
	}
	c := math.Sqrt(-math.Log(alpha/2) / 2)
	return c * math.Sqrt(float64(n+m)/(float64(n)*float64(m)))
}

// DriftThreshold is the distance above which a feature has drifted: the
// comparison threshold (Simple), or the larger of it and the KS critical
// value for the two sample sizes (Robust), so a small window is not
// flagged for sampling noise.
func DriftThreshold(method string, threshold float64, n, m int64) float64 {
	if method == Robust {
		return max(threshold, KSCritical(KSAlpha, n, m))
	}
	return threshold
}
