package clarifycheck

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/bias"
	"github.com/ferryml/ferry/internal/clarify"
)

// ViolationsFile is the violation report's file name.
const ViolationsFile = "constraint_violations.json"

// NDCGThreshold is the explainability drift threshold: a label whose
// nDCG against the baseline ranking is below it is a violation.
const NDCGThreshold = clarify.NDCGThreshold

// Violation is one entry of constraint_violations.json.
type Violation struct {
	Facet               string `json:"facet,omitempty"`
	FacetValue          string `json:"facet_value,omitempty"`
	Label               string `json:"label,omitempty"`
	MetricName          string `json:"metric_name"`
	ConstraintCheckType string `json:"constraint_check_type"`
	Description         string `json:"description"`
}

// Violations is constraint_violations.json.
type Violations struct {
	Version    string      `json:"version"`
	Violations []Violation `json:"violations"`
}

// WriteFile writes the report into dir.
func (v Violations) WriteFile(dir string) error {
	if v.Violations == nil {
		v.Violations = []Violation{}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding violations: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ViolationsFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing violations: %w", err)
	}
	return nil
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

// BiasDrift compares each facet, facet value and metric of cur with the
// baseline's (clarify.BiasDrift): a violation when the current value is
// farther from the metric's ideal value than the baseline's.
func BiasDrift(cur, base *bias.Section) []Violation { return fromClarify(clarify.BiasDrift(cur, base)) }

// NDCG is clarify.NDCG: the nDCG of the current feature ranking against
// the baseline's attributions.
func NDCG(cur, base clarify.LabelSHAP) float64 { return clarify.NDCG(cur, base) }

// ExplainabilityDrift reports, per label present in both, a violation
// when the nDCG of the current ranking is below NDCGThreshold.
func ExplainabilityDrift(cur, base *clarify.Explanations) []Violation {
	return fromClarify(clarify.ExplainabilityDrift(cur, base))
}

func fromClarify(vs []clarify.DriftViolation) []Violation {
	var out []Violation
	for _, v := range vs {
		out = append(out, Violation(v))
	}
	return out
}
