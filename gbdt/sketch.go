package gbdt

import (
	"math"
	"slices"
)

// XGBoost's weighted quantile sketch (src/common/quantile.h,
// WQuantileSketch; docs/reference gbdt.md §3), as its hist method builds a
// feature's cuts on an in-memory matrix: the column's values are pushed in
// row order (missing values skipped); consecutive equal values share one
// buffer entry; a full buffer of 2·L entries becomes an exact summary that
// is merged into levels of summaries pruned to L. sketchCuts reproduces
// its cuts exactly, including above ~10^5 rows, where featureCuts (exact
// quantiles of the sorted column) differs. Training computes its cuts with
// it (quantise).

// qEntry is a buffered value and its weight.
type qEntry struct {
	v float32
	w float32
}

// wqSketch is XGBoost's WQuantileSketch. With unit weights (weighted
// false) a buffered weight is a count; with sample weights it is the
// float32 sum of the weights pushed, in push order.
type wqSketch struct {
	weighted bool
	limit    int      // L, the size summaries are pruned to
	queue    []qEntry // buffer: capacity 1 at first, then 2·L
	qcap     int
	levels   [][]entry // levels[l] for l ≥ 1; levels[0] unused
	// items and buf are queueSummary's scratch; sum its output, pruned
	// and comb[0..1] pushSummary's: the sketch reuses them, so a column
	// of millions of values makes no garbage.
	items, buf []uint64
	sum        []entry
	pruned     []entry
	comb       [2][]entry
}

func newWQSketch(n, maxBin int) *wqSketch {
	return &wqSketch{limit: sketchLimit(n, maxBin), qcap: 1}
}

// reset empties s for a column of n values, keeping its buffers (quantise
// sketches column after column with one sketch per goroutine).
func (s *wqSketch) reset(n, maxBin int) {
	s.limit, s.qcap, s.weighted = sketchLimit(n, maxBin), 1, false
	s.queue = s.queue[:0]
	for i := range s.levels {
		s.levels[i] = s.levels[i][:0]
	}
}

// push adds one value. A value equal to the last one buffered adds to its
// weight, even when the buffer is full (XGBoost 1.7 and 3.x alike; the
// test with max_bin 64 tells this from summarising first).
func (s *wqSketch) push(v float32) { s.pushWeighted(v, 1) }

// pushWeighted adds one value with weight w; as in XGBoost a zero weight
// adds nothing.
func (s *wqSketch) pushWeighted(v, w float32) {
	if w == 0 {
		return
	}
	if n := len(s.queue); n > 0 && s.queue[n-1].v == v {
		s.queue[n-1].w += w
		return
	}
	if len(s.queue) == s.qcap {
		if s.qcap == 1 {
			// The buffer grows from one value to 2·L.
			s.qcap = 2 * s.limit
		} else {
			s.pushSummary(s.queueSummary())
			s.queue = s.queue[:0]
		}
	}
	s.queue = append(s.queue, qEntry{v, w})
}

// queueSummary sorts the buffer and merges equal values into an exact
// summary. Weights are counts (unit weights), so a value and its weight
// pack into one radix-sorted word; items and buf are scratch.
func queueSummary(q []qEntry, items, buf []uint64, out []entry) []entry {
	items = items[:0]
	for _, e := range q {
		items = append(items, uint64(sortKey(e.v))<<32|uint64(e.w))
	}
	sorted := radixSort(items, buf[:len(items)])
	out = out[:0]
	var wsum float32
	for i := 0; i < len(sorted); {
		key := sorted[i] >> 32
		w := float32(uint32(sorted[i]))
		j := i + 1
		for j < len(sorted) && sorted[j]>>32 == key {
			w += float32(uint32(sorted[j]))
			j++
		}
		out = append(out, entry{v: keyValue(uint32(key)), rmin: wsum, rmax: wsum + w, wmin: w})
		wsum += w
		i = j
	}
	return out
}

// keyValue is the float32 of a sortKey.
func keyValue(k uint32) float32 {
	if k>>31 != 0 {
		return math.Float32frombits(k &^ (1 << 31))
	}
	return math.Float32frombits(^k)
}

