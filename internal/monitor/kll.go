package monitor

import (
	"math"
	"slices"
)

// Sketch parameters Ferry writes (Model Monitor's values): level h of H
// keeps at most max(2, ceil(k·c^(H-1-h))) items, so a data set of at most
// k values is kept whole and its distribution is exact.
const (
	sketchK = 2048
	sketchC = 0.64
)

// kll is a KLL quantile sketch (Karnin, Lang and Liberty 2016) with
// deterministic compaction: a compaction keeps the odd or the even items
// of a sorted level in turn, so the same data always gives the same
// sketch.
type kll struct {
	k      int
	c      float64
	levels [][]float64
	n      int64
	size   int   // items held
	limit  int   // capacity of all levels together
	flips  []int // per level: which half the next compaction keeps
	// scratch holds a compaction's promoted run; keys and tmp are the
	// radix sort's.
	scratch   []float64
	keys, tmp []uint64
}

// mergeSorted merges the sorted run into the sorted dst, in place from
// the back.
func mergeSorted(dst, run []float64) []float64 {
	n, m := len(dst), len(run)
	dst = slices.Grow(dst, m)[:n+m]
	i, j, k := n-1, m-1, n+m-1
	for j >= 0 {
		if i >= 0 && dst[i] > run[j] {
			dst[k] = dst[i]
			i--
		} else {
			dst[k] = run[j]
			j--
		}
		k--
	}
	return dst
}

func newKLL() *kll {
	s := &kll{k: sketchK, c: sketchC, levels: [][]float64{make([]float64, 0, 64)}, flips: []int{0}}
	s.limit = s.capacity(0)
	return s
}

// capacity returns the capacity of level h with the current height.
func (s *kll) capacity(h int) int {
	depth := len(s.levels) - 1 - h
	return max(2, int(math.Ceil(float64(s.k)*math.Pow(s.c, float64(depth)))))
}

// Add adds one value.
func (s *kll) Add(x float64) {
	s.levels[0] = append(s.levels[0], x)
	s.n++
	s.size++
	if s.size > s.limit {
		s.compress()
	}
}

// addWeighted adds value x c times: the binary digits of c place it on
// the levels whose weights add up to c.
func (s *kll) addWeighted(x float64, c int64) {
	for h := 0; c > 0; h, c = h+1, c>>1 {
		if c&1 == 0 {
			continue
		}
		for h >= len(s.levels) {
			s.levels = append(s.levels, nil)
			s.flips = append(s.flips, 0)
		}
		if h == 0 {
			s.levels[0] = append(s.levels[0], x)
		} else {
			s.levels[h] = mergeSorted(s.levels[h], []float64{x})
		}
		s.n += int64(1) << h
	}
	s.rebalance()
}

// rebalance recomputes the sizes and compacts until the sketch fits.
func (s *kll) rebalance() {
	s.size, s.limit = 0, 0
	for h := range s.levels {
		s.size += len(s.levels[h])
		s.limit += s.capacity(h)
	}
	for s.size > s.limit {
		s.compress()
	}
}

// compress compacts, from the bottom up, every level that holds more than
// its capacity, in one sweep: half of each such level's items (the odd or
// the even ones of the sorted level, in turn) move up with twice the
// weight. Compacting every full level at once, rather than only the
// lowest, leaves room for many items before the next compaction, so
// level 0 is sorted in large batches and the higher levels are merged
// into rarely.
func (s *kll) compress() {
	for h := 0; h < len(s.levels); h++ {
		if len(s.levels[h]) <= s.capacity(h) {
			continue
		}
		if h+1 == len(s.levels) {
			s.levels = append(s.levels, nil)
			s.flips = append(s.flips, 0)
		}
		lv := s.levels[h]
		if h == 0 {
			s.keys, s.tmp = sortFloats(lv, s.keys, s.tmp) // levels above 0 are kept sorted
		}
		// An odd item out stays at this level.
		odd := len(lv)%2 == 1
		var last float64
		if odd {
			last = lv[len(lv)-1]
			lv = lv[:len(lv)-1]
		}
		off := s.flips[h]
		s.flips[h] ^= 1
		run := s.scratch[:0]
		for i := off; i < len(lv); i += 2 {
			run = append(run, lv[i])
		}
		s.scratch = run
		s.levels[h+1] = mergeSorted(s.levels[h+1], run)
		s.levels[h] = lv[:0]
		if odd {
			s.levels[h] = append(s.levels[h], last)
		}
	}
	s.size = 0
	s.limit = 0
	for h := range s.levels {
		s.size += len(s.levels[h])
		s.limit += s.capacity(h)
	}
}

// Sketch returns the sketch in statistics.json's form.
func (s *kll) Sketch() KLLSketch {
	data := make([][]float64, len(s.levels))
	for h, lv := range s.levels {
		data[h] = slices.Clone(lv)
		if data[h] == nil {
			data[h] = []float64{}
		}
	}
	return KLLSketch{Parameters: KLLParameters{C: s.c, K: float64(s.k)}, Data: data}
}

// weighted is a sorted list of values with weights: an empirical
// distribution read from a sketch.
type weighted struct {
	x     []float64
	w     []float64
	total float64
}

// distributionOf reads a sketch: the items of level h weigh 2^h.
func distributionOf(sk KLLSketch) weighted {
	type item struct{ x, w float64 }
	var items []item
	for h, lv := range sk.Data {
		w := math.Ldexp(1, h)
		for _, x := range lv {
			if !math.IsNaN(x) {
				items = append(items, item{x, w})
			}
		}
	}
	slices.SortFunc(items, func(a, b item) int {
		switch {
		case a.x < b.x:
			return -1
		case a.x > b.x:
			return 1
		}
		return 0
	})
	var d weighted
	for _, it := range items {
		if n := len(d.x); n > 0 && d.x[n-1] == it.x {
			d.w[n-1] += it.w
		} else {
			d.x = append(d.x, it.x)
			d.w = append(d.w, it.w)
		}
		d.total += it.w
	}
	return d
}

// buckets materialises n equal-width buckets between lo and hi.
func (d weighted) buckets(n int, lo, hi float64) []Bucket {
	if d.total == 0 {
		return []Bucket{}
	}
	if hi <= lo {
		return []Bucket{{LowerBound: lo, UpperBound: hi, Count: d.total}}
	}
	out := make([]Bucket, n)
	width := (hi - lo) / float64(n)
	for i := range out {
		out[i].LowerBound = lo + float64(i)*width
		out[i].UpperBound = lo + float64(i+1)*width
	}
	out[n-1].UpperBound = hi
	for i, x := range d.x {
		b := int((x - lo) / width)
		b = min(max(b, 0), n-1)
		out[b].Count += d.w[i]
	}
	return out
}
