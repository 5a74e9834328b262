//go:build pypi

package gbdt

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/pythontest"
)

// The tests against the newest XGBoost 3.x of the PyPI venv (make
// test/pypi). The committed 3.x fixtures (testdata/xgboost3) are checked
// by the default TestFormatFixtures without Python.

// TestPyPIFormatsRoundTripXGBoost3 is TestFormatsRoundTripXGBoost17 with
// XGBoost 3.x: its files (JSON, UBJSON) read by Ferry, and Ferry's read
// back by it.
func TestPyPIFormatsRoundTripXGBoost3(t *testing.T) {
	t.Parallel()
	roundTripFormats(t, pythontest.Venv(t, "xgboost"))
}

// TestPyPISketchCutsXGBoost3 checks sketchCuts against the cuts XGBoost 3.x
// computes (DMatrix.get_quantile_cut) on 200,000 rows with missing
// values, where the sketch streams.
func TestPyPISketchCutsXGBoost3(t *testing.T) {
	t.Parallel()
	py := pythontest.Venv(t, "xgboost")
	const n = 200_000
	cols := sketchColumns(n)
	data := writeSketchData(t, cols)
	dir := t.TempDir()
	for _, maxBin := range []int{256, 64} {
		out := filepath.Join(dir, fmt.Sprintf("cuts%d.csv", maxBin))
		script := filepath.Join("testdata", "sketch_cuts.py")
		cmd := exec.CommandContext(t.Context(), py, script, data, strconv.Itoa(n), strconv.Itoa(len(cols)), strconv.Itoa(maxBin), out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sketch_cuts.py: %v\n%s", err, b)
		}
		text, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for j, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
			fields := strings.Split(line, ",")[1:]
			want := make([]float32, len(fields))
			for i, f := range fields {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					t.Fatal(err)
				}
				want[i] = float32(v)
			}
			c := sketchCuts(cols[j], maxBin)
			got := append([]float32{c.minVal}, c.cut...)
			if !slices.Equal(got, want) {
				t.Errorf("max_bin %d feature %d: %d cut values, XGBoost %d; first difference at %d", maxBin, j, len(got), len(want), firstDiff(got, want))
			}
			// Exact quantiles (featureCuts) differ where the sketch streams.
			vals := slices.DeleteFunc(slices.Clone(cols[j]), func(v float32) bool { return v != v })
			slices.Sort(vals)
			exact := featureCuts(vals, maxBin, nil)
			t.Logf("max_bin %d feature %d: %d values, sketch limit %d, exact-quantile cuts equal XGBoost's: %v", maxBin, j, len(vals), sketchLimit(len(vals), maxBin), slices.Equal(append([]float32{exact.minVal}, exact.cut...), want))
		}
	}
}

func firstDiff(a, b []float32) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
