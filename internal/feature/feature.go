// Package feature is the feature transform that tabular_prepare writes as
// schema.json and that training stores in the model manifest: it turns a
// raw named record (the columns of the joined input tables, values as
// text) into the model's input vector, applying exactly the fill values,
// ordinal maps and one-hot encodings the prepared datasets were made with.
package feature

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ferryml/ferry/internal/cell"
	"github.com/ferryml/ferry/internal/frame"
	"github.com/ferryml/ferry/internal/quote"
)

// FormatVersion is the schema.json format version this package writes.
const FormatVersion = 1

// Encodings of a feature.
const (
	// Numeric features take the input value as a number.
	Numeric = "numeric"
	// Ordinal features map the input text through Transform.Ordinal.
	Ordinal = "ordinal"
	// OneHot features are 1 when the input equals Category, else 0.
	OneHot = "one_hot"
)

// Unseen-category policies for one-hot features.
const (
	UnseenError  = "error"
	UnseenIgnore = "ignore"
)

// Column is a raw input column.
type Column struct {
	Name string `json:"name"`
	// Type is the column type inferred from the data: int, float, string
	// or bool.
	Type string `json:"type"`
	// NA is the missing-value setting of the input the column was read
	// from. Nil (schema.json files written before it was recorded per
	// column) means the transform-level NAValues and NoDefaultNA.
	NA *NA `json:"na,omitempty"`
}

// NA is one input's missing-value setting: an empty value is always
// missing, and so are Values and, unless NoDefault, pandas' default NA
// strings.
type NA struct {
	Values    []string `json:"values,omitempty"`
	NoDefault bool     `json:"no_default,omitempty"`
}

// Feature is one model input, in model order.
type Feature struct {
	Name string `json:"name"`
	// Type is the type of the prepared column: "int" (one-hot indicators,
	// integer inputs) or "float".
	Type string `json:"type"`
	// Source is the raw input column the feature comes from.
	Source   string `json:"source"`
	Encoding string `json:"encoding"`
	// Category is the category value of a one-hot feature.
	Category string `json:"category,omitempty"`
}

// Transform is the content of schema.json.
type Transform struct {
	FormatVersion int `json:"format_version"`
	// Label is the label column of the prepared datasets, written first.
	Label string `json:"label,omitempty"`
	// LabelType is the label column's type.
	LabelType string `json:"label_type,omitempty"`
	// Inputs are the raw columns (after joining and renaming) before any
	// column was dropped.
	Inputs []Column `json:"inputs"`
	// Dropped are the input columns (and one-hot indicators) left out.
	Dropped []string `json:"dropped,omitempty"`
	// Fill gives the value a missing input takes before encoding, by
	// input column.
	Fill map[string]string `json:"fill,omitempty"`
	// NAValues are strings read as missing in addition to an empty value
	// and pandas' default NA strings (unless NoDefaultNA), for input
	// columns without their own NA setting (Column.NA); tabular_prepare
	// now records the setting per column and leaves these empty.
	NAValues    []string `json:"na_values,omitempty"`
	NoDefaultNA bool     `json:"no_default_na,omitempty"`
	// Ordinal maps an ordinal input column's values to numbers.
	Ordinal map[string]map[string]float64 `json:"ordinal,omitempty"`
	// OneHotCategories lists the sorted categories of each one-hot input.
	OneHotCategories map[string][]string `json:"one_hot,omitempty"`
	// Unseen is the policy for a one-hot value outside the categories:
	// "error" or "ignore" (all zeros).
	Unseen string `json:"unseen,omitempty"`
	// Features are the model inputs in order.
	Features []Feature `json:"features"`
}

// FeatureNames returns the feature names in model order.
func (t *Transform) FeatureNames() []string {
	out := make([]string, len(t.Features))
	for i, f := range t.Features {
		out[i] = f.Name
	}
	return out
}

// FeatureTypes returns the feature types in model order.
func (t *Transform) FeatureTypes() []string {
	out := make([]string, len(t.Features))
	for i, f := range t.Features {
		out[i] = f.Type
	}
	return out
}

