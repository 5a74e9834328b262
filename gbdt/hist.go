package gbdt

import (
	"math"
	"math/bits"
	"slices"
	"sync"
)

// missFix tells buildHist the missing cells of the overflow features
// (binned.overflow), whose bin id 255 is shared with their last value
// bin: rows has a bit set per row with such a missing cell, bits[f] per
// missing cell of feature f (nil for other features), feats lists the
// overflow features, and slot is the first missing slot (feature f's is
// slot+f).
type missFix struct {
	rows  []uint64
	bits  [][]uint64
	feats []int
	slot  int
	// patID[r] is the index in pats of flagged row r's pattern (bit k:
	// feats[k] is missing), nil with more than 64 overflow features or
	// more than maxPatterns patterns.
	patID []uint16
	pats  []uint64
	// scratch holds buildHist's buffers (*histScratch), reused from call
	// to call: a training makes thousands of calls, and fresh buffers
	// per call were gigabytes of garbage on 10M rows (the peak memory).
	scratch sync.Pool
}

// histScratch is one buildHist call's working memory.
type histScratch struct {
	plain, group []int32
	flagged      []int
	moved        []int
	loc          []int32 // all -1 between calls
	pats         []uint64
	start, pos   []int
	ids          []uint16
}

// maxPatterns is the most missing-cell patterns missFix.patID numbers.
const maxPatterns = 1024

// pattern is flagged row r's pattern: bit k is set if feats[k] is missing.
func (fix *missFix) pattern(r int32) uint64 {
	var pat uint64
	for k, f := range fix.feats {
		pat |= (fix.bits[f][r>>6] >> (r & 63) & 1) << k
	}
	return pat
}

// patterns numbers the flagged rows' patterns once, so that the histogram
// passes need not compute them for every node.
func (fix *missFix) patterns(rows int) {
	if len(fix.feats) > 64 {
		return
	}
	id := make([]uint16, rows)
	seen := map[uint64]uint16{}
	var pats []uint64
	for w, word := range fix.rows {
		for word != 0 {
			r := int32(w*64 + bits.TrailingZeros64(word))
			word &= word - 1
			pat := fix.pattern(r)
			i, ok := seen[pat]
			if !ok {
				if len(pats) == maxPatterns {
					return
				}
				i = uint16(len(pats))
				seen[pat] = i
				pats = append(pats, pat)
			}
			id[r] = i
		}
	}
	fix.patID, fix.pats = id, pats
}

// rowKernel adds gradient pairs into a histogram: histRowsGo or, for
// byte bins, histRowsByte. gh is by row id. cols, when not nil, lists the
// only columns to visit (increasing; offset is still by column).
type rowKernel[B binID] func(hist []bucket, rows []int32, bins []B, offset, cols []int, gh []gradPair, stride int)

