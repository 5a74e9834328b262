package gbdt

import "testing"

// TestGoesLeft checks the partition's branch-free decision against the
// plain condition over every byte bin, split bin and missing id, and
// over 16-bit bins at the edges.
func TestGoesLeft(t *testing.T) {
	t.Parallel()
	check := func(b, sb, miss int, hasMissing, dl bool) {
		t.Helper()
		want := 0
		if b <= sb || (hasMissing && dl && b == miss) {
			want = 1
		}
		if got := goesLeft(b, sb, miss, missLeftBit(hasMissing, dl)); got != want {
			t.Fatalf("goesLeft(b=%d, sb=%d, miss=%d, missing=%v, defaultLeft=%v) = %d, want %d", b, sb, miss, hasMissing, dl, got, want)
		}
	}
	for b := range 256 {
		for sb := -1; sb < 256; sb++ {
			for _, miss := range []int{0, 1, 17, 254, 255} {
				for _, hm := range []bool{false, true} {
					check(b, sb, miss, hm, true)
					check(b, sb, miss, hm, false)
				}
			}
		}
	}
	for _, b := range []int{0, 1, 255, 256, 65534, 65535} {
		for _, sb := range []int{-1, 0, 255, 65533, 65534} {
			check(b, sb, 65535, true, true)
			check(b, sb, 65535, true, false)
		}
	}
}
