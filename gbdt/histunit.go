package gbdt

import (
	"math"
	"math/bits"
)

// unitLayout is the histogram layout of the AVX-512 unit kernel
// (histunit_amd64.s). The slots that rows of few-valued features (such as
// one-hot 0/1 columns) hit are packed four to a unit, which one 512-bit
// register holds (four gradient/hessian pairs); a unit may hold slots of
// several features. For every row and unit, masks has the lanes of the
// slots the row hits (bits 2l and 2l+1 for lane l): at most one per
// feature, so adding the row's pair to all of them is one masked add. The
// running sums stay in registers while the rows go by, two 0/1 features
// to an add, instead of a load, add and store per (row, feature). The
// other features go through histSlots on their own row-major copy, rest,
// which holds slots rather than bins. Each slot still gets its additions
// in row order (a masked add leaves the other lanes untouched), so the
// sums are those of histRowsGo. The layout copies the bins (up to two
// bytes a cell), so it is made only for matrices up to maxUnitCells.
type unitLayout struct {
	// units is the unit count, a multiple of unitGroup; lanes past the
	// packed slots are never hit.
	units int
	masks []uint8 // rows×units, row-major
	// slot[4u+l] is the histogram slot of unit u's lane l, or -1 for
	// the padding after the first packed lanes.
	slot   []int
	packed int
	// rest holds, for the other features, the slot each row hits, doubled
	// (rows×restCols, row-major): histSlots adds straight there, without
	// per-feature offsets. maxSlot is the largest slot.
	rest     []uint16
	restCols int
	maxSlot  int
	// restFeat[j] is the feature of rest column j (increasing).
	restFeat []int
}

const (
	// unitMaxSlots is the most slots a feature's rows hit for it to go
	// through the unit kernel: a slot costs a quarter of a masked add
	// per row there, a feature about 1.3 adds in the byte kernel.
	unitMaxSlots = 4
	// unitGroup is the unit kernel's smallest call (histUnits8), and
	// unitPass its largest (histUnits16): the units whose sums are held
	// in registers during one pass over the rows.
	unitGroup = 8
	unitPass  = 16
	// minUnitFeatures is the fewest few-valued features worth the layout.
	minUnitFeatures = 4
	// maxUnitCells is the largest matrix (rows×cols) given a layout: it
	// pays most on small data (tuning trials), and its copy of the bins
	// must not add much to the peak memory of a large training.
	maxUnitCells = 1 << 26
)

// newUnitLayout returns b's unit layout, or nil when the unit kernel
// cannot run (no AVX-512, wide bins, overflow features) or there are too
// few few-valued features.
func newUnitLayout(b *binned) *unitLayout {
	if !haveUnitKernel() || b.wide || b.fix != nil || b.cols == 0 || b.rows == 0 || b.rows*b.cols > maxUnitCells {
		return nil
	}
	// Too few candidates (features with at most 64 slots): no need to
	// look at the rows.
	candidates := 0
	for f := range b.cols {
		if b.offset[f+1]-b.offset[f] <= 64 {
			candidates++
		}
	}
	if candidates < minUnitFeatures {
		return nil
	}
	// The bins each feature's rows hit (those of features with at most
	// 64 slots).
	hit := make([]uint64, b.cols)
	for r := range b.rows {
		for f, bin := range b.bins8[r*b.cols : (r+1)*b.cols] {
			hit[f] |= 1 << (bin & 63)
		}
	}
	u := &unitLayout{}
	var small, rest []int
	lane := make([][]int, b.cols) // lane[f][bin]: global lane (4u+l)
	for f := range b.cols {
		n := b.offset[f+1] - b.offset[f]
		if n > 64 || bits.OnesCount64(hit[f]) > unitMaxSlots {
			rest = append(rest, f)
			u.maxSlot = max(u.maxSlot, b.offset[f+1]-1)
			continue
		}
		small = append(small, f)
		lane[f] = make([]int, n)
		for bin := range n {
			lane[f][bin] = -1
			if hit[f]>>bin&1 != 0 {
				lane[f][bin] = len(u.slot)
				u.slot = append(u.slot, b.offset[f]+bin)
			}
		}
	}
	if len(small) < minUnitFeatures || 2*u.maxSlot > math.MaxUint16 {
		return nil
	}
	u.packed = len(u.slot)
	for len(u.slot)%(4*unitGroup) != 0 {
		u.slot = append(u.slot, -1)
	}
	u.units = len(u.slot) / 4
	u.masks = make([]uint8, b.rows*u.units)
	u.restCols = len(rest)
	u.restFeat = rest
	u.rest = make([]uint16, b.rows*len(rest))
	for r := range b.rows {
		row := b.bins8[r*b.cols : (r+1)*b.cols]
		m := u.masks[r*u.units : (r+1)*u.units]
		for _, f := range small {
			k := lane[f][row[f]] // a hit bin: it has a lane
			m[k/4] |= 3 << (2 * (k % 4))
		}
		dst := u.rest[r*len(rest) : (r+1)*len(rest)]
		for j, f := range rest {
			dst[j] = uint16(2 * (b.offset[f] + int(row[f])))
		}
	}
	return u
}

