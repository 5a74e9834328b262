package table

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ferryml/ferry/internal/cell"
)

func FuzzReadCSV(f *testing.F) {
	f.Add("a,b\n1,2\n,3\n")
	f.Add("a\nx\n")
	f.Add("\"a\nb\",c\n1,2\n")
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := ReadCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		if len(tab.Data) != tab.Rows()*len(tab.Names) {
			t.Fatalf("%d values for %d rows × %d columns", len(tab.Data), tab.Rows(), len(tab.Names))
		}
	})
}

// FuzzReadPlainCSV checks the parallel reader of plain CSVs against
// encoding/csv: the same table, or an error from both.
func FuzzReadPlainCSV(f *testing.F) {
	f.Add("a,b\n1,2\n,3\n", 2)
	f.Add("\n\na,b\n\n1,2\n\n3,4", 3)
	f.Add("a\nx\n", 1)
	f.Add("a,b\n1\n", 2)
	f.Fuzz(func(t *testing.T, in string, threads int) {
		if strings.ContainsAny(in, "\"\r") {
			return
		}
		threads = 1 + abs(threads)%4
		plain, perr := readPlainCSV([]byte(in), threads, 1)
		ref, rerr := readQuotedCSV(strings.NewReader(in))
		if (perr == nil) != (rerr == nil) {
			t.Fatalf("plain error %v, encoding/csv error %v", perr, rerr)
		}
		if perr != nil {
			if perr.Error() != rerr.Error() {
				t.Fatalf("plain error %q, encoding/csv error %q", perr, rerr)
			}
			return
		}
		if diff := cmp.Diff(ref, plain, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("plain reader differs (-encoding/csv +plain):\n%s", diff)
		}
	})
}

// FuzzReadCSVBlocks checks the streaming reader, with tiny blocks (so
// that blocks end anywhere, and a quote or carriage return can turn up
// in a later block), against encoding/csv: the same table, or the same
// error.
func FuzzReadCSVBlocks(f *testing.F) {
	f.Add("a,b\n1,2\n,3\n", 2, 3)
	f.Add("\n\na,b\n\n1,2\n\n3,4", 3, 1)
	f.Add("a,b\n1,2\n3,4\n\"5\",6\n7,x\n", 1, 4)
	f.Add("a,b\n1,2\n3,4\r\n5\n", 2, 2)
	f.Add("\n\"a\",b\n1,2\n", 2, 2)
	f.Fuzz(func(t *testing.T, in string, threads, block int) {
		threads = 1 + abs(threads)%4
		block = 1 + abs(block)%16
		got, gerr := readCSVBlocks(strings.NewReader(in), int64(len(in)), block, threads, 1)
		ref, rerr := readQuotedCSV(strings.NewReader(in))
		if (gerr == nil) != (rerr == nil) {
			t.Fatalf("streaming error %v, encoding/csv error %v", gerr, rerr)
		}
		if gerr != nil {
			if gerr.Error() != rerr.Error() {
				t.Fatalf("streaming error %q, encoding/csv error %q", gerr, rerr)
			}
			return
		}
		if diff := cmp.Diff(ref, got, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("streaming reader differs (-encoding/csv +streaming):\n%s", diff)
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestReadCSVErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"Empty", "", "no header"},
		{"NotNumber", "a,b\n1,x\n", `line 2, column "b": "x" is not a number`},
		{"Duplicate", "a,a\n1,2\n", "appears twice"},
		{"Ragged", "a,b\n1\n", "wrong number of fields"},
		{"Infinite", "a\n1e999\n", "not finite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadCSV(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadCSV() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTableCut(t *testing.T) {
	t.Parallel()
	for c := range 3 {
		tab := &Table{Names: []string{"a", "b", "c"}, Data: []float64{1, 2, 3, 4, 5, 6}}
		wantCol, wantRest := tab.Split(c)
		col := tab.Cut(c)
		if diff := cmp.Diff(wantCol, col); diff != "" {
			t.Errorf("Cut(%d) column (-Split +Cut):\n%s", c, diff)
		}
		if diff := cmp.Diff(wantRest, tab); diff != "" {
			t.Errorf("Cut(%d) table (-Split +Cut):\n%s", c, diff)
		}
	}
}

// FuzzPlainDecimal checks the fast path of plain decimals against the
// full cell parser: the same bits whenever it answers.
func FuzzPlainDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0.0", "1.", ".5", "+3.25", "-0.0193578", "123456789012345", "1234567890123456", "0.000000000000000000001", "00000000000000000001.5", ".", "-", "", "1e5", " 1", "0x10", "1_0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := plainDecimal([]byte(s))
		if !ok {
			return
		}
		want, err := cell.NumberBytes([]byte(s))
		if err != nil {
			t.Fatalf("plainDecimal(%q) = %v, but the cell parser says %v", s, v, err)
		}
		if math.Float64bits(v) != math.Float64bits(want) {
			t.Fatalf("plainDecimal(%q) = %v, want %v", s, v, want)
		}
	})
}

func TestPlainDecimal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{{"-0.0193578", true}, {"1.", true}, {".5", true}, {"+7", true}, {"-0.0", true}, {"0000000000000000000012.5", true},
		{".", false}, {"-", false}, {"+", false}, {"", false}, {"1e5", false}, {"1234567890123456", false}, {"1.2.3", false}, {" 1", false}} {
		v, ok := plainDecimal([]byte(tc.in))
		if ok != tc.ok {
			t.Errorf("plainDecimal(%q): ok %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if ok {
			want, err := cell.NumberBytes([]byte(tc.in))
			if err != nil || math.Float64bits(v) != math.Float64bits(want) {
				t.Errorf("plainDecimal(%q) = %v, want %v (%v)", tc.in, v, want, err)
			}
		}
	}
}
