package frame

import (
	"bytes"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustCSV(t testing.TB, s string) *Frame {
	t.Helper()
	f, err := ParseCSV([]byte(s), CSVOptions{})
	if err != nil {
		t.Fatalf("ParseCSV: %v", err)
	}
	return f
}

func csvText(t testing.TB, f *Frame) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, f, CSVWriteOptions{}); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	return buf.String()
}

func TestJoin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		left, right string
		on          []string
		how         JoinType
		want        string
	}{
		{
			name:  "LeftOneToOne",
			left:  "id,a\n1,x\n2,y\n",
			right: "id,b\n2,20\n1,10\n",
			on:    []string{"id"}, how: LeftJoin,
			want: "id,a,b\n1,x,10\n2,y,20\n",
		},
		{
			name:  "LeftMissingRightKey",
			left:  "id,a\n1,x\n3,z\n",
			right: "id,b,c\n1,10,p\n",
			on:    []string{"id"}, how: LeftJoin,
			want: "id,a,b,c\n1,x,10,p\n3,z,,\n",
		},
		{
			name:  "InnerDropsUnmatched",
			left:  "id,a\n1,x\n3,z\n",
			right: "id,b\n1,10\n4,40\n",
			on:    []string{"id"}, how: InnerJoin,
			want: "id,a,b\n1,x,10\n",
		},
		{
			name:  "DuplicateKeysEveryPair",
			left:  "id,a\n1,x\n1,y\n2,z\n",
			right: "id,b\n1,10\n1,11\n",
			on:    []string{"id"}, how: LeftJoin,
			want: "id,a,b\n1,x,10\n1,x,11\n1,y,10\n1,y,11\n2,z,\n",
		},
		{
			name:  "MissingKeyMatchesNothing",
			left:  "id,a\n,x\n1,y\n",
			right: "id,b\n,10\n1,11\n",
			on:    []string{"id"}, how: LeftJoin,
			want: "id,a,b\n,x,\n1,y,11\n",
		},
		{
			name:  "CompositeStringKeys",
			left:  "k1,k2,a\nu,1,x\nu,2,y\n",
			right: "k1,k2,b\nu,2.0,B\nv,1,C\n",
			on:    []string{"k1", "k2"}, how: InnerJoin,
			want: "k1,k2,a,b\nu,2,y,B\n",
		},
		{
			name:  "SuffixesOnClash",
			left:  "id,v\n1,a\n",
			right: "id,v\n1,b\n",
			on:    []string{"id"}, how: InnerJoin,
			want: "id,v_x,v_y\n1,a,b\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Join(mustCSV(t, tt.left), mustCSV(t, tt.right), tt.on, tt.how)
			if err != nil {
				t.Fatalf("Join: %v", err)
			}
			if diff := cmp.Diff(tt.want, csvText(t, got)); diff != "" {
				t.Errorf("Join (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJoinErrors(t *testing.T) {
	t.Parallel()
	l := mustCSV(t, "id,a\n1,x\n")
	r := mustCSV(t, "id,b\nq,1\n")
	tests := []struct {
		name string
		on   []string
		how  JoinType
		want string
	}{
		{"UnknownKey", []string{"nope"}, LeftJoin, `left side: no column "nope"`},
		{"TypeMismatch", []string{"id"}, LeftJoin, `key "id" is int on the left and string on the right`},
		{"BadHow", []string{"id"}, "outer", `unknown join type "outer"`},
		{"NoKeys", nil, LeftJoin, "no key columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Join(l, r, tt.on, tt.how)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Join error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestOneHot(t *testing.T) {
	t.Parallel()
	train := mustCSV(t, "n,color,size\n1,red,S\n2,Blue,M\n3,,S\n")
	enc, err := FitOneHot(train, []string{"color", "size"})
	if err != nil {
		t.Fatal(err)
	}
	wantEnc := []OneHot{{"color", []string{"Blue", "red"}}, {"size", []string{"M", "S"}}}
	if diff := cmp.Diff(wantEnc, enc); diff != "" {
		t.Fatalf("FitOneHot (-want +got):\n%s", diff)
	}
	got, err := ApplyOneHot(train, enc, UnseenError)
	if err != nil {
		t.Fatal(err)
	}
	want := "n,color_Blue,color_red,size_M,size_S\n1,0,1,0,1\n2,1,0,1,0\n3,0,0,0,1\n"
	if diff := cmp.Diff(want, csvText(t, got)); diff != "" {
		t.Errorf("ApplyOneHot (-want +got):\n%s", diff)
	}

	serve := mustCSV(t, "n,color,size\n4,green,M\n")
	t.Run("UnseenIgnore", func(t *testing.T) {
		t.Parallel()
		got, err := ApplyOneHot(serve, enc, UnseenIgnore)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff("n,color_Blue,color_red,size_M,size_S\n4,0,0,1,0\n", csvText(t, got)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("UnseenError", func(t *testing.T) {
		t.Parallel()
		_, err := ApplyOneHot(serve, enc, UnseenError)
		if err == nil || !strings.Contains(err.Error(), `one-hot column "color" row 0: unseen category "green"`) {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestOrdinalAndFill(t *testing.T) {
	t.Parallel()
	f := mustCSV(t, "r\nYes\nNo\nNA\n")
	c, _ := f.Column("r")
	got, err := c.Ordinal(map[string]float64{"Yes": 1, "No": 0})
	if err != nil {
		t.Fatal(err)
	}
	filled, err := got.FillMissing(-1.0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{1.0, 0.0, -1.0}, columnValues(filled)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := c.Ordinal(map[string]float64{"Yes": 1}); err == nil || !strings.Contains(err.Error(), `row 1: value "No" has no mapping`) {
		t.Errorf("unmapped value error = %v", err)
	}
	s, _ := mustCSV(t, "s\nx\nNA\n").Column("s")
	if _, err := s.FillMissing(3.0); err == nil {
		t.Error("filling a string column with a number: no error")
	}
	sf, err := s.FillMissing("na")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{"x", "na"}, columnValues(sf)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSelectDropRenameFilter(t *testing.T) {
	t.Parallel()
	f := mustCSV(t, "a,b,c\n1,2,3\n4,5,6\n")
	s, err := f.Select("c", "a")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Drop("a")
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Rename(map[string]string{"c": "z"})
	if err != nil {
		t.Fatal(err)
	}
	fl, err := r.Filter([]bool{false, true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("z\n6\n", csvText(t, fl)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for name, err := range map[string]error{
		"select": second(f.Select("x")),
		"drop":   second(f.Drop("x")),
		"rename": second(f.Rename(map[string]string{"a": "b"})),
		"filter": second(f.Filter([]bool{true})),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestSplitSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		n                    int
		test, val            float64
		wantTr, wantV, wantT int
	}{
		{"Tutorial", 5000, 0.1, 0.1, 4050, 450, 500},
		{"Abalone", 4177, 0.3, 0, 2923, 0, 1254},
		{"Tiny", 3, 0.1, 0.1, 1, 1, 1},
		{"NoSplit", 10, 0, 0, 10, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := SplitRows(tt.n, SplitOptions{Test: tt.test, Validation: tt.val, Seed: 42})
			if err != nil {
				t.Fatal(err)
			}
			got := []int{len(s.Train), len(s.Validation), len(s.Test)}
			if diff := cmp.Diff([]int{tt.wantTr, tt.wantV, tt.wantT}, got); diff != "" {
				t.Errorf("sizes (-want +got):\n%s", diff)
			}
			all := slices.Concat(s.Train, s.Validation, s.Test)
			slices.Sort(all)
			for i, r := range all {
				if r != i {
					t.Fatalf("splits are not a partition of 0..%d", tt.n-1)
				}
			}
		})
	}
}

func TestSplitDeterminism(t *testing.T) {
	t.Parallel()
	a, _ := SplitRows(1000, SplitOptions{Test: 0.2, Validation: 0.1, Seed: 7})
	b, _ := SplitRows(1000, SplitOptions{Test: 0.2, Validation: 0.1, Seed: 7})
	c, _ := SplitRows(1000, SplitOptions{Test: 0.2, Validation: 0.1, Seed: 8})
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different splits (-a +b):\n%s", diff)
	}
	if cmp.Equal(a.Test, c.Test) {
		t.Error("different seeds gave the same test set")
	}
	if slices.IsSorted(a.Train) {
		t.Error("train rows are not shuffled")
	}
	for _, bad := range []SplitOptions{{Test: 1}, {Test: -0.1}, {Validation: 1.5}} {
		if _, err := SplitRows(10, bad); err == nil {
			t.Errorf("SplitRows(%+v): no error", bad)
		}
	}
}

func TestSplitStratified(t *testing.T) {
	t.Parallel()
	// 1000 rows, 5% positives: every part keeps the share exactly.
	labels := make([]int64, 1000)
	for i := 0; i < 50; i++ {
		labels[i*20] = 1
	}
	col := NewInt("y", labels, nil)
	s, err := SplitRows(1000, SplitOptions{Test: 0.1, Validation: 0.1, Seed: 42, Stratify: col})
	if err != nil {
		t.Fatal(err)
	}
	count := func(rows []int) int {
		n := 0
		for _, r := range rows {
			n += int(labels[r])
		}
		return n
	}
	got := []int{len(s.Train), count(s.Train), len(s.Validation), count(s.Validation), len(s.Test), count(s.Test)}
	want := []int{810, 41, 90, 4, 100, 5}
	// 900·0.05 = 45 for the rest, 90·0.05 = 4.5 → 4 or 5 for validation.
	if got[4] != 100 || got[5] != 5 || got[2] != 90 || got[3] < 4 || got[3] > 5 || got[1]+got[3] != 45 {
		t.Errorf("stratified split sizes/positives = %v, want about %v", got, want)
	}
	again, _ := SplitRows(1000, SplitOptions{Test: 0.1, Validation: 0.1, Seed: 42, Stratify: col})
	if !cmp.Equal(s, again) {
		t.Error("stratified split is not deterministic")
	}
}

func TestParquetRoundTrip(t *testing.T) {
	t.Parallel()
	in := "z,i,f,s,b\nq,1,1.5,x,True\n,,,,\nw,-3,0.25,\"a,b\",False\n"
	f := mustCSV(t, in)
	path := filepath.Join(t.TempDir(), "f.parquet")
	if err := WriteParquetFile(path, f); err != nil {
		t.Fatal(err)
	}
	back, err := ReadParquetFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(frameWant(f), frameWant(back)); diff != "" {
		t.Errorf("Parquet round trip (-want +got):\n%s", diff)
	}
	if _, err := ReadParquet(bytes.NewReader([]byte("not parquet at all")), 18); err == nil {
		t.Error("reading garbage as Parquet: no error")
	}
}

func FuzzReadParquet(f *testing.F) {
	var buf bytes.Buffer
	src, err := ParseCSV([]byte("i,f,s,b\n1,1.5,x,True\n,,,\n"), CSVOptions{})
	if err != nil {
		f.Fatal(err)
	}
	if err := WriteParquet(&buf, src); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := ReadParquet(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, c := range fr.Columns() {
			if c.Len() != fr.NumRows() {
				t.Fatalf("column %q has %d values for %d rows", c.Name, c.Len(), fr.NumRows())
			}
		}
	})
}

// TestJoinDenseKeys checks the table lookup of int keys in a narrow range
// against the general (encoded key) lookup, with duplicates, missing keys
// and left keys outside the right side's range.
func TestJoinDenseKeys(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 10))
	extremes := []int64{math.MinInt64, math.MaxInt64, -1, 0, 1 << 62, -(1 << 62)}
	for _, tc := range []struct {
		name   string
		lo, hi int64
	}{{"small", 0, 50}, {"negative", -30, 10}, {"near MaxInt64", math.MaxInt64 - 40, math.MaxInt64}, {"near MinInt64", math.MinInt64, math.MinInt64 + 40}} {
		nl, nr := 200, 60
		lv, rv := make([]int64, nl), make([]int64, nr)
		lvalid, rvalid := make([]bool, nl), make([]bool, nr)
		for i := range lv {
			lv[i] = tc.lo + rng.Int64N(tc.hi-tc.lo+1)
			if rng.IntN(10) == 0 {
				lv[i] = extremes[rng.IntN(len(extremes))]
			}
			lvalid[i] = rng.IntN(20) > 0
		}
		for i := range rv {
			rv[i] = tc.lo + rng.Int64N(tc.hi-tc.lo+1)
			rvalid[i] = rng.IntN(20) > 0
		}
		lc, rc := NewInt("k", lv, lvalid), NewInt("k", rv, rvalid)
		if _, _, ok := denseKeys([]*Column{lc}, []*Column{rc}, nr); !ok {
			t.Fatalf("%s: keys not dense", tc.name)
		}
		for _, how := range []JoinType{LeftJoin, InnerJoin} {
			li, ri := matchRows([]*Column{lc}, []*Column{rc}, nl, nr, how)
			// Two key columns take the encoded-key path.
			wli, wri := matchRows([]*Column{lc, lc}, []*Column{rc, rc}, nl, nr, how)
			if diff := cmp.Diff(wli, li); diff != "" {
				t.Errorf("%s %s join, left rows (-encoded +dense):\n%s", tc.name, how, diff)
			}
			if diff := cmp.Diff(wri, ri); diff != "" {
				t.Errorf("%s %s join, right rows (-encoded +dense):\n%s", tc.name, how, diff)
			}
		}
	}
	wide := NewInt("k", []int64{0, 1 << 40}, nil)
	if _, _, ok := denseKeys([]*Column{wide}, []*Column{wide}, 2); ok {
		t.Error("keys 0 and 2^40 taken as dense")
	}
	full := NewInt("k", []int64{math.MinInt64, math.MaxInt64}, nil)
	if _, _, ok := denseKeys([]*Column{full}, []*Column{full}, 2); ok {
		t.Error("keys MinInt64 and MaxInt64 taken as dense")
	}
}
