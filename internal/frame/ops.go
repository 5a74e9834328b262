package frame

import (
	"fmt"
	"math"

	"github.com/ferryml/ferry/internal/quote"
)

// Select returns a frame of the named columns, in the given order.
func (f *Frame) Select(names ...string) (*Frame, error) {
	cols := make([]*Column, len(names))
	for i, n := range names {
		c, err := f.Lookup(n)
		if err != nil {
			return nil, fmt.Errorf("selecting columns: %w", err)
		}
		cols[i] = c
	}
	return New(cols...)
}

// Drop returns a frame without the named columns. Naming a column the
// frame does not have is an error (as in pandas).
func (f *Frame) Drop(names ...string) (*Frame, error) {
	drop := make(map[string]bool, len(names))
	for _, n := range names {
		if _, ok := f.index[n]; !ok {
			return nil, fmt.Errorf("dropping columns: no column %q", n)
		}
		drop[n] = true
	}
	cols := make([]*Column, 0, len(f.cols))
	for _, c := range f.cols {
		if !drop[c.Name] {
			cols = append(cols, c)
		}
	}
	return New(cols...)
}

// Rename returns a frame whose columns are renamed by the map (old name →
// new name). Naming an unknown column, or renaming into a clash, is an
// error. Column data is shared.
func (f *Frame) Rename(names map[string]string) (*Frame, error) {
	for old := range names {
		if _, ok := f.index[old]; !ok {
			return nil, fmt.Errorf("renaming columns: no column %q", old)
		}
	}
	return f.RenameFunc(func(s string) string {
		if n, ok := names[s]; ok {
			return n
		}
		return s
	})
}

// RenameFunc returns a frame whose column names are fn(name). Two columns
// mapping to one name is an error. Column data is shared.
func (f *Frame) RenameFunc(fn func(string) string) (*Frame, error) {
	cols := make([]*Column, len(f.cols))
	for i, c := range f.cols {
		cc := *c
		cc.Name = fn(c.Name)
		cols[i] = &cc
	}
	out, err := New(cols...)
	if err != nil {
		return nil, fmt.Errorf("renaming columns: %w", err)
	}
	return out, nil
}

// With returns a frame with c added at the end, or replacing the column
// of the same name in place.
func (f *Frame) With(c *Column) (*Frame, error) {
	cols := append([]*Column(nil), f.cols...)
	if i, ok := f.index[c.Name]; ok {
		cols[i] = c
	} else {
		cols = append(cols, c)
	}
	return New(cols...)
}

// Take returns the rows at the given indexes, in that order (indexes may
// repeat). An index of -1 gives a row of missing values.
func (f *Frame) Take(idx []int) *Frame {
	cols := make([]*Column, len(f.cols))
	for i, c := range f.cols {
		cols[i] = c.Take(idx)
	}
	return &Frame{cols: cols, index: f.index, rows: len(idx)}
}

// Filter returns the rows where keep is true; keep must have NumRows
// entries.
func (f *Frame) Filter(keep []bool) (*Frame, error) {
	if len(keep) != f.rows {
		return nil, fmt.Errorf("filtering rows: mask has %d entries for %d rows", len(keep), f.rows)
	}
	idx := make([]int, 0, f.rows)
	for i, k := range keep {
		if k {
			idx = append(idx, i)
		}
	}
	return f.Take(idx), nil
}

// Take returns the values at the given indexes; -1 gives a missing value.
func (c *Column) Take(idx []int) *Column {
	out := &Column{Name: c.Name, Type: c.Type}
	needMask := c.Valid != nil
	for _, j := range idx {
		if j < 0 {
			needMask = true
			break
		}
	}
	if needMask {
		out.Valid = make([]bool, len(idx))
		for k, j := range idx {
			out.Valid[k] = j >= 0 && c.IsValid(j)
		}
	}
	switch c.Type {
	case Int:
		out.Ints = gather(c.Ints, idx, 0)
	case Float:
		out.Floats = gather(c.Floats, idx, math.NaN())
	case String:
		out.Strings = gather(c.Strings, idx, "")
	case Bool:
		out.Bools = gather(c.Bools, idx, false)
	}
	return out
}

func gather[T any](src []T, idx []int, zero T) []T {
	dst := make([]T, len(idx))
	for k, j := range idx {
		if j >= 0 {
			dst[k] = src[j]
		} else {
			dst[k] = zero
		}
	}
	return dst
}

// FillMissing returns a copy of c with missing values replaced by v,
// which must suit the column type: a string for string columns, a number
// for int and float columns (an int column takes only integral values),
// a bool for bool columns. NaN in a float column counts as missing.
func (c *Column) FillMissing(v any) (*Column, error) {
	out := c.clone(c.Name)
	out.Valid = nil
	switch c.Type {
	case String:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("filling column %q: fill value %v is not a string", c.Name, v)
		}
		for i := range out.Strings {
			if !c.IsValid(i) {
				out.Strings[i] = s
			}
		}
	case Float:
		x, ok := toFloat(v)
		if !ok {
			return nil, fmt.Errorf("filling column %q: fill value %v is not a number", c.Name, v)
		}
		for i, f := range out.Floats {
			if !c.IsValid(i) || math.IsNaN(f) {
				out.Floats[i] = x
			}
		}
	case Int:
		x, ok := toFloat(v)
		if !ok || x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return nil, fmt.Errorf("filling column %q: fill value %v is not an integer", c.Name, v)
		}
		for i := range out.Ints {
			if !c.IsValid(i) {
				out.Ints[i] = int64(x)
			}
		}
	case Bool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("filling column %q: fill value %v is not a boolean", c.Name, v)
		}
		for i := range out.Bools {
			if !c.IsValid(i) {
				out.Bools[i] = b
			}
		}
	}
	return out, nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	}
	return 0, false
}

// ToFloat returns c converted to a float column (ints, bools as 0/1,
// numeric strings); missing values become NaN and stay missing. A string
// that is not a number is an error naming the row.
func (c *Column) ToFloat() (*Column, error) {
	if c.Type == Float {
		return c, nil
	}
	out := &Column{Name: c.Name, Type: Float, Floats: make([]float64, c.Len()), Valid: cloneSlice(c.Valid)}
	for i := range out.Floats {
		v, ok := c.Float(i)
		if !ok && c.IsValid(i) {
			return nil, fmt.Errorf("column %q row %d: value %s is not a number", c.Name, i, quote.Value(c.Text(i)))
		}
		out.Floats[i] = v
	}
	return out, nil
}
