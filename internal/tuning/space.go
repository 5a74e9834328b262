package tuning

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ParamType is a range's value type.
type ParamType string

// The range types (SageMaker's IntegerParameterRanges,
// ContinuousParameterRanges and CategoricalParameterRanges).
const (
	Integer     ParamType = "integer"
	Continuous  ParamType = "continuous"
	Categorical ParamType = "categorical"
)

// Scaling is how a numeric range is searched.
type Scaling string

// The scalings (SageMaker's ScalingType). Auto is Linear.
const (
	Auto               Scaling = "auto"
	Linear             Scaling = "linear"
	Logarithmic        Scaling = "logarithmic"
	ReverseLogarithmic Scaling = "reverse_logarithmic"
)

// Range is one hyperparameter's search range.
type Range struct {
	Name string
	Type ParamType
	// Min and Max bound Integer and Continuous ranges (inclusive).
	Min, Max float64
	// Values are a Categorical range's choices.
	Values []string
	// Scaling applies to Integer and Continuous ranges ("" is Auto).
	Scaling Scaling
}

// RangeError is a problem with one range, located by the range's name and
// the field at fault ("min", "scaling", ...).
type RangeError struct {
	Name  string
	Field string
	Msg   string
}

func (e *RangeError) Error() string {
	if e.Field == "" {
		return e.Name + ": " + e.Msg
	}
	return e.Name + "." + e.Field + ": " + e.Msg
}

// Space is a search space: ranges, sorted by name.
type Space struct {
	ranges []Range
}

// NewSpace checks the ranges and returns the space, or every problem as
// *RangeError values.
func NewSpace(ranges []Range) (*Space, []error) {
	var errs []error
	seen := map[string]bool{}
	out := make([]Range, 0, len(ranges))
	for _, r := range ranges {
		if seen[r.Name] {
			errs = append(errs, &RangeError{Name: r.Name, Msg: "defined twice"})
			continue
		}
		seen[r.Name] = true
		if r.Scaling == "" {
			r.Scaling = Auto
		}
		errs = append(errs, r.check()...)
		out = append(out, r)
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, &RangeError{Name: "ranges", Msg: "no hyperparameter to tune"})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return &Space{ranges: out}, nil
}

func (r Range) check() []error {
	bad := func(field, format string, a ...any) error {
		return &RangeError{Name: r.Name, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	if r.Name == "" {
		return []error{bad("", "a range needs a hyperparameter name")}
	}
	switch r.Type {
	case Categorical:
		if len(r.Values) == 0 {
			return []error{bad("values", "a categorical range needs at least one value")}
		}
		for i, v := range r.Values {
			if slices.Contains(r.Values[:i], v) {
				return []error{bad("values", "value %q is listed twice", v)}
			}
		}
		return nil
	case Integer, Continuous:
	default:
		return []error{bad("type", "unknown type %q (want integer, continuous or categorical)", r.Type)}
	}
	var errs []error
	if math.IsNaN(r.Min) || math.IsInf(r.Min, 0) || math.IsNaN(r.Max) || math.IsInf(r.Max, 0) {
		return []error{bad("min", "min and max must be finite numbers")}
	}
	if r.Type == Integer && (r.Min != math.Trunc(r.Min) || r.Max != math.Trunc(r.Max)) {
		errs = append(errs, bad("min", "an integer range needs integer bounds, got [%g, %g]", r.Min, r.Max))
	}
	if r.Min > r.Max {
		errs = append(errs, bad("min", "min %g is greater than max %g", r.Min, r.Max))
	}
	switch r.Scaling {
	case Auto, Linear:
	case Logarithmic:
		if r.Min <= 0 {
			errs = append(errs, bad("scaling", "logarithmic scaling needs min > 0, got %g", r.Min))
		}
	case ReverseLogarithmic:
		if r.Type == Integer {
			errs = append(errs, bad("scaling", "reverse_logarithmic scaling is for continuous ranges"))
		} else if r.Min < 0 || r.Max >= 1 {
			errs = append(errs, bad("scaling", "reverse_logarithmic scaling needs 0 <= min <= max < 1, got [%g, %g]", r.Min, r.Max))
		}
	default:
		errs = append(errs, bad("scaling", "unknown scaling %q (want auto, linear, logarithmic or reverse_logarithmic)", r.Scaling))
	}
	return errs
}

// Ranges returns the ranges, sorted by name.
func (s *Space) Ranges() []Range { return slices.Clone(s.ranges) }

// Names returns the tuned hyperparameters' names, sorted.
func (s *Space) Names() []string {
	names := make([]string, len(s.ranges))
	for i, r := range s.ranges {
		names[i] = r.Name
	}
	return names
}

// Config is one trial's hyperparameters: float64 for continuous ranges,
// int64 for integer ranges, string for categorical ranges.
type Config map[string]any

// String renders a config as name=value pairs, sorted by name.
func (c Config) String() string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + FormatValue(c[k])
	}
	return strings.Join(parts, " ")
}

