package frame

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"unsafe"

	"github.com/ferryml/ferry/internal/cell"
	"github.com/ferryml/ferry/internal/quote"
)

// CSVOptions configure ReadCSV. The zero value reads a comma-separated
// file with a header row, pandas' default NA strings and inferred types.
type CSVOptions struct {
	// NoHeader means the first line is data. Columns are then named by
	// Names, or "0", "1", ... as pandas does.
	NoHeader bool
	// Names overrides the column names (with or without a header row).
	Names []string
	// NAValues are extra strings read as missing, added to pandas'
	// default NA strings (cell.NAValues) unless NoDefaultNA is set. An empty cell is always
	// missing.
	NAValues    []string
	NoDefaultNA bool
	// Types forces the type of the named columns instead of inferring it.
	Types map[string]Type
	// Comma is the field separator; 0 means ','.
	Comma byte
}

// ReadCSVFile reads the CSV file at path; see ReadCSV.
func ReadCSVFile(path string, opts CSVOptions) (*Frame, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading CSV: %w", err)
	}
	f, err := ParseCSV(data, opts)
	if err != nil {
		return nil, fmt.Errorf("reading CSV %q: %w", path, err)
	}
	return f, nil
}

// ReadCSV reads a whole CSV document; see ParseCSV.
func ReadCSV(r io.Reader, opts CSVOptions) (*Frame, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading CSV: %w", err)
	}
	return ParseCSV(data, opts)
}

// ParseCSV parses a CSV document held in memory.
//
// Syntax is RFC 4180 with pandas' leniencies: a leading UTF-8 BOM is
// skipped; records end with LF, CRLF or CR; fields in double quotes may
// hold separators, newlines and doubled quotes; a quote inside an unquoted
// field is literal; blank lines are skipped. A record with a different
// number of fields than the header is an error naming its line, as is an
// unterminated quote or text after a closing quote.
//
// Types are inferred per column over all rows (quoted or not): int when
// every present value is a decimal integer that fits in int64, float when
// every present value is a number ("1.5", "1e3", "inf"), bool when every
// present value is True/False/true/false/TRUE/FALSE, string otherwise; a
// column with no present value is float. Numbers must not carry spaces.
// Unlike pandas, an int column with missing values stays int (with a
// validity mask) rather than becoming float.
//
// A body of 1 MiB or more is parsed in parallel chunks.
func ParseCSV(data []byte, opts CSVOptions) (*Frame, error) {
	return parseCSV(data, opts, runtime.GOMAXPROCS(0), parallelMinBytes)
}

// parseCSV is ParseCSV with workers goroutines for a body of at least
// minBytes.
func parseCSV(data []byte, opts CSVOptions, workers, minBytes int) (*Frame, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	comma := opts.Comma
	if comma == 0 {
		comma = ','
	}
	if comma == '"' || comma == '\n' || comma == '\r' {
		return nil, fmt.Errorf("invalid separator %q", comma)
	}
	na := newNASet(opts)

	// Pass 1: count records, infer types.
	tok := tokenizer{data: data, comma: comma}
	var names []string
	if !opts.NoHeader {
		fields, _, ok, err := tok.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("no header row: empty input")
		}
		names = make([]string, len(fields))
		for i, b := range fields {
			names[i] = string(b)
			if names[i] == "" {
				names[i] = "Unnamed: " + strconv.Itoa(i)
			}
		}
	}
	bodyStart, bodyLine := tok.pos, tok.line
	if f, ok, err := parseParallel(data, bodyStart, comma, na, names, opts, workers, minBytes); ok {
		return f, err
	}
	ncols := len(names)
	var kinds []kindSet
	rows := 0
	for {
		fields, line, ok, err := tok.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if kinds == nil {
			if names == nil {
				ncols = len(fields)
			}
			kinds = make([]kindSet, ncols)
		}
		if len(fields) != ncols {
			return nil, fmt.Errorf("line %d: %d fields, want %d", line, len(fields), ncols)
		}
		for i, b := range fields {
			kinds[i] |= classify(b, na)
		}
		rows++
	}
	cols, names, err := newColumns(names, ncols, kinds, rows, opts)
	if err != nil {
		return nil, err
	}
	builders := make([]colBuilder, len(cols))
	for i, c := range cols {
		builders[i] = newColBuilder(c)
	}
	tok = tokenizer{data: data, comma: comma, pos: bodyStart, line: bodyLine}
	for r := 0; ; r++ {
		fields, line, ok, err := tok.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		for i, b := range fields {
			if err := builders[i].set(r, b, na); err != nil {
				return nil, fmt.Errorf("line %d, column %s: %w", line, quote.Value(names[i]), err)
			}
		}
	}
	return New(cols...)
}

