package gbdt

import (
	"math"
	"sync"
)

// missingBin is the bin id of a missing value in features that have
// missing values; such features get at most 255 value bins so ids fit in a
// byte (XGBoost allows 256 there too, so their cuts can differ from
// XGBoost's when they have more than 255 distinct values). Features
// without missing values get up to 256 bins, as in XGBoost.
const missingBin = 255

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
// slightly.
// buf is reused scratch for the summary.
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
	begin := src[0].rmax
	rng := src[len(src)-1].rmin - src[0].rmax
	n := size - 1
	out := make([]entry, 1, size)
	out[0] = src[0]
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

// binned is a training matrix quantised to bin ids, row-major.
type binned struct {
	rows, cols int
	bins       []uint8 // rows×cols, row-major (histograms)
	colBins    []uint8 // cols×rows, column-major (partitions)
	cuts       []cuts
	hasMissing []bool
	// categorical marks the categorical features (nil: none); their cuts
	// are their categories, one bin each (categorical.go).
	categorical []bool
}

// sortKey maps a float32 to a uint32 with the same order.
func sortKey(v float32) uint32 {
	b := math.Float32bits(v + 0) // -0 → +0
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

func keyValue(k uint32) float32 {
	if k>>31 != 0 {
		return math.Float32frombits(k &^ (1 << 31))
	}
	return math.Float32frombits(^k)
}

// radixSort sorts items (key<<32 | row) by key, stably, using buf.
func radixSort(items, buf []uint64) []uint64 {
	var count [2048]int
	for _, shift := range [3]uint{32, 43, 54} {
		clear(count[:])
		for _, it := range items {
			count[(it>>shift)&2047]++
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, it := range items {
			d := (it >> shift) & 2047
			buf[count[d]] = it
			count[d]++
		}
		items, buf = buf, items
	}
	return items
}

// quantise computes each column's cuts and the bin of every cell, over
// the columns in parallel.
func quantise(x []float64, rows, cols, maxBin, threads int, categorical []bool) *binned {
	b := &binned{rows: rows, cols: cols, bins: make([]uint8, rows*cols), colBins: make([]uint8, rows*cols), cuts: make([]cuts, cols), hasMissing: make([]bool, cols), categorical: categorical}
	// Column-major float32 copy, so each column is read sequentially.
	colMajor := make([]float32, rows*cols)
	const block = 4096
	parallelRows(rows, block, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			for f, v := range x[r*cols : (r+1)*cols] {
				colMajor[f*rows+r] = float32(v)
			}
		}
	})
	var wg sync.WaitGroup
	next := make(chan int, cols)
	for f := range cols {
		next <- f
	}
	close(next)
	for range max(1, threads) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			items := make([]uint64, 0, rows)
			buf := make([]uint64, rows)
			vals := make([]float32, 0, rows)
			sumBuf := make([]entry, 0, rows)
			for f := range next {
				items = items[:0]
				for r, v := range colMajor[f*rows : (f+1)*rows] {
					if v == v {
						items = append(items, uint64(sortKey(v))<<32|uint64(r))
					} else {
						b.bins[r*cols+f] = missingBin
						b.colBins[f*rows+r] = missingBin
					}
				}
				sorted := radixSort(items, buf[:len(items)])
				vals = vals[:0]
				for _, it := range sorted {
					vals = append(vals, keyValue(uint32(it>>32)))
				}
				b.hasMissing[f] = len(vals) < rows
				if categorical != nil && categorical[f] {
					b.categoricalBins(f, vals, sorted)
					continue
				}
				mb := min(maxBin, 256)
				if b.hasMissing[f] {
					mb = min(mb, 255)
				}
				c := featureCuts(vals, mb, sumBuf)
				b.cuts[f] = c
				// Values ascend, so the bin only moves forward.
				bin := 0
				last := len(c.cut) - 1
				for i, it := range sorted {
					v := vals[i]
					for bin < last && c.cut[bin] <= v {
						bin++
					}
					r := int(uint32(it))
					b.bins[r*cols+f] = uint8(bin)
					b.colBins[f*rows+r] = uint8(bin)
				}
			}
		}()
	}
	wg.Wait()
	return b
}
