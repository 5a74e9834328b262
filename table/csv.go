package table

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/ferryml/ferry/internal/cell"
	"github.com/ferryml/ferry/internal/quote"
)

// ReadCSV reads a numeric CSV file with a header row. Cells follow the
// missing-value rule of this package: a missing cell ([IsMissing]) is
// NaN; any other cell that is not a finite number is an error giving its
// line and column.
//
// The file is read in one streaming pass, a block of lines at a time (the
// text is never whole in memory): blocks without quotes or carriage
// returns (the common case) are split at line ends and parsed by several
// goroutines; from the first block with either, the rest goes through
// encoding/csv. Both give the same table and the same errors. When r is
// a file, its size sets the table's capacity (one allocation instead of
// repeated growth).
func ReadCSV(r io.Reader) (*Table, error) {
	var size int64
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	return ReadCSVSize(r, size)
}

// csvBlock is the size of the blocks ReadCSVSize parses at a time.
const csvBlock = 8 << 20

// ReadCSVSize is [ReadCSV] for a reader of about size bytes (0:
// unknown), which it uses to size the table.
func ReadCSVSize(r io.Reader, size int64) (*Table, error) {
	return readCSVBlocks(r, size, csvBlock, runtime.GOMAXPROCS(0), 1<<16)
}

func readCSVBlocks(r io.Reader, size int64, block, threads, minChunk int) (*Table, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// The header: the first non-empty line.
	var header []byte
	lineNo := 0
	for {
		l, err := br.ReadBytes('\n')
		if len(l) > 0 {
			lineNo++
		}
		if bytes.IndexByte(l, '"') >= 0 || bytes.IndexByte(l, '\r') >= 0 {
			// Quoted or CRLF from the start: encoding/csv reads it all
			// (after the empty lines skipped, for its line numbers).
			skipped := bytes.Repeat([]byte{'\n'}, lineNo-1)
			return readQuotedCSV(io.MultiReader(bytes.NewReader(skipped), bytes.NewReader(l), br))
		}
		if t := bytes.TrimSuffix(l, []byte{'\n'}); len(t) > 0 {
			header = t
			break
		}
		if err == io.EOF {
			return nil, errors.New("reading CSV: no header row")
		}
		if err != nil {
			return nil, fmt.Errorf("reading CSV: %w", err)
		}
	}
	t, err := headerTable(strings.Split(string(header), ","))
	if err != nil {
		return nil, err
	}
	headerBytes := int64(len(header) + 1)
	buf := make([]byte, 0, block+64<<10)
	var scratch [][]float64 // the blocks' parsed values, reused
	sized := size <= 0
	for {
		// A block: block bytes, then up to the end of the line.
		buf = buf[:block]
		n, err := io.ReadFull(br, buf)
		buf = buf[:n]
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return nil, fmt.Errorf("reading CSV: %w", err)
		}
		if !eof {
			rest, err := br.ReadBytes('\n')
			buf = append(buf, rest...)
			if errors.Is(err, io.EOF) {
				eof = true
			} else if err != nil {
				return nil, fmt.Errorf("reading CSV: %w", err)
			}
		}
		if bytes.IndexByte(buf, '"') >= 0 || bytes.IndexByte(buf, '\r') >= 0 {
			// From here on encoding/csv, with its line numbers after
			// the lines read so far.
			return t, readQuotedRows(t, io.MultiReader(bytes.NewReader(buf), br), lineNo)
		}
		before := t.Rows()
		if err := appendPlainRows(t, buf, lineNo, threads, minChunk, &scratch); err != nil {
			return nil, err
		}
		lineNo += bytes.Count(buf, []byte{'\n'})
		if !sized && len(buf) > 0 {
			// Size the table from the first block's bytes per row.
			sized = true
			if rows := t.Rows() - before; rows > 0 {
				est := int(float64(size-headerBytes)/float64(len(buf))*float64(rows)*1.02) + rows
				if want := est * len(t.Names); want > cap(t.Data) {
					data := make([]float64, len(t.Data), want)
					copy(data, t.Data)
					t.Data = data
				}
			}
		}
		if eof {
			return t, nil
		}
	}
}

