package frame

import (
	"fmt"
	"strconv"

	"github.com/ferryml/ferry/internal/quote"
)

// CanonicalText parses s, a present (non-missing) value, as the CSV reader
// reads a cell of a column of type t, and returns it as [Column.Text]
// writes that value: bools as "True"/"False", floats in Python's repr form
// ("1.0", "0.25"), ints without sign or leading zeros. A string column
// keeps s as is. It is an error when s is not a value of type t.
func CanonicalText(t Type, s string) (string, error) {
	b := []byte(s)
	switch t {
	case Int:
		n, ok := parseInt(b)
		if !ok {
			return "", fmt.Errorf("value %s is not an integer", quote.Value(s))
		}
		return strconv.FormatInt(n, 10), nil
	case Float:
		if numberKind(b) == numNone {
			return "", fmt.Errorf("value %s is not a number", quote.Value(s))
		}
		if n, ok := parseInt(b); ok && n > -1<<53 && n < 1<<53 {
			return string(AppendFloat(nil, float64(n))), nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !isRangeErr(err) {
			return "", fmt.Errorf("value %s is not a number", quote.Value(s))
		}
		return string(AppendFloat(nil, f)), nil
	case Bool:
		switch parseBool(b) {
		case 1:
			return "True", nil
		case 0:
			return "False", nil
		}
		return "", fmt.Errorf("value %s is not a boolean", quote.Value(s))
	}
	return s, nil
}
