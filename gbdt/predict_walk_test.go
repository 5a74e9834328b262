package gbdt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ferryml/ferry/tree"
)

// TestBatchMarginMatchesTreeWalk checks batch margins, whichever walk
// tree.Flat takes on this CPU (the AVX-512 vector walk or the scalar
// ones), against each tree's own node walk (tree.Tree.Predict) summed in
// the batch path's order: bit for bit. The models are every XGBoost
// fixture (missing values, multi-class, dart weights, best_iteration,
// num_parallel_tree, categorical splits), with and without AllTrees, and
// random models of depth 1 to 8 (the padded complete layout) and 10 (the
// node walk) with missing values routed both ways.
func TestBatchMarginMatchesTreeWalk(t *testing.T) {
	t.Parallel()
	type tc struct {
		name string
		m    *Model
		x    []float64
	}
	var cases []tc
	for _, root := range []string{"xgboost", "xgboost3", "xgboost17"} {
		dirs, err := os.ReadDir(filepath.Join("testdata", root))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			dir := filepath.Join("testdata", root, d.Name())
			if !d.IsDir() {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, "model.json")); err != nil {
				continue
			}
			x := readTable(t, filepath.Join(dir, "data.csv")).Data
			for _, all := range []bool{false, true} {
				m := readFixtureModel(t, dir)
				if err := m.SetAllTrees(all); err != nil {
					t.Fatal(err)
				}
				cases = append(cases, tc{fmt.Sprintf("%s/all=%v", dir, all), m, x})
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, depth := range []int{1, 2, 3, 4, 5, 6, 7, 8, 10} {
		for _, classes := range []int{0, 3} {
			for _, dart := range []bool{false, true} {
				m, x := randomModel(t, rng, depth, classes, dart)
				cases = append(cases, tc{fmt.Sprintf("random/depth%d/classes%d/dart=%v", depth, classes, dart), m, x})
			}
		}
	}
	for _, c := range cases {
		// Enough rows for several blocks and the parallel path.
		x := c.x
		for len(x)/c.m.NumFeature < 1500 {
			x = append(x, c.x...)
		}
		n := len(x) / c.m.NumFeature
		got := make([]float64, n*c.m.NumOutputGroups())
		c.m.PredictMargin(got, x)
		want := walkMargins(c.m, x)
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%s: margin %d (row %d) = %v, node walk %v", c.name, i, i/c.m.NumOutputGroups(), got[i], want[i])
			}
		}
	}
}

// walkMargins sums each used tree's node walk the way the batch path
// does: one output from 0 in tree order, then the base margin added (for
// the padded complete layout; other layouts add each tree to the base
// margin); several outputs add each tree to its class's base margin.
func walkMargins(m *Model, x []float64) []float64 {
	nf, k, used := m.NumFeature, m.NumOutputGroups(), m.NumTreesUsed()
	complete := true
	for i := range used {
		t := &m.Trees[i]
		if t.Categories != nil || t.MaxDepth() > 8 {
			complete = false
		}
		for j, thr := range t.Threshold {
			if t.Left[j] >= 0 && !(thr > float32(math.Inf(-1))) {
				complete = false
			}
		}
	}
	value := func(ti int, row []float64) float64 {
		v := m.Trees[ti].Predict(row)
		if m.TreeWeights != nil {
			v = float64(float32(v) * float32(m.TreeWeights[ti]))
		}
		return v
	}
	n := len(x) / nf
	out := make([]float64, n*k)
	for r := range n {
		row := x[r*nf : (r+1)*nf]
		if k == 1 && complete {
			acc := 0.0
			for ti := range used {
				acc += value(ti, row)
			}
			out[r] = m.baseMargins[0] + acc
			continue
		}
		copy(out[r*k:(r+1)*k], m.baseMargins)
		for ti := range used {
			out[r*k+int(m.TreeInfo[ti])] += value(ti, row)
		}
	}
	return out
}

// randomModel builds a model of random trees of depth at most depth over
// 9 features (leaves rounded to float32 when not dart, as XGBoost's;
// float64 with dart weights), with classes classes (0: binary),
// num_parallel_tree 2 and best_iteration 5 of 8 rounds, and rows with a
// quarter of their values missing.
func randomModel(t *testing.T, rng *rand.Rand, depth, classes int, dart bool) (*Model, []float64) {
	t.Helper()
	const nf, rounds, parallel = 9, 8, 2
	m := &Model{Objective: BinaryLogistic, BaseScore: 0.3, NumFeature: nf, NumParallelTree: parallel,
		Attributes: map[string]string{"best_iteration": strconv.Itoa(5)}}
	k := 1
	if classes > 0 {
		m.Objective, m.NumClass, k = MultiSoftprob, classes, classes
		m.BaseScore = 0.5
	}
	for range rounds {
		for g := range k {
			for range parallel {
				m.Trees = append(m.Trees, randomGbdtTree(rng, nf, depth, !dart))
				m.TreeInfo = append(m.TreeInfo, int32(g))
				if dart {
					m.TreeWeights = append(m.TreeWeights, 0.5+rng.Float64())
				}
			}
		}
	}
	if err := m.Init(); err != nil {
		t.Fatal(err)
	}
	x := make([]float64, 700*nf)
	for i := range x {
		switch rng.IntN(8) {
		case 0, 1:
			x[i] = math.NaN()
		case 2:
			x[i] = float64(float32(rng.Float64())) // often a threshold's neighbour
		default:
			x[i] = rng.Float64()
		}
	}
	return m, x
}

// randomGbdtTree grows a tree whose nodes stop splitting before depth
// with probability 1/6.
func randomGbdtTree(rng *rand.Rand, nf, depth int, round32 bool) tree.Tree {
	var tr tree.Tree
	var grow func(d int) int32
	grow = func(d int) int32 {
		id := int32(len(tr.Left))
		v := rng.NormFloat64()
		if round32 {
			v = float64(float32(v))
		}
		tr.Left = append(tr.Left, -1)
		tr.Right = append(tr.Right, -1)
		tr.Feature = append(tr.Feature, 0)
		tr.Threshold = append(tr.Threshold, 0)
		tr.DefaultLeft = append(tr.DefaultLeft, false)
		tr.Value = append(tr.Value, v)
		tr.Cover = append(tr.Cover, 1)
		tr.Gain = append(tr.Gain, 0)
		if d == depth || (d > 0 && rng.IntN(6) == 0) {
			return id
		}
		tr.Feature[id] = int32(rng.IntN(nf))
		tr.Threshold[id] = float32(rng.Float64())
		tr.DefaultLeft[id] = rng.IntN(2) == 0
		l := grow(d + 1)
		r := grow(d + 1)
		tr.Left[id], tr.Right[id] = l, r
		return id
	}
	grow(0)
	return tr
}
