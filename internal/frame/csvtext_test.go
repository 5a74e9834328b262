package frame

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// bigFrame returns a frame of every column type with missing values,
// long enough to span several formatting blocks.
func bigFrame(t *testing.T, n int) *Frame {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	ints := make([]int64, n)
	floats := make([]float64, n)
	strs := make([]string, n)
	bools := make([]bool, n)
	valid := make([]bool, n)
	for i := range n {
		ints[i] = rng.Int64N(2000) - 1000
		floats[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
		if i%7 == 0 {
			floats[i] = math.Round(floats[i])
		}
		strs[i] = []string{"a", "b,c", "q\"", "", bom + "x"}[rng.IntN(5)]
		bools[i] = rng.IntN(2) == 0
		valid[i] = rng.IntN(10) > 0
	}
	f, err := New(NewInt("i", ints, valid), NewFloat("f", floats, nil), NewString("s", strs, valid), NewBool("b", bools, nil))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCSVTextMatchesWriteCSVRows(t *testing.T) {
	t.Parallel()
	big := bigFrame(t, 3*csvBlockRows+17)
	one, err := big.Select("s")
	if err != nil {
		t.Fatal(err)
	}
	empty, err := big.Select("i")
	if err != nil {
		t.Fatal(err)
	}
	empty = empty.Take([]int{})
	perm := rand.New(rand.NewPCG(3, 4)).Perm(big.NumRows())
	bomRow := -1
	for r, s := range big.cols[2].Strings {
		if big.cols[2].IsValid(r) && s == bom+"x" {
			bomRow = r
			break
		}
	}
	tests := []struct {
		name string
		f    *Frame
		rows []int
	}{
		{"all rows", big, nil},
		{"shuffled", big, perm},
		{"subset with repeats", big, []int{5, 5, 0, big.NumRows() - 1, csvBlockRows, csvBlockRows - 1}},
		{"no rows", big, []int{}},
		{"one column", one, perm[:1000]},
		{"one column, text with a byte-order mark first", one, []int{bomRow, 1, bomRow}},
		{"empty frame", empty, nil},
	}
	for _, tt := range tests {
		for _, noHeader := range []bool{false, true} {
			for _, workers := range []int{1, 3} {
				opts := CSVWriteOptions{NoHeader: noHeader}
				var want, got bytes.Buffer
				if err := WriteCSVRows(&want, tt.f, tt.rows, opts); err != nil {
					t.Fatal(err)
				}
				if err := FormatCSV(tt.f, workers).WriteRows(&got, tt.rows, opts); err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Errorf("%s (no header %v, %d workers): CSVText wrote %d bytes, WriteCSVRows %d; first difference at byte %d",
						tt.name, noHeader, workers, got.Len(), want.Len(), firstDiff(got.Bytes(), want.Bytes()))
				}
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestCSVTextRowOutOfRange(t *testing.T) {
	t.Parallel()
	f := bigFrame(t, 10)
	var buf bytes.Buffer
	for _, r := range []int{-1, 10} {
		if err := FormatCSV(f, 0).WriteRows(&buf, []int{0, r}, CSVWriteOptions{}); err == nil {
			t.Errorf("WriteRows with row %d: no error", r)
		}
	}
}

// referenceFloat is AppendFloat without the fast path for integral values.
func referenceFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	a := math.Abs(f)
	if f == 0 || (a >= 1e-4 && a < 1e16) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !bytes.ContainsRune([]byte(s), '.') {
			s += ".0"
		}
		return s
	}
	return strconv.FormatFloat(f, 'e', -1, 64)
}

func TestAppendFloatIntegral(t *testing.T) {
	t.Parallel()
	for _, v := range []float64{1, -1, 4, -3, 1e15, -1e15, 1 << 53, 1<<53 - 1, -(1 << 53), 1e16, math.Copysign(0, -1), 0, 0.5, 123456789} {
		if got, want := string(AppendFloat(nil, v)), referenceFloat(v); got != want {
			t.Errorf("AppendFloat(%v) = %q, want %q", v, got, want)
		}
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{1, math.Copysign(0, -1), 1e15, 1 << 53, 2.5, 1e-5, 1e300} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if got, want := string(AppendFloat(nil, v)), referenceFloat(v); got != want {
			t.Errorf("AppendFloat(%v) = %q, want %q", v, got, want)
		}
	})
}

func FuzzCSVText(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n3,\n", "a\n\"x\ny\"\n\n", "\xef\xbb\xbfa\n\"\xef\xbb\xbfb\"\nc\n", "x,y\nTrue,1.5\nFalse,nan\n"} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, noHeader bool) {
		fr, err := ParseCSV(data, CSVOptions{NoHeader: noHeader})
		if err != nil {
			return
		}
		rows := make([]int, fr.NumRows())
		for i := range rows {
			rows[i] = len(rows) - 1 - i
		}
		opts := CSVWriteOptions{NoHeader: noHeader}
		for _, rs := range [][]int{nil, rows} {
			var want, got bytes.Buffer
			if err := WriteCSVRows(&want, fr, rs, opts); err != nil {
				t.Fatal(err)
			}
			if err := FormatCSV(fr, 2).WriteRows(&got, rs, opts); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("CSVText wrote %q, WriteCSVRows %q", got.Bytes(), want.Bytes())
			}
		}
	})
}
