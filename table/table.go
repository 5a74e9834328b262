package table

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ferryml/ferry/internal/quote"
)

// Table is a numeric table: named columns, row-major values, NaN for a
// missing value.
type Table struct {
	Names []string  // the column names, unique
	Data  []float64 // Rows()×len(Names), row-major
}

// Rows returns the number of rows.
func (t *Table) Rows() int {
	if len(t.Names) == 0 {
		return 0
	}
	return len(t.Data) / len(t.Names)
}

// Column returns the index of the named column, or -1.
func (t *Table) Column(name string) int {
	for i, n := range t.Names {
		if n == name {
			return i
		}
	}
	return -1
}

// Cut removes column c in place (t keeps its backing array, so no copy of
// the table is made) and returns the column's values.
func (t *Table) Cut(c int) []float64 {
	m := len(t.Names)
	n := t.Rows()
	col := make([]float64, n)
	w := 0
	for r := range n {
		row := t.Data[r*m : (r+1)*m]
		col[r] = row[c]
		// w <= r*m: the writes never overtake the reads.
		w += copy(t.Data[w:], row[:c])
		w += copy(t.Data[w:], row[c+1:])
	}
	t.Data = t.Data[:w]
	t.Names = append(t.Names[:c:c], t.Names[c+1:]...)
	return col
}

// Split removes column c and returns it with the remaining columns as a
// row-major matrix.
func (t *Table) Split(c int) (col []float64, rest *Table) {
	m := len(t.Names)
	n := t.Rows()
	col = make([]float64, n)
	rest = &Table{Data: make([]float64, 0, n*(m-1))}
	rest.Names = append(append(rest.Names, t.Names[:c]...), t.Names[c+1:]...)
	for r := range n {
		row := t.Data[r*m : (r+1)*m]
		col[r] = row[c]
		rest.Data = append(rest.Data, row[:c]...)
		rest.Data = append(rest.Data, row[c+1:]...)
	}
	return col, rest
}

// Dataset cuts the label column and, when weight is not "", the weight
// column out of t and returns a [Dataset] of the remaining columns (the
// features, named). label "" means the first column. The columns are cut
// in place: t is consumed (its values become the Dataset's X without a
// copy) and should not be used afterwards.
//
// Errors name the missing column and list the columns there are; a
// weight that is not finite and >= 0 is an error giving its row (1-based).
func (t *Table) Dataset(label, weight string) (*Dataset, error) {
	if len(t.Names) < 2 {
		return nil, fmt.Errorf("need a label and at least one feature column, got %d columns", len(t.Names))
	}
	c := 0
	if label != "" {
		if c = t.Column(label); c < 0 {
			return nil, fmt.Errorf("no label column %s (columns: %s)", quote.Value(label), strings.Join(t.Names, ", "))
		}
	}
	wc := -1
	if weight != "" {
		if wc = t.Column(weight); wc < 0 {
			return nil, fmt.Errorf("no weight column %s (columns: %s)", quote.Value(weight), strings.Join(t.Names, ", "))
		}
		if wc == c {
			return nil, fmt.Errorf("column %s is both the label and the weight", quote.Value(weight))
		}
		if len(t.Names) < 3 {
			return nil, errors.New("need at least one feature column besides the label and the weight")
		}
	}
	y := t.Cut(c)
	var w []float64
	if wc >= 0 {
		w = t.Cut(t.Column(weight))
		for i, v := range w {
			if !(v >= 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("row %d: weight %v in column %s; weights must be finite numbers >= 0", i+1, v, quote.Value(weight))
			}
		}
	}
	return &Dataset{X: t.Data, Y: y, Weight: w, NumFeature: len(t.Names), FeatureNames: t.Names}, nil
}