// restList returns the rest columns (indexes into a row of rest) of the
// features in feats (increasing: a tree's features), for build: nil when
// feats is nil or holds every rest column's feature (the pass over every
// rest column), else a list, empty if none of feats is a rest column.
func (u *unitLayout) restList(feats []int) []int {
	if feats == nil {
		return nil
	}
	cols := []int{}
	j := 0
	for _, f := range feats {
		for j < len(u.restFeat) && u.restFeat[j] < f {
			j++
		}
		if j < len(u.restFeat) && u.restFeat[j] == f {
			cols = append(cols, j)
		}
	}
	if len(cols) == u.restCols {
		return nil
	}
	return cols
}

// build adds the rows' gradient pairs into hist (what buildHist does
// with the byte kernel on the full matrix). The rest columns visited
// are those in cols (from restList: distinct, increasing), or all of
// them if cols is nil; the slots of the rest columns left out are not
// touched.
func (u *unitLayout) build(hist []bucket, rows []int32, gh []gradPair, cols []int) {
	if len(rows) == 0 {
		return
	}
	// The assembly indexes masks, rest and gh unchecked: every row must
	// be inside all three, every listed column inside a row.
	hi := min(len(u.masks)/u.units, len(gh))
	if u.restCols > 0 {
		hi = min(hi, len(u.rest)/u.restCols)
	}
	for _, r := range rows {
		if uint(r) >= uint(hi) {
			panic("gbdt: unitLayout.build: row out of range")
		}
	}
	// Distinct and increasing: a slot never gets two additions per row.
	prev := -1
	for _, c := range cols {
		if c <= prev || c >= u.restCols {
			panic("gbdt: unitLayout.build: rest column list not increasing or out of range")
		}
		prev = c
	}
	var acc [unitPass * 8]float64
	for g := 0; g < u.units; g += unitPass {
		n := min(unitPass, u.units-g)
		// The packed lanes (the padding, under a unitGroup, is at the
		// end: every pass starts before it).
		lanes := u.slot[4*g : min(4*(g+n), u.packed)]
		for k, s := range lanes {
			acc[2*k], acc[2*k+1] = hist[s].g, hist[s].h
		}
		if n == unitPass {
			histUnits16(&acc, rows, u.masks[g:], u.units, gh)
		} else {
			histUnits8(&acc, rows, u.masks[g:], u.units, gh)
		}
		for k, s := range lanes {
			hist[s] = bucket{acc[2*k], acc[2*k+1]}
		}
	}
	if u.restCols > 0 && (cols == nil || len(cols) > 0) {
		if u.maxSlot >= len(hist) {
			panic("gbdt: unitLayout.build: histogram too short")
		}
		if cols == nil {
			histSlots(hist, rows, u.rest, u.restCols, gh)
		} else {
			histSlotsCols(hist, rows, u.rest, u.restCols, cols, gh)
		}
	}
}
