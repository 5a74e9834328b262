package tuning

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/training"
	"github.com/ferryml/ferry/internal/tuning"
)

// Range field names inside ranges.<name>.
const (
	rangeType    = "type"
	rangeMin     = "min"
	rangeMax     = "max"
	rangeValues  = "values"
	rangeScaling = "scaling"
)

// parseRanges reads the ranges argument: an object of hyperparameter name
// to {type, min, max, scaling} or {type: categorical, values}. type may be
// left out: values make a categorical range, integer bounds an integer
// range, other bounds a continuous one. Problems are *step.FieldError
// located at ranges.<name>.<field>.
func parseRanges(v any) ([]tuning.Range, []error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, []error{&step.FieldError{Field: ArgRanges, Msg: fmt.Sprintf("want an object of hyperparameter name to range, got %s", typeName(v))}}
	}
	var out []tuning.Range
	var errs []error
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		at := ArgRanges + "." + name
		bad := func(field, format string, a ...any) {
			f := at
			if field != "" {
				f += "." + field
			}
			errs = append(errs, &step.FieldError{Field: f, Msg: fmt.Sprintf(format, a...)})
		}
		spec, ok := m[name].(map[string]any)
		if !ok {
			if list, isList := m[name].([]any); isList { // shorthand: [a, b, c]
				spec = map[string]any{rangeValues: list}
			} else {
				bad("", "want an object {type, min, max, scaling} or {values}, got %s", typeName(m[name]))
				continue
			}
		}
		r := tuning.Range{Name: name}
		for key := range spec {
			if !slices.Contains([]string{rangeType, rangeMin, rangeMax, rangeValues, rangeScaling}, key) {
				bad(key, "unknown field (known: type, min, max, values, scaling)")
			}
		}
		if s, ok := spec[rangeType].(string); ok {
			r.Type = tuning.ParamType(strings.ToLower(s))
		} else if spec[rangeType] != nil {
			bad(rangeType, "want a string, got %s", typeName(spec[rangeType]))
			continue
		}
		if s, ok := spec[rangeScaling].(string); ok {
			r.Scaling = tuning.Scaling(strings.ToLower(s))
			if r.Scaling == "reverselogarithmic" { // SageMaker's spelling
				r.Scaling = tuning.ReverseLogarithmic
			}
		} else if spec[rangeScaling] != nil {
			bad(rangeScaling, "want a string, got %s", typeName(spec[rangeScaling]))
		}
		if vals, present := spec[rangeValues]; present {
			list, ok := vals.([]any)
			if !ok {
				bad(rangeValues, "want a list, got %s", typeName(vals))
				continue
			}
			for _, x := range list {
				switch x.(type) {
				case string, float64, int64, bool:
					r.Values = append(r.Values, fmt.Sprint(x))
				default:
					bad(rangeValues, "want strings or numbers, got %s", typeName(x))
				}
			}
			if r.Type == "" {
				r.Type = tuning.Categorical
			}
		} else {
			lo, okLo := number(spec[rangeMin])
			hi, okHi := number(spec[rangeMax])
			if !okLo {
				bad(rangeMin, "required: a number")
			}
			if !okHi {
				bad(rangeMax, "required: a number")
			}
			if !okLo || !okHi {
				continue
			}
			r.Min, r.Max = lo, hi
			if r.Type == "" {
				r.Type = tuning.Continuous
				if isInt(spec[rangeMin]) && isInt(spec[rangeMax]) {
					r.Type = tuning.Integer
				}
			}
		}
		out = append(out, r)
	}
	return out, errs
}

func isInt(v any) bool {
	switch v.(type) {
	case int64, int:
		return true
	}
	return false // a float bound (0.0, 1e3) makes a continuous range
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a string"
	case float64, int64, int:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// checkAgainstLearner checks that each range names a hyperparameter of the
// algorithm, that its bounds (or values) are values the learner accepts,
// and that no fixed hyperparameter is also tuned.
func checkAgainstLearner(alg string, fixed map[string]any, ranges []tuning.Range) []error {
	var errs []error
	for _, r := range ranges {
		at := ArgRanges + "." + r.Name
		if _, dup := fixed[r.Name]; dup {
			errs = append(errs, &step.FieldError{Field: at, Msg: "also set in hyperparameters; tune it or fix it, not both"})
			continue
		}
		var probes []any
		switch r.Type {
		case tuning.Categorical:
			for _, v := range r.Values {
				probes = append(probes, v)
			}
		case tuning.Integer:
			probes = []any{strconv.FormatInt(int64(r.Min), 10), strconv.FormatInt(int64(r.Max), 10)}
		default:
			probes = []any{strconv.FormatFloat(r.Min, 'g', -1, 64), strconv.FormatFloat(r.Max, 'g', -1, 64)}
		}
		for _, p := range probes {
			hes := training.CheckHyperparameters(alg, map[string]any{r.Name: p})
			if len(hes) > 0 {
				msg := hes[0].Msg
				if !strings.Contains(msg, "unknown") {
					msg = fmt.Sprintf("value %v: %s", p, msg)
				}
				errs = append(errs, &step.FieldError{Field: at, Msg: msg})
				break
			}
		}
	}
	return errs
}

// reportedMetrics lists the objective metrics a trial of alg reports
// with these fixed hyperparameters, or nil when it cannot be known before
// the run.
func reportedMetrics(alg string, fixed map[string]any, validation bool) []string {
	sets := []string{training.SetTrain}
	if validation {
		sets = append(sets, training.SetValidation)
	}
	var metrics []string
	switch alg {
	case training.AlgorithmXGBoost:
		em, ok := fixed["eval_metric"]
		if !ok {
			return nil // defaults depend on the objective
		}
		switch x := em.(type) {
		case string:
			metrics = strings.Split(x, ",")
		case []any:
			for _, m := range x {
				metrics = append(metrics, fmt.Sprint(m))
			}
		default:
			return nil
		}
	default:
		return nil
	}
	var out []string
	for _, s := range sets {
		for _, m := range metrics {
			out = append(out, s+"_"+strings.NewReplacer("-", "_", "@", "_").Replace(strings.TrimSpace(m)))
		}
	}
	return out
}
