package tree

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWalk16MatchesWalk checks that the vector walk (where the CPU has
// it) gives the scalar walks' sums bit for bit: trees of depth 1 to 8,
// full and with shallow leaves, missing values both ways, values at
// thresholds and ±Inf, one output and grouped outputs (multi-class), and
// row counts that leave partial lane groups and blocks.
func TestWalk16MatchesWalk(t *testing.T) {
	t.Parallel()
	if !haveWalk16() {
		t.Skip("no AVX-512 here: walk16 does not run")
	}
	for depth := 1; depth <= maxCompleteDepth; depth++ {
		for _, full := range []bool{true, false} {
			for _, leaf32 := range []bool{true, false} {
				t.Run(fmt.Sprintf("depth%d/full=%v/leaf32=%v", depth, full, leaf32), func(t *testing.T) {
					t.Parallel()
					testWalk16(t, depth, full, leaf32)
				})
			}
		}
	}
}

// roundLeaves rounds tree values to float32, as XGBoost's are.
func roundLeaves(trees []Tree) {
	for i := range trees {
		for j, v := range trees[i].Value {
			trees[i].Value[j] = float64(float32(v))
		}
	}
}

func testWalk16(t *testing.T, depth int, full, leaf32 bool) {
	rng := rand.New(rand.NewPCG(uint64(depth), 16))
	const m = 7
	trees := make([]Tree, 23)
	for i := range trees {
		if full {
			trees[i] = fullRandomTree(rng, m, depth)
		} else {
			trees[i] = randomTree(rng, m, depth)
		}
	}
	if leaf32 {
		roundLeaves(trees)
	}
	// Thresholds on a grid of eighths, and below half the rows' values
	// too, so rows land exactly on thresholds at every level.
	for i := range trees {
		for j, thr := range trees[i].Threshold {
			trees[i].Threshold[j] = float32(math.Round(float64(thr)*8) / 8)
		}
	}
	f := NewFlat(trees)
	if f.w16Feat == nil {
		t.Fatalf("depth %d: walk16 tables not built", depth)
	}
	if want := leaf32 && depth <= 6; (f.w16Leaf32 != nil) != want {
		t.Fatalf("depth %d: float32 leaf table built %v, want %v", depth, f.w16Leaf32 != nil, want)
	}
	scalar := *f
	scalar.w16Feat, scalar.w16Thr = nil, nil
	const rows = 300
	x := make([]float64, 0, rows*m)
	for range rows {
		x = append(x, randomRow(rng, m)...)
	}
	for i := range x {
		if (i/m)%2 == 0 {
			x[i] = math.Round(x[i]*8) / 8
		}
	}
	for r := 0; r < rows; r += 5 {
		tr := &trees[r%len(trees)]
		switch j := r % 3; {
		case j == 0 && tr.Left[0] >= 0:
			x[r*m+int(tr.Feature[0])] = float64(tr.Threshold[0])
		case j == 1:
			x[r*m+r%m] = math.Inf(1)
		default:
			x[r*m+r%m] = math.Inf(-1)
		}
	}
	for _, n := range []int{1, 15, 16, 17, 127, 128, 129, rows} {
		for _, bufLen := range []int{BlockRows * m, FastBlockBuf(m)} {
			buf := make([]float32, bufLen)
			// 1 output; 3 outputs (kept on the stack); more outputs than
			// maxWalk16Outputs, some with no trees.
			for _, k := range []int{1, 3, maxWalk16Outputs + 4} {
				var g []int32
				if k > 1 {
					g = make([]int32, len(trees))
					for i := range g {
						g[i] = int32(i * 7 % k)
					}
				}
				got := make([]float64, n*k)
				want := make([]float64, n*k)
				for i := range got {
					got[i] = float64(i%5) - 2 // a base margin per output
					want[i] = got[i]
				}
				f.AddBlock(got, k, g, x[:n*m], m, buf)
				scalar.AddBlock(want, k, g, x[:n*m], m, buf)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%d rows, scratch %d, %d outputs: walk16 differs (-scalar +walk16):\n%s", n, bufLen, k, diff)
				}
			}
		}
	}
}

// BenchmarkAddBlock predicts 20,000 rows with 100 full depth-6 trees over
// 28 features (the benchmark model's shape), and with trees of depth 2 to
// 5 and 8, on one goroutine: the vector walk beside the scalar walk of the same Flat,
// with one output and with three (trees taking turns, as XGBoost's
// multi-class rounds).
func BenchmarkAddBlock(b *testing.B) {
	const m, rows = 28, 20000
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 0, rows*m)
	for range rows {
		x = append(x, randomRow(rng, m)...)
	}
	buf := make([]float32, FastBlockBuf(m))
	for _, depth := range []int{2, 3, 4, 5, 6, 8} {
		trees := make([]Tree, 100)
		for i := range trees {
			trees[i] = fullRandomTree(rng, m, depth)
		}
		roundLeaves(trees)
		f := NewFlat(trees)
		scalar := *f
		scalar.w16Feat, scalar.w16Thr = nil, nil
		group := make([]int32, len(trees))
		for i := range group {
			group[i] = int32(i % 3)
		}
		for _, c := range []struct {
			name  string
			f     *Flat
			k     int
			group []int32
		}{{"walk16", f, 1, nil}, {"scalar", &scalar, 1, nil}, {"walk16/classes3", f, 3, group}, {"scalar/classes3", &scalar, 3, group}} {
			if c.f.w16Feat == nil && c.f != &scalar {
				continue
			}
			dst := make([]float64, rows*c.k)
			b.Run(fmt.Sprintf("depth%d/%s", depth, c.name), func(b *testing.B) {
				c0 := cpuTime()
				for b.Loop() {
					c.f.AddBlock(dst, c.k, c.group, x, m, buf)
				}
				b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
				if cpu := cpuTime() - c0; cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/float64(rows*b.N), "cpu-ns/row")
				}
			})
		}
	}
}

// TestFill16MatchesFillLanes checks the vector lane fill against the Go
// one bit for bit: NaN, ±Inf, values that round in float32 or leave its
// range, and partial groups.
func TestFill16MatchesFillLanes(t *testing.T) {
	t.Parallel()
	if !haveWalk16() {
		t.Skip("no AVX-512 here: fill16 does not run")
	}
	rng := rand.New(rand.NewPCG(16, 16))
	for _, m := range []int{1, 3, 28} {
		for _, n := range []int{1, 7, 8, 9, 16, 17, 40} {
			x := make([]float64, n*m)
			// Values beyond float32's range become ±Inf, tiny ones
			// subnormal or zero, as Go's conversion makes them.
			extremes := []float64{1e300, -1e300, 1e-40, -1e-40, 1e-50, math.Copysign(0, -1), math.MaxFloat32, 3.4028235677973366e38}
			for i := range x {
				switch rng.IntN(7) {
				case 0:
					x[i] = math.NaN()
				case 1:
					x[i] = math.Inf(2*rng.IntN(2) - 1)
				case 2:
					x[i] = extremes[rng.IntN(len(extremes))]
				default:
					x[i] = rng.NormFloat64() * 1e3
				}
			}
			groups := (n + lanes16 - 1) / lanes16
			want := make([]float32, groups*2*m*lanes16)
			got := make([]float32, len(want))
			for i := range got {
				got[i] = 42 // fill16 must overwrite the padding lanes
			}
			fillLanes(want, x, m, lanes16)
			fill16(&got[0], &x[0], m, n)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("m %d, %d rows: fill16 differs (-fillLanes +fill16):\n%s", m, n, diff)
			}
		}
	}
}