// weightedQueueSummary is queueSummary for float weights: the buffer is
// sorted by value (stably, so equal values add their weights in push
// order) and equal values merged.
func weightedQueueSummary(q []qEntry, items, buf []uint64, out []entry) []entry {
	items = items[:0]
	for i, e := range q {
		items = append(items, uint64(sortKey(e.v))<<32|uint64(i))
	}
	sorted := radixSort(items, buf[:len(items)])
	out = out[:0]
	var wsum float32
	for i := 0; i < len(sorted); {
		key := sorted[i] >> 32
		w := q[uint32(sorted[i])].w
		j := i + 1
		for j < len(sorted) && sorted[j]>>32 == key {
			w += q[uint32(sorted[j])].w
			j++
		}
		out = append(out, entry{v: keyValue(uint32(key)), rmin: wsum, rmax: wsum + w, wmin: w})
		wsum += w
		i = j
	}
	return out
}

// queueSummary is the buffer's exact summary, in s.sum's storage (valid
// until the next call).
func (s *wqSketch) queueSummary() []entry {
	if cap(s.items) < len(s.queue) {
		s.items = make([]uint64, 0, s.qcap)
		s.buf = make([]uint64, s.qcap)
		s.sum = make([]entry, 0, s.qcap)
	}
	if s.weighted {
		s.sum = weightedQueueSummary(s.queue, s.items, s.buf, s.sum)
	} else {
		s.sum = queueSummary(s.queue, s.items, s.buf, s.sum)
	}
	return s.sum
}

// pushSummary merges a full buffer's summary into the levels.
// The levels keep their storage; the pruned and combined summaries go
// through the sketch's scratch (two combine buffers in turn, so a
// combination never overwrites its input).
func (s *wqSketch) pushSummary(temp []entry) {
	for l, turn := 1, 0; ; l, turn = l+1, 1-turn {
		for len(s.levels) < l+1 {
			s.levels = append(s.levels, nil)
		}
		p := temp
		if len(temp) > s.limit && s.limit >= 2 {
			if s.pruned == nil {
				s.pruned = make([]entry, 0, s.limit)
			}
			s.pruned = pruneInto(s.pruned, temp, s.limit)
			p = s.pruned
		}
		if len(s.levels[l]) == 0 {
			if s.levels[l] == nil {
				s.levels[l] = make([]entry, 0, s.limit)
			}
			s.levels[l] = append(s.levels[l][:0], p...)
			return
		}
		if need := len(p) + len(s.levels[l]); cap(s.comb[turn]) < need {
			s.comb[turn] = make([]entry, 0, max(need, 2*s.limit))
		}
		temp = combineInto(s.comb[turn], p, s.levels[l])
		s.comb[turn] = temp
		if len(temp) <= s.limit {
			s.levels[l] = append(s.levels[l][:0], temp...)
			return
		}
		s.levels[l] = s.levels[l][:0]
	}
}

// summary returns the sketch's final summary (at most L entries).
func (s *wqSketch) summary() []entry {
	out := s.queueSummary()
	if len(s.levels) == 0 {
		if len(out) > s.limit {
			return slices.Clone(prune(out, s.limit))
		}
		return out
	}
	level0 := slices.Clone(prune(out, s.limit))
	for _, lv := range s.levels[1:] {
		if len(lv) == 0 {
			continue
		}
		if len(level0) == 0 {
			level0 = slices.Clone(lv)
			continue
		}
		level0 = slices.Clone(prune(combine(level0, lv), s.limit))
	}
	return level0
}

// combine merges two summaries (XGBoost's WQSummary::SetCombine): equal
// values add their ranks; an entry of one side alone gets the other
// side's rank bounds around it.
func combine(a, b []entry) []entry { return combineInto(nil, a, b) }

