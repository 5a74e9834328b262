package frame

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// CSVWriteOptions configure WriteCSV. The zero value writes a header row.
type CSVWriteOptions struct {
	// NoHeader omits the header row (the SageMaker convention for
	// inference payloads).
	NoHeader bool
}

// WriteCSVFile writes f to a new file at path; see WriteCSV.
func WriteCSVFile(path string, f *Frame, opts CSVWriteOptions) error {
	return WriteCSVRowsFile(path, f, nil, opts)
}

// WriteCSVRowsFile writes the given rows of f (nil: all) to a new file at
// path; see WriteCSVRows.
func WriteCSVRowsFile(path string, f *Frame, rows []int, opts CSVWriteOptions) (err error) {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	defer func() {
		if cerr := file.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("writing CSV %q: %w", path, cerr)
		}
	}()
	if err := WriteCSVRows(file, f, rows, opts); err != nil {
		return fmt.Errorf("writing CSV %q: %w", path, err)
	}
	return nil
}

// WriteCSV writes f as CSV in pandas' to_csv layout (index=False): LF line
// ends, missing values and NaN as empty cells, floats as Python's repr ("1.0"),
// bools as True/False, and fields quoted only when they hold a comma, a
// quote or a line break, and a missing value in a one-column frame as "" (an empty line
// would read back as no row).
func WriteCSV(w io.Writer, f *Frame, opts CSVWriteOptions) error {
	return WriteCSVRows(w, f, nil, opts)
}

// WriteCSVRows is WriteCSV for the rows at the given indexes, in that
// order, without copying the frame; nil rows means every row.
func WriteCSVRows(w io.Writer, f *Frame, rows []int, opts CSVWriteOptions) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var buf []byte
	if !opts.NoHeader {
		buf = f.appendCSVHeader(buf)
	}
	n := f.rows
	if rows != nil {
		n = len(rows)
	}
	for k := 0; k < n; k++ {
		r := k
		if rows != nil {
			r = rows[k]
			if r < 0 || r >= f.rows {
				return fmt.Errorf("row index %d out of range [0, %d)", r, f.rows)
			}
		}
		buf = f.appendCSVRow(buf, r, opts.NoHeader && k == 0)
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

// appendCSVHeader appends the header line.
func (f *Frame) appendCSVHeader(buf []byte) []byte {
	for i, c := range f.cols {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendCSVField(buf, c.Name, len(f.cols) == 1 || (i == 0 && strings.HasPrefix(c.Name, bom)))
	}
	return append(buf, '\n')
}

// appendCSVRow appends row r and its line end. first says that the row is
// the first line of a file without a header, where a leading byte-order
// mark in the first field must be quoted.
func (f *Frame) appendCSVRow(buf []byte, r int, first bool) []byte {
	one := len(f.cols) == 1
	for i, c := range f.cols {
		if i > 0 {
			buf = append(buf, ',')
		}
		if !c.IsValid(r) {
			if one {
				buf = append(buf, `""`...) // an empty line would be skipped
			}
			continue
		}
		switch c.Type {
		case Int:
			if v := c.Ints[r]; v == 0 || v == 1 {
				buf = append(buf, byte('0'+v))
			} else {
				buf = strconv.AppendInt(buf, v, 10)
			}
		case Float:
			if v := c.Floats[r]; v == v {
				buf = AppendFloat(buf, v)
			} else if one {
				buf = append(buf, `""`...) // NaN is written as missing
			}
		case Bool:
			if c.Bools[r] {
				buf = append(buf, "True"...)
			} else {
				buf = append(buf, "False"...)
			}
		case String:
			force := one || (first && i == 0 && strings.HasPrefix(c.Strings[r], bom))
			buf = appendCSVField(buf, c.Strings[r], force)
		}
	}
	return append(buf, '\n')
}

const bom = "\xef\xbb\xbf"

// appendCSVField appends s, quoted when needed; force quotes an empty
// string or a leading byte-order mark, which a reader would drop.
func appendCSVField(dst []byte, s string, force bool) []byte {
	needs := force && (s == "" || strings.HasPrefix(s, bom))
	for i := 0; i < len(s) && !needs; i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			needs = true
		}
	}
	if !needs {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}