// newColumns names and types the columns after the first pass and
// allocates their values: names is the header (nil without one), kinds
// what each column holds (nil without rows).
func newColumns(names []string, ncols int, kinds []kindSet, rows int, opts CSVOptions) ([]*Column, []string, error) {
	if names == nil {
		names = make([]string, ncols)
		for i := range names {
			names[i] = strconv.Itoa(i)
		}
	}
	if opts.Names != nil {
		if len(opts.Names) != ncols {
			return nil, nil, fmt.Errorf("%d column names given for %d columns", len(opts.Names), ncols)
		}
		names = append([]string(nil), opts.Names...)
	}
	if kinds == nil {
		kinds = make([]kindSet, ncols)
	}
	cols := make([]*Column, ncols)
	for i := range cols {
		t, forced := opts.Types[names[i]]
		if !forced {
			t = kinds[i].infer()
		}
		cols[i] = &Column{Name: names[i], Type: t}
		allocColumn(cols[i], rows, kinds[i]&kindMissing != 0 || forced)
	}
	for name := range opts.Types {
		if !contains(names, name) {
			return nil, nil, fmt.Errorf("type given for unknown column %q", name)
		}
	}
	return cols, names, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// naSet answers "is this field missing" without allocating.
type naSet struct {
	m      map[string]struct{}
	first  [256]bool
	maxLen int
}

func newNASet(opts CSVOptions) *naSet {
	s := &naSet{m: make(map[string]struct{})}
	add := func(v string) {
		if v == "" {
			return
		}
		s.m[v] = struct{}{}
		s.first[v[0]] = true
		s.maxLen = max(s.maxLen, len(v))
	}
	if !opts.NoDefaultNA {
		for _, v := range cell.NAValues() {
			add(v)
		}
	}
	for _, v := range opts.NAValues {
		add(v)
	}
	return s
}

func (s *naSet) has(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if len(b) > s.maxLen || !s.first[b[0]] {
		return false
	}
	_, ok := s.m[string(b)]
	return ok
}

// kindSet records which kinds of values a column holds.
type kindSet uint8

const (
	kindMissing kindSet = 1 << iota
	kindInt
	kindFloat
	kindBool
	kindString
)

func (k kindSet) infer() Type {
	v := k &^ kindMissing
	switch {
	case v == 0:
		return Float
	case v&kindString != 0:
		return String
	case v == kindBool:
		return Bool
	case v&kindBool != 0:
		return String
	case v&kindFloat != 0:
		return Float
	}
	return Int
}

func classify(b []byte, na *naSet) kindSet {
	if na.has(b) {
		return kindMissing
	}
	switch numberKind(b) {
	case numInt:
		if _, ok := parseInt(b); !ok {
			return kindFloat // too large for int64
		}
		return kindInt
	case numFloat:
		return kindFloat
	}
	if parseBool(b) >= 0 {
		return kindBool
	}
	return kindString
}

const (
	numNone = iota
	numInt
	numFloat
)

// numberKind classifies b as a decimal integer, a decimal float (with an
// optional fraction and exponent, or inf/infinity) or neither.
func numberKind(b []byte) int {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	if i == len(b) {
		return numNone
	}
	if c := b[i] | 0x20; c == 'i' {
		rest := string(bytes.ToLower(b[i:]))
		if rest == "inf" || rest == "infinity" {
			return numFloat
		}
		return numNone
	}
	digits := 0
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
		digits++
	}
	kind := numInt
	if i < len(b) && b[i] == '.' {
		kind = numFloat
		i++
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return numNone
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		kind = numFloat
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		exp := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return numNone
		}
	}
	if i != len(b) {
		return numNone
	}
	return kind
}

// parseBool returns 1, 0, or -1 when b is not a boolean literal.
func parseBool(b []byte) int {
	switch string(b) {
	case "True", "true", "TRUE":
		return 1
	case "False", "false", "FALSE":
		return 0
	}
	return -1
}

// colBuilder fills one preallocated column.
type colBuilder struct {
	c      *Column
	intern map[string]string
}

// allocColumn allocates the values of a column of rows values, and its
// validity mask when values may be missing.
func allocColumn(c *Column, rows int, mayMiss bool) {
	switch c.Type {
	case Int:
		c.Ints = make([]int64, rows)
	case Float:
		c.Floats = make([]float64, rows)
	case String:
		c.Strings = make([]string, rows)
	case Bool:
		c.Bools = make([]bool, rows)
	}
	if mayMiss {
		c.Valid = make([]bool, rows)
	}
}

func newColBuilder(c *Column) colBuilder {
	b := colBuilder{c: c}
	if c.Type == String {
		b.intern = make(map[string]string)
	}
	return b
}