// buildHist adds the rows' gradient pairs into hist by bin: gh[r] is the
// pair of row r (the kernels gather them: the partition moves row ids
// only), offset[f] feature f's first slot (len(offset) is cols+1).
// hist's length is a power of two covering every slot, so masking the
// index (a no-op) spares the bounds check. Without fix,
// every slot gets its additions in row order, whatever the kernel; only
// the slots of the columns in feats are written if it is not nil (a
// tree's features, increasing: the other slots are left as they are).
// With fix (byte bins), the missing cells of overflow features go
// straight to their missing slots, and feats must be nil.
func buildHist[B binID](hist []bucket, rows []int32, bins []B, offset, feats []int, gh []gradPair, fix *missFix, kernel rowKernel[B]) {
	cols := len(offset) - 1
	offs := offset[:cols]
	const block = 4096
	if fix == nil {
		if len(rows) == 0 {
			return
		}
		kernel(hist, rows, bins, offs, feats, gh, cols)
		return
	}
	if feats != nil {
		panic("gbdt: buildHist: a column list with overflow features")
	}
	// Block by block, the unflagged rows are gathered and go through the
	// kernel in one call; then the flagged rows, grouped by which
	// overflow features they miss, go through it one group at a time,
	// with those features' offsets moved so that their bin 255 lands in
	// their missing slot. (Each slot still sums exactly its rows, in
	// another order.)
	sc, _ := fix.scratch.Get().(*histScratch)
	if sc == nil {
		sc = &histScratch{plain: make([]int32, block), group: make([]int32, block), flagged: make([]int, block), moved: make([]int, cols)}
		if fix.patID != nil {
			sc.loc = make([]int32, len(fix.pats))
			for i := range sc.loc {
				sc.loc[i] = -1
			}
		}
	}
	defer fix.scratch.Put(sc)
	plain, flagged, group, moved := sc.plain, sc.flagged, sc.group, sc.moved[:cols]
	pats, start, pos, ids := sc.pats[:0], sc.start[:0], sc.pos[:0], sc.ids[:0]
	loc := sc.loc // with patID: pattern id's group in the block, or -1
	defer func() { sc.pats, sc.start, sc.pos, sc.ids = pats, start, pos, ids }()
	for lo := 0; lo < len(rows); lo += block {
		hi := min(lo+block, len(rows))
		// Branch-free: every row is written to both lists, and only
		// one list's end moves.
		np, nf := 0, 0
		for i, r := range rows[lo:hi] {
			bit := int(fix.rows[r>>6]>>(r&63)) & 1
			plain[np] = r
			flagged[nf] = lo + i
			np += 1 - bit
			nf += bit
		}
		kernel(hist, plain[:np], bins, offs, nil, gh, cols)
		if len(fix.feats) > 64 {
			for _, i := range flagged[:nf] {
				r := rows[i]
				copy(moved, offs)
				for _, f := range fix.feats {
					if fix.bits[f][r>>6]&(1<<(r&63)) != 0 {
						moved[f] = fix.slot + f - missingBin
					}
				}
				kernel(hist, rows[i:i+1], bins, moved, nil, gh, cols)
			}
			continue
		}
		// Group the flagged rows by pattern (bit k: fix.feats[k] is
		// missing), in row order within a group (a counting sort).
		pats = pats[:0]
		if loc != nil {
			// Numbered patterns, groups in order of first row as below.
			ids = ids[:0]
			for j, i := range flagged[:nf] {
				id := fix.patID[rows[i]]
				g := loc[id]
				if g < 0 {
					g = int32(len(pats))
					loc[id] = g
					pats = append(pats, fix.pats[id])
					ids = append(ids, id)
				}
				group[j] = g
			}
			for _, id := range ids {
				loc[id] = -1
			}
		} else {
			for j, i := range flagged[:nf] {
				pat := fix.pattern(rows[i])
				g := slices.Index(pats, pat)
				if g < 0 {
					g = len(pats)
					pats = append(pats, pat)
				}
				group[j] = int32(g)
			}
		}
		start = start[:0]
		for range len(pats) + 1 {
			start = append(start, 0)
		}
		for _, g := range group[:nf] {
			start[g+1]++
		}
		for g := range pats {
			start[g+1] += start[g]
		}
		pos = append(pos[:0], start[:len(pats)]...)
		for j, i := range flagged[:nf] {
			g := group[j]
			plain[pos[g]] = rows[i]
			pos[g]++
		}
		for g, pat := range pats {
			copy(moved, offs)
			for k, f := range fix.feats {
				if pat>>k&1 != 0 {
					moved[f] = fix.slot + f - missingBin
				}
			}
			kernel(hist, plain[start[g]:start[g+1]], bins, moved, nil, gh, cols)
		}
	}
}

