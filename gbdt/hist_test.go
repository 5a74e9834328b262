package gbdt

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuildHistKernels checks that the kernels (the assembly one on
// amd64) give the plain loop's sums bit for bit, with and without overflow
// features' missing cells, for row counts around the kernel's pairing and
// prefetch distance, and flagged rows grouped by pattern or one by one.
func TestBuildHistKernels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		rows, cols int
		every      int // row sample: every n-th row on average
		overflow   []int
	}{
		{"Empty", 0, 3, 1, nil},
		{"OneRow", 1, 5, 1, nil},
		{"OddRows", 37, 28, 1, nil},
		{"Sampled", 5000, 28, 7, nil},
		{"Overflow", 3000, 9, 2, []int{0, 4, 8}},
		// Over several 4,096-row blocks.
		{"SampledBlocks", 20000, 5, 2, nil},
		{"OverflowBlocks", 12000, 6, 1, []int{1, 3}},
		{"OneFeature", 100, 1, 1, []int{0}},
		// More than 64 overflow features: rows go one by one.
		{"ManyOverflow", 400, 70, 1, func() []int {
			all := make([]int, 70)
			for f := range all {
				all[f] = f
			}
			return all
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tc.rows), uint64(tc.cols)))
			bins := make([]uint8, tc.rows*tc.cols)
			for i := range bins {
				bins[i] = uint8(rng.IntN(256))
			}
			offset := make([]int, tc.cols+1)
			for f := range tc.cols {
				offset[f+1] = offset[f] + histBins
			}
			var fix *missFix
			missing := map[[2]int]bool{}
			if tc.overflow != nil {
				fix = &missFix{rows: make([]uint64, (tc.rows+63)/64), bits: make([][]uint64, tc.cols), feats: tc.overflow, slot: offset[tc.cols]}
				for _, f := range tc.overflow {
					fix.bits[f] = make([]uint64, (tc.rows+63)/64)
					for r := range tc.rows {
						if rng.IntN(10) == 0 {
							bins[r*tc.cols+f] = missingBin
							fix.bits[f][r>>6] |= 1 << (r & 63)
							fix.rows[r>>6] |= 1 << (r & 63)
							missing[[2]int{r, f}] = true
						}
					}
				}
			}
			var rows []int32
			gh := make([]gradPair, tc.rows) // by row
			for r := range tc.rows {
				gh[r] = gradPair{float32(rng.NormFloat64()), float32(rng.Float64())}
				if rng.IntN(tc.every) == 0 {
					rows = append(rows, int32(r))
				}
			}
			n := histLen(offset[tc.cols] + tc.cols + histBins)
			want := make([]bucket, n)
			for _, r := range rows {
				for f := range tc.cols {
					s := offset[f] + int(bins[int(r)*tc.cols+f])
					if missing[[2]int{int(r), f}] {
						s = offset[tc.cols] + f
					}
					want[s].g += float64(gh[r].g)
					want[s].h += float64(gh[r].h)
				}
			}
			fixes := map[string]*missFix{"": fix}
			if fix != nil {
				// With the patterns numbered (missFix.patterns), and
				// without.
				numbered := missFix{rows: fix.rows, bits: fix.bits, feats: fix.feats, slot: fix.slot}
				numbered.patterns(tc.rows)
				if len(tc.overflow) <= 64 && numbered.patID == nil {
					t.Fatal("patterns: no pattern ids")
				}
				fixes[" numbered"] = &numbered
			}
			for name, k := range map[string]rowKernel[uint8]{"Go": histRowsGo[uint8], "Byte": histRowsByte} {
				for how, fix := range fixes {
					got := make([]bucket, n)
					buildHist(got, rows, bins, offset, nil, gh, fix, k)
					if d := cmp.Diff(want, got, cmp.AllowUnexported(bucket{})); d != "" {
						t.Errorf("%s kernel%s: histogram differs (-want +got):\n%s", name, how, d)
					}
				}
			}
		})
	}
}
