package frame

import (
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/cell"
)

// TestNumberSyntaxMatchesCell keeps the CSV reader's fast number
// classifier in step with package cell's rule (the one rule for model
// input): for a cell without surrounding spaces, both accept or both
// reject it as a number.
func TestNumberSyntaxMatchesCell(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"1", "-1", "+1", "1.5", ".5", "5.", "1e3", "1E-3", "-2.5e+10", "inf", "-Infinity", "INF",
		"", ".", "e3", "1e", "1e+", "0x10", "1_000", "nan", "NaN", "abc", "1.2.3", "--1", "1,5",
	} {
		fast := numberKind([]byte(s)) != numNone
		_, err := cell.Float(s)
		if fast != (err == nil) {
			t.Errorf("%q: frame says number=%v, cell says %v", s, fast, err)
		}
	}
}

func FuzzNumberSyntaxMatchesCell(f *testing.F) {
	f.Add("1.5e3")
	f.Add("-inf")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.TrimSpace(s) != s {
			return // cell trims surrounding spaces; the CSV reader does not
		}
		fast := numberKind([]byte(s)) != numNone
		if _, err := cell.Float(s); fast != (err == nil) {
			t.Errorf("%q: frame says number=%v, cell says %v", s, fast, err)
		}
	})
}

func TestDefaultNAIsCellNA(t *testing.T) {
	t.Parallel()
	na := newNASet(CSVOptions{})
	for _, s := range cell.NAValues() {
		if !na.has([]byte(s)) {
			t.Errorf("%q is missing for package cell but not for the CSV reader", s)
		}
	}
}