func (b *colBuilder) set(r int, v []byte, na *naSet) error {
	c := b.c
	if na.has(v) {
		if c.Valid == nil {
			return fmt.Errorf("internal error: missing value in a column inferred complete")
		}
		if c.Type == Float {
			c.Floats[r] = math.NaN()
		}
		return nil
	}
	if c.Valid != nil {
		c.Valid[r] = true
	}
	switch c.Type {
	case Int:
		n, ok := parseInt(v)
		if !ok {
			return fmt.Errorf("value %s is not an integer", quote.Value(string(v)))
		}
		c.Ints[r] = n
	case Float:
		if numberKind(v) == numNone {
			return fmt.Errorf("value %s is not a number", quote.Value(string(v)))
		}
		if n, ok := parseInt(v); ok && n > -1<<53 && n < 1<<53 {
			c.Floats[r] = float64(n)
			return nil
		}
		// strconv copies the text into any error it returns, so a
		// string sharing v's bytes does not escape.
		f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(v), len(v)), 64)
		if err != nil && !isRangeErr(err) {
			return fmt.Errorf("value %s is not a number", quote.Value(string(v)))
		}
		c.Floats[r] = f
	case Bool:
		x := parseBool(v)
		if x < 0 {
			return fmt.Errorf("value %s is not a boolean", quote.Value(string(v)))
		}
		c.Bools[r] = x == 1
	case String:
		s, ok := b.intern[string(v)]
		if !ok {
			s = string(v)
			if len(b.intern) < 1<<16 {
				b.intern[s] = s
			}
		}
		c.Strings[r] = s
	}
	return nil
}

// parseInt parses an optionally signed decimal integer that fits in
// int64.
func parseInt(b []byte) (int64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		i = 1
	}
	if i == len(b) {
		return 0, false
	}
	var n uint64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			return 0, false
		}
		if n > (1<<63)/10 {
			return 0, false
		}
		n = n*10 + uint64(d)
		if n > 1<<63 {
			return 0, false
		}
	}
	if neg {
		return -int64(n), true // -(1<<63) wraps to MinInt64, as wanted
	}
	if n == 1<<63 {
		return 0, false
	}
	return int64(n), true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// tokenizer splits a CSV document into records of fields. Field slices
// point into data or into scratch and are valid until the next call.
type tokenizer struct {
	data    []byte
	pos     int
	line    int // lines consumed before pos (0-based count)
	comma   byte
	fields  [][]byte
	scratch []byte
	ends    []int
}

// next returns the next non-blank record and the 1-based line it starts
// on; ok is false at the end of the input.
func (t *tokenizer) next() (fields [][]byte, line int, ok bool, err error) {
	data := t.data
	// Skip blank lines.
	for t.pos < len(data) && (data[t.pos] == '\n' || data[t.pos] == '\r') {
		if data[t.pos] == '\r' && t.pos+1 < len(data) && data[t.pos+1] == '\n' {
			t.pos++
		}
		t.pos++
		t.line++
	}
	if t.pos >= len(data) {
		return nil, 0, false, nil
	}
	line = t.line + 1
	t.fields = t.fields[:0]
	t.scratch = t.scratch[:0]
	t.ends = t.ends[:0]
	quotedAny := false
	pos := t.pos
	for {
		if pos < len(data) && data[pos] == '"' {
			// Quoted field: unescape into scratch.
			quotedAny = true
			start := len(t.scratch)
			pos++
			for {
				j := bytes.IndexByte(data[pos:], '"')
				if j < 0 {
					return nil, 0, false, fmt.Errorf("line %d: unterminated quoted field", line)
				}
				seg := data[pos : pos+j]
				t.line += bytes.Count(seg, []byte{'\n'})
				t.scratch = append(t.scratch, seg...)
				pos += j + 1
				if pos < len(data) && data[pos] == '"' {
					t.scratch = append(t.scratch, '"')
					pos++
					continue
				}
				break
			}
			t.ends = append(t.ends, start, len(t.scratch))
			t.fields = append(t.fields, nil)
			if pos < len(data) && data[pos] != t.comma && data[pos] != '\n' && data[pos] != '\r' {
				return nil, 0, false, fmt.Errorf("line %d: unexpected %q after a closing quote", t.line+1, data[pos])
			}
		} else {
			start := pos
			for pos < len(data) {
				c := data[pos]
				if c == t.comma || c == '\n' || c == '\r' {
					break
				}
				pos++
			}
			t.ends = append(t.ends, -1, -1)
			t.fields = append(t.fields, data[start:pos])
		}
		if pos >= len(data) {
			break
		}
		if data[pos] == t.comma {
			pos++
			continue
		}
		// End of record.
		if data[pos] == '\r' && pos+1 < len(data) && data[pos+1] == '\n' {
			pos++
		}
		pos++
		t.line++
		break
	}
	if pos >= len(data) && (len(data) == 0 || (data[len(data)-1] != '\n' && data[len(data)-1] != '\r')) {
		t.line++
	}
	t.pos = pos
	if quotedAny {
		// scratch may have moved while growing: resolve slices now.
		for i := range t.fields {
			if s := t.ends[2*i]; s >= 0 {
				t.fields[i] = t.scratch[s:t.ends[2*i+1]]
			}
		}
	}
	return t.fields, line, true, nil
}
