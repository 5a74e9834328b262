package monitor

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// DriftResult is one feature's distance from the baseline.
type DriftResult struct {
	Feature   string  `json:"feature_name"`
	Distance  float64 `json:"distance"`
	Threshold float64 `json:"threshold"`
	Method    string  `json:"method"`
	Drifted   bool    `json:"drifted"`
}

// Check evaluates the current data's profile against the baseline's
// constraints and statistics (base may be nil: no drift check) and
// returns the violations, in constraint order, and each numeric or String
// feature's drift distance.
func Check(cur *Profile, base *Statistics, cons *Constraints) ([]Violation, []DriftResult) {
	if cons == nil || strings.EqualFold(cons.MonitoringConfig.EvaluateConstraints, "Disabled") {
		return nil, nil
	}
	var out []Violation
	var drifts []DriftResult
	add := func(feature, check, format string, args ...any) {
		out = append(out, Violation{FeatureName: feature, ConstraintCheckType: check, Description: fmt.Sprintf(format, args...)})
	}
	known := make(map[string]bool, len(cons.Features))
	for _, fc := range cons.Features {
		known[fc.Name] = true
		cfg := effective(cons.MonitoringConfig, fc.Overrides)
		f, ok := cur.Statistics.Feature(fc.Name)
		if !ok {
			add(fc.Name, MissingColumnCheck, "There are missing columns in current dataset: column %q of the baseline is absent.", fc.Name)
			continue
		}
		cm := f.common()
		// Data type: the share of present values that do not fit the
		// baseline type.
		if tc, ok := cur.Types[fc.Name]; ok && cm.NumPresent > 0 {
			var bad int64
			switch fc.InferredType {
			case Integral:
				bad = tc.Fractional + tc.String
			case Fractional:
				bad = tc.String
			}
			if frac := float64(bad) / float64(cm.NumPresent); bad > 0 && frac > *cfg.DatatypeCheckThreshold {
				add(fc.Name, DataTypeCheck, "Data type match requirement is not met: %s of the values of %q are not %s (threshold %s).",
					pct(frac), fc.Name, fc.InferredType, num(*cfg.DatatypeCheckThreshold))
			}
		} else if cur.Types == nil && typeRank(f.InferredType) > typeRank(fc.InferredType) {
			add(fc.Name, DataTypeCheck, "Data type match requirement is not met: %q is %s, the baseline's is %s.", fc.Name, f.InferredType, fc.InferredType)
		}
		// Completeness.
		if fc.Completeness != nil {
			if total := cm.NumPresent + cm.NumMissing; total > 0 {
				comp := float64(cm.NumPresent) / float64(total)
				if comp < *fc.Completeness-1e-9 {
					add(fc.Name, CompletenessCheck, "Data completeness requirement is not met: %q is %s complete, the constraint is %s (%d of %d values missing).",
						fc.Name, pct(comp), pct(*fc.Completeness), cm.NumMissing, total)
				}
			}
		}
		if fc.Num != nil && fc.Num.IsNonNegative && f.Numerical != nil && f.Numerical.Min < 0 {
			add(fc.Name, DataTypeCheck, "Value requirement is not met: %q has negative values (minimum %s) where the baseline had none.", fc.Name, num(f.Numerical.Min))
		}
		// Categorical values outside the domain.
		if fc.Str != nil && len(fc.Str.Domains) > 0 && f.String != nil && cm.NumPresent > 0 {
			domain := make(map[string]bool, len(fc.Str.Domains))
			for _, d := range fc.Str.Domains {
				domain[d] = true
			}
			var bad int64
			var unseen []string
			for _, b := range f.String.Distribution.Categorical.Buckets {
				if !domain[b.Value] {
					bad += b.Count
					unseen = append(unseen, strconv.Quote(b.Value))
				}
			}
			if frac := float64(bad) / float64(cm.NumPresent); bad > 0 && frac > *cfg.DomainContentThreshold {
				if len(unseen) > 5 {
					unseen = append(unseen[:5], "...")
				}
				add(fc.Name, CategoricalValuesCheck, "Data content requirement is not met: %s of the values of %q are outside the baseline's domain (threshold %s): %s.",
					pct(frac), fc.Name, num(*cfg.DomainContentThreshold), strings.Join(unseen, ", "))
			}
		}
		// Drift from the baseline distribution.
		dc := cfg.DistributionConstraints
		if base == nil || dc == nil || strings.EqualFold(dc.PerformComparison, "Disabled") {
			continue
		}
		bf, ok := base.Feature(fc.Name)
		if !ok {
			continue
		}
		var d DriftResult
		switch {
		case bf.Numerical != nil && f.Numerical != nil:
			d = DriftResult{Feature: fc.Name, Distance: LInfinity(bf.Numerical.Distribution.KLL.Sketch, f.Numerical.Distribution.KLL.Sketch), Method: dc.ComparisonMethod}
			d.Threshold = DriftThreshold(dc.ComparisonMethod, *dc.ComparisonThreshold, bf.Numerical.Common.NumPresent, f.Numerical.Common.NumPresent)
		case bf.String != nil && f.String != nil:
			thr := *dc.ComparisonThreshold
			if dc.CategoricalComparisonThreshold != nil {
				thr = *dc.CategoricalComparisonThreshold
			}
			d = DriftResult{Feature: fc.Name, Distance: CategoricalLInfinity(bf.String.Distribution.Categorical.Buckets, f.String.Distribution.Categorical.Buckets), Method: dc.ComparisonMethod}
			d.Threshold = DriftThreshold(dc.ComparisonMethod, thr, bf.String.Common.NumPresent, f.String.Common.NumPresent)
		default:
			continue
		}
		d.Drifted = d.Distance > d.Threshold
		drifts = append(drifts, d)
		if d.Drifted {
			add(fc.Name, BaselineDriftCheck, "Baseline drift distance: %s exceeds threshold: %s (%s comparison).", num(d.Distance), num(d.Threshold), d.Method)
		}
	}
	var extra []string
	for _, f := range cur.Statistics.Features {
		if !known[f.Name] {
			extra = append(extra, f.Name)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		add(name, ExtraColumnCheck, "There are extra columns in current dataset: %q is not in the baseline.", name)
	}
	return out, drifts
}

// effective fills the monitoring config's unset thresholds with the
// defaults and applies a feature's overrides.
func effective(mc MonitoringConfig, over *MonitoringConfig) MonitoringConfig {
	d := DefaultMonitoringConfig()
	out := mc
	if over != nil {
		if over.DatatypeCheckThreshold != nil {
			out.DatatypeCheckThreshold = over.DatatypeCheckThreshold
		}
		if over.DomainContentThreshold != nil {
			out.DomainContentThreshold = over.DomainContentThreshold
		}
		if over.DistributionConstraints != nil {
			out.DistributionConstraints = over.DistributionConstraints
		}
	}
	if out.DatatypeCheckThreshold == nil {
		out.DatatypeCheckThreshold = d.DatatypeCheckThreshold
	}
	if out.DomainContentThreshold == nil {
		out.DomainContentThreshold = d.DomainContentThreshold
	}
	if out.DistributionConstraints == nil {
		out.DistributionConstraints = d.DistributionConstraints
	} else {
		dc := *out.DistributionConstraints
		if dc.ComparisonThreshold == nil {
			dc.ComparisonThreshold = d.DistributionConstraints.ComparisonThreshold
		}
		if dc.ComparisonMethod == "" {
			dc.ComparisonMethod = Simple // Model Monitor's default when unset
		}
		out.DistributionConstraints = &dc
	}
	return out
}

func typeRank(t string) int {
	switch t {
	case Integral:
		return 1
	case Fractional:
		return 2
	case String:
		return 3
	}
	return 0
}

func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

func num(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', 4, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
