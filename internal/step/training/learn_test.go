package training

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
)

// A headerless CSV whose first row has an empty (missing) cell is data,
// not a header.
func TestReadTableHeaderlessMissingFirstCell(t *testing.T) {
	for _, first := range []string{"1,,2.5", "0,NA,2.5", "1,3,"} {
		path := filepath.Join(artifacttest.TempDir(t), "train.csv")
		if err := os.WriteFile(path, []byte(first+"\n0,4,5\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		tb, err := readTable(path, "", "", false, nil)
		if err != nil {
			t.Fatalf("%q: %v", first, err)
		}
		if tb.Rows() != 2 {
			t.Fatalf("%q: read %d rows, want 2 (first row taken as a header?)", first, tb.Rows())
		}
		if tb.label != "label" || tb.FeatureNames[0] != "f0" {
			t.Errorf("%q: names %q %q, want label f0...", first, tb.label, tb.FeatureNames)
		}
		if first == "1,,2.5" && !math.IsNaN(tb.X[0]) {
			t.Errorf("empty cell read as %v, want NaN", tb.X[0])
		}
	}
	// A real header stays a header, and a row of missing cells only is not data.
	for _, hdr := range []string{"y,a,b", ",,"} {
		if numericLine(hdr) {
			t.Errorf("numericLine(%q) = true", hdr)
		}
	}
}
