package gbdt

import (
	"math"
	"slices"
	"sync"
)

// missingBin is the bin id of a missing value in a matrix of byte bins.
// A feature with missing values and 256 value bins (XGBoost allows that at
// its default max_bin 256) shares id 255 between its last bin and its
// missing cells: an "overflow" feature, whose missing cells are also
// listed (binned.missRows, missBits) so that histograms move them out of
// slot 255 into the feature's own missing slot after the pass
// (grower.moveMissing) and partitions tell them apart. Only a matrix where
// some feature has more than 256 value bins (max_bin above 256) stores
// uint16 bins, with missing values at the id of its widest feature's bin
// count (binned.missing).
const missingBin = 255

// maxWideBin is the largest max_bin training supports (uint16 bins, one id
// kept for missing values).
const maxWideBin = 1<<16 - 1

// cuts are one feature's bin boundaries: bin b covers [cut[b-1], cut[b]),
// bin 0 starts at minVal. The last cut is a sentinel above the maximum.
type cuts struct {
	cut    []float32
	minVal float32
}

// threshold is the split condition x < threshold that sends bins <= b
// left. b = -1 sends only missing values left.
func (c *cuts) threshold(b int) float32 {
	if b < 0 {
		return c.minVal
	}
	return c.cut[b]
}

// entry is one element of a weighted quantile summary (XGBoost's
// WQSummary): ranks are float32 as in XGBoost.
type entry struct {
	v                float32
	rmin, rmax, wmin float32
}

// featureCuts computes the cut points of one column from its values in
// ascending order, with XGBoost's hist recipe (gbdt.md §3) on an exact
// summary: distinct values with their ranks, pruned to the sketch limit,
// to 8·maxBin, then to maxBin+1 entries. For columns small enough that
// XGBoost's sketch stays exact (about 10^5 rows at max_bin 256) the cuts
// are XGBoost's; for larger columns XGBoost's streaming merge differs
// slightly. Training uses sketchCuts; the tests compare with this exact
// reference. buf is reused scratch for the summary.
func featureCuts(sorted []float32, maxBin int, buf []entry) cuts {
	if len(sorted) == 0 {
		return cuts{}
	}
	sum := buf[:0]
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		w := float32(j - i)
		sum = append(sum, entry{v: sorted[i], rmin: float32(i), rmax: float32(i) + w, wmin: w})
		i = j
	}
	n := len(sorted)
	sum = prune(sum, sketchLimit(n, maxBin))
	sum = prune(sum, min(n, 8*maxBin))
	sum = prune(sum, min(n, maxBin)+1)
	c := cuts{}
	last := min(len(sum), maxBin)
	for i := 1; i < last; i++ {
		c.cut = append(c.cut, sum[i].v)
	}
	mx := float64(sum[len(sum)-1].v)
	c.cut = append(c.cut, float32(mx+(math.Abs(mx)+1e-5)))
	mn := float64(sum[0].v)
	c.minVal = float32(mn - (math.Abs(mn) + 1e-5))
	return c
}

// sketchLimit is the summary size L of XGBoost's quantile sketch for n
// values.
func sketchLimit(n, maxBin int) int {
	eps := 1 / (8 * float64(min(maxBin, n)))
	for levels := 1; ; levels++ {
		l := min(n, int(math.Ceil(float64(levels)/eps))+1)
		if (1<<levels)*l >= n || levels > 60 {
			return l
		}
	}
}

// prune shrinks a summary to at most size entries, keeping the first and
// last and choosing the entries whose ranks are closest to evenly spaced
// targets (XGBoost's WQSummary::SetPrune).
func prune(src []entry, size int) []entry {
	if len(src) <= size || size < 2 {
		return src
	}
	return pruneInto(make([]entry, 0, size), src, size)
}

