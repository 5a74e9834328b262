package frame

import (
	"fmt"
	"math"
	"slices"

	"github.com/ferryml/ferry/internal/quote"
)

// Ordinal returns c mapped through m (value text → number) as a float
// column. A missing value stays missing (NaN). A present value that m does
// not map is an error naming the column, the row and the value.
func (c *Column) Ordinal(m map[string]float64) (*Column, error) {
	out := &Column{Name: c.Name, Type: Float, Floats: make([]float64, c.Len())}
	if c.Valid != nil {
		out.Valid = make([]bool, c.Len())
	}
	for i := range out.Floats {
		if !c.IsValid(i) {
			out.Floats[i] = math.NaN()
			continue
		}
		if out.Valid != nil {
			out.Valid[i] = true
		}
		var key string
		if c.Type == String {
			key = c.Strings[i]
		} else {
			key = c.Text(i)
		}
		v, ok := m[key]
		if !ok {
			return nil, fmt.Errorf("ordinal column %q row %d: value %s has no mapping", c.Name, i, quote.Value(key))
		}
		out.Floats[i] = v
	}
	return out, nil
}

// Categories returns the distinct present values of c as text, sorted by
// code point (Go string order, as Python's sorted on str).
func (c *Column) Categories() []string {
	seen := make(map[string]struct{})
	for i := 0; i < c.Len(); i++ {
		if !c.IsValid(i) {
			continue
		}
		if c.Type == String {
			seen[c.Strings[i]] = struct{}{}
		} else {
			seen[c.Text(i)] = struct{}{}
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// UnseenPolicy says what one-hot encoding does with a value outside the
// known categories.
type UnseenPolicy string

// The unseen-category policies.
const (
	// UnseenError fails, naming the column, row and value.
	UnseenError UnseenPolicy = "error"
	// UnseenIgnore encodes the value as all zeros.
	UnseenIgnore UnseenPolicy = "ignore"
)

// OneHot is the fitted encoding of one categorical column.
type OneHot struct {
	Column     string   `json:"column"`
	Categories []string `json:"categories"`
}

// DummyName returns the name of the indicator column of category value:
// "column_value", as pandas get_dummies names it.
func DummyName(column, value string) string { return column + "_" + value }

// Names returns the indicator column names, in category order.
func (o OneHot) Names() []string {
	out := make([]string, len(o.Categories))
	for i, v := range o.Categories {
		out[i] = DummyName(o.Column, v)
	}
	return out
}

// FitOneHot returns the encoding of the named columns: each column's
// sorted categories.
func FitOneHot(f *Frame, columns []string) ([]OneHot, error) {
	out := make([]OneHot, len(columns))
	for i, name := range columns {
		c, err := f.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("fitting one-hot encoding: %w", err)
		}
		out[i] = OneHot{Column: name, Categories: c.Categories()}
	}
	return out, nil
}

// ApplyOneHot replaces each encoded column by its 0/1 int indicator
// columns, appended after the remaining columns in encoding order, as
// pandas get_dummies does. A missing value gives all zeros; a value
// outside the categories gives all zeros under UnseenIgnore and an error
// under UnseenError.
func ApplyOneHot(f *Frame, enc []OneHot, unseen UnseenPolicy) (*Frame, error) {
	if unseen != UnseenError && unseen != UnseenIgnore {
		return nil, fmt.Errorf("one-hot encoding: unknown unseen-category policy %q (want error or ignore)", unseen)
	}
	drop := make([]string, len(enc))
	var dummies []*Column
	for k, e := range enc {
		c, err := f.Lookup(e.Column)
		if err != nil {
			return nil, fmt.Errorf("one-hot encoding: %w", err)
		}
		drop[k] = e.Column
		code := make(map[string]int, len(e.Categories))
		ind := make([][]int64, len(e.Categories))
		for j, v := range e.Categories {
			code[v] = j
			ind[j] = make([]int64, f.rows)
		}
		for i := 0; i < f.rows; i++ {
			if !c.IsValid(i) {
				continue
			}
			var v string
			if c.Type == String {
				v = c.Strings[i]
			} else {
				v = c.Text(i)
			}
			j, ok := code[v]
			if !ok {
				if unseen == UnseenError {
					return nil, fmt.Errorf("one-hot column %q row %d: unseen category %s", e.Column, i, quote.Value(v))
				}
				continue
			}
			ind[j][i] = 1
		}
		for j, v := range e.Categories {
			dummies = append(dummies, NewInt(DummyName(e.Column, v), ind[j], nil))
		}
	}
	rest, err := f.Drop(drop...)
	if err != nil {
		return nil, fmt.Errorf("one-hot encoding: %w", err)
	}
	out, err := New(append(append([]*Column(nil), rest.cols...), dummies...)...)
	if err != nil {
		return nil, fmt.Errorf("one-hot encoding: %w", err)
	}
	return out, nil
}
