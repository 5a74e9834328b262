package table

import "github.com/ferryml/ferry/internal/cell"

// The missing-value rule. Ferry reads a cell of model input the same way
// everywhere (training, batch transform, the endpoints, Clarify, this
// package's CSV reader): these functions are that rule for Go programs.

// NAValues returns the strings read as a missing value: pandas 1.x's
// default NA strings ("", "NA", "NaN", "nan", "N/A", "NULL", "null", ...),
// the empty string first. "None" is not one of them.
func NAValues() []string { return cell.NAValues() }

// IsMissing reports whether a cell is a missing value: one of [NAValues]
// after surrounding spaces are removed.
func IsMissing(s string) bool { return cell.IsMissing(s) }

// ParseCell reads one cell as [ReadCSV] does: NaN when it [IsMissing],
// its value when it is a finite number written as pandas reads one (an
// optional sign, decimal digits with an optional fraction and exponent),
// an error quoting the cell otherwise (hex, digit separators, infinities
// and other text are errors).
func ParseCell(s string) (float64, error) { return cell.Number(s) }
