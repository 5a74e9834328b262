package gbdt

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// partitionRef is partitionRows' numerical loop in its plainest form:
// the rows going left (goesLeft) and the others, in order.
func partitionRef(rows []int32, col []uint8, sb, miss, ml int) (left, right []int32) {
	left, right = []int32{}, []int32{}
	for _, row := range rows {
		if goesLeft(int(col[row]), sb, miss, ml) == 1 {
			left = append(left, row)
		} else {
			right = append(right, row)
		}
	}
	return left, right
}

// partitionGot is partitionBytes followed by the Go loop on the rest,
// as partitionRows runs them, writing into lists with guard values
// after them (which must stay).
func partitionGot(t *testing.T, rows []int32, col []uint8, sb, miss, ml int) (left, right []int32) {
	t.Helper()
	const guard = -7
	n := len(rows)
	l := slices.Repeat([]int32{guard}, n+16)
	r := slices.Repeat([]int32{guard}, n+16)
	done, nl := partitionBytes(rows, col, l[:n], r[:n], sb, miss, ml)
	nr := done - nl
	for _, row := range rows[done:] {
		if goesLeft(int(col[row]), sb, miss, ml) == 1 {
			l[nl] = row
			nl++
		} else {
			r[nr] = row
			nr++
		}
	}
	for i := nl; i < len(l); i++ {
		if l[i] != guard {
			t.Fatalf("left list written at %d past its %d rows", i, nl)
		}
	}
	for i := nr; i < len(r); i++ {
		if r[i] != guard {
			t.Fatalf("right list written at %d past its %d rows", i, nr)
		}
	}
	return l[:nl], r[:nr]
}

// TestPartition16MatchesGo checks the AVX-512 partition against the Go
// loop: random bins and ascending row subsets, every split bin -1 to
// 255, missing ids inside and above the value bins, both default
// directions, lengths 0 to 40 and large ones.
func TestPartition16MatchesGo(t *testing.T) {
	t.Parallel()
	if !havePartition16() {
		t.Log("no AVX-512: checking the Go fallback only")
	}
	rng := rand.New(rand.NewPCG(15, 5))
	const ncol = 1 << 16
	col := colBytes(ncol)
	for i := range col {
		col[i] = uint8(rng.IntN(256))
	}
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 40, 1000, 4099, ncol} {
		// An ascending subset of n rows (all rows when n is ncol).
		var rows []int32
		if n == ncol {
			for i := range int32(ncol) {
				rows = append(rows, i)
			}
		} else {
			for _, i := range rng.Perm(ncol)[:n] {
				rows = append(rows, int32(i))
			}
			slices.Sort(rows)
		}
		for _, sb := range []int{-1, 0, 1, 7, 100, 127, 128, 200, 254, 255} {
			for _, miss := range []int{0, 31, 254, 255} {
				for ml := range 2 {
					wantL, wantR := partitionRef(rows, col, sb, miss, ml)
					gotL, gotR := partitionGot(t, rows, col, sb, miss, ml)
					if d := cmp.Diff(wantL, gotL); d != "" {
						t.Fatalf("n %d sb %d miss %d ml %d: left rows (-want +got):\n%s", n, sb, miss, ml, d)
					}
					if d := cmp.Diff(wantR, gotR); d != "" {
						t.Fatalf("n %d sb %d miss %d ml %d: right rows (-want +got):\n%s", n, sb, miss, ml, d)
					}
				}
			}
		}
	}
}

// TestPartition16RowOutOfRange checks that a row past the column panics
// instead of reading outside it.
func TestPartition16RowOutOfRange(t *testing.T) {
	t.Parallel()
	if !havePartition16() {
		t.Skip("no AVX-512")
	}
	for _, bad := range []int32{100, 101, -1, 1 << 30} {
		col := colBytes(100)
		rows := make([]int32, 32)
		rows[20] = bad
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("row %d of a 100-row column: no panic", bad)
				}
			}()
			partitionBytes(rows, col, make([]int32, 32), make([]int32, 32), 5, 99, 1)
		}()
	}
}

// FuzzPartition16 compares the AVX-512 partition with the Go loop on
// bins and rows made of the input's bytes.
func FuzzPartition16(f *testing.F) {
	f.Add([]byte{1, 2, 3}, int16(1), uint8(255), true)
	f.Add(make([]byte, 100), int16(-1), uint8(0), false)
	f.Fuzz(func(t *testing.T, data []byte, sb int16, miss uint8, missLeft bool) {
		if len(data) == 0 {
			return
		}
		col := colBytes(len(data))
		copy(col, data)
		// Rows: every row whose byte is odd, then some repeated by the
		// input's words (rows need not be distinct for the partition).
		var rows []int32
		for i, v := range data {
			if v&1 == 1 {
				rows = append(rows, int32(i))
			}
		}
		for i := 0; i+2 <= len(data); i += 2 {
			rows = append(rows, int32(int(binary.LittleEndian.Uint16(data[i:]))%len(data)))
		}
		ml := 0
		if missLeft {
			ml = 1
		}
		s := max(-1, min(int(sb), 255))
		wantL, wantR := partitionRef(rows, col, s, int(miss), ml)
		gotL, gotR := partitionGot(t, rows, col, s, int(miss), ml)
		if d := cmp.Diff(wantL, gotL); d != "" {
			t.Fatalf("left rows (-want +got):\n%s", d)
		}
		if d := cmp.Diff(wantR, gotR); d != "" {
			t.Fatalf("right rows (-want +got):\n%s", d)
		}
	})
}

// BenchmarkPartition is the numerical partition of 1M rows on a byte
// column, the Go loop and the AVX-512 one.
func BenchmarkPartition(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	col := colBytes(n)
	rows := make([]int32, n)
	for i := range col {
		col[i] = uint8(rng.IntN(256))
		rows[i] = int32(i)
	}
	left, right := make([]int32, n), make([]int32, n)
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			l, r := 0, 0
			for _, row := range rows {
				left[l] = row
				right[r] = row
				step := goesLeft(int(col[row]), 127, 255, 1)
				l += step
				r += 1 - step
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	})
	b.Run("avx512", func(b *testing.B) {
		if !havePartition16() {
			b.Skip("no AVX-512")
		}
		for b.Loop() {
			partitionBytes(rows, col, left, right, 127, 255, 1)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	})
}
