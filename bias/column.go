package bias

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/cell"
	"github.com/ferryml/ferry/internal/quote"
)

// ColumnType is the type pandas' CSV reader would give a column.
type ColumnType int

// The column types, in pandas' inference order.
const (
	Int    ColumnType = iota // every cell an integer, none missing (int64)
	Float                    // every non-missing cell numeric (float64, NaN for missing)
	Bool                     // every cell True/False, none missing
	String                   // anything else (object)
)

// String returns the pandas dtype name of t.
func (t ColumnType) String() string {
	switch t {
	case Int:
		return "int64"
	case Float:
		return "float64"
	case Bool:
		return "bool"
	case String:
		return "object"
	}
	return fmt.Sprintf("ColumnType(%d)", int(t))
}

// Column is one typed column of a table. Num holds the numeric value of
// every row for Int, Float and Bool columns (NaN when missing; 0/1 for
// bools); Str holds the cell text of String columns ("" when missing).
type Column struct {
	Name    string
	Type    ColumnType
	Num     []float64 // the values of Int, Float and Bool columns
	Str     []string  // the values of String columns
	Missing []bool    // nil when nothing is missing
}

// Len returns the number of rows.
func (c *Column) Len() int {
	if c.Type == String {
		return len(c.Str)
	}
	return len(c.Num)
}

// isMissing reports whether row i is missing.
func (c *Column) isMissing(i int) bool { return c.Missing != nil && c.Missing[i] }

// parseNumber parses a cell as pandas would read a number: decimal or
// scientific notation and inf spellings (package cell's rule).
func parseNumber(s string) (float64, bool) {
	f, err := cell.Float(s)
	return f, err == nil
}

func parseInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
	if err != nil || strings.HasPrefix(s, "+-") {
		return 0, false
	}
	return v, true
}

func parseBool(s string) (bool, bool) {
	switch s {
	case "True", "TRUE", "true":
		return true, true
	case "False", "FALSE", "false":
		return false, true
	}
	return false, false
}

// NewColumn infers a column's type from its CSV cells as pandas.read_csv
// does: int64 when every cell is an integer and none is missing, float64
// when every non-missing cell is numeric, bool when every cell is
// True/False, else object (strings).
func NewColumn(name string, cells []string) Column {
	n := len(cells)
	allInt, allNum, allBool, anyMissing, anyValue := true, true, true, false, false
	for _, s := range cells {
		if cell.IsNA(s) {
			anyMissing = true
			continue
		}
		anyValue = true
		if allInt {
			if _, ok := parseInt(s); !ok {
				allInt = false
			}
		}
		if allNum && !allInt {
			if _, ok := parseNumber(s); !ok {
				allNum = false
			}
		}
		if allBool {
			if _, ok := parseBool(s); !ok {
				allBool = false
			}
		}
	}
	c := Column{Name: name}
	switch {
	case !anyValue:
		c.Type = Float
	case allInt && !anyMissing:
		c.Type = Int
	case allInt || allNum:
		c.Type = Float
	case allBool && !anyMissing:
		c.Type = Bool
	default:
		c.Type = String
	}
	if anyMissing {
		c.Missing = make([]bool, n)
	}
	if c.Type == String {
		c.Str = make([]string, n)
		for i, s := range cells {
			if cell.IsNA(s) {
				c.Missing[i] = true
				continue
			}
			c.Str[i] = s
		}
		return c
	}
	c.Num = make([]float64, n)
	for i, s := range cells {
		if cell.IsNA(s) {
			c.Missing[i] = true
			c.Num[i] = math.NaN()
			continue
		}
		switch c.Type {
		case Int:
			v, _ := parseInt(s)
			c.Num[i] = float64(v)
		case Float:
			c.Num[i], _ = parseNumber(s)
		case Bool:
			if b, _ := parseBool(s); b {
				c.Num[i] = 1
			}
		}
	}
	return c
}

// NumericColumn returns an Int (when every value is integral) or Float
// column holding values, for columns computed in memory such as model
// predictions.
func NumericColumn(name string, values []float64) Column {
	c := Column{Name: name, Type: Int, Num: values}
	for _, v := range values {
		if v != math.Trunc(v) || math.IsInf(v, 0) || math.Abs(v) > 1<<53 {
			c.Type = Float
		}
		if math.IsNaN(v) {
			c.Type = Float
			if c.Missing == nil {
				c.Missing = make([]bool, len(values))
			}
		}
	}
	if c.Missing != nil {
		for i, v := range values {
			c.Missing[i] = math.IsNaN(v)
		}
	}
	return c
}

// Value is one configured facet or label value: a string, an integer, a
// float or a bool, as it appeared in JSON.
type Value struct {
	Kind ValueKind
	Str  string  // for StrValue
	Num  float64 // for IntValue, FloatValue and BoolValue (0/1)
}

// ValueKind is the JSON type of a Value.
type ValueKind int

// The kinds of Value.
const (
	StrValue ValueKind = iota
	IntValue
	FloatValue
	BoolValue
)

// ValueOf converts a decoded JSON scalar (string, float64, int, int64,
// bool, or a json.Number-like fmt.Stringer holding a number) to a Value.
func ValueOf(v any) (Value, error) {
	switch x := v.(type) {
	case string:
		return Value{Kind: StrValue, Str: x}, nil
	case bool:
		if x {
			return Value{Kind: BoolValue, Num: 1}, nil
		}
		return Value{Kind: BoolValue}, nil
	case int:
		return Value{Kind: IntValue, Num: float64(x)}, nil
	case int64:
		return Value{Kind: IntValue, Num: float64(x)}, nil
	case float64:
		return Value{Kind: FloatValue, Num: x}, nil
	case fmt.Stringer: // json.Number
		s := x.String()
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return Value{Kind: IntValue, Num: float64(i)}, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return Value{}, fmt.Errorf("value %s is not a number", quote.Value(s))
		}
		return Value{Kind: FloatValue, Num: f}, nil
	}
	return Value{}, fmt.Errorf("value %v (%T) is not a string, number or bool", v, v)
}

// String returns Python's str() of the value.
func (v Value) String() string {
	switch v.Kind {
	case StrValue:
		return v.Str
	case IntValue:
		return strconv.FormatFloat(v.Num, 'f', -1, 64)
	case BoolValue:
		if v.Num != 0 {
			return "True"
		}
		return "False"
	}
	return PyFloat(v.Num)
}

// PyFloat formats f as Python's repr(float) does: the shortest
// round-tripping digits, ".0" on integral values, scientific notation
// below 1e-4 and from 1e16.
func PyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		mant, ex := e[:strings.IndexByte(e, 'e')], e[strings.IndexByte(e, 'e')+1:]
		sign := ex[0]
		ex = strings.TrimLeft(ex[1:], "0")
		if len(ex) < 2 {
			ex = strings.Repeat("0", 2-len(ex)) + ex
		}
		return mant + "e" + string(sign) + ex
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}
