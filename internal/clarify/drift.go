package clarify

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/bias"
)

// The drift rules of Clarify baselines, shared by the clarify_check step
// and model monitoring: a bias metric that got worse than the baseline's,
// and a feature ranking whose nDCG against the baseline's fell below a
// threshold.

// NDCGThreshold is the explainability drift threshold: a label whose
// nDCG against the baseline ranking is below it is a violation.
const NDCGThreshold = 0.9

// DriftViolation is one violation of a Clarify baseline, in the fields of
// constraint_violations.json.
type DriftViolation struct {
	Facet               string `json:"facet,omitempty"`
	FacetValue          string `json:"facet_value,omitempty"`
	Label               string `json:"label,omitempty"`
	MetricName          string `json:"metric_name"`
	ConstraintCheckType string `json:"constraint_check_type"`
	Description         string `json:"description"`
}

func shortNum(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(v, 'f', 4, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// worse reports whether cur is farther from the metric's ideal value than
// base: |cur| > |base|, or for DI the distance from 1.
func worse(metric string, cur, base float64) bool {
	ideal := 0.0
	if metric == bias.DI {
		ideal = 1
	}
	dc, db := math.Abs(cur-ideal), math.Abs(base-ideal)
	if math.IsInf(dc, 1) && math.IsInf(db, 1) {
		return false
	}
	return dc > db
}

// BiasDrift compares each facet, facet value and metric of cur with the
// baseline's: a violation when the current value is worse (see worse).
// Metrics with a null value on either side, or absent from the baseline,
// are skipped.
func BiasDrift(cur, base *bias.Section) []DriftViolation {
	if cur == nil || base == nil {
		return nil
	}
	type key struct{ facet, value, metric string }
	baseVals := make(map[key]float64)
	for _, f := range base.Facets {
		for _, e := range f.Entries {
			for _, m := range e.Metrics {
				if m.Value != nil {
					baseVals[key{f.Name, e.ValueOrThreshold, m.Name}] = *m.Value
				}
			}
		}
	}
	var out []DriftViolation
	for _, f := range cur.Facets {
		for _, e := range f.Entries {
			for _, m := range e.Metrics {
				if m.Value == nil {
					continue
				}
				b, ok := baseVals[key{f.Name, e.ValueOrThreshold, m.Name}]
				if !ok || !worse(m.Name, *m.Value, b) {
					continue
				}
				out = append(out, DriftViolation{
					Facet: f.Name, FacetValue: e.ValueOrThreshold, MetricName: m.Name,
					ConstraintCheckType: "bias_drift_check",
					Description:         fmt.Sprintf("Value %s does not meet the constraint requirement", shortNum(*m.Value)),
				})
			}
		}
	}
	return out
}

// NDCG is the normalised discounted cumulative gain of the current
// feature ranking against the baseline's attributions: with F the
// features sorted by baseline attribution a(f) and F' sorted by current
// attribution, DCG = sum a(F'_i)/log2(i+1), iDCG = sum a(F_i)/log2(i+1).
// Features missing from the baseline count as 0. It returns 1 when the
// baseline attributions are all zero.
func NDCG(cur, base LabelSHAP) float64 {
	a := make(map[string]float64, len(base.Features))
	for i, f := range base.Features {
		a[f] = base.GlobalValues[i]
	}
	rank := func(names []string, vals []float64) []string {
		idx := make([]int, len(names))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(x, y int) bool { return vals[idx[x]] > vals[idx[y]] })
		out := make([]string, len(idx))
		for i, j := range idx {
			out[i] = names[j]
		}
		return out
	}
	ideal := rank(base.Features, base.GlobalValues)
	got := rank(cur.Features, cur.GlobalValues)
	var dcg, idcg float64
	for i, f := range got {
		dcg += a[f] / math.Log2(float64(i)+2)
	}
	for i, f := range ideal {
		idcg += a[f] / math.Log2(float64(i)+2)
	}
	if idcg == 0 {
		return 1
	}
	return dcg / idcg
}

// ExplainabilityDrift reports, per label present in both, a violation
// when the nDCG of the current ranking is below NDCGThreshold.
func ExplainabilityDrift(cur, base *Explanations) []DriftViolation {
	if cur == nil || base == nil {
		return nil
	}
	baseBy := make(map[string]LabelSHAP)
	for _, l := range base.KernelSHAP {
		baseBy[l.Label] = l
	}
	var out []DriftViolation
	for _, l := range cur.KernelSHAP {
		b, ok := baseBy[l.Label]
		if !ok {
			continue
		}
		if n := NDCG(l, b); n < NDCGThreshold {
			out = append(out, DriftViolation{
				Label: l.Label, MetricName: "shap",
				ConstraintCheckType: "feature_attribution_drift_check",
				Description:         fmt.Sprintf("Feature attribution drift %s exceeds threshold %s", shortNum(n), strconv.FormatFloat(NDCGThreshold, 'g', -1, 64)),
			})
		}
	}
	return out
}
