package gbdt

import "math"

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

// groupScratch is scanGroup's working memory: the gains of a group's
// scans step by step (scanGroupFast), or, in Go, the running sums of its
// features and one feature's gains.
type groupScratch struct {
	fg, bg   [groupFeats * (histBins + 1)]float32
	fwd, bwd [groupFeats][histBins]bucket
	gains    [histBins]float32
}

// denseNode reports whether a node with rows rows should scan its
// features with scanGroup rather than list their non-empty bins first
// (scanL2): with about as many rows as bins most bins are filled and the
// list saves little.
func denseNode(rows int) bool { return rows >= histBins }

// groupable reports whether feature f's split scan can go in a group: a
// numerical feature whose value bins are many enough to be worth it and
// few enough for the scratch.
func (gr *grower) groupable(f int) bool {
	nb := len(gr.b.cuts[f].cut)
	return nb > compactBins && nb <= histBins && (gr.b.categorical == nil || !gr.b.categorical[f])
}

// scanGroup is scanL2 for features fs (one to groupFeats, each groupable,
// all with nb value bins) of the node whose histogram is hist, in fs'
// order.
func (gr *grower) scanGroup(sc *groupScratch, fs []int, nb int, hist []bucket, G, H float64, parent float32, best *split) {
	var hs [groupFeats][]bucket
	for k := range hs {
		f := fs[min(k, len(fs)-1)] // a short group repeats its last feature
		hs[k] = hist[gr.b.offset[f] : gr.b.offset[f]+nb]
	}
	c := [6]float64{G, H, gr.p.MinChildWeight, gr.p.Alpha, gr.p.Lambda, float64(parent)}
	fwdTop, bwdTop, tot, ok := scanGroupFast(&hs, nb, &c, sc)
	if !ok {
		gr.scanGroupGo(sc, fs, hs, nb, &c, best)
		return
	}
	for k, f := range fs {
		// The first strictly best candidate is the first step with the
		// largest gain; its sums are added again, in the scan's order.
		if top := fwdTop[k]; top > best.gain {
			i := stepOf(sc.fg[:4*nb], k, top)
			var s bucket
			for _, b := range hs[k][:i+1] {
				s.g += b.g
				s.h += b.h
			}
			*best = split{gain: top, feature: f, bin: i, gl: s.g, hl: s.h, gr: G - s.g, hr: H - s.h}
		}
		// XGBoost's SplitContainsMissingValues (see evaluate).
		if tot[k].g == G && tot[k].h == H {
			continue
		}
		if top := bwdTop[k]; top > best.gain {
			i := nb - 1 - stepOf(sc.bg[:4*nb], k, top)
			var s bucket
			for j := nb - 1; j >= i; j-- {
				s.g += hs[k][j].g
				s.h += hs[k][j].h
			}
			*best = split{gain: top, feature: f, bin: i - 1, defaultLeft: true, gl: G - s.g, hl: H - s.h, gr: s.g, hr: s.h}
		}
	}
}

// stepOf is the first step j whose gain of feature k (gains[4j+k]) is top.
func stepOf(gains []float32, k int, top float32) int {
	for j := k; j < len(gains); j += groupFeats {
		if gains[j] == top {
			return j / groupFeats
		}
	}
	panic("gbdt: stepOf: top is not among the gains")
}

// max32 is the larger of a and b (neither NaN).
func max32(a, b float32) float32 {
	if b > a {
		return b
	}
	return a
}

// scanGroupGo is scanGroup in Go: each feature's running sums both ways,
// then its gains and the first strictly best, feature by feature.
func (gr *grower) scanGroupGo(sc *groupScratch, fs []int, hs [groupFeats][]bucket, nb int, c *[6]float64, best *split) {
	G, H := c[0], c[1]
	runSums(&hs, sc, nb)
	gains := sc.gains[:nb]
	for k, f := range fs {
		s := sc.fwd[k][:nb]
		top := pairGains(s, gains, c)
		if i := firstBest(gains, top, best.gain); i >= 0 {
			*best = split{gain: top, feature: f, bin: i, gl: s[i].g, hl: s[i].h, gr: G - s[i].g, hr: H - s[i].h}
		}
		// XGBoost's SplitContainsMissingValues (see evaluate).
		if s[nb-1].g == G && s[nb-1].h == H {
			continue
		}
		s = sc.bwd[k][:nb]
		top = pairGains(s, gains, c)
		if i := lastBest(gains, top, best.gain); i >= 0 {
			*best = split{gain: top, feature: f, bin: i - 1, defaultLeft: true, gl: G - s[i].g, hl: H - s[i].h, gr: s[i].g, hr: s[i].h}
		}
	}
}

// runSums sets, for four features' value bins src (n each), sc.fwd[k][i]
// to the running sum of src[k]'s bins 0 to i and sc.bwd[k][i] to that of
// its bins n−1 down to i, each sum added in scan order from +0.
func runSums(src *[groupFeats][]bucket, sc *groupScratch, n int) {
	for k := range src {
		if len(src[k]) < n || n > histBins {
			panic("gbdt: runSums: inconsistent buffers")
		}
	}
	var f, b [groupFeats]bucket
	for i := range n {
		j := n - 1 - i
		for k := range src {
			f[k].g += src[k][i].g
			f[k].h += src[k][i].h
			sc.fwd[k][i] = f[k]
			b[k].g += src[k][j].g
			b[k].h += src[k][j].h
			sc.bwd[k][j] = b[k]
		}
	}
}

// pairGains is splitGains with each side's sums as buckets: out[i] is the
// gain with s[i] on one side. It returns the largest gain, NaN left out.
func pairGains(s []bucket, out []float32, c *[6]float64) float32 {
	top := float32(math.Inf(-1))
	G, H, mcw, alpha, lambda, parent := c[0], c[1], c[2], c[3], c[4], float32(c[5])
	s = s[:len(out)]
	for i := range out {
		g, h := s[i].g, s[i].h
		bg, bh := G-g, H-h
		out[i] = float32(math.Inf(-1))
		if h >= mcw && bh >= mcw {
			out[i] = gainL2(g, h, mcw, alpha, lambda) + gainL2(bg, bh, mcw, alpha, lambda) - parent
		}
		if out[i] > top {
			top = out[i]
		}
	}
	return top
}