// Strings returns the config's values as strings (as SageMaker passes
// hyperparameters).
func (c Config) Strings() map[string]string {
	out := make(map[string]string, len(c))
	for k, v := range c {
		out[k] = FormatValue(v)
	}
	return out
}

// FormatValue renders a config value.
func FormatValue(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// fromUnit maps u in [0, 1] to the range's value.
func (r Range) fromUnit(u float64) any {
	u = min(max(u, 0), 1)
	switch r.Type {
	case Categorical:
		i := int(u * float64(len(r.Values)))
		return r.Values[min(i, len(r.Values)-1)]
	case Integer:
		// Integers own equal cells of the unit interval (in scaled space):
		// the cell of k spans the scaled images of k-0.5 and k+0.5.
		lo, hi := r.Min-0.5, r.Max+0.5
		var x float64
		if r.Scaling == Logarithmic {
			lo = math.Max(lo, r.Min*0.5)
			x = math.Exp(math.Log(lo) + u*(math.Log(hi)-math.Log(lo)))
		} else {
			x = lo + u*(hi-lo)
		}
		return int64(min(max(math.Round(x), r.Min), r.Max))
	}
	switch r.Scaling {
	case Logarithmic:
		return math.Exp(math.Log(r.Min) + u*(math.Log(r.Max)-math.Log(r.Min)))
	case ReverseLogarithmic:
		a, b := math.Log(1-r.Max), math.Log(1-r.Min)
		return 1 - math.Exp(b-u*(b-a))
	}
	return r.Min + u*(r.Max-r.Min)
}

// toUnit maps a value of the range to [0, 1]; ok is false for a value the
// range cannot hold (a warm-start trial from another space).
func (r Range) toUnit(v any) (float64, bool) {
	if r.Type == Categorical {
		s := FormatValue(v)
		i := slices.Index(r.Values, s)
		if i < 0 {
			return 0, false
		}
		return (float64(i) + 0.5) / float64(len(r.Values)), true
	}
	x, ok := toFloat(v)
	if !ok || x < r.Min || x > r.Max {
		return 0, false
	}
	if r.Min == r.Max {
		return 0.5, true
	}
	if r.Type == Integer {
		lo, hi := r.Min-0.5, r.Max+0.5
		if r.Scaling == Logarithmic {
			lo = math.Max(lo, r.Min*0.5)
			return (math.Log(x) - math.Log(lo)) / (math.Log(hi) - math.Log(lo)), true
		}
		return (x - lo) / (hi - lo), true
	}
	switch r.Scaling {
	case Logarithmic:
		return (math.Log(x) - math.Log(r.Min)) / (math.Log(r.Max) - math.Log(r.Min)), true
	case ReverseLogarithmic:
		a, b := math.Log(1-r.Max), math.Log(1-r.Min)
		return (b - math.Log(1-x)) / (b - a), true
	}
	return (x - r.Min) / (r.Max - r.Min), true
}

func toFloat(v any) (float64, bool) {
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

// unitPoint is a config in unit space, one coordinate per range.
type unitPoint []float64

func (s *Space) config(p unitPoint) Config {
	c := make(Config, len(s.ranges))
	for i, r := range s.ranges {
		c[r.Name] = r.fromUnit(p[i])
	}
	return c
}

// point maps a config into unit space; ok is false when a value lies
// outside the space.
func (s *Space) point(c Config) (unitPoint, bool) {
	p := make(unitPoint, len(s.ranges))
	for i, r := range s.ranges {
		v, present := c[r.Name]
		if !present {
			return nil, false
		}
		u, ok := r.toUnit(v)
		if !ok {
			return nil, false
		}
		p[i] = u
	}
	return p, true
}
