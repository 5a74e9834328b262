package gbdt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sameBits compares buckets bit for bit (−0 is not +0).
func sameBits(a, b bucket) bool {
	return math.Float64bits(a.g) == math.Float64bits(b.g) && math.Float64bits(a.h) == math.Float64bits(b.h)
}

// colsCase is one column-subset kernel check: a matrix of rows × stride
// byte bins whose first n columns have histograms (offset), the rows to
// add and the columns to visit.
type colsCase struct {
	bins   []uint8
	gh     []gradPair
	rows   []int32
	offset []int
	cols   []int
	stride int
}

// check runs the kernels on c.cols against histRowsGo over every column:
// the listed columns' slots must be the full pass's bit for bit, and
// every other slot as it was (filled with a marker beforehand).
func (c colsCase) check(t *testing.T) {
	t.Helper()
	n := len(c.offset)
	size := histLen(n*histBins + histBins)
	want := make([]bucket, size)
	histRowsGo(want, c.rows, c.bins, c.offset, nil, c.gh, c.stride)
	in := make([]bool, size)
	for _, f := range c.cols {
		for s := c.offset[f]; s < c.offset[f]+histBins; s++ {
			in[s] = true
		}
	}
	for s := range want {
		if !in[s] {
			want[s] = bucket{float64(s) + 0.5, -float64(s)}
		}
	}
	for name, k := range map[string]rowKernel[uint8]{"Go": histRowsGo[uint8], "Byte": histRowsByte} {
		got := make([]bucket, size)
		for s := range got {
			if !in[s] {
				got[s] = bucket{float64(s) + 0.5, -float64(s)}
			}
		}
		k(got, c.rows, c.bins, c.offset, c.cols, c.gh, c.stride)
		// A plain loop first: cmp.Diff over tens of thousands of slots
		// would dominate a fuzz iteration.
		same := true
		for s := range want {
			same = same && sameBits(want[s], got[s])
		}
		if same {
			continue
		}
		if d := cmp.Diff(want, got, cmp.Comparer(sameBits)); d != "" {
			t.Errorf("%s kernel, %d rows, columns %v of %d: histogram differs (-want +got):\n%s", name, len(c.rows), c.cols, n, d)
		}
	}
}

// TestHistRowsCols checks the kernels on a column subset (a tree's
// features) against the plain loop over every column, for row counts
// around the four-row groups and the prefetch distance, random subsets,
// the full list and single columns, with a row stride wider than the
// histogram's columns.
func TestHistRowsCols(t *testing.T) {
	t.Parallel()
	for _, rows := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 19, 20, 21, 37, 1000} {
		for _, n := range []int{1, 2, 5, 28, 70} {
			t.Run(fmt.Sprintf("%dx%d", rows, n), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(uint64(rows), uint64(n)))
				stride := n + rng.IntN(3)
				total := rows + 50
				bins := make([]uint8, total*stride)
				for i := range bins {
					bins[i] = uint8(rng.IntN(256))
				}
				gh := make([]gradPair, total)
				for r := range gh {
					gh[r] = gradPair{float32(rng.NormFloat64()), float32(rng.Float64())}
				}
				// Rows ascending with gaps, as a node's.
				var idx []int32
				for r := 0; len(idx) < rows; r++ {
					if r >= total || rng.IntN(4) != 0 {
						idx = append(idx, int32(r%total))
					}
				}
				offset := make([]int, n)
				for f := range offset {
					offset[f] = f * histBins
				}
				subsets := [][]int{{0}, {n - 1}}
				all := make([]int, n)
				for f := range all {
					all[f] = f
				}
				subsets = append(subsets, all)
				for range 5 {
					var s []int
					for f := range n {
						if rng.IntN(2) == 0 {
							s = append(s, f)
						}
					}
					if len(s) > 0 {
						subsets = append(subsets, s)
					}
				}
				for _, s := range subsets {
					colsCase{bins, gh, idx, offset, s, stride}.check(t)
				}
			})
		}
	}
}