// Parse decodes and validates a schema.json document.
func Parse(data []byte) (*Transform, error) {
	var t Transform
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("decoding feature transform: %w", err)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Validate checks that the transform is self-consistent.
func (t *Transform) Validate() error {
	if t.FormatVersion != FormatVersion {
		return fmt.Errorf("feature transform: format_version %d, want %d", t.FormatVersion, FormatVersion)
	}
	if len(t.Features) == 0 {
		return fmt.Errorf("feature transform: no features")
	}
	switch t.Unseen {
	case "", UnseenError, UnseenIgnore:
	default:
		return fmt.Errorf("feature transform: unseen %q: want error or ignore", t.Unseen)
	}
	seen := make(map[string]bool, len(t.Features))
	for i, f := range t.Features {
		where := fmt.Sprintf("feature transform: features[%d] (%q)", i, f.Name)
		if f.Name == "" || f.Source == "" {
			return fmt.Errorf("%s: name and source are required", where)
		}
		if seen[f.Name] {
			return fmt.Errorf("%s: duplicate feature name", where)
		}
		seen[f.Name] = true
		switch f.Encoding {
		case Numeric, OneHot:
		case Ordinal:
			if _, ok := t.Ordinal[f.Source]; !ok {
				return fmt.Errorf("%s: no ordinal map for %q", where, f.Source)
			}
		default:
			return fmt.Errorf("%s: unknown encoding %q", where, f.Encoding)
		}
	}
	return nil
}

// Encode writes the model inputs for a raw record (input column → value
// text) into dst, which must have one slot per feature. An absent or NA
// value (by the NA setting of its input column) is missing: it takes the
// column's fill value if there is one, else it encodes as NaN (numeric,
// ordinal) or as all zeros (one-hot). Before an ordinal or one-hot lookup
// a value of an int, float or bool input column is parsed with that type
// and written as training wrote it (frame.Column.Text): "true" is "True",
// "1" of a float column is "1.0", "007" of an int column is "7".
// Errors name the field: a value that is not a number, an ordinal value
// without a mapping, or an unseen category under the "error" policy.
func (t *Transform) Encode(dst []float64, rec map[string]string) error {
	if len(dst) != len(t.Features) {
		return fmt.Errorf("encoding record: dst has %d slots for %d features", len(dst), len(t.Features))
	}
	for i, f := range t.Features {
		in := t.input(f.Source)
		v, present := rec[f.Source]
		if !present || t.isNA(in, v) {
			v, present = t.Fill[f.Source]
		}
		if present && (f.Encoding == Ordinal || f.Encoding == OneHot) {
			v = canonical(in, v)
		}
		switch f.Encoding {
		case Numeric:
			if !present {
				dst[i] = math.NaN()
				continue
			}
			x, err := parseNumber(v)
			if err != nil {
				return fmt.Errorf("field %s: value %w", quote.Value(f.Source), err)
			}
			dst[i] = x
		case Ordinal:
			if !present {
				dst[i] = math.NaN()
				continue
			}
			x, ok := t.Ordinal[f.Source][v]
			if !ok {
				return fmt.Errorf("field %s: ordinal value %s has no mapping", quote.Value(f.Source), quote.Value(v))
			}
			dst[i] = x
		case OneHot:
			dst[i] = 0
			if !present {
				continue
			}
			if v == f.Category {
				dst[i] = 1
			} else if t.Unseen == UnseenError && !t.known(f.Source, v) {
				return fmt.Errorf("field %s: unseen category %s", quote.Value(f.Source), quote.Value(v))
			}
		default:
			return fmt.Errorf("feature %q: unknown encoding %q", f.Name, f.Encoding)
		}
	}
	return nil
}

// UnknownFieldsError names the fields of a raw record that are not input
// columns of the transform (misspelled or foreign fields), which Encode
// would otherwise ignore, predicting from missing values.
type UnknownFieldsError struct {
	Fields []string // sorted
	// Suggest maps a field to the input column it is likely a misspelling
	// of, when there is one.
	Suggest map[string]string
}

func (e *UnknownFieldsError) Error() string {
	var b strings.Builder
	if len(e.Fields) == 1 {
		b.WriteString("unknown field ")
	} else {
		b.WriteString("unknown fields ")
	}
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote.Value(f))
		if s, ok := e.Suggest[f]; ok {
			b.WriteString(" (did you mean " + quote.Value(s) + "?)")
		}
	}
	b.WriteString(": not an input column of the model's feature transform")
	return b.String()
}

// CheckFields returns an *UnknownFieldsError when rec has fields that are
// not input columns of the transform (Inputs; the features' sources when
// Inputs is empty), nil otherwise. Input columns the model does not use
// (the label, dropped columns) are accepted.
func (t *Transform) CheckFields(rec map[string]string) error {
	var unknown []string
	for k := range rec {
		if !t.isInput(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	e := &UnknownFieldsError{Fields: unknown}
	for _, k := range unknown {
		if s := t.closest(k); s != "" {
			if e.Suggest == nil {
				e.Suggest = make(map[string]string)
			}
			e.Suggest[k] = s
		}
	}
	return e
}

func (t *Transform) isInput(name string) bool {
	if len(t.Inputs) > 0 {
		return t.input(name) != nil
	}
	for _, f := range t.Features {
		if f.Source == name {
			return true
		}
	}
	return false
}

// closest returns the input column within a small edit distance of name
// (ignoring case), or "".
func (t *Transform) closest(name string) string {
	var cands []string
	for _, c := range t.Inputs {
		cands = append(cands, c.Name)
	}
	if len(cands) == 0 {
		for _, f := range t.Features {
			cands = append(cands, f.Source)
		}
	}
	best, bestD := "", max(2, len(name)/4)+1
	for _, c := range cands {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b))
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (t *Transform) known(col, v string) bool {
	for _, c := range t.OneHotCategories[col] {
		if c == v {
			return true
		}
	}
	return false
}

// input returns the input column named name, or nil.
func (t *Transform) input(name string) *Column {
	for i := range t.Inputs {
		if t.Inputs[i].Name == name {
			return &t.Inputs[i]
		}
	}
	return nil
}

// canonical returns v as training's frame.Column.Text wrote values of the
// input column's type; v unchanged when the type is string or unknown or
// v does not parse (it then fails the lookup as before).
func canonical(in *Column, v string) string {
	if in == nil {
		return v
	}
	typ, err := frame.ParseType(in.Type)
	if err != nil {
		return v
	}
	c, err := frame.CanonicalText(typ, v)
	if err != nil {
		return v
	}
	return c
}

func (t *Transform) isNA(in *Column, v string) bool {
	if v == "" {
		return true
	}
	values, noDefault := t.NAValues, t.NoDefaultNA
	if in != nil && in.NA != nil {
		values, noDefault = in.NA.Values, in.NA.NoDefault
	}
	for _, s := range values {
		if v == s {
			return true
		}
	}
	if noDefault {
		return false
	}
	return cell.IsNA(v)
}

// parseNumber reads a numeric feature's present value (the caller has
// applied the column's NA setting) by the model-input rule of package
// cell; booleans (a bool input column) are 1 and 0.
func parseNumber(v string) (float64, error) {
	switch v {
	case "True", "true", "TRUE":
		return 1, nil
	case "False", "false", "FALSE":
		return 0, nil
	}
	return cell.Finite(v)
}
