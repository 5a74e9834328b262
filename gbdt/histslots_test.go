package gbdt

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// histSlotsRef is the plain loop histSlots and histSlotsCols stand for:
// row by row, gh[r] into the bucket slots[r*stride+j]/2 for every column
// j in cols, or every j < stride if cols is nil.
func histSlotsRef(hist []bucket, rows []int32, slots []uint16, stride int, cols []int, gh []gradPair) {
	for _, r := range rows {
		g, h := float64(gh[r].g), float64(gh[r].h)
		row := slots[int(r)*stride : (int(r)+1)*stride]
		visit := func(j int) {
			s := &hist[row[j]/2]
			s.g += g
			s.h += h
		}
		if cols == nil {
			for j := range row {
				visit(j)
			}
			continue
		}
		for _, j := range cols {
			visit(j)
		}
	}
}

// marker is the value the slots a column list leaves out start with.
func marker(s int) bucket { return bucket{float64(s) + 0.5, -float64(s)} }

// slotsCase is one histSlotsCols check: a row-major slot matrix (doubled
// bucket indices, stride columns, each column its own range of
// buckets), the rows to add and the columns to visit.
type slotsCase struct {
	slots  []uint16
	stride int
	width  int // buckets per column
	gh     []gradPair
	rows   []int32
	cols   []int
}

// check runs histSlotsCols on c.cols against the plain loop over every
// column: the listed columns' buckets must be the full pass's bit for
// bit, every other bucket as it was (a marker); histSlots over every
// column must be the plain loop's too.
func (c slotsCase) check(t *testing.T) {
	t.Helper()
	size := c.stride * c.width
	full := make([]bucket, size)
	histSlotsRef(full, c.rows, c.slots, c.stride, nil, c.gh)
	got := make([]bucket, size)
	histSlots(got, c.rows, c.slots, c.stride, c.gh)
	if !sameHist(full, got) {
		t.Errorf("histSlots, %d rows, %d columns: histogram differs (-want +got):\n%s", len(c.rows), c.stride, cmp.Diff(full, got, cmp.Comparer(sameBits)))
	}
	in := make([]bool, size)
	for _, j := range c.cols {
		for s := j * c.width; s < (j+1)*c.width; s++ {
			in[s] = true
		}
	}
	want := make([]bucket, size)
	for s := range want {
		want[s], got[s] = full[s], full[s]
		if !in[s] {
			want[s], got[s] = marker(s), marker(s)
		} else {
			got[s] = bucket{}
		}
	}
	histSlotsCols(got, c.rows, c.slots, c.stride, c.cols, c.gh)
	if !sameHist(want, got) {
		t.Errorf("histSlotsCols, %d rows, columns %v of %d: histogram differs (-want +got):\n%s", len(c.rows), c.cols, c.stride, cmp.Diff(want, got, cmp.Comparer(sameBits)))
	}
}

// sameHist compares histograms bit for bit in a plain loop (cmp.Diff
// only for the message: it would dominate a fuzz iteration).
func sameHist(a, b []bucket) bool {
	if len(a) != len(b) {
		return false
	}
	for s := range a {
		if !sameBits(a[s], b[s]) {
			return false
		}
	}
	return true
}

// slotMatrix returns rows×stride doubled bucket indices, column j's in
// [j*width, (j+1)*width), from next (any values: taken modulo width).
func slotMatrix(rows, stride, width int, next func(i int) int) []uint16 {
	slots := make([]uint16, rows*stride)
	for i := range slots {
		j := i % stride
		slots[i] = uint16(2 * (j*width + next(i)%width))
	}
	return slots
}

// TestHistSlotsCols checks histSlotsCols on column subsets against the
// plain loop over every column, for row counts around the pairs and the
// prefetch distance, odd and even list lengths, single columns and the
// full list, with rows in random order and repeated.
func TestHistSlotsCols(t *testing.T) {
	t.Parallel()
	if !haveUnitKernel() {
		t.Skip("no unit kernel on this machine or build")
	}
	for _, rows := range []int{0, 1, 2, 3, 16, 17, 18, 19, 33, 1001} {
		for _, n := range []int{1, 2, 3, 9, 19, 40} {
			t.Run(fmt.Sprintf("%dx%d", rows, n), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(uint64(rows), uint64(n)))
				const width = 40
				total := rows + 20
				slots := slotMatrix(total, n, width, func(int) int { return rng.IntN(width) })
				gh := make([]gradPair, total)
				for r := range gh {
					gh[r] = gradPair{float32(rng.NormFloat64()), float32(rng.Float64())}
				}
				idx := make([]int32, rows)
				for i := range idx {
					idx[i] = int32(rng.IntN(total))
				}
				all := make([]int, n)
				for j := range all {
					all[j] = j
				}
				subsets := [][]int{{0}, {n - 1}, all}
				for range 6 {
					var s []int
					for j := range n {
						if rng.IntN(2) == 0 {
							s = append(s, j)
						}
					}
					subsets = append(subsets, s)
				}
				for _, s := range subsets {
					slotsCase{slots, n, width, gh, idx, s}.check(t)
				}
			})
		}
	}
}

