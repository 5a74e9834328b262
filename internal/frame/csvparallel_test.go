package frame

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// randomCSV returns a CSV document of rows records with a header: ints,
// floats, text with quotes, separators and line breaks, missing values,
// blank lines and CRLF line ends, as the options ask.
func randomCSV(rng *rand.Rand, rows int, quotes, crlf bool) string {
	var b strings.Builder
	end := "\n"
	if crlf {
		end = "\r\n"
	}
	b.WriteString("i,f,s,b" + end)
	for r := range rows {
		if rng.IntN(50) == 0 {
			b.WriteString(end) // a blank line
		}
		fmt.Fprintf(&b, "%d,", rng.IntN(100))
		if rng.IntN(10) == 0 {
			b.WriteString("NA,")
		} else {
			fmt.Fprintf(&b, "%g,", rng.NormFloat64())
		}
		switch k := rng.IntN(6); {
		case quotes && k == 0:
			b.WriteString("\"two\nlines, \"\"quoted\"\"\"")
		case quotes && k == 1:
			b.WriteString("\"\n\"")
		case k == 2:
			b.WriteString("")
		default:
			fmt.Fprintf(&b, "t%d", r%7)
		}
		b.WriteString(",")
		b.WriteString([]string{"True", "False"}[rng.IntN(2)])
		b.WriteString(end)
	}
	return b.String()
}

func TestParseCSVParallelMatchesSequential(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	docs := map[string]string{
		"plain":                      randomCSV(rng, 1000, false, false),
		"quoted line breaks":         randomCSV(rng, 1000, true, false),
		"CRLF":                       randomCSV(rng, 1000, false, true),
		"quoted line breaks, CRLF":   randomCSV(rng, 1000, true, true),
		"short record late":          randomCSV(rng, 800, false, false) + "1,2\n" + randomCSV(rng, 100, false, false)[8:],
		"text in an int column late": randomCSV(rng, 800, false, false) + "x,1.0,a,True\n",
		"unterminated quote":         randomCSV(rng, 800, false, false) + "1,1.0,\"a,True\n" + randomCSV(rng, 100, false, false)[8:],
		"no trailing line end":       strings.TrimSuffix(randomCSV(rng, 800, false, false), "\n"),
		"only blank lines after":     randomCSV(rng, 100, false, false) + strings.Repeat("\n", 5000),
	}
	optsList := []CSVOptions{{}, {NoHeader: true}, {Names: []string{"a", "b", "c", "d"}}, {Names: []string{"a"}}, {Types: map[string]Type{"s": String, "zz": Int}}, {Types: map[string]Type{"i": Float}}}
	for name, doc := range docs {
		for k, opts := range optsList {
			want, wantErr := parseCSV([]byte(doc), opts, 1, 0)
			for _, minBytes := range []int{1, 4096} {
				got, err := parseCSV([]byte(doc), opts, 3, minBytes)
				if fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Errorf("%s, options %d, chunks from %d bytes: error %v, sequential %v", name, k, minBytes, err, wantErr)
					continue
				}
				if err != nil {
					continue
				}
				if diff := cmp.Diff(frameWant(want), frameWant(got), cmpopts.EquateNaNs()); diff != "" {
					t.Errorf("%s, options %d, chunks from %d bytes (-sequential +parallel):\n%s", name, k, minBytes, diff)
				}
			}
		}
	}
}

func TestParseParallelUsed(t *testing.T) {
	t.Parallel()
	doc := []byte(randomCSV(rand.New(rand.NewPCG(7, 8)), 1000, false, false))
	bodyStart := strings.IndexByte(string(doc), '\n') + 1
	f, ok, err := parseParallel(doc, bodyStart, ',', newNASet(CSVOptions{}), []string{"i", "f", "s", "b"}, CSVOptions{}, 2, 1024)
	if !ok || err != nil {
		t.Fatalf("parseParallel: ok %v, error %v; want a parallel parse", ok, err)
	}
	if f.NumRows() != 1000 {
		t.Errorf("parseParallel: %d rows, want 1000", f.NumRows())
	}
}

func FuzzParseCSVParallel(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n3,4\n5,6\n", "a\n\"x\ny\"\n\"\n\"\n", "a,b\r\n1,\r\n\r\n2,x\r\n", "a,b\n1\n2,3\n"} {
		f.Add([]byte(s), false, 3)
	}
	f.Fuzz(func(t *testing.T, data []byte, noHeader bool, minBytes int) {
		opts := CSVOptions{NoHeader: noHeader}
		want, wantErr := parseCSV(data, opts, 1, 0)
		got, err := parseCSV(data, opts, 3, minBytes%64)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("error %v, sequential %v", err, wantErr)
		}
		if err == nil {
			if diff := cmp.Diff(frameWant(want), frameWant(got), cmpopts.EquateNaNs()); diff != "" {
				t.Fatalf("(-sequential +parallel):\n%s", diff)
			}
		}
	})
}
