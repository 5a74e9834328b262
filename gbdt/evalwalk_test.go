package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ferryml/ferry/table"
	"github.com/ferryml/ferry/tree"
	"github.com/google/go-cmp/cmp"
)

// walkTestTree is a random complete tree of the given depth whose splits
// use b's split values (the cuts and minVal) as thresholds.
func walkTestTree(rng *rand.Rand, b *binned, depth int) tree.Tree {
	var t tree.Tree
	var add func(d int) int32
	add = func(d int) int32 {
		id := int32(len(t.Left))
		t.Left = append(t.Left, -1)
		t.Right = append(t.Right, -1)
		t.Feature = append(t.Feature, 0)
		t.Threshold = append(t.Threshold, 0)
		t.DefaultLeft = append(t.DefaultLeft, false)
		t.Value = append(t.Value, rng.NormFloat64())
		if d == depth {
			return id
		}
		f := rng.IntN(b.cols)
		c := b.cuts[f]
		t.Feature[id] = int32(f)
		t.Threshold[id] = c.threshold(rng.IntN(len(c.cut)+1) - 1)
		t.DefaultLeft[id] = rng.IntN(2) == 0
		l := add(d + 1)
		r := add(d + 1)
		t.Left[id], t.Right[id] = l, r
		return id
	}
	add(0)
	return t
}

// TestEvalCodes checks that the coded walk adds, for every row, the value
// of the leaf tree.Predict reaches: rows drawn from the cuts themselves,
// their float32 neighbours, ±0, ±Inf, NaN and values beyond every cut.
func TestEvalCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		rows, cols  int
		maxBin      int
		categorical bool
	}{
		{"Small", 500, 6, 256, false},
		{"FewBins", 300, 4, 4, false},
		{"OneFeature", 200, 1, 16, false},
		{"Categorical", 200, 3, 16, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tc.rows), uint64(tc.cols)))
			x := make([]float64, tc.rows*tc.cols)
			for i := range x {
				switch rng.IntN(10) {
				case 0:
					x[i] = float64(rng.IntN(3))
				case 1:
					x[i] = math.NaN()
				default:
					x[i] = rng.NormFloat64()
				}
			}
			b := quantise(x, nil, tc.rows, tc.cols, tc.maxBin, 1, nil)
			// Eval rows: values at, just below and just above the
			// split values, and special values.
			var ex []float64
			special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e300, -1e300, math.MaxFloat32 * 2}
			for r := range 2003 { // not a multiple of 4: the walk's tail
				for f := range tc.cols {
					s := append([]float32{b.cuts[f].minVal}, b.cuts[f].cut...)
					v := float64(s[rng.IntN(len(s))])
					switch r % 4 {
					case 1:
						v = float64(math.Nextafter32(float32(v), float32(math.Inf(-1))))
					case 2:
						v = math.Nextafter(v, math.Inf(1))
					case 3:
						v = special[rng.IntN(len(special))]
					}
					ex = append(ex, v)
				}
			}
			d := &table.Dataset{X: ex, Y: make([]float64, len(ex)/tc.cols), NumFeature: tc.cols}
			codes := b.derived.evalCodes(b, d)
			if codes == nil {
				t.Fatal("no codes")
			}
			if again := b.derived.evalCodes(b, d); again != codes {
				t.Error("codes not reused for the same eval set")
			}
			var buf []walkNode
			for i := range 20 {
				tr := walkTestTree(rng, b, 1+i%6)
				if tc.categorical {
					tr.Categories = make([][]uint32, len(tr.Left))
				}
				want := make([]float64, d.Rows()*2)
				for r := range d.Rows() {
					want[r*2+1] = tr.Predict(ex[r*tc.cols : (r+1)*tc.cols])
				}
				got := make([]float64, d.Rows()*2)
				buf = addTree(&tr, d, codes, buf, got, 2, 1)
				if _, _, ok := codes.nodes(&tr, nil); ok == tc.categorical {
					t.Errorf("tree %d: coded walk used: %v, want %v", i, ok, !tc.categorical)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("tree %d: margins differ (-Predict +addTree):\n%s", i, diff)
				}
			}
			// A threshold that is no split value: Predict's walk.
			tr := walkTestTree(rng, b, 2)
			tr.Threshold[0] = math.Nextafter32(tr.Threshold[0], float32(math.Inf(1)))
			if _, _, ok := codes.nodes(&tr, nil); ok {
				t.Error("coded walk for a threshold that is no split value")
			}
		})
	}
}

// BenchmarkAddTree compares the per-round eval margins through the codes
// with tree.Predict's walk: 1,500 rows × 48 features (the fraud
// benchmark's validation set's shape), depth-6 trees. ns/row per tree.
func BenchmarkAddTree(b *testing.B) {
	const rows, cols = 1500, 48
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 3500*cols)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	bn := quantise(x, nil, 3500, cols, 256, 1, nil)
	ex := make([]float64, rows*cols)
	for i := range ex {
		ex[i] = rng.NormFloat64()
	}
	d := &table.Dataset{X: ex, Y: make([]float64, rows), NumFeature: cols}
	codes := newEvalCodes(bn, d)
	trees := make([]tree.Tree, 64)
	for i := range trees {
		trees[i] = walkTestTree(rng, bn, 6)
	}
	margins := make([]float64, rows)
	for _, bc := range []struct {
		name  string
		codes *evalCodes
	}{{"Predict", nil}, {"Codes", codes}} {
		b.Run(bc.name, func(b *testing.B) {
			var buf []walkNode
			i := 0
			for b.Loop() {
				buf = addTree(&trees[i%len(trees)], d, bc.codes, buf, margins, 1, 0)
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i)/rows, "ns/row")
		})
	}
}
