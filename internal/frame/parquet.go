package frame

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/parquet-go/parquet-go"
)

// parquetOrderKey is the key-value metadata entry holding the column
// order, which the Parquet schema (sorted by name) does not keep.
const parquetOrderKey = "ferry.columns"

const parquetBatch = 4096

// WriteParquetFile writes f to a new Parquet file at path; see
// WriteParquet.
func WriteParquetFile(path string, f *Frame) (err error) {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing Parquet: %w", err)
	}
	defer func() {
		if cerr := file.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("writing Parquet %q: %w", path, cerr)
		}
	}()
	if err := WriteParquet(file, f); err != nil {
		return fmt.Errorf("writing Parquet %q: %w", path, err)
	}
	return nil
}

// WriteParquet writes f as a Parquet file: every column optional; int as
// INT64, float as DOUBLE, string as BYTE_ARRAY (UTF-8), bool as BOOLEAN.
// The column order is kept in the file's key-value metadata.
func WriteParquet(w io.Writer, f *Frame) error {
	group := parquet.Group{}
	for _, c := range f.cols {
		var leaf parquet.Node
		switch c.Type {
		case Int:
			leaf = parquet.Int(64)
		case Float:
			leaf = parquet.Leaf(parquet.DoubleType)
		case String:
			leaf = parquet.String()
		case Bool:
			leaf = parquet.Leaf(parquet.BooleanType)
		default:
			return fmt.Errorf("column %q: unsupported type %s", c.Name, c.Type)
		}
		group[c.Name] = parquet.Optional(leaf)
	}
	schema := parquet.NewSchema("frame", group)
	order, err := json.Marshal(f.Names())
	if err != nil {
		return fmt.Errorf("encoding column order: %w", err)
	}
	pw := parquet.NewWriter(w, schema, parquet.KeyValueMetadata(parquetOrderKey, string(order)))
	// Leaf index of each frame column in the schema.
	leafIdx := make([]int, len(f.cols))
	for i, c := range f.cols {
		lc, ok := schema.Lookup(c.Name)
		if !ok {
			return fmt.Errorf("column %q: not in the Parquet schema", c.Name)
		}
		leafIdx[i] = lc.ColumnIndex
	}
	rows := make([]parquet.Row, 0, parquetBatch)
	for start := 0; start < f.rows; start += parquetBatch {
		end := min(start+parquetBatch, f.rows)
		rows = rows[:0]
		for r := start; r < end; r++ {
			row := make(parquet.Row, len(f.cols))
			for i, c := range f.cols {
				v := parquet.NullValue()
				def := 0
				if c.IsValid(r) {
					def = 1
					switch c.Type {
					case Int:
						v = parquet.Int64Value(c.Ints[r])
					case Float:
						v = parquet.DoubleValue(c.Floats[r])
					case String:
						v = parquet.ByteArrayValue([]byte(c.Strings[r]))
					case Bool:
						v = parquet.BooleanValue(c.Bools[r])
					}
				}
				row[leafIdx[i]] = v.Level(0, def, leafIdx[i])
			}
			rows = append(rows, row)
		}
		if _, err := pw.WriteRows(rows); err != nil {
			return fmt.Errorf("writing rows: %w", err)
		}
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("closing Parquet writer: %w", err)
	}
	return nil
}

// ReadParquetFile reads the Parquet file at path; see ReadParquet.
func ReadParquetFile(path string) (*Frame, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading Parquet: %w", err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading Parquet: %w", err)
	}
	f, err := ReadParquet(file, st.Size())
	if err != nil {
		return nil, fmt.Errorf("reading Parquet %q: %w", path, err)
	}
	return f, nil
}