// pruneInto is prune writing into dst's storage (dst must not overlap
// src); it returns src itself when there is nothing to prune.
func pruneInto(dst, src []entry, size int) []entry {
	if len(src) <= size || size < 2 {
		return src
	}
	begin := src[0].rmax
	rng := src[len(src)-1].rmin - src[0].rmax
	n := size - 1
	out := append(dst[:0], src[0])
	i, lastIdx := 1, 0
	for k := 1; k < n; k++ {
		dx2 := 2 * (float32(k)*rng/float32(n) + begin)
		for i < len(src)-1 && dx2 >= src[i+1].rmax+src[i+1].rmin {
			i++
		}
		if i == len(src)-1 {
			break
		}
		if dx2 < (src[i].rmin+src[i].wmin)+(src[i+1].rmax-src[i+1].wmin) {
			if i != lastIdx {
				out = append(out, src[i])
				lastIdx = i
			}
		} else if i+1 != lastIdx {
			out = append(out, src[i+1])
			lastIdx = i + 1
		}
	}
	if lastIdx != len(src)-1 {
		out = append(out, src[len(src)-1])
	}
	return out
}

// binID is the type of a stored bin id.
type binID interface{ ~uint8 | ~uint16 }

// binned is a training matrix quantised to bin ids, stored as bytes
// (bins8, colBins8) or, when a feature has more than 256 value bins
// (max_bin above 256), as uint16 (bins16, colBins16).
type binned struct {
	rows, cols int
	bins8      []uint8 // rows×cols, row-major (histograms)
	colBins8   []uint8 // cols×rows, column-major (partitions)
	bins16     []uint16
	colBins16  []uint16
	wide       bool
	// missID[f] is the bin id of feature f's missing cells: its value bin
	// count (the slot after its value bins), or 255 for a byte-binned
	// feature with 255 or 256 value bins. offset[f] is the first
	// histogram slot of feature f, which has offset[f+1]−offset[f] slots
	// (its value bins and missing slot, 256 for a 255- or 256-bin byte
	// feature): histograms are as long as the features' bins need, not
	// cols×256 (small data with few-valued columns clears, subtracts and
	// scans far less per node).
	missID []int
	offset []int
	// overflow marks the byte-binned features with missing values and 256
	// value bins; missBits has a bit set per missing row of each (nil
	// for other features). Their missing slots are at missSlot+f in a
	// histogram; fix (nil without overflow features) tells buildHist.
	overflow   []bool
	missBits   [][]uint64
	fix        *missFix
	missSlot   int
	cuts       []cuts
	hasMissing []bool
	// categorical marks the categorical features (nil: none); their cuts
	// are their categories, one bin each (categorical.go).
	categorical []bool
	// derived holds layouts made from the bins on first use and shared
	// by the trainings on them (derived.go).
	derived derived
}

