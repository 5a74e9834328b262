//go:build amd64 && !purego

package gbdt

import "testing"

// TestHistRowsByteColsChecks: a column list out of order or out of
// range is refused before the assembly reads anything.
func TestHistRowsByteColsChecks(t *testing.T) {
	t.Parallel()
	bins := make([]uint8, 4*3)
	gh := make([]gradPair, 4)
	offset := []int{0, histBins, 2 * histBins}
	for _, cols := range [][]int{{1, 1}, {2, 0}, {3}, {-1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("columns %v: no panic", cols)
				}
			}()
			histRowsByte(make([]bucket, histLen(4*histBins)), []int32{0, 1, 2, 3}, bins, offset, cols, gh, 3)
		}()
	}
}
