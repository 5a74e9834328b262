package gbdt

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ferryml/ferry/internal/cell"
	"github.com/ferryml/ferry/internal/quote"
)

// Table is a numeric table: named columns, row-major values, NaN for a
// missing value.
type Table struct {
	Names []string
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

// ReadCSV reads a numeric CSV file with a header row. Cells follow the
// model-input rule of package cell: a missing cell (cell.IsMissing) is
// NaN; any other cell that is not a finite number is an error giving its
// line and column.
func ReadCSV(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("reading CSV: no header row")
	}
	if err != nil {
		return nil, fmt.Errorf("reading CSV header: %w", err)
	}
	t := &Table{Names: make([]string, len(header))}
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		if h == "" {
			return nil, fmt.Errorf("reading CSV header: column %d has no name", i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("reading CSV header: column %s appears twice", quote.Value(h))
		}
		seen[h] = true
		t.Names[i] = h
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		for i, s := range rec {
			v, err := cell.Number(s)
			if err != nil {
				return nil, fmt.Errorf("reading CSV line %d, column %s: %w", line, quote.Value(t.Names[i]), err)
			}
			t.Data = append(t.Data, v)
		}
	}
	return t, nil
}
