package gbdt

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"

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
//
// A file without quotes or carriage returns (the common case) is split
// at line ends and parsed by several goroutines; any other goes through
// encoding/csv. Both give the same table and the same errors.
func ReadCSV(r io.Reader) (*Table, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading CSV: %w", err)
	}
	if bytes.IndexByte(raw, '"') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return readPlainCSV(raw, runtime.GOMAXPROCS(0), 1<<16)
	}
	return readQuotedCSV(bytes.NewReader(raw))
}

// readQuotedCSV reads a CSV with encoding/csv.
func readQuotedCSV(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("reading CSV: no header row")
	}
	if err != nil {
		return nil, fmt.Errorf("reading CSV header: %w", err)
	}
	t, err := headerTable(header)
	if err != nil {
		return nil, err
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

// headerTable checks a header row and returns a table with its names.
func headerTable(header []string) (*Table, error) {
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
	return t, nil
}

// nextLine returns the line of data starting at pos (without its '\n')
// and the position after it.
func nextLine(data []byte, pos int) (line []byte, next int) {
	end := bytes.IndexByte(data[pos:], '\n')
	if end < 0 {
		return data[pos:], len(data)
	}
	return data[pos : pos+end], pos + end + 1
}

// readPlainCSV reads a CSV without quotes or carriage returns: lines split
// at commas, empty lines skipped (as encoding/csv does), the rows parsed
// in up to threads chunks of at least minChunk bytes at once.
func readPlainCSV(data []byte, threads, minChunk int) (*Table, error) {
	pos, lineNo := 0, 0
	var header []byte
	for pos < len(data) {
		var l []byte
		l, pos = nextLine(data, pos)
		lineNo++
		if len(l) > 0 {
			header = l
			break
		}
	}
	if header == nil {
		return nil, errors.New("reading CSV: no header row")
	}
	t, err := headerTable(strings.Split(string(header), ","))
	if err != nil {
		return nil, err
	}
	cols := len(t.Names)
	// Chunks end at line ends; each parses its rows into its own slice.
	body := data[pos:]
	n := max(1, min(threads, len(body)/minChunk))
	bounds := make([]int, n+1)
	for i := 1; i < n; i++ {
		b := max(len(body)*i/n, bounds[i-1])
		if j := bytes.IndexByte(body[b:], '\n'); j >= 0 {
			b += j + 1
		} else {
			b = len(body)
		}
		bounds[i] = b
	}
	bounds[n] = len(body)
	type part struct {
		vals    []float64
		errLine int // line within the chunk (1-based) of the error
		err     error
	}
	parts := make([]part, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chunk := body[bounds[i]:bounds[i+1]]
			p := &parts[i]
			p.vals = make([]float64, 0, bytes.Count(chunk, []byte{'\n'})*cols+cols)
			for at, ln := 0, 0; at < len(chunk); {
				var l []byte
				l, at = nextLine(chunk, at)
				ln++
				if len(l) == 0 {
					continue
				}
				if bytes.Count(l, []byte{','}) != cols-1 {
					p.errLine, p.err = ln, errors.New("wrong number of fields")
					return
				}
				for c := range cols {
					field := l
					if j := bytes.IndexByte(l, ','); j >= 0 {
						field, l = l[:j], l[j+1:]
					}
					v, err := cell.Number(string(field))
					if err != nil {
						p.errLine, p.err = ln, fmt.Errorf("column %s: %w", quote.Value(t.Names[c]), err)
						return
					}
					p.vals = append(p.vals, v)
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for i, p := range parts {
		if p.err != nil {
			line := lineNo + bytes.Count(body[:bounds[i]], []byte{'\n'}) + p.errLine
			if p.err.Error() == "wrong number of fields" {
				return nil, fmt.Errorf("reading CSV: record on line %d: %w", line, p.err)
			}
			return nil, fmt.Errorf("reading CSV line %d, %w", line, p.err)
		}
		total += len(p.vals)
	}
	t.Data = make([]float64, 0, total)
	for _, p := range parts {
		t.Data = append(t.Data, p.vals...)
	}
	return t, nil
}
