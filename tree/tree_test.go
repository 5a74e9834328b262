package tree

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randomTree grows a random tree over m features, with children numbered
// right = left + 1 and covers that add up.
func randomTree(rng *rand.Rand, m, depth int) Tree {
	return growRandomTree(rng, m, depth, 4)
}

// fullRandomTree is randomTree with every leaf at depth depth (the shape
// of trained depth-limited boosted trees on large data).
func fullRandomTree(rng *rand.Rand, m, depth int) Tree {
	return growRandomTree(rng, m, depth, 0)
}

// growRandomTree grows a random tree whose nodes below the root stop
// splitting with probability 1/stop (never when stop is 0).
func growRandomTree(rng *rand.Rand, m, depth, stop int) Tree {
	var t Tree
	var grow func(d int, cover float64) int32
	grow = func(d int, cover float64) int32 {
		id := int32(len(t.Left))
		t.Left = append(t.Left, -1)
		t.Right = append(t.Right, -1)
		t.Feature = append(t.Feature, 0)
		t.Threshold = append(t.Threshold, 0)
		t.DefaultLeft = append(t.DefaultLeft, false)
		t.Value = append(t.Value, rng.NormFloat64())
		t.Cover = append(t.Cover, cover)
		t.Gain = append(t.Gain, 0)
		if d == depth || (d > 0 && stop > 0 && rng.IntN(stop) == 0) {
			return id
		}
		t.Feature[id] = int32(rng.IntN(m))
		t.Threshold[id] = float32(rng.Float64())
		t.DefaultLeft[id] = rng.IntN(2) == 0
		frac := 0.1 + 0.8*rng.Float64()
		l := grow(d+1, cover*frac)
		r := grow(d+1, cover*(1-frac))
		t.Left[id], t.Right[id] = l, r
		return id
	}
	grow(0, 100)
	return t
}

// condExpect is E[f | x_S] with covers as weights.
func condExpect(t *Tree, x []float64, in []bool, node int32) float64 {
	if t.Left[node] < 0 {
		return t.Value[node]
	}
	f := t.Feature[node]
	if in[f] {
		return condExpect(t, x, in, t.child(node, x[f]))
	}
	l, r := t.Left[node], t.Right[node]
	return (condExpect(t, x, in, l)*t.Cover[l] + condExpect(t, x, in, r)*t.Cover[r]) / t.Cover[node]
}

// bruteShapley enumerates all coalitions of m players.
func bruteShapley(m int, v func(in []bool) float64) []float64 {
	phi := make([]float64, m+1)
	in := make([]bool, m)
	fact := func(n int) float64 { return math.Gamma(float64(n + 1)) }
	for mask := 0; mask < 1<<m; mask++ {
		size := 0
		for j := range m {
			in[j] = mask&(1<<j) != 0
			if in[j] {
				size++
			}
		}
		base := v(in)
		for i := range m {
			if in[i] {
				continue
			}
			in[i] = true
			w := fact(size) * fact(m-size-1) / fact(m)
			phi[i] += w * (v(in) - base)
			in[i] = false
		}
	}
	for j := range m {
		in[j] = false
	}
	phi[m] = v(in)
	return phi
}

func randomRow(rng *rand.Rand, m int) []float64 {
	x := make([]float64, m)
	for j := range x {
		x[j] = rng.Float64()
		if rng.IntN(8) == 0 {
			x[j] = math.NaN()
		}
	}
	return x
}

func closeTo(got, want float64) bool { return math.Abs(got-want) <= 1e-9+1e-9*math.Abs(want) }

