package frame

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cell is a column value in tests: nil is missing.
type colWant struct {
	Name   string
	Type   Type
	Values []any
}

func columnValues(c *Column) []any {
	out := make([]any, c.Len())
	for i := range out {
		if !c.IsValid(i) {
			continue
		}
		switch c.Type {
		case Int:
			out[i] = c.Ints[i]
		case Float:
			out[i] = c.Floats[i]
		case String:
			out[i] = c.Strings[i]
		case Bool:
			out[i] = c.Bools[i]
		}
	}
	return out
}

func frameWant(f *Frame) []colWant {
	out := make([]colWant, f.NumCols())
	for i, c := range f.Columns() {
		out[i] = colWant{c.Name, c.Type, columnValues(c)}
	}
	return out
}

func TestParseCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		opts CSVOptions
		want []colWant
	}{
		{
			name: "InferTypes",
			in:   "i,f,s,b\n1,1.5,x,True\n-2,3,y,false\n",
			want: []colWant{
				{"i", Int, []any{int64(1), int64(-2)}},
				{"f", Float, []any{1.5, 3.0}},
				{"s", String, []any{"x", "y"}},
				{"b", Bool, []any{true, false}},
			},
		},
		{
			name: "QuotedFields",
			in:   "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"1\",plain\"quote\n",
			want: []colWant{
				{"a", String, []any{"x,y", "1"}},
				{"b", String, []any{`say "hi"`, `plain"quote`}},
			},
		},
		{
			name: "EmbeddedNewlines",
			in:   "a,b\n\"line1\nline2\",2\n\"x\r\ny\",3\n",
			want: []colWant{
				{"a", String, []any{"line1\nline2", "x\r\ny"}},
				{"b", Int, []any{int64(2), int64(3)}},
			},
		},
		{
			name: "MissingValues",
			in:   "a,b,c\n1,,None\nNA,N/A,x\n3,nan,n/a\n",
			want: []colWant{
				{"a", Int, []any{int64(1), nil, int64(3)}},
				{"b", Float, []any{nil, nil, nil}},
				{"c", String, []any{"None", "x", nil}},
			},
		},
		{
			name: "CustomNA",
			in:   "a,b\n?,1\nx,-999\n",
			opts: CSVOptions{NAValues: []string{"?", "-999"}},
			want: []colWant{
				{"a", String, []any{nil, "x"}},
				{"b", Int, []any{int64(1), nil}},
			},
		},
		{
			name: "NoDefaultNA",
			in:   "a\nNA\n\n",
			opts: CSVOptions{NoDefaultNA: true},
			want: []colWant{{"a", String, []any{"NA"}}},
		},
		{
			name: "BOMAndCRLF",
			in:   "\xef\xbb\xbfa,b\r\n1,x\r\n2,y\r\n",
			want: []colWant{
				{"a", Int, []any{int64(1), int64(2)}},
				{"b", String, []any{"x", "y"}},
			},
		},
		{
			name: "NoTrailingNewlineAndBlankLines",
			in:   "a\n\n1\n\n2",
			want: []colWant{{"a", Int, []any{int64(1), int64(2)}}},
		},
		{
			name: "NoHeader",
			in:   "1,x\n2,y\n",
			opts: CSVOptions{NoHeader: true},
			want: []colWant{
				{"0", Int, []any{int64(1), int64(2)}},
				{"1", String, []any{"x", "y"}},
			},
		},
		{
			name: "NamesAndForcedTypes",
			in:   "1,2\n3,4\n",
			opts: CSVOptions{NoHeader: true, Names: []string{"p", "q"}, Types: map[string]Type{"q": String}},
			want: []colWant{
				{"p", Int, []any{int64(1), int64(3)}},
				{"q", String, []any{"2", "4"}},
			},
		},
		{
			name: "NumbersAndMixtures",
			in:   "a,b,c,d\n1e3,inf,1,True\n-0.5,-Infinity,x,1\n99999999999999999999,2,3,False\n",
			want: []colWant{
				{"a", Float, []any{1000.0, -0.5, 1e20}},
				{"b", Float, []any{math.Inf(1), math.Inf(-1), 2.0}},
				{"c", String, []any{"1", "x", "3"}},
				{"d", String, []any{"True", "1", "False"}},
			},
		},
		{
			name: "EmptyHeaderName",
			in:   ",a\n1,2\n",
			want: []colWant{
				{"Unnamed: 0", Int, []any{int64(1)}},
				{"a", Int, []any{int64(2)}},
			},
		},
		{
			name: "HeaderOnly",
			in:   "a,b\n",
			want: []colWant{{"a", Float, []any{}}, {"b", Float, []any{}}},
		},
		{
			name: "Semicolon",
			in:   "a;b\n1;x,y\n",
			opts: CSVOptions{Comma: ';'},
			want: []colWant{{"a", Int, []any{int64(1)}}, {"b", String, []any{"x,y"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := ParseCSV([]byte(tt.in), tt.opts)
			if err != nil {
				t.Fatalf("ParseCSV: %v", err)
			}
			if diff := cmp.Diff(tt.want, frameWant(f)); diff != "" {
				t.Errorf("columns (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCSVErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		opts CSVOptions
		want string
	}{
		{"RaggedLong", "a,b\n1,2\n3,4,5\n", CSVOptions{}, "line 3: 3 fields, want 2"},
		{"RaggedShort", "a,b\n1,2\n\"x\ny\",2\n3\n", CSVOptions{}, "line 5: 1 fields, want 2"},
		{"RaggedCRLF", "a,b\r\n1,2\r\n3\r\n", CSVOptions{}, "line 3: 1 fields, want 2"},
		{"Unterminated", "a\n1\n\"abc\n", CSVOptions{}, "line 3: unterminated quoted field"},
		{"TextAfterQuote", "a,b\n\"x\"y,1\n", CSVOptions{}, "line 2: unexpected 'y' after a closing quote"},
		{"Empty", "", CSVOptions{}, "no header row"},
		{"DuplicateHeader", "a,a\n1,2\n", CSVOptions{}, `duplicate column name "a"`},
		{"BadForcedInt", "a\nx\n", CSVOptions{Types: map[string]Type{"a": Int}}, `line 2, column "a": value "x" is not an integer`},
		{"UnknownTypedColumn", "a\n1\n", CSVOptions{Types: map[string]Type{"b": Int}}, `unknown column "b"`},
		{"NamesCount", "a\n1\n", CSVOptions{Names: []string{"x", "y"}}, "2 column names given for 1 columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseCSV([]byte(tt.in), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseCSV error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestWriteCSVRoundTrip(t *testing.T) {
	t.Parallel()
	in := "i,f,s,b\n1,1.0,\"a,b\",True\n,0.25,\"q\"\"\",False\n3,,x\ny,\n"
	in = strings.Replace(in, "x\ny", "\"x\ny\"", 1)
	f, err := ParseCSV([]byte(in), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, f, CSVWriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != in {
		t.Errorf("WriteCSV = %q, want %q", got, in)
	}
	buf.Reset()
	if err := WriteCSV(&buf, f, CSVWriteOptions{NoHeader: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), in[strings.IndexByte(in, '\n')+1:]; got != want {
		t.Errorf("WriteCSV without header = %q, want %q", got, want)
	}
}

func TestAppendFloat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
	}{
		{1, "1.0"}, {0, "0.0"}, {-2.5, "-2.5"}, {8913.668763178823, "8913.668763178823"},
		{1e-5, "1e-05"}, {1e16, "1e+16"}, {1.5e300, "1.5e+300"}, {0.0001, "0.0001"},
		{123456789012345.0, "123456789012345.0"}, {math.NaN(), "nan"}, {math.Inf(-1), "-inf"},
	}
	for _, tt := range tests {
		if got := string(AppendFloat(nil, tt.in)); got != tt.want {
			t.Errorf("AppendFloat(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "a\n\"x\ny\"\n", "\xef\xbb\xbfa,b\r\n1,\r\n", "a,b\n1\n", "a\n\"unterminated",
		"a,b\nNA,None\n1e5,inf\n", "x\n\"a\"\"b\"\n\n\n", "\r\r\n,\n",
		"\xef\xbb\xbf\xef\xbb\xbf\n", // a column named by a BOM
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, noHeader bool) {
		fr, err := ParseCSV(data, CSVOptions{NoHeader: noHeader})
		if err != nil {
			return
		}
		// Whatever parses must write and parse back to the same shape.
		var buf bytes.Buffer
		if err := WriteCSV(&buf, fr, CSVWriteOptions{NoHeader: noHeader}); err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		if fr.NumCols() == 0 || (fr.NumRows() == 0 && noHeader) {
			return
		}
		back, err := ParseCSV(buf.Bytes(), CSVOptions{NoHeader: noHeader, Types: typesOf(fr)})
		if err != nil {
			t.Fatalf("re-reading written CSV %q: %v", buf.Bytes(), err)
		}
		if back.NumRows() != fr.NumRows() || back.NumCols() != fr.NumCols() {
			t.Fatalf("round trip shape %dx%d, want %dx%d", back.NumRows(), back.NumCols(), fr.NumRows(), fr.NumCols())
		}
		if !noHeader {
			if diff := cmp.Diff(frameWant(fr), frameWant(back)); diff != "" {
				t.Fatalf("round trip through %q (-first +second):\n%s", buf.Bytes(), diff)
			}
		}
	})
}

func typesOf(f *Frame) map[string]Type {
	m := make(map[string]Type)
	for _, c := range f.Columns() {
		m[c.Name] = c.Type
	}
	return m
}

func TestParseInt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-12", -12, true}, {"+7", 7, true},
		{"9223372036854775807", math.MaxInt64, true}, {"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false}, {"99999999999999999999", 0, false},
		{"", 0, false}, {"-", 0, false}, {"1.0", 0, false}, {"1a", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseInt([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func BenchmarkParseCSV(b *testing.B) {
	data, err := os.ReadFile("../../examples/fraud-detection/data/claims.csv")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseCSV(data, CSVOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
