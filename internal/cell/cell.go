// Package cell is the one rule for a cell of tabular model input: which
// strings are missing values and how a numeric cell is read. Training,
// batch transform, the endpoints (CSV, JSON and named records), the
// feature transform, Clarify and the CSV readers all ask this package, so
// the same cell is missing, a number or an error everywhere.
//
// The rule:
//
//   - Missing values are pandas 1.x's default NA strings (NAValues), matched
//     after surrounding spaces are removed; the empty cell is one of them.
//   - A number is written as pandas reads one: an optional sign, decimal
//     digits with an optional fraction and exponent, or inf/infinity in any
//     case. Hex, underscores and NaN spellings outside NAValues are not
//     numbers.
//   - Model input must be finite: Number rejects infinities, and values
//     too large for a float64.
package cell

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/quote"
)

// NAValues returns pandas 1.x's default missing-value strings, the empty
// string first. "None" is deliberately absent (pandas 2 added it).
func NAValues() []string {
	return []string{
		"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
		"1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null",
	}
}

// IsNA reports whether s, exactly as written, is one of NAValues.
func IsNA(s string) bool {
	switch s {
	case "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
		"1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null":
		return true
	}
	return false
}

// IsMissing reports whether a cell of model input is missing: IsNA after
// surrounding spaces are removed.
func IsMissing(s string) bool { return IsNA(strings.TrimSpace(s)) }

// ErrNotNumber and ErrNotFinite are the errors Float and Number wrap.
var (
	ErrNotNumber = errors.New("is not a number")
	ErrNotFinite = errors.New("is not finite")
)

// Error is a cell that is not valid model input. Its message quotes at
// most quote.Max bytes of the cell.
type Error struct {
	Cell string
	Err  error // ErrNotNumber or ErrNotFinite
}

func (e *Error) Error() string { return quote.Value(e.Cell) + " " + e.Err.Error() }

// Unwrap returns ErrNotNumber or ErrNotFinite.
func (e *Error) Unwrap() error { return e.Err }

// Float parses s (surrounding spaces removed) as pandas reads a number,
// infinities included; a value beyond float64's range is ±Inf. It does
// not treat NA strings as missing: see Number.
func Float(s string) (float64, error) {
	v, ok := float(strings.TrimSpace(s))
	if !ok {
		return 0, &Error{Cell: s, Err: ErrNotNumber}
	}
	return v, nil
}

// Number parses one cell of model input: NaN when it IsMissing, its value
// when it is a finite number, an *Error otherwise.
func Number(s string) (float64, error) {
	t := strings.TrimSpace(s)
	// Plain numbers, the common case, first: no NA string parses as a
	// finite number, and a failed strconv.ParseFloat allocates its error.
	if digitFirst(t) {
		if v, ok := float(t); ok && !math.IsInf(v, 0) {
			return v, nil
		}
	}
	if IsNA(t) {
		return math.NaN(), nil
	}
	return finite(s, t)
}

// NumberBytes is [Number] for a cell held in a byte slice. A plain number
// is parsed without copying the cell to the heap (streaming readers parse
// every cell of a file with it, so a copy per cell would be garbage of
// the file's size); other cells go through Number.
func NumberBytes(b []byte) (float64, error) {
	if v, ok := plainNumber(string(b)); ok {
		return v, nil
	}
	return Number(string(b))
}

// plainNumber is Number's fast path: a finite number starting with a
// digit or a point after an optional sign. s does not escape.
func plainNumber(s string) (float64, bool) {
	t := strings.TrimSpace(s)
	if !digitFirst(t) {
		return 0, false
	}
	v, ok := float(t)
	return v, ok && !math.IsInf(v, 0)
}

// digitFirst reports whether t starts with a digit or a point, after an
// optional sign.
func digitFirst(t string) bool {
	if len(t) > 0 && (t[0] == '-' || t[0] == '+') {
		t = t[1:]
	}
	return len(t) > 0 && (t[0] >= '0' && t[0] <= '9' || t[0] == '.')
}

// Finite parses a present cell of model input (its caller has already
// decided it is not missing, by its own NA setting): its value when it is
// a finite number, an *Error otherwise.
func Finite(s string) (float64, error) { return finite(s, strings.TrimSpace(s)) }

// finite parses t, the trimmed cell s.
func finite(s, t string) (float64, error) {
	v, ok := float(t)
	if !ok {
		return 0, &Error{Cell: s, Err: ErrNotNumber}
	}
	if math.IsInf(v, 0) {
		return 0, &Error{Cell: s, Err: ErrNotFinite}
	}
	return v, nil
}

// float parses t by strconv.ParseFloat minus what pandas does not read as
// a number: hex floats, digit separators (_) and NaN spellings. A value
// out of range is ±Inf.
func float(t string) (float64, bool) {
	v, err := strconv.ParseFloat(t, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	if v != v || strings.IndexByte(t, '_') >= 0 { // a NaN spelling, digit separators
		return 0, false
	}
	// Hex: 0x after an optional sign.
	u := t
	if u[0] == '-' || u[0] == '+' {
		u = u[1:]
	}
	if len(u) > 1 && u[0] == '0' && (u[1] == 'x' || u[1] == 'X') {
		return 0, false
	}
	return v, true
}
