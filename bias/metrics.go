package bias

import (
	"errors"
	"math"
	"sort"
)

// Metric names, as Clarify writes them.
const (
	CI    = "CI"
	DPL   = "DPL"
	KL    = "KL"
	JS    = "JS"
	LP    = "LP"
	TVD   = "TVD"
	KS    = "KS"
	CDDL  = "CDDL"
	DPPL  = "DPPL"
	DI    = "DI"
	DCA   = "DCA"
	DCR   = "DCR"
	RD    = "RD"
	SD    = "SD"
	DAR   = "DAR"
	DRR   = "DRR"
	AD    = "AD"
	TE    = "TE"
	CDDPL = "CDDPL"
	FT    = "FT"
	GE    = "GE"
)

// PreTraining lists the pre-training metrics ("all"), sorted by name.
var PreTraining = []string{CDDL, CI, DPL, JS, KL, KS, LP, TVD}

// PostTraining lists the post-training metrics ("all"), sorted by name.
var PostTraining = []string{AD, CDDPL, DAR, DCA, DCR, DI, DPPL, DRR, FT, GE, RD, SD, TE}

// Info describes a metric for reports.
type Info struct {
	Description string  // smclarify's docstring title, e.g. "Class Imbalance (CI)"
	Range       string  // the range of values
	Meaning     string  // one sentence for report readers
	Ideal       float64 // the value of no bias
}

// Describe returns the description, range and meaning of a metric; ok is
// false for an unknown name.
func Describe(name string) (Info, bool) {
	i, ok := infos[name]
	return i, ok
}

var infos = map[string]Info{
	CI:    {"Class Imbalance (CI)", "[-1, 1]", "(n_a - n_d)/n: how much smaller the facet group d is than the rest.", 0},
	DPL:   {"Difference in Positive Proportions in Labels (DPL)", "[-1, 1]", "q_a - q_d: share of positive observed labels in the rest minus in d.", 0},
	KL:    {"Kullback-Liebler Divergence (KL)", "[-1/e, +inf)", "Divergence of d's label distribution from the rest's (outcomes absent in either group dropped).", 0},
	JS:    {"Jensen-Shannon Divergence (JS)", "[0, ln 2]", "Symmetric divergence between the label distributions of the rest and d.", 0},
	LP:    {"L-p Norm (LP)", "[0, sqrt 2]", "Euclidean distance between the label distributions of the rest and d.", 0},
	TVD:   {"Total Variation Distance (TVD)", "[0, 1]", "Half the L1 distance between the label distributions of the rest and d.", 0},
	KS:    {"Kolmogorov-Smirnov Distance (KS)", "[0, 1]", "Largest difference between the label distributions of the rest and d.", 0},
	CDDL:  {"Conditional Demographic Disparity in Labels (CDDL)", "[-1, 1]", "d's share of rejections minus its share of acceptances, averaged over the groups.", 0},
	DPPL:  {"Difference in Positive Proportions in Predicted Labels (DPPL)", "[-1, 1]", "Share of positive predictions in the rest minus in d.", 0},
	DI:    {"Disparate Impact (DI)", "[0, +inf)", "Share of positive predictions in d over the share in the rest (ideal 1).", 1},
	DCA:   {"Difference in Conditional Acceptance (DCA)", "(-inf, +inf)", "Observed over predicted positives, rest minus d.", 0},
	DCR:   {"Difference in Conditional Rejection (DCR)", "(-inf, +inf)", "Observed over predicted negatives, d minus rest.", 0},
	RD:    {"Recall Difference (RD)", "[-1, 1]", "Recall of the rest minus recall of d.", 0},
	SD:    {"Specificity Difference (SD)", "[-1, 1]", "Specificity of d minus specificity of the rest.", 0},
	DAR:   {"Difference in Acceptance Rates (DAR)", "[-1, 1]", "Precision of the rest minus precision of d.", 0},
	DRR:   {"Difference in Rejection Rates (DRR)", "[-1, 1]", "Negative predictive value of d minus that of the rest.", 0},
	AD:    {"Accuracy Difference (AD)", "[-1, 1]", "Accuracy of the rest minus accuracy of d.", 0},
	TE:    {"Treatment Equality (TE)", "(-inf, +inf)", "FN/FP of d minus FN/FP of the rest.", 0},
	CDDPL: {"Conditional Demographic Disparity in Predicted Labels (CDDPL)", "[-1, 1]", "CDDL computed on the predicted labels.", 0},
	FT:    {"Flip Test (FT)", "[-1, 1]", "(F+ - F-)/n_d: d rows predicted better (positive) or worse than their k nearest rest rows.", 0},
	GE:    {"Generalized Entropy (GE)", "[0, (n-1)/2]", "Generalized entropy (alpha 2) of b = yhat - y + 1 over all rows; 0 when errors are even.", 0},
}

