package frame

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
)

// csvBlockRows is the number of rows formatted together by one worker.
const csvBlockRows = 1 << 14

// CSVText is the CSV text of every row of a frame, formatted once (in
// parallel blocks of rows), from which any rows can then be written, in
// any order, by copying their lines: a data set and its train, validation
// and test parts format each row once, and the shuffled parts do not read
// the frame's columns at random. The text is exactly what WriteCSVRows
// writes. It holds the frame, which must not change while the text is
// used, and about as much memory as the written file.
type CSVText struct {
	f *Frame
	// blocks[b] holds the lines of rows b·csvBlockRows onwards; ends[r]
	// is the end of row r's line in its block.
	blocks [][]byte
	ends   []int
}

// FormatCSV formats every row of f with up to workers goroutines (0:
// GOMAXPROCS).
func FormatCSV(f *Frame, workers int) *CSVText {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	nb := (f.rows + csvBlockRows - 1) / csvBlockRows
	t := &CSVText{f: f, blocks: make([][]byte, nb), ends: make([]int, f.rows)}
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(workers, nb) {
		wg.Go(func() {
			for {
				mu.Lock()
				b := next
				next++
				mu.Unlock()
				if b >= nb {
					return
				}
				lo := b * csvBlockRows
				hi := min(lo+csvBlockRows, f.rows)
				buf := make([]byte, 0, (hi-lo)*(3*len(f.cols)+1))
				for r := lo; r < hi; r++ {
					buf = f.appendCSVRow(buf, r, false)
					t.ends[r] = len(buf)
				}
				t.blocks[b] = buf
			}
		})
	}
	wg.Wait()
	return t
}

// line returns row r's line, line end included.
func (t *CSVText) line(r int) []byte {
	b := t.blocks[r/csvBlockRows]
	start := 0
	if r%csvBlockRows != 0 {
		start = t.ends[r-1]
	}
	return b[start:t.ends[r]]
}

// WriteRows writes the rows at the given indexes, in that order (nil:
// every row), as WriteCSVRows does.
func (t *CSVText) WriteRows(w io.Writer, rows []int, opts CSVWriteOptions) error {
	f := t.f
	bw := bufio.NewWriterSize(w, 1<<16)
	var buf []byte
	if !opts.NoHeader {
		buf = f.appendCSVHeader(buf)
	}
	if rows == nil {
		if _, err := bw.Write(buf); err != nil {
			return err
		}
		buf = buf[:0]
		for b, text := range t.blocks {
			if b == 0 && opts.NoHeader && t.bomFirst(0) {
				buf = f.appendCSVRow(buf, 0, true)
				if _, err := bw.Write(buf); err != nil {
					return err
				}
				text = text[len(t.line(0)):]
			}
			if _, err := bw.Write(text); err != nil {
				return err
			}
		}
		return bw.Flush()
	}
	for k, r := range rows {
		if r < 0 || r >= f.rows {
			return fmt.Errorf("row index %d out of range [0, %d)", r, f.rows)
		}
		if k == 0 && opts.NoHeader && t.bomFirst(r) {
			buf = f.appendCSVRow(buf, r, true)
		} else {
			buf = append(buf, t.line(r)...)
		}
		if len(buf) > 1<<15 {
			if _, err := bw.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	return bw.Flush()
}

// bomFirst reports whether row r, written first without a header, must
// be formatted again: its first field is text starting with a byte-order
// mark, which is then quoted.
func (t *CSVText) bomFirst(r int) bool {
	c := t.f.cols[0]
	return c.Type == String && c.IsValid(r) && strings.HasPrefix(c.Strings[r], bom)
}

// WriteRowsFile writes the rows (nil: all) to a new file at path; see
// WriteRows.
func (t *CSVText) WriteRowsFile(path string, rows []int, opts CSVWriteOptions) (err error) {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	defer func() {
		if cerr := file.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("writing CSV %q: %w", path, cerr)
		}
	}()
	if err := t.WriteRows(file, rows, opts); err != nil {
		return fmt.Errorf("writing CSV %q: %w", path, err)
	}
	return nil
}
