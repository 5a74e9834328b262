package prepare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ferryml/ferry/internal/quote"
	"github.com/ferryml/ferry/internal/step"
)

// Config is the tabular_prepare step's "config" argument. Steps run in
// the order of the fields: read, normalise names, join, rename, drop,
// fill, ordinal maps, one-hot encoding, lower-case names, drop_after,
// label first, split.
type Config struct {
	// Inputs holds per-input read options, by input name.
	Inputs map[string]InputConfig `json:"inputs,omitempty"`
	// Base names the input the joins start from; it defaults to the
	// first join's left side, or to the only input.
	Base string `json:"base,omitempty"`
	// Join lists joins applied in order to the table built so far.
	Join []JoinConfig `json:"join,omitempty"`
	// NormalizeColumnNames lower-cases, trims and replaces spaces by
	// underscores in every input's column names, right after reading.
	NormalizeColumnNames bool `json:"normalize_column_names,omitempty"`
	// Rename renames columns (old → new) after the joins.
	Rename map[string]string `json:"rename,omitempty"`
	// Drop removes columns before encoding.
	Drop []string `json:"drop,omitempty"`
	// Fill gives missing values of a column a value (string or number).
	Fill map[string]any `json:"fill,omitempty"`
	// Ordinal maps the text values of a column to numbers (then float).
	Ordinal map[string]map[string]float64 `json:"ordinal,omitempty"`
	// OneHot configures one-hot encoding.
	OneHot *OneHotConfig `json:"one_hot,omitempty"`
	// DropAfter removes columns after encoding (names after lower-casing).
	DropAfter []string `json:"drop_after,omitempty"`
	// LowercaseColumns lower-cases every column name after encoding.
	LowercaseColumns bool `json:"lowercase_columns,omitempty"`
	// Label is the label column, written first (required).
	Label string `json:"label"`
	// Split configures the train/validation/test split.
	Split SplitConfig `json:"split"`
	// Format is the output format: "csv" (default) or "parquet".
	Format string `json:"format,omitempty"`
	// Header writes a header row in CSV outputs (default true).
	Header *bool `json:"header,omitempty"`
}

// InputConfig are read options for one input.
type InputConfig struct {
	// File is the file inside the input artifact; by default its only
	// .csv or .parquet file.
	File string `json:"file,omitempty"`
	// NAValues are extra strings read as missing.
	NAValues    []string `json:"na_values,omitempty"`
	NoDefaultNA bool     `json:"no_default_na,omitempty"`
	// NoHeader reads a CSV file without a header row; Names then names
	// the columns.
	NoHeader bool     `json:"no_header,omitempty"`
	Names    []string `json:"names,omitempty"`
}

// JoinConfig is one join.
type JoinConfig struct {
	// Left is the input the join starts from (first join only; later
	// joins apply to the table built so far and may repeat any input
	// already joined, or leave it empty).
	Left string `json:"left,omitempty"`
	// Right is the input joined in.
	Right string   `json:"right"`
	On    []string `json:"on"`
	// How is "left" (default) or "inner".
	How string `json:"how,omitempty"`
}

// OneHotConfig configures one-hot encoding.
type OneHotConfig struct {
	// Columns is a list of column names or the string "auto": every
	// string column that is not ordinal or the label.
	Columns any `json:"columns,omitempty"`
	// FillMissing is the category a missing value becomes before encoding
	// (for example "na", which gives a column_na indicator); unset, a
	// missing value encodes as all zeros.
	FillMissing *string `json:"fill_missing,omitempty"`
	// Unseen is the policy at transform time for categories not seen in
	// the data: "error" (default) or "ignore" (all zeros).
	Unseen string `json:"unseen,omitempty"`
}

