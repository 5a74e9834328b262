package bias

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/quote"
)

// DataKind is smclarify's guess of how a column's values are compared.
type DataKind int

// The data kinds.
const (
	Categorical DataKind = iota // positive = equal to one of the values
	Continuous                  // positive = greater than the threshold
)

// String returns smclarify's name for k.
func (k DataKind) String() string {
	if k == Continuous {
		return "CONTINUOUS"
	}
	return "CATEGORICAL"
}

// GuessKind applies smclarify's series_datatype rule to a column
// configured with nValues values: more than one value, bool and text
// columns are categorical (text columns of integers with uniqueness >=
// 0.05 excepted), float columns continuous, integer columns continuous
// iff uniqueness (distinct / non-null count) is at least 0.05.
func GuessKind(c *Column, nValues int) DataKind {
	if nValues > 1 {
		return Categorical
	}
	switch c.Type {
	case Float:
		return Continuous
	case Int:
		if uniqueness(c) >= 0.05 {
			return Continuous
		}
	case String:
		for i, s := range c.Str {
			if c.isMissing(i) {
				continue
			}
			if _, ok := parseInt(s); !ok {
				return Categorical
			}
		}
		if uniqueness(c) >= 0.05 {
			return Continuous
		}
	}
	return Categorical
}

// uniqueness is the number of distinct non-null values over the number
// of non-null values.
func uniqueness(c *Column) float64 {
	count := 0
	var distinct int
	if c.Type == String {
		seen := make(map[string]struct{})
		for i, s := range c.Str {
			if !c.isMissing(i) {
				count++
				seen[s] = struct{}{}
			}
		}
		distinct = len(seen)
	} else if lo, hi, ok := intRange(c); ok {
		seen := make([]bool, hi-lo+1)
		for _, v := range c.Num {
			if !seen[int64(v)-lo] {
				seen[int64(v)-lo] = true
				distinct++
			}
		}
		count = len(c.Num)
	} else {
		seen := make(map[float64]struct{})
		for _, v := range c.Num {
			if !math.IsNaN(v) {
				count++
				seen[v] = struct{}{}
			}
		}
		distinct = len(seen)
	}
	if count == 0 {
		return 0
	}
	return float64(distinct) / float64(count)
}

// convert converts v to the Python type of the column's values, as
// smclarify does when no row matches the configured values. ok is false
// when Python's conversion would raise.
func convert(c *Column, v Value) (Value, bool) {
	switch c.Type {
	case String:
		return Value{Kind: StrValue, Str: v.String()}, true
	case Int:
		switch v.Kind {
		case StrValue:
			if i, ok := parseInt(v.Str); ok {
				return Value{Kind: IntValue, Num: float64(i)}, true
			}
			if f, ok := parseNumber(v.Str); ok {
				return Value{Kind: FloatValue, Num: f}, true
			}
			return v, false
		case FloatValue:
			if math.IsNaN(v.Num) || math.IsInf(v.Num, 0) {
				return v, false
			}
			return Value{Kind: IntValue, Num: math.Trunc(v.Num)}, true
		}
		return Value{Kind: IntValue, Num: v.Num}, true
	case Float:
		if v.Kind == StrValue {
			f, ok := parseNumber(v.Str)
			return Value{Kind: FloatValue, Num: f}, ok
		}
		return Value{Kind: FloatValue, Num: v.Num}, true
	case Bool:
		switch v.Kind {
		case StrValue:
			return Value{Kind: BoolValue, Num: b2f(v.Str != "")}, true
		default:
			return Value{Kind: BoolValue, Num: b2f(v.Num != 0)}, true
		}
	}
	return v, false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// matchCategorical returns the rows equal to any of values, retrying with
// the values converted to the column's type when nothing matches. used
// are the values that selected the rows (converted when the retry
// happened).
func matchCategorical(c *Column, values []Value) (mask []bool, used []Value) {
	n := c.Len()
	mask = make([]bool, n)
	found := matchInto(mask, c, values)
	if found || n == 0 {
		return mask, values
	}
	conv := make([]Value, 0, len(values))
	for _, v := range values {
		cv, ok := convert(c, v)
		if !ok {
			return mask, values
		}
		conv = append(conv, cv)
	}
	matchInto(mask, c, conv)
	return mask, conv
}

func matchInto(mask []bool, c *Column, values []Value) bool {
	found := false
	if c.Type == String {
		for i, s := range c.Str {
			if c.isMissing(i) {
				continue
			}
			for _, v := range values {
				if v.Kind == StrValue && s == v.Str {
					mask[i] = true
					found = true
					break
				}
			}
		}
		return found
	}
	for i, x := range c.Num {
		for _, v := range values {
			if v.Kind != StrValue && x == v.Num {
				mask[i] = true
				found = true
				break
			}
		}
	}
	return found
}

// interval is a continuous threshold: lo < x <= hi. Empty means pandas
// built no interval (the threshold equals the column's absolute max).
type interval struct {
	lo, hi float64
	empty  bool
	label  string
}

func (iv interval) contains(x float64) bool { return !iv.empty && x > iv.lo && x <= iv.hi }

// newInterval builds smclarify's (t, max] interval for column c (and
// also, when non-nil, the maximum of extra): breaks sorted([t] + [max]),
// max appended only when abs(max) is not already t.
func newInterval(values []Value, cols ...*Column) (interval, error) {
	if len(values) == 0 {
		return interval{}, errNoThreshold
	}
	v := values[0]
	t := v.Num
	if v.Kind == StrValue {
		f, ok := parseNumber(v.Str)
		if !ok {
			return interval{}, fmt.Errorf("threshold %q of a continuous column is not a number", v.Str)
		}
		t = f
		v = Value{Kind: FloatValue, Num: f}
	}
	maxv := math.Inf(-1)
	intBreaks := v.Kind == IntValue || v.Kind == BoolValue
	for _, c := range cols {
		if c == nil {
			continue
		}
		if c.Type != Int && c.Type != Bool {
			intBreaks = false
		}
		for _, x := range c.Num {
			if x > maxv {
				maxv = x
			}
		}
	}
	format := func(f float64) string {
		if intBreaks {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return PyFloat(f)
	}
	if math.IsInf(maxv, -1) || math.Abs(maxv) == t {
		return interval{lo: t, hi: t, empty: true, label: "(" + format(t) + ", " + format(t) + "]"}, nil
	}
	lo, hi := t, maxv
	if hi < lo {
		lo, hi = hi, lo
	}
	return interval{lo: lo, hi: hi, label: "(" + format(lo) + ", " + format(hi) + "]"}, nil
}

// intervalMask returns the rows of c inside iv.
func intervalMask(c *Column, iv interval) []bool {
	mask := make([]bool, len(c.Num))
	for i, x := range c.Num {
		mask[i] = iv.contains(x)
	}
	return mask
}

// joinValues is Python's ",".join(map(str, values)).
func joinValues(values []Value) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = v.String()
	}
	return strings.Join(parts, ",")
}