// sortKey maps a float32 to a uint32 with the same order.
func sortKey(v float32) uint32 {
	b := math.Float32bits(v + 0) // -0 → +0
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

// searchBin is XGBoost's SearchBin: the first cut above v, or the last
// bin. The search is branch-free (a conditional move per halving): the
// comparisons of random values against the cuts are coin tosses for the
// branch predictor.
func searchBin(cut []float32, v float32) int {
	if len(cut) == 0 {
		return -1
	}
	base, n := 0, len(cut)
	for n > 1 {
		half := n >> 1
		if cut[base+half] <= v {
			base += half
		}
		n -= half
	}
	if cut[base] <= v {
		base++
	}
	return min(base, len(cut)-1)
}

// quantise computes each column's cuts (XGBoost's quantile sketch,
// sketchCuts, over the values in row order) and the bin of every cell,
// over the columns in parallel. w are the rows' sample weights (nil: all
// 1), which weight the sketch as in XGBoost.
func quantise(x []float64, w []float64, rows, cols, maxBin, threads int, categorical []bool) *binned {
	b := &binned{rows: rows, cols: cols, cuts: make([]cuts, cols), hasMissing: make([]bool, cols), categorical: categorical}
	maxBin = min(maxBin, maxWideBin)
	// Columns are copied to float32, column-major, a block of them at a
	// time (so each column is read sequentially without a copy of the
	// whole matrix), once for the cuts and once for the bins.
	var w32 []float32
	if w != nil {
		w32 = make([]float32, len(w))
		for i, v := range w {
			w32[i] = float32(v)
		}
	}
	// A block holds at most 8 columns (or threads columns), and on a big
	// matrix no more than about 128 MB (3 columns of 10M rows): its
	// size adds to the peak memory, the extra passes cost little.
	blockCols := min(cols, max(threads, min(8, (128<<20)/(4*max(1, rows)))))
	blockCols = max(blockCols, 1)
	colMajor := make([]float32, rows*blockCols)
	byBlock := func(fn func(f int, col []float32)) {
		for f0 := 0; f0 < cols; f0 += blockCols {
			f1 := min(f0+blockCols, cols)
			parallelRows(rows, 4096, func(lo, hi int) {
				for r := lo; r < hi; r++ {
					for f, v := range x[r*cols+f0 : r*cols+f1] {
						colMajor[f*rows+r] = float32(v)
					}
				}
			})
			overColumns(f1-f0, threads, func(i int) { fn(f0+i, colMajor[i*rows:(i+1)*rows]) })
		}
	}
	// One sketch per goroutine, reused column after column: its buffers
	// would otherwise be garbage of a few MB per column.
	sketches := make(chan *wqSketch, max(1, threads))
	for range max(1, threads) {
		sketches <- &wqSketch{}
	}
	b.missID = make([]int, cols)
	// byteBins bins column f (in byte bins) and notes its missing cells
	// if it is an overflow feature.
	byteBins := func(f int, col []float32) {
		binColumn(b, f, col, b.colBins8)
		if !b.hasMissing[f] || len(b.cuts[f].cut) < 256 {
			return
		}
		b.overflow[f] = true
		bits := make([]uint64, (rows+63)/64)
		for r, v := range col {
			if v != v {
				bits[r>>6] |= 1 << (r & 63)
			}
		}
		b.missBits[f] = bits
	}
	// Where the bins are bytes whatever the cuts (max_bin at most 256
	// and no categorical feature, whose cuts are its categories: a
	// numerical feature has at most max_bin cuts), each column is
	// binned right after its cuts are computed, while its block is in
	// memory: one pass over the matrix instead of two.
	narrow := maxBin <= 256 && !slices.Contains(categorical, true)
	if narrow {
		b.bins8, b.colBins8 = make([]uint8, rows*cols), colBytes(rows*cols)
		b.overflow = make([]bool, cols)
		b.missBits = make([][]uint64, cols)
	}
	byBlock(func(f int, col []float32) {
		missing := 0
		for _, v := range col {
			if v != v {
				missing++
			}
		}
		b.hasMissing[f] = missing > 0
		if categorical != nil && categorical[f] {
			b.cuts[f] = categoryCuts(col)
			return
		}
		sk := <-sketches
		b.cuts[f] = weightedSketchCuts(col, w32, maxBin, sk)
		sketches <- sk
		if narrow {
			b.missID[f] = narrowMissID(len(b.cuts[f].cut))
			byteBins(f, col)
		}
	})
	valueBins := 0
	for _, c := range b.cuts {
		valueBins = max(valueBins, len(c.cut))
	}
	b.wide = valueBins > 256
	if narrow && b.wide {
		panic("gbdt: quantise: a numerical feature has more than max_bin cuts")
	}
	b.offset = make([]int, cols+1)
	for f, c := range b.cuts {
		nb := len(c.cut)
		b.missID[f] = nb
		width := nb + 1
		if !b.wide {
			b.missID[f] = narrowMissID(nb)
			width = b.missID[f] + 1
		}
		b.offset[f+1] = b.offset[f] + width
	}
	switch {
	case b.wide:
		b.bins16, b.colBins16 = make([]uint16, rows*cols), make([]uint16, rows*cols)
		byBlock(func(f int, col []float32) { binColumn(b, f, col, b.colBins16) })
		transposeBins(b.colBins16, b.bins16, rows, cols, threads)
	case !narrow:
		b.bins8, b.colBins8 = make([]uint8, rows*cols), colBytes(rows*cols)
		b.overflow = make([]bool, cols)
		b.missBits = make([][]uint64, cols)
		byBlock(byteBins)
	}
	if !b.wide {
		transposeBins(b.colBins8, b.bins8, rows, cols, threads)
	}
	b.missSlot = b.offset[cols]
	if slices.Contains(b.overflow, true) {
		fix := &missFix{rows: make([]uint64, (rows+63)/64), bits: b.missBits, slot: b.missSlot}
		for f, bits := range b.missBits {
			if bits == nil {
				continue
			}
			fix.feats = append(fix.feats, f)
			for i, w := range bits {
				fix.rows[i] |= w
			}
		}
		fix.patterns(rows)
		b.fix = fix
	}
	return b
}

// colBytes makes the column-major byte bins of n cells with 3 bytes of
// capacity after them, which the assembly partition (partition16) reads
// past a column's last bin.
func colBytes(n int) []uint8 { return make([]uint8, n, n+3) }

// narrowMissID is the bin id of the missing values of a feature of nb
// cuts in a matrix of byte bins: nb, or missingBin for a feature of 255
// or 256 value bins (256 is an overflow feature).
func narrowMissID(nb int) int { return min(nb, missingBin) }

// binColumn stores the bins of column f (values in row order) in its
// column of colBins (column-major).
func binColumn[B binID](b *binned, f int, col []float32, colBins []B) {
	c := b.cuts[f].cut
	cat := b.categorical != nil && b.categorical[f]
	out := colBins[f*b.rows : (f+1)*b.rows]
	out = out[:len(col)]
	miss := B(b.missID[f])
	start := 0
	if !cat && len(c) > 0 {
		if o8, ok := any(out).([]uint8); ok {
			// 16 values at a time with AVX-512 where it runs.
			start = searchBytes(c, col, o8, uint8(miss))
		}
		end := start + (len(col)-start)&^7
		searchBins8(c, col[start:end], out[start:end], miss)
		start = end
	}
	for r := start; r < len(col); r++ {
		v := col[r]
		var bin B
		switch {
		case v != v || len(c) == 0:
			bin = miss
		case cat:
			bin = B(categoryBin(c, v))
		default:
			bin = B(searchBin(c, v))
		}
		out[r] = bin
	}
}

// searchBins8 stores searchBin's bin of every value of col (a multiple
// of 8 long) in out, or miss for NaN. The comparisons are of sortKey
// integers, turned into masks (no branch: random values against the cuts
// are coin tosses for the branch predictor), and eight searches go in
// lock step so that their dependent loads overlap.
func searchBins8[B binID](cut []float32, col []float32, out []B, miss B) {
	out = out[:len(col)]
	keys := make([]int64, len(cut))
	for i, c := range cut {
		keys[i] = int64(sortKey(c))
	}
	last := len(cut) - 1
	for i := 0; i+8 <= len(col); i += 8 {
		v := (*[8]float32)(col[i : i+8])
		var k [8]int64
		for j, x := range v {
			k[j] = int64(sortKey(x))
		}
		var base [8]int
		for n := len(keys); n > 1; {
			half := n >> 1
			for j := range base {
				// keys[base+half] <= k: add half.
				base[j] += half &^ int((k[j]-keys[base[j]+half])>>63)
			}
			n -= half
		}
		o := (*[8]B)(out[i : i+8])
		for j, bs := range base {
			bs += 1 &^ int((k[j]-keys[bs])>>63)
			bin := B(min(bs, last))
			if v[j] != v[j] {
				bin = miss
			}
			o[j] = bin
		}
	}
}

// transposeBins fills the row-major bins from the column-major ones, a
// tile of rows at a time (its rows' bins stay in cache while the columns
// are read in turn).
func transposeBins[B binID](colBins, bins []B, rows, cols, threads int) {
	const tile = 2048
	tiles := (rows + tile - 1) / tile
	overColumns(tiles, threads, func(t int) {
		lo, hi := t*tile, min((t+1)*tile, rows)
		for f := range cols {
			col := colBins[f*rows+lo : f*rows+hi]
			for i, v := range col {
				bins[(lo+i)*cols+f] = v
			}
		}
	})
}

// overColumns runs fn(f) for every column on threads goroutines.
func overColumns(cols, threads int, fn func(f int)) {
	var wg sync.WaitGroup
	next := make(chan int, cols)
	for f := range cols {
		next <- f
	}
	close(next)
	for range max(1, min(threads, cols)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				fn(f)
			}
		}()
	}
	wg.Wait()
}
