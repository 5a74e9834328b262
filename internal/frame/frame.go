// Package frame is Ferry's columnar table: typed columns (int64, float64,
// string, bool) with a validity mask, CSV and Parquet I/O with pandas-1.x
// compatible type inference and missing values, and the linear-time
// operations data preparation needs: select, drop, rename, filter, joins,
// ordinal maps, one-hot encoding, filling missing values and seeded splits.
//
// Frames are values built once and then transformed into new frames;
// operations never modify the columns of their input unless documented
// (the methods that take a column name and mutate say so).
package frame

import (
	"fmt"
	"math"
	"strconv"
)

// Type is a column's element type.
type Type uint8

// The column types.
const (
	Int Type = iota + 1
	Float
	String
	Bool
)

// String returns the type's name as used in schemas: "int", "float",
// "string" or "bool".
func (t Type) String() string {
	switch t {
	case Int:
		return "int"
	case Float:
		return "float"
	case String:
		return "string"
	case Bool:
		return "bool"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// ParseType parses a type name written by Type.String.
func ParseType(s string) (Type, error) {
	switch s {
	case "int":
		return Int, nil
	case "float":
		return Float, nil
	case "string":
		return String, nil
	case "bool":
		return Bool, nil
	}
	return 0, fmt.Errorf("unknown column type %q (want int, float, string or bool)", s)
}

// Column is one named, typed column. Exactly one of Ints, Floats, Strings
// and Bools is used, according to Type. Valid marks the present values;
// nil means every value is present. The slot of a missing value holds the
// zero value (NaN for floats read from files).
type Column struct {
	Name    string
	Type    Type
	Ints    []int64
	Floats  []float64
	Strings []string
	Bools   []bool
	Valid   []bool
}

// NewInt returns an int column; valid may be nil (all present).
func NewInt(name string, v []int64, valid []bool) *Column {
	return &Column{Name: name, Type: Int, Ints: v, Valid: valid}
}

// NewFloat returns a float column; valid may be nil (all present).
func NewFloat(name string, v []float64, valid []bool) *Column {
	return &Column{Name: name, Type: Float, Floats: v, Valid: valid}
}

// NewString returns a string column; valid may be nil (all present).
func NewString(name string, v []string, valid []bool) *Column {
	return &Column{Name: name, Type: String, Strings: v, Valid: valid}
}

// NewBool returns a bool column; valid may be nil (all present).
func NewBool(name string, v []bool, valid []bool) *Column {
	return &Column{Name: name, Type: Bool, Bools: v, Valid: valid}
}

// Len returns the number of values.
func (c *Column) Len() int {
	switch c.Type {
	case Int:
		return len(c.Ints)
	case Float:
		return len(c.Floats)
	case String:
		return len(c.Strings)
	case Bool:
		return len(c.Bools)
	}
	return 0
}

// IsValid reports whether value i is present.
func (c *Column) IsValid(i int) bool { return c.Valid == nil || c.Valid[i] }

// NullCount returns the number of missing values.
func (c *Column) NullCount() int {
	n := 0
	for _, v := range c.Valid {
		if !v {
			n++
		}
	}
	return n
}

// Float returns value i as a float64 and whether it is present. Strings
// are parsed; a string that is not a number reports false.
func (c *Column) Float(i int) (float64, bool) {
	if !c.IsValid(i) {
		return math.NaN(), false
	}
	switch c.Type {
	case Int:
		return float64(c.Ints[i]), true
	case Float:
		return c.Floats[i], true
	case Bool:
		if c.Bools[i] {
			return 1, true
		}
		return 0, true
	case String:
		f, err := strconv.ParseFloat(c.Strings[i], 64)
		return f, err == nil
	}
	return math.NaN(), false
}

// Text returns value i as text ("" when missing): ints in decimal, floats
// in Python's repr form ("1.0", "0.25", "1e-05"), bools as "True"/"False".
func (c *Column) Text(i int) string {
	if !c.IsValid(i) {
		return ""
	}
	return string(c.appendText(nil, i))
}

func (c *Column) appendText(dst []byte, i int) []byte {
	switch c.Type {
	case Int:
		return strconv.AppendInt(dst, c.Ints[i], 10)
	case Float:
		return AppendFloat(dst, c.Floats[i])
	case Bool:
		if c.Bools[i] {
			return append(dst, "True"...)
		}
		return append(dst, "False"...)
	case String:
		return append(dst, c.Strings[i]...)
	}
	return dst
}

// AppendFloat appends f formatted as Python's repr (and so pandas' to_csv)
// does: the shortest text that reads back as f, in positional notation
// with a ".0" for integral values when 1e-4 <= |f| < 1e16, in scientific
// notation otherwise; NaN is "nan" and infinities "inf" and "-inf".
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	a := math.Abs(f)
	if a < 1<<53 && f == math.Trunc(f) && f != 0 {
		// An integral value (an ordinal code, a count): exact as an int.
		return append(strconv.AppendInt(dst, int64(f), 10), ".0"...)
	}
	if f == 0 || (a >= 1e-4 && a < 1e16) {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		for _, b := range dst[start:] {
			if b == '.' {
				return dst
			}
		}
		return append(dst, ".0"...)
	}
	return strconv.AppendFloat(dst, f, 'e', -1, 64)
}

// clone returns a deep copy of the column under a new name.
func (c *Column) clone(name string) *Column {
	out := &Column{Name: name, Type: c.Type}
	out.Ints = cloneSlice(c.Ints)
	out.Floats = cloneSlice(c.Floats)
	out.Strings = cloneSlice(c.Strings)
	out.Bools = cloneSlice(c.Bools)
	out.Valid = cloneSlice(c.Valid)
	return out
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append([]T(nil), s...)
}

// Field is one entry of a frame's schema.
type Field struct {
	Name string
	Type Type
}

// Frame is a table of equally long, uniquely named columns.
type Frame struct {
	cols  []*Column
	index map[string]int
	rows  int
}

// New returns a frame of the given columns, which must have distinct
// names and equal lengths. The frame shares the columns.
func New(cols ...*Column) (*Frame, error) {
	f := &Frame{cols: cols, index: make(map[string]int, len(cols))}
	for i, c := range cols {
		if c == nil {
			return nil, fmt.Errorf("column %d is nil", i)
		}
		if _, dup := f.index[c.Name]; dup {
			return nil, fmt.Errorf("duplicate column name %q", c.Name)
		}
		f.index[c.Name] = i
		n := c.Len()
		if i == 0 {
			f.rows = n
		} else if n != f.rows {
			return nil, fmt.Errorf("column %q has %d values, column %q has %d", c.Name, n, cols[0].Name, f.rows)
		}
		if c.Valid != nil && len(c.Valid) != n {
			return nil, fmt.Errorf("column %q has %d values but a validity mask of %d", c.Name, n, len(c.Valid))
		}
	}
	return f, nil
}

// NumRows returns the number of rows.
func (f *Frame) NumRows() int { return f.rows }

// NumCols returns the number of columns.
func (f *Frame) NumCols() int { return len(f.cols) }

// Columns returns the columns in order. The slice is the frame's own.
func (f *Frame) Columns() []*Column { return f.cols }

// Names returns the column names in order.
func (f *Frame) Names() []string {
	names := make([]string, len(f.cols))
	for i, c := range f.cols {
		names[i] = c.Name
	}
	return names
}

// Schema returns the column names and types in order.
func (f *Frame) Schema() []Field {
	s := make([]Field, len(f.cols))
	for i, c := range f.cols {
		s[i] = Field{Name: c.Name, Type: c.Type}
	}
	return s
}

// Column returns the named column.
func (f *Frame) Column(name string) (*Column, bool) {
	i, ok := f.index[name]
	if !ok {
		return nil, false
	}
	return f.cols[i], true
}

// Lookup returns the named column or an error naming the missing column.
func (f *Frame) Lookup(name string) (*Column, error) {
	c, ok := f.Column(name)
	if !ok {
		return nil, fmt.Errorf("no column %q", name)
	}
	return c, nil
}