// binarize returns the positive rows of c for values, with the text
// Clarify reports for them.
func binarize(c *Column, values []Value, kind DataKind, maxCols ...*Column) ([]bool, string, error) {
	if kind == Categorical {
		if len(values) == 0 {
			return nil, "", errors.New("label values or facet values must be provided")
		}
		mask, used := matchCategorical(c, values)
		return mask, joinValues(used), nil
	}
	if c.Type == String {
		return nil, "", fmt.Errorf("column %q holds text and cannot be compared with a threshold", c.Name)
	}
	iv, err := newInterval(values, append([]*Column{c}, maxCols...)...)
	if err != nil {
		return nil, "", err
	}
	return intervalMask(c, iv), iv.label, nil
}

// castLike converts the predicted-label column p to the dtype of the
// label column y (pandas astype).
func castLike(p, y *Column) (*Column, error) {
	if p.Type == y.Type {
		return p, nil
	}
	out := &Column{Name: p.Name, Type: y.Type}
	n := p.Len()
	switch y.Type {
	case String:
		out.Str = make([]string, n)
		for i := range n {
			switch p.Type {
			case Int:
				out.Str[i] = strconv.FormatFloat(p.Num[i], 'f', -1, 64)
			case Bool:
				out.Str[i] = Value{Kind: BoolValue, Num: p.Num[i]}.String()
			default:
				out.Str[i] = PyFloat(p.Num[i])
			}
		}
		return out, nil
	case Int, Bool:
		if p.Type == String {
			return nil, fmt.Errorf("predicted label column %q holds text; the label column %q is %s", p.Name, y.Name, y.Type)
		}
		out.Num = make([]float64, n)
		for i, x := range p.Num {
			if math.IsNaN(x) {
				return nil, fmt.Errorf("predicted label column %q has a missing value in row %d", p.Name, i+1)
			}
			if y.Type == Bool {
				out.Num[i] = b2f(x != 0)
			} else {
				out.Num[i] = math.Trunc(x)
			}
		}
		return out, nil
	case Float:
		if p.Type == String {
			out.Num = make([]float64, n)
			for i, s := range p.Str {
				f, ok := parseNumber(s)
				if !ok {
					return nil, fmt.Errorf("predicted label %s in row %d of column %q is not a number", quote.Value(s), i+1, p.Name)
				}
				out.Num[i] = f
			}
			return out, nil
		}
		out.Num = p.Num
		out.Missing = p.Missing
		return out, nil
	}
	return p, nil
}