func TestShapAgainstBruteForce(t *testing.T) {
	t.Parallel()
	const m = 5
	tests := []struct {
		name  string
		seed  uint64
		depth int
		trees int
	}{
		{"stump", 1, 1, 1},
		{"depth3", 2, 3, 1},
		{"depth6RepeatedFeatures", 3, 6, 1},
		{"ensemble", 4, 4, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(tc.seed, 7))
			trees := make([]Tree, tc.trees)
			for i := range trees {
				trees[i] = randomTree(rng, m, tc.depth)
				if err := trees[i].Validate(m); err != nil {
					t.Fatal(err)
				}
			}
			bg := make([]float64, 0, 3*m)
			for range 3 {
				bg = append(bg, randomRow(rng, m)...)
			}
			for range 10 {
				x := randomRow(rng, m)
				sum := 0.0
				for i := range trees {
					sum += trees[i].Predict(x)
				}
				want := bruteShapley(m, func(in []bool) float64 {
					s := 0.0
					for i := range trees {
						s += condExpect(&trees[i], x, in, 0)
					}
					return 2 * s
				})
				got := make([]float64, m+1)
				ShapPathDependent(trees, x, got, 2)
				for j := range got {
					if !closeTo(got[j], want[j]) {
						t.Fatalf("path-dependent φ[%d] = %v, want %v (all %v vs %v)", j, got[j], want[j], got, want)
					}
				}
				wantI := bruteShapley(m, func(in []bool) float64 {
					s := 0.0
					mixed := make([]float64, m)
					for r := 0; r < 3; r++ {
						for j := range m {
							mixed[j] = bg[r*m+j]
							if in[j] {
								mixed[j] = x[j]
							}
						}
						for i := range trees {
							s += trees[i].Predict(mixed)
						}
					}
					return s / 3
				})
				gotI := make([]float64, m+1)
				ShapInterventional(trees, x, bg, gotI, 1)
				total := 0.0
				for j := range gotI {
					total += gotI[j]
					if !closeTo(gotI[j], wantI[j]) {
						t.Fatalf("interventional φ[%d] = %v, want %v", j, gotI[j], wantI[j])
					}
				}
				if !closeTo(total, sum) {
					t.Fatalf("interventional Σφ = %v, want prediction %v", total, sum)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	good := func() Tree {
		return Tree{
			Left: []int32{1, -1, -1}, Right: []int32{2, -1, -1}, Feature: []int32{1, 0, 0},
			Threshold: []float32{0.5, 0, 0}, DefaultLeft: []bool{true, false, false},
			Value: []float64{0, -1, 1}, Cover: []float64{2, 1, 1},
		}
	}
	tests := []struct {
		name    string
		mutate  func(*Tree)
		wantErr bool
	}{
		{"OK", func(*Tree) {}, false},
		{"ErrFeatureRange", func(t *Tree) { t.Feature[0] = 2 }, true},
		{"ErrChildRange", func(t *Tree) { t.Right[0] = 3 }, true},
		{"ErrCycle", func(t *Tree) { t.Left[0] = 0 }, true},
		{"ErrShared", func(t *Tree) { t.Right[0] = 1 }, true},
		{"ErrLength", func(t *Tree) { t.Value = t.Value[:2] }, true},
		{"ErrEmpty", func(t *Tree) { *t = Tree{} }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := good()
			tc.mutate(&tr)
			err := tr.Validate(2)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestLeafRouting(t *testing.T) {
	t.Parallel()
	tr := Tree{
		Left: []int32{1, -1, -1}, Right: []int32{2, -1, -1}, Feature: []int32{0, 0, 0},
		Threshold: []float32{0.5, 0, 0}, DefaultLeft: []bool{true, false, false},
		Value: []float64{0, -1, 1}, Cover: []float64{2, 1, 1},
	}
	tests := []struct {
		name string
		x    float64
		want int
	}{
		{"Below", 0.25, 1},
		{"EqualGoesRight", 0.5, 2},
		{"Above", 0.75, 2},
		{"MissingDefaultLeft", math.NaN(), 1},
		// 0.5000000001 rounds to float32 0.5, so it goes right as XGBoost does.
		{"Float32Compare", 0.49999999999, 2},
	}
	for _, tc := range tests {
		if got := tr.Leaf([]float64{tc.x}); got != tc.want {
			t.Errorf("%s: Leaf(%v) = %d, want %d", tc.name, tc.x, got, tc.want)
		}
	}
	if got, want := tr.MeanValue(), 0.0; got != want {
		t.Errorf("MeanValue() = %v, want %v", got, want)
	}
}

// TestFlatMatchesTree covers both layouts: padded complete trees (depth
// 5: 64-node arrays; depth 7: the general complete walk) and the general
// node walk (depth 10 > maxCompleteDepth).
func TestFlatMatchesTree(t *testing.T) {
	t.Parallel()
	for _, depth := range []int{5, 7, 10} {
		testFlat(t, depth)
	}
}

func testFlat(t *testing.T, depth int) {
	rng := rand.New(rand.NewPCG(5, uint64(depth)))
	const m = 6
	trees := make([]Tree, 8)
	for i := range trees {
		trees[i] = randomTree(rng, m, depth)
	}
	// Renumber one tree so children are not adjacent: Flat must not care.
	tr := &trees[0]
	if tr.Left[0] >= 0 {
		tr.Left[0], tr.Right[0] = tr.Right[0], tr.Left[0]
		tr.Threshold[0] = -tr.Threshold[0] // keep it valid; routing changes, both sides compare equally
	}
	f := NewFlat(trees)
	if complete := f.depth > 0; complete != (depth <= maxCompleteDepth) {
		t.Fatalf("depth %d: complete layout %v", depth, complete)
	}
	group := []int32{0, 1, 0, 1, 0, 1, 0, 1}
	rows := 200
	x := make([]float64, 0, rows*m)
	for range rows {
		x = append(x, randomRow(rng, m)...)
	}
	// Values exactly at thresholds go right, as XGBoost routes them.
	for r := 0; r < rows; r += 7 {
		for i := range trees {
			if tr := &trees[i]; tr.Left[0] >= 0 {
				x[r*m+int(tr.Feature[0])] = float64(tr.Threshold[0])
			}
		}
	}
	block := make([]float64, rows*2)
	f.AddBlock(block, 2, group, x, m, make([]float32, BlockRows*m))
	single := make([]float64, rows)
	f.AddBlock(single, 1, nil, x, m, make([]float32, BlockRows*m))
	// With FastBlockBuf scratch the complete layout takes its masked,
	// two-groups-at-a-time walk: the sums must be the same bit for bit,
	// also when the last block has an odd number of lane groups.
	for _, n := range []int{rows, 150} {
		fast := make([]float64, n)
		f.AddBlock(fast, 1, nil, x[:n*m], m, make([]float32, FastBlockBuf(m)))
		if diff := cmp.Diff(single[:n], fast); diff != "" {
			t.Fatalf("depth %d, %d rows: AddBlock with FastBlockBuf scratch differs (-small scratch +fast):\n%s", depth, n, diff)
		}
	}
	for r := range rows {
		row := x[r*m : (r+1)*m]
		var want [2]float64
		sum := 0.0
		for i := range trees {
			v := trees[i].Predict(row)
			want[group[i]] += v
			sum += v
			if got := f.Value(i, row); got != v {
				t.Fatalf("row %d tree %d: Flat.Value = %v, Tree.Predict = %v", r, i, got, v)
			}
		}
		if got := f.Sum(row, 0, len(trees)); !closeTo(got, sum) {
			t.Fatalf("row %d: Sum = %v, want %v", r, got, sum)
		}
		if !closeTo(single[r], sum) {
			t.Fatalf("row %d: AddBlock without groups = %v, want %v", r, single[r], sum)
		}
		for g := range 2 {
			if !closeTo(block[r*2+g], want[g]) {
				t.Fatalf("row %d group %d: AddBlock = %v, want %v", r, g, block[r*2+g], want[g])
			}
		}
	}
}

func BenchmarkShapPathDependent(b *testing.B) {
	rng := rand.New(rand.NewPCG(8, 9))
	const m = 28
	trees := make([]Tree, 100)
	for i := range trees {
		trees[i] = randomTree(rng, m, 6)
	}
	x := randomRow(rng, m)
	dst := make([]float64, m+1)
	s := NewShapScratch(6)
	means := make([]float64, len(trees))
	for i := range trees {
		means[i] = trees[i].MeanValue()
	}
	b.ReportAllocs()
	for range b.N {
		s.PathDependent(trees, means, x, dst, 1)
	}
}

// TestShapTreesMatchPathDependent checks the leaf-table path of
// PathDependentTrees against the recursive algorithm, with repeated
// features and missing values.
func TestShapTreesMatchPathDependent(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	const m = 5
	trees := make([]Tree, 6)
	for i := range trees {
		trees[i] = randomTree(rng, m, 1+i)
	}
	st := NewShapTrees(trees)
	s := NewShapScratch(6)
	for r := range 50 {
		x := randomRow(rng, m)
		want := make([]float64, m+1)
		ShapPathDependent(trees, x, want, 0.5)
		got := make([]float64, m+1)
		s.PathDependentTrees(st, x, got, 0.5)
		if st.tables == nil {
			t.Fatal("no leaf tables built")
		}
		for j := range want {
			if !closeTo(got[j], want[j]) {
				t.Fatalf("row %d feature %d: PathDependentTrees = %v, PathDependent = %v", r, j, got[j], want[j])
			}
		}
	}
}

// BenchmarkShapTrees is path-dependent TreeSHAP of one row through 100
// full depth-6 trees with the leaf tables (built before the timer).
func BenchmarkShapTrees(b *testing.B) {
	rng := rand.New(rand.NewPCG(8, 9))
	const m = 28
	trees := make([]Tree, 100)
	for i := range trees {
		trees[i] = fullRandomTree(rng, m, 6)
	}
	rows := make([][]float64, 64)
	for i := range rows {
		rows[i] = randomRow(rng, m)
	}
	st := NewShapTrees(trees)
	s := NewShapScratch(6)
	dst := make([]float64, m+1)
	s.PathDependentTrees(st, rows[0], dst, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s.PathDependentTrees(st, rows[i%len(rows)], dst, 1)
	}
}

// BenchmarkShapRows is BenchmarkShapTrees through PathDependentRows: 512
// rows per op, blocks of rows taken through each tree.
func BenchmarkShapRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(8, 9))
	const m, n = 28, 512
	trees := make([]Tree, 100)
	for i := range trees {
		trees[i] = fullRandomTree(rng, m, 6)
	}
	x := make([]float64, 0, n*m)
	for range n {
		x = append(x, randomRow(rng, m)...)
	}
	st := NewShapTrees(trees)
	s := NewShapScratch(6)
	dst := make([]float64, n*(m+1))
	s.PathDependentRows(st, x, m, dst, m+1, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.PathDependentRows(st, x, m, dst, m+1, 1)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}

// TestShapRowsMatchTrees checks PathDependentRows against
// PathDependentTrees row by row: bit for bit, on more rows than a block,
// with missing values, categorical splits and a stride wider than a row.
func TestShapRowsMatchTrees(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(13, 14))
	const m, n = 6, 2*shapBlockRows + 37
	const stride = m + 3
	trees := make([]Tree, 12)
	for i := range trees {
		trees[i] = fullRandomTree(rng, m, 1+i%6)
		if i%3 == 0 {
			trees[i] = randomTree(rng, m, 5)
		}
		if i%4 == 1 {
			tr := &trees[i]
			tr.Categories = make([][]uint32, tr.NumNodes())
			for j := range tr.Categories {
				if tr.Left[j] >= 0 && rng.IntN(2) == 0 {
					tr.Categories[j] = []uint32{uint32(1 + rng.IntN(255))}
				}
			}
		}
	}
	x := make([]float64, n*m)
	for i := range x {
		switch rng.IntN(6) {
		case 0:
			x[i] = math.NaN()
		case 1:
			x[i] = float64(rng.IntN(8))
		default:
			x[i] = rng.Float64()
		}
	}
	st := NewShapTrees(trees)
	s := NewShapScratch(6)
	got := make([]float64, n*stride)
	s.PathDependentRows(st, x, m, got, stride, 0.5)
	if st.tables == nil {
		t.Fatal("no leaf tables built")
	}
	for r := range n {
		want := make([]float64, m+1)
		s.PathDependentTrees(st, x[r*m:(r+1)*m], want, 0.5)
		if diff := cmp.Diff(want, got[r*stride:r*stride+m+1]); diff != "" {
			t.Fatalf("row %d: PathDependentRows differs from PathDependentTrees (-want +got):\n%s", r, diff)
		}
		for _, v := range got[r*stride+m+1 : (r+1)*stride] {
			if v != 0 {
				t.Fatalf("row %d: PathDependentRows wrote past the row's %d values", r, m+1)
			}
		}
	}
}