// histRowsGo is the plain kernel: row r's bins start at bins[r*stride],
// offset[f] is the first slot of its f-th, gh[r] is its gradient pair. It
// visits every column f < len(offset), or only those in cols if cols is
// not nil (distinct, increasing: a tree's features). Two rows go through
// the columns together to overlap their updates.
func histRowsGo[B binID](hist []bucket, rows []int32, bins []B, offset, cols []int, gh []gradPair, stride int) {
	if cols != nil {
		histRowsColsGo(hist, rows, bins, offset, cols, gh, stride)
		return
	}
	n := len(offset)
	mask := len(hist) - 1
	i := 0
	for ; i+1 < len(rows); i += 2 {
		r0, r1 := rows[i], rows[i+1]
		p0, p1 := gh[r0], gh[r1]
		g0, h0 := float64(p0.g), float64(p0.h)
		g1, h1 := float64(p1.g), float64(p1.h)
		row0 := bins[int(r0)*stride : int(r0)*stride+n]
		row1 := bins[int(r1)*stride : int(r1)*stride+n]
		row1 = row1[:len(row0)]
		offs := offset[:len(row0)]
		for f, b := range row0 {
			off := offs[f]
			s := &hist[(off+int(b))&mask]
			s.g += g0
			s.h += h0
			s = &hist[(off+int(row1[f]))&mask]
			s.g += g1
			s.h += h1
		}
	}
	for ; i < len(rows); i++ {
		r := rows[i]
		g, h := float64(gh[r].g), float64(gh[r].h)
		for f, b := range bins[int(r)*stride : int(r)*stride+n] {
			s := &hist[(offset[f]+int(b))&mask]
			s.g += g
			s.h += h
		}
	}
}

// histRowsColsGo is histRowsGo over the columns in cols only.
func histRowsColsGo[B binID](hist []bucket, rows []int32, bins []B, offset, cols []int, gh []gradPair, stride int) {
	n := len(offset)
	mask := len(hist) - 1
	i := 0
	for ; i+1 < len(rows); i += 2 {
		r0, r1 := rows[i], rows[i+1]
		p0, p1 := gh[r0], gh[r1]
		g0, h0 := float64(p0.g), float64(p0.h)
		g1, h1 := float64(p1.g), float64(p1.h)
		row0 := bins[int(r0)*stride : int(r0)*stride+n]
		row1 := bins[int(r1)*stride : int(r1)*stride+n]
		for _, c := range cols {
			off := offset[c]
			s := &hist[(off+int(row0[c]))&mask]
			s.g += g0
			s.h += h0
			s = &hist[(off+int(row1[c]))&mask]
			s.g += g1
			s.h += h1
		}
	}
	for ; i < len(rows); i++ {
		r := rows[i]
		g, h := float64(gh[r].g), float64(gh[r].h)
		row := bins[int(r)*stride : int(r)*stride+n]
		for _, c := range cols {
			s := &hist[(offset[c]+int(row[c]))&mask]
			s.g += g
			s.h += h
		}
	}
}

// hasZeroPair reports whether some gradient pair is zero (both parts ±0).
func hasZeroPair(gh []gradPair) bool {
	for _, p := range gh {
		if p.g == 0 && p.h == 0 {
			return true
		}
	}
	return false
}

// liveRows writes to dst (as long as rows) the rows whose gradient pair is
// not zero, in order, and returns them. Adding a zero pair leaves every
// slot as it is (a slot's sum starts at +0 and never becomes −0, and
// s + ±0 = s otherwise), so the histograms are the same without those
// rows: a tree's rows out of its sample (subsample) have zero pairs.
func liveRows(dst, rows []int32, gh []gradPair) []int32 {
	dst = dst[:len(rows)]
	n := 0
	for _, r := range rows {
		p := gh[r]
		dst[n] = r
		// Branch-free: the sample is a coin toss per row. Bits other
		// than the signs: not ±0 (NaN included).
		n += b2i((math.Float32bits(p.g)|math.Float32bits(p.h))<<1 != 0)
	}
	return dst[:n]
}

// usedSlots is the number of histogram slots any pass writes: the
// features' slots (offset) and the overflow features' missing slots
// after them (missSlot+f). The rest of a buffer (the power-of-two
// padding, histLen) stays zero, so clearing and subtracting histograms
// stop there.
func (b *binned) usedSlots() int { return b.missSlot + b.cols }