// readQuotedCSV reads a CSV with encoding/csv.
func readQuotedCSV(r io.Reader) (*Table, error) {
	t, cr, err := quotedHeader(r)
	if err != nil {
		return nil, err
	}
	if err := quotedRows(t, cr, 0); err != nil {
		return nil, err
	}
	return t, nil
}

// readQuotedRows appends to t the rows of r (after lineNo lines) read
// with encoding/csv.
func readQuotedRows(t *Table, r io.Reader, lineNo int) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = len(t.Names)
	return quotedRows(t, cr, lineNo)
}

// quotedHeader reads the header row with encoding/csv.
func quotedHeader(r io.Reader) (*Table, *csv.Reader, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("reading CSV: no header row")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading CSV header: %w", err)
	}
	t, err := headerTable(header)
	if err != nil {
		return nil, nil, err
	}
	return t, cr, nil
}

// quotedRows appends cr's rows to t; lineNo lines precede cr's first.
func quotedRows(t *Table, cr *csv.Reader, lineNo int) error {
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				pe.StartLine += lineNo
				pe.Line += lineNo
			}
			return fmt.Errorf("reading CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		line += lineNo
		for i, s := range rec {
			v, err := cell.Number(s)
			if err != nil {
				return fmt.Errorf("reading CSV line %d, column %s: %w", line, quote.Value(t.Names[i]), err)
			}
			t.Data = append(t.Data, v)
		}
	}
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
	if err := appendPlainRows(t, data[pos:], lineNo, threads, minChunk, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// appendPlainRows parses body (whole lines without quotes or carriage
// returns, after lineNo lines of the file) into t's rows, in up to threads
// chunks of at least minChunk bytes at once. scratch, when not nil, holds
// the chunks' value buffers from one call to the next (a streaming read
// then makes no garbage per block).
func appendPlainRows(t *Table, body []byte, lineNo, threads, minChunk int, scratch *[][]float64) error {
	cols := len(t.Names)
	// Chunks end at line ends; each parses its rows into its own slice.
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
	if scratch != nil {
		for len(*scratch) < n {
			*scratch = append(*scratch, nil)
		}
		for i := range parts {
			parts[i].vals = (*scratch)[i][:0]
		}
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chunk := body[bounds[i]:bounds[i+1]]
			p := &parts[i]
			if want := bytes.Count(chunk, []byte{'\n'})*cols + cols; cap(p.vals) < want {
				p.vals = make([]float64, 0, want)
			}
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
					v, ok := plainDecimal(field)
					var err error
					if !ok {
						v, err = cell.NumberBytes(field)
					}
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
				return fmt.Errorf("reading CSV: record on line %d: %w", line, p.err)
			}
			return fmt.Errorf("reading CSV line %d, %w", line, p.err)
		}
		total += len(p.vals)
	}
	t.Data = slices.Grow(t.Data, total)
	for i, p := range parts {
		t.Data = append(t.Data, p.vals...)
		if scratch != nil {
			(*scratch)[i] = p.vals
		}
	}
	return nil
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// plainDecimal is the fast path of cell.NumberBytes for the cells most
// CSVs hold: an optional sign, digits and an optional fraction (at most
// 22 digits after the point), no exponent, no spaces, at most 15
// significant digits.
// The digits then form an integer m < 2^53 and the value is m / 10^k,
// one correctly rounded division of two exact float64 values, so it is
// the value strconv.ParseFloat returns (Clinger's fast path). ok is
// false for anything else, which the caller parses in full.
func plainDecimal(b []byte) (v float64, ok bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	var m uint64
	digits, frac, point, seen := 0, 0, false, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 15 {
				return 0, false
			}
			seen = true
			if m != 0 || c != '0' {
				digits++ // leading zeros are not significant
			}
			m = m*10 + uint64(c-'0')
			if point {
				frac++
			}
		case c == '.' && !point:
			point = true
		default:
			return 0, false
		}
	}
	// At least one digit: "", "-" and "." are not numbers.
	if !seen || frac >= len(pow10) {
		return 0, false
	}
	v = float64(m) / pow10[frac]
	if neg {
		v = -v
	}
	return v, true
}