// FuzzHistSlotsCols: for any slots, gradient pairs, rows and column
// subset, histSlotsCols gives the full pass's buckets of the listed
// columns bit for bit and leaves the others alone.
func FuzzHistSlotsCols(f *testing.F) {
	f.Add(uint8(5), uint8(3), uint64(0b101), []byte{1, 2, 3, 250, 255, 0, 7, 9, 128, 64})
	f.Add(uint8(0), uint8(0), uint64(0), []byte{})
	f.Add(uint8(40), uint8(19), uint64(0xdeadbeef), []byte("the quick brown fox jumps over the lazy dog"))
	f.Fuzz(func(t *testing.T, nrows, ncols uint8, subset uint64, data []byte) {
		if !haveUnitKernel() {
			t.Skip("no unit kernel on this machine or build")
		}
		n := 1 + int(ncols)%64
		rows := int(nrows) % 80
		total := rows + 1
		at := cycleBytes(data)
		const width = 64
		slots := slotMatrix(total, n, width, func(i int) int { return int(at(i) ^ uint8(i*131)) })
		gh, idx := fuzzRows(at, total, rows)
		slotsCase{slots, n, width, gh, idx, subsetCols(n, subset)}.check(t)
	})
}

// TestUnitLayoutCols: the unit layout's build with a tree's features
// (restList) gives the full build's slots for the unit features and the
// listed rest features bit for bit, and leaves the other rest features'
// slots alone.
func TestUnitLayoutCols(t *testing.T) {
	t.Parallel()
	if !haveUnitKernel() {
		t.Skip("no unit kernel on this machine or build")
	}
	for _, rows := range []int{1, 2, 17, 18, 3500} {
		t.Run(fmt.Sprint(rows), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(rows), 48))
			b := unitTestBinned(rng, rows, fraudSlots(), rows%2 == 0)
			u := newUnitLayout(b)
			if u == nil || u.restCols == 0 {
				t.Fatal("no unit layout with rest columns")
			}
			gh := make([]gradPair, rows)
			var idx []int32
			for r := range rows {
				gh[r] = gradPair{float32(rng.NormFloat64()), float32(rng.Float64())}
				if rng.IntN(3) > 0 || rows < 20 {
					idx = append(idx, int32(r))
				}
			}
			n := histLen(b.offset[b.cols] + b.cols + histBins)
			full := make([]bucket, n)
			u.build(full, idx, gh, nil)
			for trial := range 8 {
				var feats []int
				for f := range b.cols {
					if rng.IntN(10) < 3+trial%6 {
						feats = append(feats, f)
					}
				}
				cols := u.restList(feats)
				listed := make([]bool, b.cols)
				for _, f := range feats {
					listed[f] = true
				}
				restCol := make([]bool, b.cols)
				for _, f := range u.restFeat {
					restCol[f] = true
				}
				want, got := make([]bucket, n), make([]bucket, n)
				for f := range b.cols {
					for s := b.offset[f]; s < b.offset[f+1]; s++ {
						want[s] = full[s]
						if restCol[f] && !listed[f] {
							want[s], got[s] = marker(s), marker(s)
						}
					}
				}
				u.build(got, idx, gh, cols)
				if !sameHist(want, got) {
					t.Errorf("features %v (rest columns %v): histogram differs (-want +got):\n%s", feats, cols, cmp.Diff(want, got, cmp.Comparer(sameBits)))
				}
			}
		})
	}
}

// TestRestList checks the rest columns of feature lists: nil for nil and
// for lists holding every rest feature, else the listed rest features'
// indexes in order (empty when none).
func TestRestList(t *testing.T) {
	t.Parallel()
	u := &unitLayout{restFeat: []int{2, 5, 6, 9}, restCols: 4}
	for _, tc := range []struct {
		feats, want []int
	}{
		{nil, nil},
		{[]int{2, 5, 6, 9}, nil},
		{[]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, nil},
		{[]int{}, []int{}},
		{[]int{0, 1, 3}, []int{}},
		{[]int{5}, []int{1}},
		{[]int{1, 2, 6, 10}, []int{0, 2}},
		{[]int{9}, []int{3}},
	} {
		got := u.restList(tc.feats)
		if (got == nil) != (tc.want == nil) || !cmp.Equal(got, tc.want) {
			t.Errorf("restList(%v) = %#v, want %#v", tc.feats, got, tc.want)
		}
	}
}

// TestUnitBuildColsChecks: a rest column list out of order or out of
// range is refused before the assembly reads anything.
func TestUnitBuildColsChecks(t *testing.T) {
	t.Parallel()
	if !haveUnitKernel() {
		t.Skip("no unit kernel on this machine or build")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	b := unitTestBinned(rng, 50, fraudSlots(), false)
	u := newUnitLayout(b)
	gh := make([]gradPair, b.rows)
	hist := make([]bucket, histLen(b.offset[b.cols]+b.cols+histBins))
	for _, cols := range [][]int{{1, 1}, {2, 0}, {u.restCols}, {-1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("rest columns %v: no panic", cols)
				}
			}()
			u.build(hist, []int32{0, 1, 2}, gh, cols)
		}()
	}
}
