package gbdt

import "slices"

// The split scan of a node with many rows, four features at a time.
//
// scanL2's running sums are a chain of dependent float additions, one
// per bin: a feature's scan waits on the adder's latency at every bin.
// For a node whose features have most of their bins filled, scanGroup
// runs four features' chains side by side (eight independent sums, g and
// h of each), over every value bin, empty ones included: adding an empty
// bin (both sums ±0) to a running sum that starts at +0 leaves it as it
// was, so every non-empty bin's sums are scanL2's, and an empty bin's
// candidate repeats the previous one (or, before the first non-empty
// bin, puts every row on one side: gain 0 or NaN), which the first
// strictly best never takes. Gains and the choice then go feature by
// feature in evaluate's order, so the split is scanL2's.

// groupFeats is how many features scanGroup sums side by side.
const groupFeats = 4

// groupScratch is scanGroups' working memory: the candidates and
// positions of the node's features.
type groupScratch struct {
	cands []groupCand // by position in the node's features
	pos   []int
}

// denseNode reports whether a node with rows rows should scan its
// features with scanGroup rather than list their non-empty bins first
// (scanL2): with about as many rows as bins most bins are filled and the
// list saves little. Only where scanPairs4 runs: elsewhere every feature
// takes scanL2.
func denseNode(rows int) bool { return rows >= histBins && haveScanPairs4() }

// groupable reports whether feature f's split scan can go in a group: a
// numerical feature whose value bins are many enough to be worth it and
// few enough for the scratch.
func (gr *grower) groupable(f int) bool {
	nb := len(gr.b.cuts[f].cut)
	return nb > compactBins && nb <= histBins && (gr.b.categorical == nil || !gr.b.categorical[f])
}

// groupCand is a grouped feature's best candidates, found before the
// node's features are taken in order: the largest gain of each scan and
// the bin of its first step (-1: no gain above 0, so none that could
// become the best), and whether the backward scan counts (the value bins
// do not sum to the node's statistics: XGBoost's
// SplitContainsMissingValues).
type groupCand struct {
	grouped        bool
	fwdTop, bwdTop float32
	fwdBin, bwdBin int
	missing        bool
}

// scanGroups runs the split scans of the groupable features among feats
// four at a time (features with the same bin count, in feats' order; a
// feature left alone is not grouped) and returns their candidates by
// position in feats (sc.cands).
func (gr *grower) scanGroups(sc *groupScratch, feats []int, hist []bucket, G, H float64, parent float32) []groupCand {
	cands := sc.cands[:0]
	pos := sc.pos[:0]
	for p, f := range feats {
		cands = append(cands, groupCand{})
		if gr.groupable(f) {
			pos = append(pos, p)
		}
	}
	sc.cands, sc.pos = cands, pos
	nbOf := func(p int) int { return len(gr.b.cuts[feats[p]].cut) }
	slices.SortStableFunc(pos, func(a, b int) int { return nbOf(a) - nbOf(b) })
	c := [6]float64{G, H, gr.p.MinChildWeight, gr.p.Alpha, gr.p.Lambda, float64(parent)}
	for i := 0; i < len(pos); {
		nb := nbOf(pos[i])
		j := i + 1
		for j < len(pos) && j-i < groupFeats && nbOf(pos[j]) == nb {
			j++
		}
		if j-i > 1 {
			gr.scanGroup(feats, pos[i:j], nb, hist, &c, cands)
		}
		i = j
	}
	return cands
}

// scanGroup scans the features at positions ps of feats (two to
// groupFeats, all with nb value bins) and sets their candidates.
func (gr *grower) scanGroup(feats, ps []int, nb int, hist []bucket, c *[6]float64, cands []groupCand) {
	var hs [groupFeats][]bucket
	for k := range hs {
		f := feats[ps[min(k, len(ps)-1)]] // a short group repeats its last feature
		hs[k] = hist[gr.b.offset[f] : gr.b.offset[f]+nb]
	}
	G, H := c[0], c[1]
	fwd, bwd, tot := scanGroupFast(&hs, nb, c)
	for k, p := range ps {
		cand := groupCand{grouped: true, fwdTop: fwd[k].top, bwdTop: bwd[k].top, fwdBin: -1, bwdBin: -1,
			missing: tot[k].g != G || tot[k].h != H}
		if cand.fwdTop > 0 {
			cand.fwdBin = fwd[k].step
		}
		if cand.bwdTop > 0 {
			cand.bwdBin = nb - 1 - bwd[k].step
		}
		cands[p] = cand
	}
}

// applyGroupCand updates best with grouped feature f's candidates (of its
// nb value bins hf), as the scans in order would: the forward one, then,
// when it counts, the backward one, each only if strictly better. A
// candidate's sums are added again in its scan's order.
func applyGroupCand(c *groupCand, f int, hf []bucket, G, H float64, best *split) {
	if c.fwdBin >= 0 && c.fwdTop > best.gain {
		var s bucket
		for _, b := range hf[:c.fwdBin+1] {
			s.g += b.g
			s.h += b.h
		}
		*best = split{gain: c.fwdTop, feature: f, bin: c.fwdBin, gl: s.g, hl: s.h, gr: G - s.g, hr: H - s.h}
	}
	if !c.missing {
		return
	}
	if i := c.bwdBin; i >= 0 && c.bwdTop > best.gain {
		var s bucket
		for j := len(hf) - 1; j >= i; j-- {
			s.g += hf[j].g
			s.h += hf[j].h
		}
		*best = split{gain: c.bwdTop, feature: f, bin: i - 1, defaultLeft: true, gl: G - s.g, hl: H - s.h, gr: s.g, hr: s.h}
	}
}

// stepTop is a scan's largest gain and the first step that had it.
type stepTop struct {
	top  float32
	step int
}