// confusion holds the counts of one group; index [y][yhat].
type confusion struct {
	n          float64
	tp, fp     float64
	fn, tn     float64
	pos, neg   float64 // observed y=1, y=0 (pre-training: only these are set)
	ppos, pneg float64 // predicted yhat=1, yhat=0
}

// facetCounts are the per-group counts of one facet value.
type facetCounts struct {
	a, d confusion
}

func count(d, y, yhat []bool) facetCounts {
	var c [2][2][2]int // [d][y][yhat]
	if yhat == nil {
		var nc [2][2]int
		for i, di := range d {
			nc[b2i(di)][b2i(y[i])]++
		}
		c[0][0][0], c[0][1][0] = nc[0][0], nc[0][1]
		c[1][0][0], c[1][1][0] = nc[1][0], nc[1][1]
	} else {
		for i, di := range d {
			c[b2i(di)][b2i(y[i])][b2i(yhat[i])]++
		}
	}
	mk := func(g [2][2]int) confusion {
		k := confusion{
			tp: float64(g[1][1]), fp: float64(g[0][1]),
			fn: float64(g[1][0]), tn: float64(g[0][0]),
		}
		k.n = k.tp + k.fp + k.fn + k.tn
		k.pos, k.neg = k.tp+k.fn, k.tn+k.fp
		k.ppos, k.pneg = k.tp+k.fp, k.tn+k.fn
		return k
	}
	return facetCounts{a: mk(c[0]), d: mk(c[1])}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// div is smclarify's divide: 0/0 = 0, x/0 = ±inf.
func div(x, y float64) float64 {
	if y != 0 {
		return x / y
	}
	switch {
	case x > 0:
		return math.Inf(1)
	case x < 0:
		return math.Inf(-1)
	}
	return 0
}

// diff is A - B with inf - inf = 0.
func diff(a, b float64) float64 {
	if math.IsInf(a, 1) && math.IsInf(b, 1) {
		return 0
	}
	if math.IsInf(a, -1) && math.IsInf(b, -1) {
		return 0
	}
	return a - b
}

func (f facetCounts) nonEmpty() error {
	if f.d.n == 0 {
		return errFacetEmpty
	}
	if f.a.n == 0 {
		return errNegatedEmpty
	}
	return nil
}

// pdfs returns the aligned, non-zero label distributions of a and d over
// the outcomes (False, True).
func (f facetCounts) pdfs() (pa, pd []float64, err error) {
	if err := f.nonEmpty(); err != nil {
		return nil, nil, err
	}
	a := [2]float64{f.a.neg / f.a.n, f.a.pos / f.a.n}
	d := [2]float64{f.d.neg / f.d.n, f.d.pos / f.d.n}
	for k := range 2 {
		if a[k] != 0 && d[k] != 0 {
			pa = append(pa, a[k])
			pd = append(pd, d[k])
		}
	}
	if len(pa) == 0 {
		return nil, nil, errNoCommon
	}
	return pa, pd, nil
}

// simple computes the metrics that need only the counts.
func simple(name string, f facetCounts) (float64, error) {
	if err := f.nonEmpty(); err != nil {
		return 0, err
	}
	a, d := f.a, f.d
	switch name {
	case CI:
		return (a.n - d.n) / (a.n + d.n), nil
	case DPL:
		return a.pos/a.n - d.pos/d.n, nil
	case KL, JS, LP, TVD, KS:
		pa, pd, err := f.pdfs()
		if err != nil {
			return 0, err
		}
		return divergence(name, pa, pd), nil
	case DPPL:
		return a.ppos/a.n - d.ppos/d.n, nil
	case DI:
		return div(d.ppos/d.n, a.ppos/a.n), nil
	case DCA:
		return diff(div(a.pos, a.ppos), div(d.pos, d.ppos)), nil
	case DCR:
		return diff(div(d.neg, d.pneg), div(a.neg, a.pneg)), nil
	case RD:
		return diff(div(a.tp, a.tp+a.fn), div(d.tp, d.tp+d.fn)), nil
	case SD:
		return diff(div(d.tn, d.tn+d.fp), div(a.tn, a.tn+a.fp)), nil
	case DAR:
		return diff(div(a.tp, a.tp+a.fp), div(d.tp, d.tp+d.fp)), nil
	case DRR:
		return diff(div(d.tn, d.tn+d.fn), div(a.tn, a.tn+a.fn)), nil
	case AD:
		return diff((a.tp+a.tn)/a.n, (d.tp+d.tn)/d.n), nil
	case TE:
		return diff(div(d.fn, d.fp), div(a.fn, a.fp)), nil
	}
	return 0, errors.New("unknown metric " + name)
}

func divergence(name string, pa, pd []float64) float64 {
	var s float64
	switch name {
	case KL:
		for k := range pa {
			s += pa[k] * math.Log(pa[k]/pd[k])
		}
	case JS:
		var sa, sd float64
		for k := range pa {
			p := 0.5 * (pa[k] + pd[k])
			sa += pa[k] * math.Log(pa[k]/p)
			sd += pd[k] * math.Log(pd[k]/p)
		}
		s = 0.5 * (sa + sd)
	case LP:
		for k := range pa {
			s += (pa[k] - pd[k]) * (pa[k] - pd[k])
		}
		s = math.Sqrt(s)
	case TVD:
		for k := range pa {
			s += math.Abs(pa[k] - pd[k])
		}
		s *= 0.5
	case KS:
		for k := range pa {
			s = math.Max(s, math.Abs(pa[k]-pd[k]))
		}
	}
	return s
}

// cdd is the conditional demographic disparity of the positive index p
// (y for CDDL, yhat for CDDPL) given facet rows d and group ids (nil when
// no group variable is configured).
func cdd(d, p []bool, group []int, ngroups int) (float64, error) {
	if group == nil {
		return 0, errNoGroup
	}
	var pos, neg int
	for _, x := range p {
		if x {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 {
		return 0, errNoPositive
	}
	if neg == 0 {
		return 0, errNoNegative
	}
	// per group: [d][p] counts
	cnt := make([][2][2]float64, ngroups)
	for i, g := range group {
		cnt[g][b2i(d[i])][b2i(p[i])]++
	}
	var num, den float64
	for _, c := range cnt {
		n := c[0][0] + c[0][1] + c[1][0] + c[1][1]
		posI := c[0][1] + c[1][1]
		negI := c[0][0] + c[1][0]
		var ai, di float64
		if posI != 0 {
			ai = c[1][1] / posI
		}
		if negI != 0 {
			di = c[1][0] / negI
		}
		num += n * (di - ai)
		den += n
	}
	return num / den, nil
}

// ge is the generalized entropy (alpha 2) of b = yhat - y + 1.
func ge(y, yhat []bool) (float64, error) {
	n := float64(len(y))
	var sum float64
	for i := range y {
		sum += float64(b2i(yhat[i]) - b2i(y[i]) + 1)
	}
	if sum == 0 || n == 0 {
		return 0, errGEZero
	}
	mu := sum / n
	var s float64
	for i := range y {
		b := float64(b2i(yhat[i]) - b2i(y[i]) + 1)
		r := b / mu
		s += r*r - 1
	}
	return s / (2 * n), nil
}

// sortedNames returns names sorted as Clarify sorts metrics (ASCII).
func sortedNames(names []string) []string {
	out := append([]string(nil), names...)
	sort.Strings(out)
	return out
}
