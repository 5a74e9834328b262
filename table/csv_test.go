package table

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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