// SplitConfig configures the split.
type SplitConfig struct {
	// Test and Validation are fractions in [0, 1): the test set
	// (ceil(test·n) rows) is held out first, then ceil(validation·rest).
	Test       float64 `json:"test"`
	Validation float64 `json:"validation"`
	Seed       uint64  `json:"seed"`
	// Stratify keeps the label's class shares in every part.
	Stratify bool `json:"stratify,omitempty"`
}

// columns returns the configured one-hot columns; auto is true for "auto".
func (o *OneHotConfig) columns() (cols []string, auto bool, err error) {
	switch v := o.Columns.(type) {
	case nil:
		return nil, true, nil
	case string:
		if v != "auto" {
			return nil, false, fmt.Errorf("want a list of column names or \"auto\", got %s", quote.Value(v))
		}
		return nil, true, nil
	case []any:
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, false, fmt.Errorf("item %d: want a column name, got %v", i, x)
			}
			cols = append(cols, s)
		}
		return cols, false, nil
	case []string:
		return v, false, nil
	}
	return nil, false, fmt.Errorf("want a list of column names or \"auto\", got %T", o.Columns)
}

// ParseConfig decodes and checks a config object. Every problem is
// returned, each a *step.FieldError with a "config.…" path.
func ParseConfig(config map[string]any) (Config, []error) {
	var cfg Config
	b, err := json.Marshal(stripRefs(config))
	if err != nil {
		return cfg, []error{&step.FieldError{Field: "config", Msg: err.Error()}}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, []error{jsonFieldError(err)}
	}
	return cfg, cfg.check()
}

func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return &step.FieldError{Field: "config." + te.Field, Msg: fmt.Sprintf("want %s, got %s", te.Type, te.Value)}
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return &step.FieldError{Field: "config", Msg: "unknown key " + name}
	}
	return &step.FieldError{Field: "config", Msg: msg}
}

// stripRefs replaces reference placeholders (values known only at run
// time) by nil, so that validation checks the literal parts.
func stripRefs(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if s := stripRefs(e); s != nil {
				out[k] = s
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripRefs(e)
		}
		return out
	case *step.RefPlaceholder, step.RefPlaceholder:
		return nil
	}
	return v
}

func (c *Config) check() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &step.FieldError{Field: "config." + field, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Label == "" {
		bad("label", "required: the label column")
	}
	if c.Split.Test < 0 || c.Split.Test >= 1 {
		bad("split.test", "%v is outside [0, 1)", c.Split.Test)
	}
	if c.Split.Validation < 0 || c.Split.Validation >= 1 {
		bad("split.validation", "%v is outside [0, 1)", c.Split.Validation)
	}
	switch c.Format {
	case "", "csv", "parquet":
	default:
		bad("format", "%q: want csv or parquet", c.Format)
	}
	for i, j := range c.Join {
		if j.Right == "" {
			bad(fmt.Sprintf("join[%d].right", i), "required: the input to join")
		}
		if len(j.On) == 0 {
			bad(fmt.Sprintf("join[%d].on", i), "required: the key columns")
		}
		if i == 0 && j.Left == "" && c.Base == "" {
			bad("join[0].left", "required: the input the joins start from")
		}
		switch j.How {
		case "", "left", "inner":
		default:
			bad(fmt.Sprintf("join[%d].how", i), "%q: want left or inner", j.How)
		}
	}
	if c.OneHot != nil {
		if _, _, err := c.OneHot.columns(); err != nil {
			bad("one_hot.columns", "%v", err)
		}
		switch c.OneHot.Unseen {
		case "", "error", "ignore":
		default:
			bad("one_hot.unseen", "%q: want error or ignore", c.OneHot.Unseen)
		}
	}
	for col, v := range c.Fill {
		switch v.(type) {
		case string, float64:
		default:
			bad("fill."+col, "want a string or a number, got %v", v)
		}
	}
	for name, in := range c.Inputs {
		if len(in.Names) > 0 && !in.NoHeader {
			bad("inputs."+name+".names", "names need no_header: true")
		}
	}
	return errs
}