// TestBuildHistCols: buildHist with a column list gives the listed
// columns' slots of the full pass and leaves the others alone.
func TestBuildHistCols(t *testing.T) {
	t.Parallel()
	const rows, n = 3000, 9
	rng := rand.New(rand.NewPCG(3, 9))
	bins := make([]uint8, rows*n)
	for i := range bins {
		bins[i] = uint8(rng.IntN(256))
	}
	gh := make([]gradPair, rows)
	var idx []int32
	for r := range gh {
		gh[r] = gradPair{float32(rng.NormFloat64()), 0.25}
		if rng.IntN(3) == 0 {
			idx = append(idx, int32(r))
		}
	}
	offset := make([]int, n+1)
	for f := range offset {
		offset[f] = f * histBins
	}
	feats := []int{1, 2, 6, 8}
	size := histLen(n*histBins + n + histBins)
	full := make([]bucket, size)
	buildHist(full, idx, bins, offset, nil, gh, nil, histRowsGo[uint8])
	for name, k := range map[string]rowKernel[uint8]{"Go": histRowsGo[uint8], "Byte": histRowsByte} {
		got := make([]bucket, size)
		buildHist(got, idx, bins, offset, feats, gh, nil, k)
		want := make([]bucket, size)
		for _, f := range feats {
			copy(want[offset[f]:offset[f+1]], full[offset[f]:offset[f+1]])
		}
		if d := cmp.Diff(want, got, cmp.Comparer(sameBits)); d != "" {
			t.Errorf("%s kernel: histogram differs (-want +got):\n%s", name, d)
		}
	}
}

// FuzzHistRowsCols: for any bins, gradient pairs, rows and column subset,
// the kernels on the subset give the full pass's slots bit for bit and
// leave the other slots alone.
func FuzzHistRowsCols(f *testing.F) {
	f.Add(uint8(5), uint8(3), uint64(0b101), []byte{1, 2, 3, 250, 255, 0, 7, 9, 128, 64})
	f.Add(uint8(1), uint8(1), uint64(1), []byte{})
	f.Add(uint8(23), uint8(30), uint64(0xdeadbeef), []byte("the quick brown fox jumps over the lazy dog"))
	f.Fuzz(func(t *testing.T, nrows, ncols uint8, subset uint64, data []byte) {
		n := 1 + int(ncols)%64
		rows := int(nrows) % 64
		total := rows + 1
		at := cycleBytes(data)
		bins := make([]uint8, total*n)
		for i := range bins {
			bins[i] = at(i) ^ uint8(i*131)
		}
		gh, idx := fuzzRows(at, total, rows)
		offset := make([]int, n)
		for c := range offset {
			offset[c] = c * histBins
		}
		cols := subsetCols(n, subset)
		if len(cols) == 0 {
			cols = []int{n / 2}
		}
		colsCase{bins, gh, idx, offset, cols, n}.check(t)
	})
}

// fuzzRows reads the column-list fuzzers' gradient pairs (one per row of
// total) and rows (rows indexes, repeats allowed) from at.
func fuzzRows(at func(int) byte, total, rows int) ([]gradPair, []int32) {
	gh := make([]gradPair, total)
	for r := range gh {
		gh[r] = gradPair{float32(int8(at(3*r+1))) / 8, float32(at(3*r+2)) / 16}
	}
	idx := make([]int32, rows)
	for i := range idx {
		idx[i] = int32(int(at(i+7)) % total)
	}
	return gh, idx
}

// subsetCols lists the columns of n whose bit (mod 64) is set in subset,
// increasing; empty, not nil, when none is.
func subsetCols(n int, subset uint64) []int {
	cols := []int{}
	for c := range n {
		if subset>>(c%64)&1 != 0 {
			cols = append(cols, c)
		}
	}
	return cols
}

// cycleBytes reads a fuzzer's bytes over and over: at(i) is data[i mod
// len(data)], 0 when data is empty.
func cycleBytes(data []byte) func(i int) byte {
	return func(i int) byte {
		if len(data) == 0 {
			return 0
		}
		return data[i%len(data)]
	}
}
