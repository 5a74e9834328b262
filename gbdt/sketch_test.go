package gbdt

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/ferryml/ferry/internal/pythontest"
)

// sketchColumns returns test columns of n rows (column-major) with
// missing values, on which XGBoost's streaming sketch and exact
// quantiles differ: continuous values, few distinct values, sorted runs,
// a mostly missing column, heavy duplicates, a column without missing
// values.
func sketchColumns(n int) [][]float32 {
	r := rand.New(rand.NewPCG(15, 2))
	cols := make([][]float32, 6)
	for j := range cols {
		cols[j] = make([]float32, n)
	}
	nan := float32(math.NaN())
	for i := range n {
		cols[0][i] = float32(r.NormFloat64())
		if r.Float64() < 0.1 {
			cols[0][i] = nan
		}
		cols[1][i] = float32(r.IntN(100))
		if r.Float64() < 0.05 {
			cols[1][i] = nan
		}
		cols[2][i] = float32(i / 7)
		if i%13 == 0 {
			cols[2][i] = nan
		}
		cols[3][i] = nan
		if r.Float64() < 0.01 {
			cols[3][i] = float32(r.ExpFloat64())
		}
		cols[4][i] = float32(math.Round(math.Exp(r.NormFloat64())*100) / 100)
		if r.Float64() < 0.2 {
			cols[4][i] = nan
		}
		cols[5][i] = float32(r.Float64()*1000 - 500)
	}
	return cols
}

// writeSketchData writes columns as the row-major float32 file the sketch
// scripts read.
func writeSketchData(t *testing.T, cols [][]float32) string {
	t.Helper()
	n := len(cols[0])
	raw := make([]byte, 0, 4*n*len(cols))
	for i := range n {
		for _, c := range cols {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(c[i]))
		}
	}
	path := filepath.Join(t.TempDir(), "x.f32")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSketchCutsXGBoost17 checks sketchCuts against XGBoost 1.7, which
// does not expose its cuts: every split condition of a deep model trained
// on the columns must be one of the sketch's cut values (or the minimum
// value below them), while exact quantiles miss some. At max_bin 64 the
// sorted column with runs (feature 2) tells the buffer's rule for a value
// equal to the last one when the buffer is full (added to it) from the
// other (summarise first).
func TestSketchCutsXGBoost17(t *testing.T) {
	t.Parallel()
	py := pythontest.Debian(t, "xgboost")
	const n = 120_000
	cols := sketchColumns(n)
	data := writeSketchData(t, cols)
	for _, maxBin := range []int{256, 64} {
		out := filepath.Join(t.TempDir(), "model.json")
		cmd := exec.CommandContext(t.Context(), py, filepath.Join("testdata", "sketch_model.py"), data, strconv.Itoa(n), strconv.Itoa(len(cols)), strconv.Itoa(maxBin), out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sketch_model.py: %v\n%s", err, b)
		}
		m, err := ReadModelFile(out)
		if err != nil {
			t.Fatal(err)
		}
		cutSet := func(c cuts) map[float32]bool {
			set := map[float32]bool{c.minVal: true}
			for _, v := range c.cut {
				set[v] = true
			}
			return set
		}
		var sketch, exact []map[float32]bool
		for _, col := range cols {
			sketch = append(sketch, cutSet(sketchCuts(col, maxBin)))
			vals := slices.DeleteFunc(slices.Clone(col), func(v float32) bool { return v != v })
			slices.Sort(vals)
			exact = append(exact, cutSet(featureCuts(vals, maxBin, nil)))
		}
		splits, missed, missedExact := 0, 0, 0
		for ti := range m.Trees {
			tr := &m.Trees[ti]
			for i := range tr.NumNodes() {
				if tr.IsLeaf(i) {
					continue
				}
				splits++
				f, thr := tr.Feature[i], tr.Threshold[i]
				if !sketch[f][thr] {
					if missed < 5 {
						t.Errorf("max_bin %d tree %d node %d: split on feature %d at %v, not one of the sketch's cuts", maxBin, ti, i, f, thr)
					}
					missed++
				}
				if !exact[f][thr] {
					missedExact++
				}
			}
		}
		t.Logf("max_bin %d: %d splits: %d not sketch cuts, %d not exact-quantile cuts", maxBin, splits, missed, missedExact)
		if splits < 1000 || missedExact == 0 {
			t.Fatalf("the model does not tell the sketch from exact quantiles (%d splits, %d off exact-quantile cuts)", splits, missedExact)
		}
	}
}

// TestSketchCutsExactPath: a column that fits the sketch's buffer gets
// the exact-summary cuts featureCuts computes.
func TestSketchCutsExactPath(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 100, 5000} {
		col := make([]float32, n)
		for i := range col {
			col[i] = float32(math.Round(r.NormFloat64()*64) / 64)
			if i%11 == 5 {
				col[i] = float32(math.NaN())
			}
		}
		vals := slices.DeleteFunc(slices.Clone(col), func(v float32) bool { return v != v })
		slices.Sort(vals)
		want := featureCuts(vals, 256, nil)
		got := sketchCuts(col, 256)
		if got.minVal != want.minVal || !slices.Equal(got.cut, want.cut) {
			t.Errorf("n=%d: sketch cuts %v (min %v), exact %v (min %v)", n, got.cut, got.minVal, want.cut, want.minVal)
		}
	}
	if c := sketchCuts([]float32{float32(math.NaN())}, 256); len(c.cut) != 0 {
		t.Errorf("all-missing column has cuts %v", c.cut)
	}
}

// TestWeightedSketchCuts checks the weighted sketch (one sketch reused
// across the columns): unit weights give the unweighted cuts (also past
// the exact path, at 300,000 rows), weight 2 on
// every row changes nothing, and rows of weight 0 drop out of the sketch
// while the column's size still counts them.
func TestWeightedSketchCuts(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	reused := &wqSketch{} // one sketch for every column, as quantise does
	for _, n := range []int{300000, 1, 100, 5000, 300000} {
		col := make([]float32, n)
		for i := range col {
			col[i] = float32(math.Round(r.NormFloat64()*1000) / 64)
			if i%13 == 7 {
				col[i] = float32(math.NaN())
			}
		}
		ones, twos := make([]float32, n), make([]float32, n)
		for i := range ones {
			ones[i], twos[i] = 1, 2
		}
		want := sketchCuts(col, 256)
		for name, w := range map[string][]float32{"ones": ones, "twos": twos} {
			got := weightedSketchCuts(col, w, 256, reused)
			if got.minVal != want.minVal || !slices.Equal(got.cut, want.cut) {
				t.Errorf("n=%d, %s: weighted cuts %v, unweighted %v", n, name, got.cut, want.cut)
			}
		}
	}
	col := []float32{1, 2, 3, 4}
	got := weightedSketchCuts(col, []float32{1, 0, 1, 0}, 256, nil)
	want := sketchCuts([]float32{1, float32(math.NaN()), 3, float32(math.NaN())}, 256)
	if !slices.Equal(got.cut, want.cut) {
		t.Errorf("zero weights: cuts %v, want those without the rows %v", got.cut, want.cut)
	}
	if c := weightedSketchCuts(col, []float32{0, 0, 0, 0}, 256, nil); len(c.cut) != 0 {
		t.Errorf("all weights 0: cuts %v, want none", c.cut)
	}
}