// ReadParquet reads a flat Parquet file (no nested or repeated columns):
// BOOLEAN as bool, INT32 and INT64 as int, FLOAT and DOUBLE as float,
// BYTE_ARRAY as string. Columns come in the order WriteParquet recorded,
// or else in the file's schema order.
func ReadParquet(r io.ReaderAt, size int64) (fr *Frame, err error) {
	defer func() {
		// The Parquet library may panic on corrupt input.
		if p := recover(); p != nil {
			fr, err = nil, fmt.Errorf("corrupt Parquet file: %v", p)
		}
	}()
	if err := checkParquetFrame(r, size); err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("opening Parquet file: %w", err)
	}
	leaves := pf.Schema().Columns()
	n := int(pf.NumRows())
	cols := make([]*Column, len(leaves))
	for i, path := range leaves {
		if len(path) != 1 {
			return nil, fmt.Errorf("column %q: nested columns are not supported", path)
		}
		lc, _ := pf.Schema().Lookup(path...)
		if lc.MaxRepetitionLevel > 0 {
			return nil, fmt.Errorf("column %q: repeated columns are not supported", path[0])
		}
		// Columns grow as rows arrive: the row count in the metadata is
		// not trusted for allocation.
		c := &Column{Name: path[0]}
		switch lc.Node.Type().Kind() {
		case parquet.Boolean:
			c.Type = Bool
		case parquet.Int32, parquet.Int64:
			c.Type = Int
		case parquet.Float, parquet.Double:
			c.Type = Float
		case parquet.ByteArray:
			c.Type = String
		default:
			return nil, fmt.Errorf("column %q: unsupported Parquet type %s", path[0], lc.Node.Type())
		}
		cols[i] = c
	}
	pr := parquet.NewReader(pf)
	defer pr.Close()
	buf := make([]parquet.Row, parquetBatch)
	row := 0
	for {
		k, rerr := pr.ReadRows(buf)
		for _, values := range buf[:k] {
			if row >= n {
				return nil, fmt.Errorf("more rows than the %d the metadata declares", n)
			}
			for _, c := range cols {
				c.grow()
			}
			for _, v := range values {
				ci := v.Column()
				if ci < 0 || ci >= len(cols) {
					return nil, fmt.Errorf("row %d: value for unknown column %d", row, ci)
				}
				c := cols[ci]
				if v.IsNull() {
					continue
				}
				c.Valid[row] = true
				switch c.Type {
				case Bool:
					c.Bools[row] = v.Boolean()
				case Int:
					if v.Kind() == parquet.Int32 {
						c.Ints[row] = int64(v.Int32())
					} else {
						c.Ints[row] = v.Int64()
					}
				case Float:
					if v.Kind() == parquet.Float {
						c.Floats[row] = float64(v.Float())
					} else {
						c.Floats[row] = v.Double()
					}
				case String:
					c.Strings[row] = string(v.ByteArray())
				}
			}
			row++
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("reading rows: %w", rerr)
		}
	}
	if row != n {
		return nil, fmt.Errorf("read %d rows, the metadata declares %d", row, n)
	}
	for _, c := range cols {
		if c.NullCount() == 0 {
			c.Valid = nil
		}
	}
	if order, ok := pf.Lookup(parquetOrderKey); ok {
		var names []string
		if err := json.Unmarshal([]byte(order), &names); err == nil && len(names) == len(cols) {
			byName := make(map[string]*Column, len(cols))
			for _, c := range cols {
				byName[c.Name] = c
			}
			ordered := make([]*Column, 0, len(cols))
			for _, name := range names {
				if c, ok := byName[name]; ok {
					ordered = append(ordered, c)
				}
			}
			if len(ordered) == len(cols) {
				cols = ordered
			}
		}
	}
	return New(cols...)
}

// grow appends one missing value.
func (c *Column) grow() {
	c.Valid = append(c.Valid, false)
	switch c.Type {
	case Int:
		c.Ints = append(c.Ints, 0)
	case Float:
		c.Floats = append(c.Floats, math.NaN())
	case String:
		c.Strings = append(c.Strings, "")
	case Bool:
		c.Bools = append(c.Bools, false)
	}
}

// checkParquetFrame checks the magic numbers and the footer length before
// the Parquet library reads the file.
func checkParquetFrame(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("not a Parquet file: %d bytes", size)
	}
	head := make([]byte, 4)
	tail := make([]byte, 8)
	if _, err := r.ReadAt(head, 0); err != nil {
		return fmt.Errorf("reading Parquet header: %w", err)
	}
	if _, err := r.ReadAt(tail, size-8); err != nil {
		return fmt.Errorf("reading Parquet footer: %w", err)
	}
	if string(head) != "PAR1" || string(tail[4:]) != "PAR1" {
		return errors.New("not a Parquet file: missing PAR1 magic")
	}
	footer := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footer > size-12 {
		return fmt.Errorf("corrupt Parquet file: footer of %d bytes in a %d-byte file", footer, size)
	}
	return nil
}
