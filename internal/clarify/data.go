package clarify

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"

	"github.com/ferryml/ferry/bias"
)

// Dataset is a CSV data set as Clarify reads it: named, typed columns.
type Dataset struct {
	Table bias.Table
}

// Names returns the column names in file order.
func (d *Dataset) Names() []string {
	out := make([]string, len(d.Table.Columns))
	for i, c := range d.Table.Columns {
		out[i] = c.Name
	}
	return out
}

// ReadData reads a CSV data set. With headers, a first row equal to
// headers is a header row and skipped, any other first row is data; the
// columns take the names in headers. Without headers the first row is the
// header row.
func ReadData(path string, headers []string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading dataset: %w", err)
	}
	defer f.Close()
	ds, err := ParseData(f, headers)
	if err != nil {
		return nil, fmt.Errorf("reading dataset %q: %w", path, err)
	}
	return ds, nil
}

// ParseData is ReadData on a reader.
func ParseData(r io.Reader, headers []string) (*Dataset, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	first, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("parsing CSV: %w", err)
	}
	first = slices.Clone(first)
	names := headers
	var cells [][]string
	if headers == nil {
		names = first
	} else if !slices.Equal(first, headers) {
		if len(first) != len(headers) {
			return nil, fmt.Errorf("line 1 has %d fields but headers names %d columns", len(first), len(headers))
		}
		cells = make([][]string, len(headers))
		for j, s := range first {
			cells[j] = append(cells[j], s)
		}
	}
	if len(names) == 0 {
		return nil, errors.New("no columns")
	}
	seen := make(map[string]bool)
	for _, n := range names {
		if seen[n] {
			return nil, fmt.Errorf("column %q appears twice in the header", n)
		}
		seen[n] = true
	}
	if cells == nil {
		cells = make([][]string, len(names))
	}
	line := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("parsing CSV: %w", err)
		}
		if len(rec) != len(names) {
			return nil, fmt.Errorf("line %d has %d fields, want %d", line, len(rec), len(names))
		}
		for j, s := range rec {
			cells[j] = append(cells[j], s)
		}
	}
	if len(cells[0]) == 0 {
		return nil, errors.New("no data rows")
	}
	ds := &Dataset{Table: bias.Table{Columns: make([]bias.Column, len(names))}}
	for j, n := range names {
		ds.Table.Columns[j] = bias.NewColumn(n, cells[j])
	}
	return ds, nil
}

// resolve returns the name of a configured column.
func (d *Dataset) resolve(c *Column, key string) (string, error) {
	if c.IsIndex {
		if c.Index >= len(d.Table.Columns) {
			return "", fmt.Errorf("%s: column index %d is out of range (the data set has %d columns)", key, c.Index, len(d.Table.Columns))
		}
		return d.Table.Columns[c.Index].Name, nil
	}
	if d.Table.Index(c.Name) < 0 {
		return "", fmt.Errorf("%s: column %q is not in the data set (columns: %v)", key, c.Name, d.Names())
	}
	return c.Name, nil
}

// matrix returns the named columns as a row-major float64 matrix; text
// columns are an error naming the column.
func (d *Dataset) matrix(names []string) ([]float64, error) {
	n := d.Table.Rows()
	m := len(names)
	x := make([]float64, n*m)
	for j, name := range names {
		c := &d.Table.Columns[d.Table.Index(name)]
		if c.Type == bias.String {
			return nil, fmt.Errorf("feature column %q holds text; the model needs numeric features", name)
		}
		for i, v := range c.Num {
			x[i*m+j] = v
		}
	}
	return x, nil
}

// formatCSVFloat writes a value for out.csv and baseline.csv.
func formatCSVFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
