package monitor

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestBaselineGolden keeps the statistics.json and constraints.json of a
// small training set (testdata/golden/train.csv) as golden files.
func TestBaselineGolden(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("testdata", "golden", "train.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, cons, err := DataBaseline(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteBaseline(dir, st, cons); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{StatisticsFile, ConstraintsFile} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s (-golden +got; go test ./internal/monitor -run Golden -update):\n%s", name, diff)
		}
	}
	if !strings.Contains(string(mustRead(t, filepath.Join("testdata", "golden", ConstraintsFile))), `"comparison_method": "Robust"`) {
		t.Error("constraints do not use the Robust comparison")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