// combineInto is combine writing into dst's storage (dst must not
// overlap a or b).
func combineInto(dst, a, b []entry) []entry {
	if len(a) == 0 {
		return append(dst[:0], b...)
	}
	if len(b) == 0 {
		return append(dst[:0], a...)
	}
	out := dst[:0]
	var aPrevRmin, bPrevRmin float32
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x, y := a[i], b[j]
		switch {
		case x.v == y.v:
			out = append(out, entry{v: x.v, rmin: x.rmin + y.rmin, rmax: x.rmax + y.rmax, wmin: x.wmin + y.wmin})
			aPrevRmin = x.rmin + x.wmin
			bPrevRmin = y.rmin + y.wmin
			i++
			j++
		case x.v < y.v:
			out = append(out, entry{v: x.v, rmin: x.rmin + bPrevRmin, rmax: x.rmax + (y.rmax - y.wmin), wmin: x.wmin})
			aPrevRmin = x.rmin + x.wmin
			i++
		default:
			out = append(out, entry{v: y.v, rmin: y.rmin + aPrevRmin, rmax: y.rmax + (x.rmax - x.wmin), wmin: y.wmin})
			bPrevRmin = y.rmin + y.wmin
			j++
		}
	}
	if i < len(a) {
		bMax := b[len(b)-1].rmax
		for _, x := range a[i:] {
			out = append(out, entry{v: x.v, rmin: x.rmin + bPrevRmin, rmax: x.rmax + bMax, wmin: x.wmin})
		}
	}
	if j < len(b) {
		aMax := a[len(a)-1].rmax
		for _, y := range b[j:] {
			out = append(out, entry{v: y.v, rmin: y.rmin + aPrevRmin, rmax: y.rmax + aMax, wmin: y.wmin})
		}
	}
	return out
}

// sketchCuts returns the cuts XGBoost's hist (1.7 and 3.x) computes for
// a column given in row order (NaN = missing) with max_bin maxBin and
// unit weights (weightedSketchCuts with nil weights).
func sketchCuts(col []float32, maxBin int) cuts { return weightedSketchCuts(col, nil, maxBin, nil) }

// weightedSketchCuts returns the cuts XGBoost's hist (1.7 and 3.x)
// computes for a column given in row order (NaN = missing) with max_bin
// maxBin and the rows' sample weights w (nil: unit weights; hist sketches
// with the sample weights alone, not hessians, and a zero weight drops
// the value from the sketch though it still counts in the column's size
// n): the sketch's summary
// pruned to min(n, 8·maxBin) then to min(n, maxBin)+1 entries, entries 1
// to min(size, maxBin)−1 as cuts (strictly increasing) and a sentinel
// above the maximum. A column with no values has no cuts.
//
// s, when not nil, is a sketch to reuse (its buffers); nil makes one.
func weightedSketchCuts(col, w []float32, maxBin int, s *wqSketch) cuts {
	n := 0
	for _, v := range col {
		if v == v {
			n++
		}
	}
	if n == 0 {
		return cuts{}
	}
	if s == nil {
		s = newWQSketch(n, maxBin)
	} else {
		s.reset(n, maxBin)
	}
	if w == nil {
		for _, v := range col {
			if v == v {
				s.push(v)
			}
		}
	} else {
		s.weighted = true
		for r, v := range col {
			if v == v {
				s.pushWeighted(v, w[r])
			}
		}
	}
	sum := s.summary()
	if len(sum) == 0 {
		// Every value has weight 0.
		return cuts{}
	}
	sum = prune(sum, min(n, 8*maxBin))
	sum = prune(sum, min(n, maxBin)+1)
	var c cuts
	last := min(len(sum), maxBin)
	for i := 1; i < last; i++ {
		if v := sum[i].v; i == 1 || v > c.cut[len(c.cut)-1] {
			c.cut = append(c.cut, v)
		}
	}
	mx := float64(sum[len(sum)-1].v)
	c.cut = append(c.cut, float32(mx+(math.Abs(mx)+1e-5)))
	mn := float64(sum[0].v)
	c.minVal = float32(mn - (math.Abs(mn) + 1e-5))
	return c
}

// radixSort sorts items (key<<32 | payload) by key, stably, using buf.
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
