package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/ferryml/ferry/tree"
)

// histBins is the most histogram slots of a byte-binned feature: up to
// 256 value bins, or 255 value bins and the missing slot (overflow
// features keep their missing slot at binned.missSlot+f). A feature with
// fewer bins has its value bins and a missing slot (binned.offset).
const histBins = 256

// bucket is one histogram slot: gradient and hessian sums.
type bucket struct{ g, h float64 }

// split is the best split found for a node.
type split struct {
	gain        float32
	feature     int
	bin         int // rows with bin <= this go left (-1: only missing)
	defaultLeft bool
	// categorical: rows whose bin is in cats go right (categorical.go).
	categorical bool
	cats        catSet
	gl, hl      float64
	gr, hr      float64
}

// growNode is a node being grown.
type growNode struct {
	id         int
	depth      int
	begin, end int // segment of the row index
	buf        int // which of grower.rowIdx (and ghPos) holds the segment
	g, h       float64
	hist       []bucket // binned.offset's slots, nil once released
	best       split
	evaluated  bool
	scan       bool  // to be evaluated (with features)
	features   []int // features allowed at this node's level
}

// grower grows one tree at a time on a binned matrix.
type grower struct {
	p       *Params
	b       *binned
	threads int
	// rowIdx holds each node's rows (ascending) in its segment, in one
	// of three buffers (growNode.buf): the root's rows are rowIdx[2],
	// all rows in order, written once; the partition reads a node's
	// segment from one buffer and writes its children's to another
	// (otherBuf), so no copy back. Only row ids move; the histogram
	// kernels read the gradient pairs by row id.
	rowIdx [3][]int32
	gh     []gradPair // current tree's gradients, one per row
	// rightIdx takes the right rows of a partition chunk before they
	// are copied after the node's left rows.
	rightIdx []int32
	// rootSums, when Train sets it, are the sums of gh by rootChunk
	// rows, computed with the gradients (while each chunk is in cache);
	// grow uses them for its tree's root and clears them.
	rootSums []bucket
	pool     [][]bucket
	groups   []*groupScratch // scanGroup's scratch, one per evaluation at a time
	poolMu   sync.Mutex
	rng      *rand.Rand
	allFeat  []int
	// zeroGH: some of the current tree's gradient pairs are zero (rows
	// out of its sample): buildHists leaves them out (liveRows).
	zeroGH bool
	// spans are the histogram slot ranges of the current tree's
	// features (value slots and missing slots, merged where adjacent):
	// the only slots getHist clears and expand subtracts. The other
	// features' slots may hold anything; no scan reads them (nil: all
	// of binned.usedSlots).
	spans [][2]int
	// histCols are the current tree's features, increasing, when spans
	// is not nil: the only columns the byte kernel visits (without
	// overflow features; nil: every column).
	histCols []int
	// unitCols are the unit layout's rest columns of the current tree's
	// features (unitLayout.restList of histCols): the only ones histSlots
	// visits (nil: every rest column).
	unitCols []int

	// output tree, and where its leaf values go
	t   tree.Tree
	out leafOut
	// scratch holds the arrays of the last tree grown depth first:
	// the next one adds its nodes there (renumber copies them out).
	scratch tree.Tree
}

func newGrower(p *Params, b *binned, rng *rand.Rand) *grower {
	g := &grower{p: p, b: b, threads: p.threads(), gh: make([]gradPair, b.rows), rng: rng,
		rowIdx:   [3][]int32{make([]int32, b.rows), make([]int32, b.rows), make([]int32, b.rows)},
		rightIdx: make([]int32, b.rows)}
	for i := range g.rowIdx[2] {
		g.rowIdx[2][i] = int32(i)
	}
	for f := range b.cols {
		if len(b.cuts[f].cut) > 0 {
			g.allFeat = append(g.allFeat, f)
		}
	}
	return g
}

func (gr *grower) getHist() []bucket {
	gr.poolMu.Lock()
	defer gr.poolMu.Unlock()
	if n := len(gr.pool); n > 0 {
		h := gr.pool[n-1]
		gr.pool = gr.pool[:n-1]
		if gr.spans == nil {
			clear(h[:gr.b.usedSlots()]) // no kernel writes past them
		}
		for _, sp := range gr.spans {
			clear(h[sp[0]:sp[1]])
		}
		return h
	}
	// histBins more: any byte bin of any feature is inside (the
	// assembly kernel relies on it).
	return make([]bucket, histLen(gr.b.missSlot+gr.b.cols+histBins))
}

// groupScratch returns a scanGroup scratch from the grower's pool.
func (gr *grower) groupScratch() *groupScratch {
	gr.poolMu.Lock()
	defer gr.poolMu.Unlock()
	if n := len(gr.groups); n > 0 {
		sc := gr.groups[n-1]
		gr.groups = gr.groups[:n-1]
		return sc
	}
	return new(groupScratch)
}

func (gr *grower) putGroupScratch(sc *groupScratch) {
	gr.poolMu.Lock()
	gr.groups = append(gr.groups, sc)
	gr.poolMu.Unlock()
}

func (gr *grower) putHist(h []bucket) {
	if h == nil {
		return
	}
	gr.poolMu.Lock()
	gr.pool = append(gr.pool, h)
	gr.poolMu.Unlock()
}

// dropHist gives nd's histogram (if any) back to the pool: nd is a leaf,
// or its children's histograms are not needed.
func (gr *grower) dropHist(nd *growNode) {
	gr.putHist(nd.hist)
	nd.hist = nil
}

// parallel runs fn(i) for i in [0, n) on the grower's threads.
func (gr *grower) parallel(n int, fn func(i int)) {
	if n == 1 || gr.threads == 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range min(gr.threads, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// histLen is the histogram buffer length for slots slots (the features'
// slots, binned.offset, and one missing slot per feature after them,
// binned.missSlot), rounded up to a power of two (see buildHist).
func histLen(slots int) int {
	n := 1
	for n < slots {
		n <<= 1
	}
	return n
}

// histTask is a histogram to build for a node, possibly in row chunks.
type histTask struct {
	node  *growNode
	parts [][]bucket
}

// minChunkRows is the smallest row chunk worth a goroutine; histChunkRows
// the row chunk of one partial histogram.
const (
	minChunkRows  = 1 << 14
	histChunkRows = 1 << 16
)

// buildHists builds the histograms of nodes, chunking large nodes over the
// threads and reducing the partial histograms.
func (gr *grower) buildHists(nodes []*growNode) {
	type job struct {
		hist []bucket
		rows []int32
	}
	var jobs []job
	units := gr.b.derived.unitLayout(gr.b)
	if len(nodes) == 1 && nodes[0].id == 0 {
		gr.zeroGH = hasZeroPair(gr.gh)
	}
	tasks := make([]histTask, len(nodes))
	for i, nd := range nodes {
		nd.hist = gr.getHist()
		rows := gr.rowIdx[nd.buf][nd.begin:nd.end]
		// The chunking depends on the row count only, never on the
		// thread count, so float sums (and models) are the same
		// whatever nthread is.
		chunks := 1
		if len(rows) >= 2*histChunkRows {
			chunks = (len(rows) + histChunkRows - 1) / histChunkRows
		}
		tasks[i].node = nd
		step := (len(rows) + chunks - 1) / chunks
		for c := 0; c < chunks; c++ {
			h := nd.hist
			if c > 0 {
				h = gr.getHist()
				tasks[i].parts = append(tasks[i].parts, h)
			}
			lo, hi := c*step, min((c+1)*step, len(rows))
			jobs = append(jobs, job{h, rows[lo:hi]})
		}
	}
	// Biggest jobs first for balance.
	slices.SortStableFunc(jobs, func(a, b job) int { return len(b.rows) - len(a.rows) })
	gr.parallel(len(jobs), func(i int) { gr.addRows(jobs[i].hist, jobs[i].rows, units) })
	for _, t := range tasks {
		if len(t.parts) == 0 {
			continue
		}
		dst := t.node.hist
		cols := gr.b.cols
		gr.parallel(gr.threads, func(w int) {
			lo, hi := gr.b.offset[w*cols/gr.threads], gr.b.offset[(w+1)*cols/gr.threads]
			for _, p := range t.parts {
				for j := lo; j < hi; j++ {
					dst[j].g += p[j].g
					dst[j].h += p[j].h
				}
			}
		})
		for _, p := range t.parts {
			gr.putHist(p)
		}
	}
}

// addRows adds rows' gradient pairs into hist with the kernel for the
// matrix (units: its unit layout, or nil), leaving out zero pairs.
func (gr *grower) addRows(hist []bucket, rows []int32, units *unitLayout) {
	if gr.zeroGH {
		buf := gr.b.derived.rowBuf(len(rows))
		defer gr.b.derived.putRowBuf(buf)
		rows = liveRows(*buf, rows, gr.gh)
	}
	switch {
	case units != nil:
		units.build(hist, rows, gr.gh, gr.unitCols)
	case gr.b.wide:
		buildHist(hist, rows, gr.b.bins16, gr.b.offset, nil, gr.gh, nil, histRowsGo[uint16])
	case gr.b.fix != nil:
		buildHist(hist, rows, gr.b.bins8, gr.b.offset, nil, gr.gh, gr.b.fix, histRowsByte)
	default:
		buildHist(hist, rows, gr.b.bins8, gr.b.offset, gr.histCols, gr.gh, nil, histRowsByte)
	}
}

// thresholdL1 is XGBoost's T_α.
func thresholdL1(g, alpha float64) float64 {
	switch {
	case g > alpha:
		return g - alpha
	case g < -alpha:
		return g + alpha
	}
	return 0
}

// weight is XGBoost's CalcWeight.
func (gr *grower) weight(g, h float64) float64 {
	p := gr.p
	if h < p.MinChildWeight || h <= 0 {
		return 0
	}
	w := -thresholdL1(g, p.Alpha) / (h + p.Lambda)
	if p.MaxDeltaStep != 0 && math.Abs(w) > p.MaxDeltaStep {
		w = math.Copysign(p.MaxDeltaStep, w)
	}
	return w
}

// gain is XGBoost's CalcGain, in float32 as its split evaluator returns it.
func (gr *grower) gain(g, h float64) float32 {
	p := gr.p
	if p.MaxDeltaStep == 0 {
		return gainL2(g, h, p.MinChildWeight, p.Alpha, p.Lambda)
	}
	if h < p.MinChildWeight || h <= 0 {
		return 0
	}
	w := gr.weight(g, h)
	return float32(-(2*g*w + (h+p.Lambda)*w*w))
}

// gainL2 is gain without max_delta_step, small enough to inline into the
// split scans.
func gainL2(g, h, mcw, alpha, lambda float64) float32 {
	if h < mcw || h <= 0 {
		return 0
	}
	t := thresholdL1(g, alpha)
	return float32(t*t) / float32(h+lambda)
}

// evaluate finds the node's best split over the allowed features.
func (gr *grower) evaluate(nd *growNode, feats []int) {
	nd.evaluated = true
	nd.best = split{feature: -1}
	if gr.unsplittable(nd.h) {
		return
	}
	mcw := gr.p.MinChildWeight
	parent := gr.gain(nd.g, nd.h)
	G, H := nd.g, nd.h
	best := &nd.best
	var sc scanScratch
	var cands []groupCand
	if gr.p.MaxDeltaStep == 0 && denseNode(nd.end-nd.begin) {
		gs := gr.groupScratch()
		defer gr.putGroupScratch(gs)
		cands = gr.scanGroups(gs, feats, nd.hist, G, H, parent)
	}
	for i, f := range feats {
		nb := len(gr.b.cuts[f].cut)
		if cands != nil && cands[i].grouped {
			applyGroupCand(&cands[i], f, nd.hist[gr.b.offset[f]:gr.b.offset[f]+nb], G, H, best)
			continue
		}
		hf := nd.hist[gr.b.offset[f] : gr.b.offset[f]+nb]
		if gr.b.categorical != nil && gr.b.categorical[f] {
			gr.evaluateCategorical(nd, f, hf, parent, best)
			continue
		}
		if gr.p.MaxDeltaStep == 0 {
			gr.scanL2(&sc, f, hf, G, H, parent, best)
			continue
		}
		var gl, hl float64
		for b := range nb {
			gl += hf[b].g
			hl += hf[b].h
			gr_, hr := G-gl, H-hl
			if hl >= mcw && hr >= mcw {
				gain := gr.gain(gl, hl) + gr.gain(gr_, hr) - parent
				if gain > best.gain {
					*best = split{gain: gain, feature: f, bin: b, gl: gl, hl: hl, gr: gr_, hr: hr}
				}
			}
		}
		// XGBoost's SplitContainsMissingValues: the backward pass runs
		// unless the value bins sum to the node's statistics exactly
		// (float rounding can make it run for a feature without missing
		// values; with weights 0 it can skip one with missing rows).
		if gl == G && hl == H {
			continue
		}
		var gR, hR float64
		for b := nb - 1; b >= 0; b-- {
			gR += hf[b].g
			hR += hf[b].h
			gL, hL := G-gR, H-hR
			if hL >= mcw && hR >= mcw {
				gain := gr.gain(gL, hL) + gr.gain(gR, hR) - parent
				if gain > best.gain {
					*best = split{gain: gain, feature: f, bin: b - 1, defaultLeft: true, gl: gL, hl: hL, gr: gR, hr: hR}
				}
			}
		}
	}
}

// scanL2 is evaluate's two passes over feature f's value bins hf without
// max_delta_step: the same sums, gains and comparisons, with the gain
// inlined, and empty bins skipped. An empty bin (both sums zero) leaves
// the running sums as they were (they start at +0 and never become −0),
// so its candidate is the previous bin's again, whose gain is not
// greater than best.gain, or the first bin's, all rows on one side, whose
// gain is gain(0,0)+parent−parent = 0 (or NaN), never above best.gain ≥ 0.
func (gr *grower) scanL2(sc *scanScratch, f int, hf []bucket, G, H float64, parent float32, best *split) {
	if len(hf) <= compactBins || len(hf) > histBins {
		gr.scanL2Bins(f, hf, G, H, parent, best)
		return
	}
	// The non-empty bins first, branch-free (empty and non-empty bins
	// alternate unpredictably in a small node's dense feature), then the
	// scans over them only. (Not for few bins: there the branches cost
	// less than the list.)
	idx := &sc.idx
	done, k := nonEmptyFast(hf, idx) // eight at a time where it runs
	for b := done; b < len(hf); b++ {
		hb := hf[b]
		idx[k&(histBins-1)] = int32(b)
		k += b2i((math.Float64bits(hb.g)|math.Float64bits(hb.h))<<1 != 0)
	}
	gr.scanL2Vec(sc, f, hf, idx[:k], G, H, parent, best)
}

// scanScratch is the split scans' working memory, one per node's
// evaluation (zeroed once for all its features, not per feature).
type scanScratch struct {
	idx    [histBins]int32
	sg, sh [histBins]float64
	gains  [histBins]float32
}

// scanL2Vec is scanL2's two scans over the non-empty bins nz in three
// steps each: the running sums in bin order (as the scans add them),
// every candidate's gain at once (splitGains: eight per instruction where
// gains8 runs), then the first strictly best candidate in scan order. A
// candidate's gain is the scan's (gainL2 of both sides minus parent; the
// float32 sum of the two sides is the same in either order), so is the
// split.
func (gr *grower) scanL2Vec(sc *scanScratch, f int, hf []bucket, nz []int32, G, H float64, parent float32, best *split) {
	sg, sh, gains := &sc.sg, &sc.sh, &sc.gains
	n := len(nz)
	c := [6]float64{G, H, gr.p.MinChildWeight, gr.p.Alpha, gr.p.Lambda, float64(parent)}
	var gl, hl float64
	for i, b := range nz {
		hb := hf[b]
		gl += hb.g
		hl += hb.h
		sg[i], sh[i] = gl, hl
	}
	top := splitGains(sg[:n], sh[:n], gains[:n], &c)
	if i := firstBest(gains[:n], top, best.gain); i >= 0 {
		*best = split{gain: top, feature: f, bin: int(nz[i]), gl: sg[i], hl: sh[i], gr: G - sg[i], hr: H - sh[i]}
	}
	// XGBoost's SplitContainsMissingValues (see evaluate).
	if gl == G && hl == H {
		return
	}
	var gR, hR float64
	for i := n - 1; i >= 0; i-- {
		hb := hf[nz[i]]
		gR += hb.g
		hR += hb.h
		sg[i], sh[i] = gR, hR
	}
	top = splitGains(sg[:n], sh[:n], gains[:n], &c)
	if i := lastBest(gains[:n], top, best.gain); i >= 0 {
		*best = split{gain: top, feature: f, bin: int(nz[i]) - 1, defaultLeft: true, gl: G - sg[i], hl: H - sh[i], gr: sg[i], hr: sh[i]}
	}
}

// splitGains sets out[i] to the gain of the split with sums (ag[i],
// ah[i]) on one side and the rest of c's node sums on the other, or -Inf
// where a side's hessian is under min_child_weight. c: G, H,
// min_child_weight, alpha, lambda, parent gain. It returns the largest
// gain, NaN left out (-Inf if there is none).
func splitGains(ag, ah []float64, out []float32, c *[6]float64) float32 {
	done, top := splitGainsFast(ag, ah, out, c)
	G, H, mcw, alpha, lambda, parent := c[0], c[1], c[2], c[3], c[4], float32(c[5])
	ag, ah = ag[:len(out)], ah[:len(out)]
	for i := done; i < len(out); i++ {
		g, h := ag[i], ah[i]
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

// firstBest is where a scan over gains in order, taking each gain
// greater than the best so far (from best), ends: the first index of the
// largest gain top (splitGains' result), or -1 if top is not above best.
func firstBest(gains []float32, top, best float32) int {
	if !(top > best) {
		return -1
	}
	return slices.Index(gains, top)
}

// lastBest is firstBest for a scan from the last gain to the first: the
// last index of top.
func lastBest(gains []float32, top, best float32) int {
	if !(top > best) {
		return -1
	}
	for i := len(gains) - 1; i >= 0; i-- {
		if gains[i] == top {
			return i
		}
	}
	panic("gbdt: lastBest: top is not among the gains")
}

// compactBins is the most bins scanL2 scans as they come (scanL2Bins).
const compactBins = 32

// scanL2Bins is scanL2 for features with few bins or more than histBins
// (16-bit bins): the same scans, skipping empty bins as they come.
func (gr *grower) scanL2Bins(f int, hf []bucket, G, H float64, parent float32, best *split) {
	mcw, alpha, lambda := gr.p.MinChildWeight, gr.p.Alpha, gr.p.Lambda
	var gl, hl float64
	for b, hb := range hf {
		if hb.g == 0 && hb.h == 0 {
			continue
		}
		gl += hb.g
		hl += hb.h
		gr_, hr := G-gl, H-hl
		if hl >= mcw && hr >= mcw {
			gain := gainL2(gl, hl, mcw, alpha, lambda) + gainL2(gr_, hr, mcw, alpha, lambda) - parent
			if gain > best.gain {
				*best = split{gain: gain, feature: f, bin: b, gl: gl, hl: hl, gr: gr_, hr: hr}
			}
		}
	}
	// XGBoost's SplitContainsMissingValues (see evaluate).
	if gl == G && hl == H {
		return
	}
	var gR, hR float64
	for b := len(hf) - 1; b >= 0; b-- {
		hb := hf[b]
		if hb.g == 0 && hb.h == 0 {
			continue
		}
		gR += hb.g
		hR += hb.h
		gL, hL := G-gR, H-hR
		if hL >= mcw && hR >= mcw {
			gain := gainL2(gL, hL, mcw, alpha, lambda) + gainL2(gR, hR, mcw, alpha, lambda) - parent
			if gain > best.gain {
				*best = split{gain: gain, feature: f, bin: b - 1, defaultLeft: true, gl: gL, hl: hL, gr: gR, hr: hR}
			}
		}
	}
}

// unsplittable reports whether a node with hessian sum h has no split
// that evaluate would consider: every candidate needs both sides' sums at
// least min_child_weight, one side summed (x) and the other h − x rounded,
// and fl(h−x) ≥ mcw with x ≥ mcw needs h ≥ mcw·(2−2⁻⁵³). Such a node
// needs no histogram and no scan. (Not with categorical features, whose
// evaluation is left as it is.)
func (gr *grower) unsplittable(h float64) bool {
	return gr.b.categorical == nil && h < gr.p.MinChildWeight*(2-1e-9)
}

// valid is XGBoost's CPUExpandEntry::IsValid, without the depth/leaf
// limits.
func (gr *grower) valid(nd *growNode) bool {
	s := nd.best
	return s.feature >= 0 && s.gain > 1e-6 && s.hl != 0 && s.hr != 0 && float64(s.gain) >= gr.p.Gamma
}

// sample draws max(1, floor(frac·len)) of feats without replacement,
// keeping their order.
func (gr *grower) sample(feats []int, frac float64) []int {
	if frac >= 1 || len(feats) == 0 {
		return feats
	}
	k := max(1, int(frac*float64(len(feats))))
	perm := gr.rng.Perm(len(feats))[:k]
	slices.Sort(perm)
	out := make([]int, k)
	for i, j := range perm {
		out[i] = feats[j]
	}
	return out
}

// addNode appends a node to the output tree and returns its id.
func (gr *grower) addNode(g, h float64) int {
	t := &gr.t
	id := len(t.Left)
	t.Left = append(t.Left, -1)
	t.Right = append(t.Right, -1)
	t.Feature = append(t.Feature, 0)
	t.Threshold = append(t.Threshold, 0)
	t.DefaultLeft = append(t.DefaultLeft, false)
	t.Value = append(t.Value, gr.weight(g, h))
	t.Cover = append(t.Cover, h)
	t.Gain = append(t.Gain, 0)
	if t.Categories != nil {
		t.Categories = append(t.Categories, nil)
	}
	return id
}

// partition splits each node's row segment in two (stable), left rows
// first, into the other row buffer (the children's buf is 1-nd.buf),
// and returns the left counts.
func (gr *grower) partition(nodes []*growNode) []int {
	counts := make([]int, len(nodes))
	type job struct {
		node   int
		lo, hi int
		nl     int
	}
	var jobs []job
	for i, nd := range nodes {
		n := nd.end - nd.begin
		chunks := 1
		if gr.threads > 1 && n >= 2*minChunkRows {
			chunks = min(gr.threads*2, n/minChunkRows)
		}
		step := (n + chunks - 1) / chunks
		for c := range chunks {
			jobs = append(jobs, job{node: i, lo: nd.begin + c*step, hi: min(nd.begin+(c+1)*step, nd.end)})
		}
	}
	gr.parallel(len(jobs), func(j int) {
		jb := &jobs[j]
		nd := nodes[jb.node]
		jb.nl = gr.partitionSplit(&nd.best, nd.buf, jb.lo, jb.hi) - jb.lo
	})
	// Gather, in the other buffer: each node's left rows (chunk order;
	// the first chunk's are in place already), then its right rows
	// (chunk order) from rightIdx. The left rows move first, node by
	// node in chunk order (a move can overlap the next chunk's rows),
	// then the right rows, which may land where left rows were.
	type copyJob struct{ to, src, dst, n int }
	var lefts [][]copyJob
	var rights []copyJob
	for i, nd := range nodes {
		pos := nd.begin
		var moves []copyJob
		for _, jb := range jobs {
			if jb.node == i {
				if jb.lo != pos {
					moves = append(moves, copyJob{otherBuf(nd.buf), jb.lo, pos, jb.nl})
				}
				pos += jb.nl
				counts[i] += jb.nl
			}
		}
		if len(moves) > 0 {
			lefts = append(lefts, moves)
		}
		for _, jb := range jobs {
			if jb.node == i {
				nr := jb.hi - jb.lo - jb.nl
				rights = append(rights, copyJob{otherBuf(nd.buf), jb.lo, pos, nr})
				pos += nr
			}
		}
	}
	gr.parallel(len(lefts), func(j int) {
		for _, c := range lefts[j] {
			to := c.to
			copy(gr.rowIdx[to][c.dst:c.dst+c.n], gr.rowIdx[to][c.src:c.src+c.n])
		}
	})
	gr.parallel(len(rights), func(j int) {
		c := rights[j]
		to := c.to
		copy(gr.rowIdx[to][c.dst:c.dst+c.n], gr.rightIdx[c.src:c.src+c.n])
	})
	return counts
}

// partitionOne is partition for one node on one thread: its left rows,
// then its right rows, into the other row buffer; it returns the left
// count.
func (gr *grower) partitionOne(nd *growNode) int {
	l := gr.partitionSplit(&nd.best, nd.buf, nd.begin, nd.end)
	nl := l - nd.begin
	copy(gr.rowIdx[otherBuf(nd.buf)][l:nd.end], gr.rightIdx[nd.begin:nd.begin+nd.end-l])
	return nl
}

// partitionSplit is partitionRows for split s on the split feature's
// column, byte or 16-bit bins.
func (gr *grower) partitionSplit(s *split, buf, lo, hi int) int {
	f := s.feature
	if gr.b.wide {
		return partitionRows(gr, s, gr.b.colBins16[f*gr.b.rows:(f+1)*gr.b.rows], nil, buf, lo, hi)
	}
	return partitionRows(gr, s, gr.b.colBins8[f*gr.b.rows:(f+1)*gr.b.rows], gr.b.missBits[f], buf, lo, hi)
}

// otherBuf is the row buffer the children of a node whose rows are in
// rowIdx[buf] get theirs in: never the root's (2), never buf.
func otherBuf(buf int) int {
	if buf == 1 {
		return 0
	}
	return 1
}

// partitionRows moves the rows of rowIdx[buf][lo:hi] by split s on
// column col: left rows to rowIdx[otherBuf(buf)][lo:] and right rows to
// rightIdx[lo:], both ascending. It returns the
// end of the left rows. missBits, when not nil, tells the missing rows of
// an overflow feature from the rows of its last bin.
func partitionRows[B binID](gr *grower, s *split, col []B, missBits []uint64, buf, lo, hi int) int {
	sb, dl, cat := s.bin, s.defaultLeft, s.categorical
	miss := B(gr.b.missID[s.feature])
	hasMissing := gr.b.hasMissing[s.feature]
	l, r := lo, lo
	left, right := gr.rowIdx[otherBuf(buf)][:hi], gr.rightIdx[:hi]
	if !cat && missBits == nil {
		// A numerical split whose missing id is above every value bin
		// (so int(b) <= sb is false for it): missing rows go left only
		// with the default direction. Fewer live values than the
		// general loop, so they stay in registers.
		ml := missLeftBit(hasMissing, dl)
		rows := gr.rowIdx[buf][lo:hi]
		if c8, ok := any(col).([]uint8); ok {
			// 16 rows at a time with AVX-512 where it runs.
			done, nl := partitionBytes(rows, c8, left[lo:], right[lo:], sb, int(miss), ml)
			l, r, rows = l+nl, r+done-nl, rows[done:]
		}
		for _, row := range rows {
			b := col[row]
			left[l] = row
			right[r] = row
			step := goesLeft(int(b), sb, int(miss), ml)
			l += step
			r += 1 - step
		}
		return l
	}
	for _, row := range gr.rowIdx[buf][lo:hi] {
		b := col[row]
		goLeft := int(b) <= sb
		if cat {
			goLeft = !s.cats.has(uint8(b))
		}
		if b == miss && hasMissing && (missBits == nil || missBits[row>>6]&(1<<(row&63)) != 0) {
			goLeft = dl
		}
		// Branch-free: the row goes to both lists and only one list's
		// end moves; which side is a coin toss for the branch
		// predictor.
		left[l] = row
		right[r] = row
		var step int
		if goLeft {
			step = 1
		}
		l += step
		r += 1 - step
	}
	return l
}

// missLeftBit is 1 if a numerical split's missing rows go left (the
// feature has missing values and its default is left), else 0.
func missLeftBit(hasMissing, defaultLeft bool) int {
	if hasMissing && defaultLeft {
		return 1
	}
	return 0
}

// goesLeft is 1 if a row of bin b goes left by a numerical split at bin
// sb (sb >= -1) whose feature's missing id miss is above its value bins,
// else 0: b <= sb, or b == miss and ml (missLeftBit) is 1. Arithmetic,
// not branches: the side is a coin toss for the branch predictor. b and
// miss are bin ids (0 to 65535).
func goesLeft(b, sb, miss, ml int) int {
	le := 1 ^ int(uint(sb-b)>>63)     // sb-b >= 0
	eq := int(uint((b^miss)-1) >> 63) // b^miss == 0
	return le | eq&ml
}

// expand applies the best split of each node (in order) and returns the
// children, left then right per node, with histograms built. prepare
// gets the children (in order) once they exist, before any histogram;
// children it marks for evaluation (growNode.scan) may come back
// evaluated.
func (gr *grower) expand(nodes []*growNode, prepare func([]*growNode)) []*growNode {
	// Children at max_depth are never split: their rows need no
	// partition, only their leaf value added to the output (addLastLevel);
	// their segments are left empty.
	last := gr.p.MaxDepth > 0 && nodes[0].depth+1 >= gr.p.MaxDepth
	var counts []int
	switch {
	case last:
	case len(nodes) == 1 && gr.threads == 1:
		counts = []int{gr.partitionOne(nodes[0])}
	default:
		counts = gr.partition(nodes)
	}
	children := make([]*growNode, 0, 2*len(nodes))
	var small []*growNode
	for i, nd := range nodes {
		s := nd.best
		t := &gr.t
		l := gr.addNode(s.gl, s.hl)
		r := gr.addNode(s.gr, s.hr)
		t.Left[nd.id], t.Right[nd.id] = int32(l), int32(r)
		t.Feature[nd.id] = int32(s.feature)
		if s.categorical {
			if t.Categories == nil {
				t.Categories = make([][]uint32, len(t.Left))
			}
			t.Categories[nd.id] = s.cats.categories(&gr.b.cuts[s.feature])
		} else {
			t.Threshold[nd.id] = gr.b.cuts[s.feature].threshold(s.bin)
		}
		t.DefaultLeft[nd.id] = s.defaultLeft
		t.Gain[nd.id] = float64(s.gain)
		lb, le, rb, re := nd.begin, nd.begin, nd.begin, nd.begin
		if !last {
			lb, le, rb, re = nd.begin, nd.begin+counts[i], nd.begin+counts[i], nd.end
		}
		ln := &growNode{id: l, depth: nd.depth + 1, begin: lb, end: le, buf: otherBuf(nd.buf), g: s.gl, h: s.hl}
		rn := &growNode{id: r, depth: nd.depth + 1, begin: rb, end: re, buf: otherBuf(nd.buf), g: s.gr, h: s.hr}
		children = append(children, ln, rn)
		if s.hl <= s.hr {
			small = append(small, ln)
		} else {
			small = append(small, rn)
		}
	}
	if last {
		gr.addLastLevel(nodes)
		for _, nd := range nodes {
			gr.dropHist(nd)
		}
		return children
	}
	prepare(children)
	// A pair of children neither of which can split needs no histogram.
	dead := func(i int) bool { return gr.unsplittable(children[2*i].h) && gr.unsplittable(children[2*i+1].h) }
	if gr.pairwise(small) {
		// Pair by pair: the small child's histogram, its sibling's by
		// subtraction, then both children's split scans, while the
		// three histograms are in the core's cache (level by level,
		// a deep level's histograms are far larger than the cache).
		// The same histograms and splits as below.
		units := gr.b.derived.unitLayout(gr.b)
		gr.parallel(len(nodes), func(i int) {
			nd := nodes[i]
			if dead(i) {
				gr.dropHist(nd)
				return
			}
			built := small[i]
			built.hist = gr.getHist()
			gr.addRows(built.hist, gr.rowIdx[built.buf][built.begin:built.end], units)
			gr.subtractSibling(nd, built, children[2*i], children[2*i+1])
			for _, ch := range children[2*i : 2*i+2] {
				if ch.scan {
					gr.evaluate(ch, ch.features)
				}
			}
		})
		return children
	}
	build := make([]*growNode, 0, len(small))
	for i, nd := range small {
		if !dead(i) {
			build = append(build, nd)
		}
	}
	gr.buildHists(build)
	// Sibling = parent − built child, in the parent's buffer.
	gr.parallel(len(nodes), func(i int) {
		nd := nodes[i]
		if dead(i) {
			gr.dropHist(nd)
			return
		}
		gr.subtractSibling(nd, small[i], children[2*i], children[2*i+1])
	})
	return children
}

// pairwise reports whether expand goes pair by pair: when no histogram to
// build is split in row chunks (buildHists: nodes of 2·histChunkRows rows
// or more), whose partial histograms the threads share.
func (gr *grower) pairwise(small []*growNode) bool {
	for _, nd := range small {
		if nd.end-nd.begin >= 2*histChunkRows {
			return false
		}
	}
	return true
}

// subtractSibling gives the child of nd that was not built (of left and
// right) nd's histogram minus built's, in nd's buffer.
func (gr *grower) subtractSibling(nd, built, left, right *growNode) {
	sib := left
	if sib == built {
		sib = right
	}
	ph := nd.hist
	if gr.spans == nil {
		subtractHist(ph[:gr.b.usedSlots()], built.hist)
	}
	for _, sp := range gr.spans {
		subtractHist(ph[sp[0]:sp[1]], built.hist[sp[0]:sp[1]])
	}
	sib.hist = ph
	nd.hist = nil
}

// subtractHist subtracts b from a, slot by slot (subPairs eight slots at
// a time where it runs).
func subtractHist(a, b []bucket) {
	b = b[:len(a)]
	for j := subtractFast(a, b); j < len(a); j++ {
		a[j].g -= b[j].g
		a[j].h -= b[j].h
	}
}

// treeSpans returns the slot ranges of feats (grower.spans), nil when
// they are every feature.
func (gr *grower) treeSpans(feats []int) [][2]int {
	if len(feats) == gr.b.cols {
		return nil
	}
	var spans [][2]int
	add := func(lo, hi int) {
		if n := len(spans); n > 0 && spans[n-1][1] == lo {
			spans[n-1][1] = hi
			return
		}
		spans = append(spans, [2]int{lo, hi})
	}
	sorted := slices.Sorted(slices.Values(feats))
	for _, f := range sorted {
		add(gr.b.offset[f], gr.b.offset[f+1])
	}
	for _, f := range sorted {
		add(gr.b.missSlot+f, gr.b.missSlot+f+1)
	}
	return spans
}

// rootChunk is the row chunk of the root's gradient sums: fixed, so
// that the sums do not depend on nthread.
const rootChunk = 1 << 16

// sumPairs sums a chunk's gradient pairs in row order.
func sumPairs(gh []gradPair) bucket {
	var g, h float64
	for _, v := range gh {
		g += float64(v.g)
		h += float64(v.h)
	}
	return bucket{g, h}
}

// leafOut is where grow adds each training row's leaf value:
// margin[row*k+c], in float32 as XGBoost's prediction cache.
type leafOut struct {
	margin []float64
	k, c   int
}

// add adds v to the output of row r.
func (o *leafOut) add(r int32, v float32) {
	i := int(r)*o.k + o.c
	o.margin[i] = float64(float32(o.margin[i]) + v)
}

// leafValue is node id's final leaf value: eta·w in float32 arithmetic,
// as XGBoost multiplies its float weight by its float learning_rate.
func (gr *grower) leafValue(id int) float32 {
	return float32(gr.p.Eta) * float32(gr.t.Value[id])
}

// grow builds one tree from gr.gh, adds its leaf values into out and
// returns it.
func (gr *grower) grow(treeFeats []int, out leafOut) tree.Tree {
	p := gr.p
	gr.t = tree.Tree{}
	if gr.depthFirst() {
		// Nodes go to the grower's scratch arrays, renumber to the
		// tree's own.
		sc := &gr.scratch
		gr.t = tree.Tree{Left: sc.Left[:0], Right: sc.Right[:0], Feature: sc.Feature[:0], Threshold: sc.Threshold[:0],
			DefaultLeft: sc.DefaultLeft[:0], Value: sc.Value[:0], Cover: sc.Cover[:0], Gain: sc.Gain[:0]}
	}
	gr.out = out
	gr.spans = gr.treeSpans(treeFeats)
	gr.histCols, gr.unitCols = nil, nil
	if gr.spans != nil {
		gr.histCols = slices.Sorted(slices.Values(treeFeats))
		if units := gr.b.derived.unitLayout(gr.b); units != nil {
			gr.unitCols = units.restList(gr.histCols)
		}
	}
	// Sum the root's gradients, in row chunks
	// (summed in chunk order, so the result does not depend on timing),
	// unless Train summed them with the gradients (rootSums).
	n := gr.b.rows
	chunks := (n + rootChunk - 1) / rootChunk
	sums := gr.rootSums
	gr.rootSums = nil
	if len(sums) != chunks {
		sums = make([]bucket, chunks)
		gr.parallel(chunks, func(c int) {
			sums[c] = sumPairs(gr.gh[c*rootChunk : min((c+1)*rootChunk, n)])
		})
	}
	var G, H float64
	for _, sm := range sums {
		G += sm.g
		H += sm.h
	}
	root := &growNode{id: gr.addNode(G, H), begin: 0, end: gr.b.rows, buf: 2, g: G, h: H}
	gr.buildHists([]*growNode{root})
	levelFeats := map[int][]int{}
	featsAt := func(depth int) []int {
		f, ok := levelFeats[depth]
		if !ok {
			f = gr.sample(treeFeats, p.ColsampleByLevel)
			levelFeats[depth] = f
		}
		return f
	}
	canSplit := func(nd *growNode) bool {
		return p.MaxDepth <= 0 || nd.depth < p.MaxDepth
	}
	// prepare draws the features of the nodes that can split, in order
	// (the random draws of the columns' sampling), before expand builds
	// their histograms; scan evaluates those expand did not.
	prepare := func(nodes []*growNode) {
		for _, nd := range nodes {
			if canSplit(nd) {
				nd.features = gr.sample(featsAt(nd.depth), p.ColsampleByNode)
				nd.scan = true
			}
		}
	}
	scan := func(nodes []*growNode) {
		var todo []*growNode
		for _, nd := range nodes {
			if nd.scan && !nd.evaluated {
				todo = append(todo, nd)
			}
		}
		gr.parallel(len(todo), func(i int) { gr.evaluate(todo[i], todo[i].features) })
	}
	prepare([]*growNode{root})
	scan([]*growNode{root})
	var leaves []*growNode
	numLeaves := 1
	renumber := false
	if p.GrowPolicy == Lossguide {
		queue := []*growNode{root}
		for len(queue) > 0 {
			// Pop the best: largest gain, then smallest id.
			bi := 0
			for i, nd := range queue {
				b := queue[bi]
				if nd.best.gain > b.best.gain || (nd.best.gain == b.best.gain && nd.id < b.id) {
					bi = i
				}
			}
			nd := queue[bi]
			queue = slices.Delete(queue, bi, bi+1)
			if !nd.evaluated || !gr.valid(nd) || !canSplit(nd) || (p.MaxLeaves > 0 && numLeaves >= p.MaxLeaves) {
				gr.dropHist(nd)
				leaves = append(leaves, nd)
				continue
			}
			ch := gr.expand([]*growNode{nd}, prepare)
			numLeaves++
			scan(ch)
			queue = append(queue, ch...)
		}
	} else if gr.depthFirst() {
		// Node by node, depth first: the same splits and leaves as
		// level by level (nothing a node's split depends on differs),
		// with the histograms of one path live instead of a level's;
		// renumber gives the nodes the level order's ids.
		var walk func(nd *growNode)
		walk = func(nd *growNode) {
			if !nd.evaluated || !gr.valid(nd) {
				gr.dropHist(nd)
				leaves = append(leaves, nd)
				return
			}
			ch := gr.expand([]*growNode{nd}, prepare)
			scan(ch)
			for _, c := range ch {
				walk(c)
			}
		}
		walk(root)
		renumber = true
	} else {
		level := []*growNode{root}
		for len(level) > 0 {
			var batch []*growNode
			for _, nd := range level {
				if nd.evaluated && gr.valid(nd) && (p.MaxLeaves <= 0 || numLeaves < p.MaxLeaves) {
					batch = append(batch, nd)
					numLeaves++
				} else {
					gr.dropHist(nd)
					leaves = append(leaves, nd)
				}
			}
			if len(batch) == 0 {
				break
			}
			level = gr.expand(batch, prepare)
			scan(level)
		}
	}
	// Leaves above max_depth still hold their rows (those at max_depth
	// were added by addLastLevel).
	gr.parallel(len(leaves), func(i int) {
		nd := leaves[i]
		v := gr.leafValue(nd.id)
		for _, r := range gr.rowIdx[nd.buf][nd.begin:nd.end] {
			gr.out.add(r, v)
		}
	})
	for _, nd := range leaves {
		gr.t.Value[nd.id] = float64(gr.leafValue(nd.id))
	}
	if renumber {
		gr.renumber()
	}
	return gr.t
}

// depthFirst reports whether grow may expand the tree node by node,
// depth first: on one thread (level by level the threads share a level's
// nodes), depthwise with max_depth and no max_leaves (which counts leaves
// in level order), and no random draws per level or node (which are in
// level order).
func (gr *grower) depthFirst() bool {
	p := gr.p
	return gr.threads == 1 && p.GrowPolicy != Lossguide && p.MaxDepth > 0 && p.MaxLeaves <= 0 &&
		p.ColsampleByLevel >= 1 && p.ColsampleByNode >= 1
}

// renumber gives the output tree's nodes, added depth first, the ids
// level by level growth gives them: breadth first from the root, each
// node's children left then right.
func (gr *grower) renumber() {
	t := &gr.t
	n := len(t.Left)
	order := make([]int32, 0, n) // order[new] = old
	order = append(order, 0)
	for i := 0; i < len(order); i++ {
		if l := t.Left[order[i]]; l >= 0 {
			order = append(order, l, t.Right[order[i]])
		}
	}
	if len(order) != n {
		panic("gbdt: renumber: nodes unreachable from the root")
	}
	newID := make([]int32, n)
	for nw, old := range order {
		newID[old] = int32(nw)
	}
	gr.scratch = *t // the arrays the next tree appends to
	u := tree.Tree{
		Left: make([]int32, n), Right: make([]int32, n), Feature: make([]int32, n), Threshold: make([]float32, n),
		DefaultLeft: make([]bool, n), Value: make([]float64, n), Cover: make([]float64, n), Gain: make([]float64, n),
	}
	if t.Categories != nil {
		u.Categories = make([][]uint32, n)
	}
	for nw, old := range order {
		u.Left[nw], u.Right[nw] = -1, -1
		if l := t.Left[old]; l >= 0 {
			u.Left[nw], u.Right[nw] = newID[l], newID[t.Right[old]]
		}
		u.Feature[nw], u.Threshold[nw], u.DefaultLeft[nw] = t.Feature[old], t.Threshold[old], t.DefaultLeft[old]
		u.Value[nw], u.Cover[nw], u.Gain[nw] = t.Value[old], t.Cover[old], t.Gain[old]
		if t.Categories != nil {
			u.Categories[nw] = t.Categories[old]
		}
	}
	*t = u
}

// addLastLevel adds, for nodes split into children at max_depth, each
// row's child's leaf value into the output: the partition's decisions
// without moving any row.
func (gr *grower) addLastLevel(nodes []*growNode) {
	type job struct {
		node   *growNode
		lo, hi int
	}
	var jobs []job
	for _, nd := range nodes {
		n := nd.end - nd.begin
		chunks := 1
		if gr.threads > 1 && n >= 2*minChunkRows {
			chunks = min(gr.threads*2, n/minChunkRows)
		}
		step := (n + chunks - 1) / chunks
		for c := range chunks {
			jobs = append(jobs, job{nd, nd.begin + c*step, min(nd.begin+(c+1)*step, nd.end)})
		}
	}
	gr.parallel(len(jobs), func(j int) {
		jb := jobs[j]
		s := &jb.node.best
		t := &gr.t
		lv, rv := gr.leafValue(int(t.Left[jb.node.id])), gr.leafValue(int(t.Right[jb.node.id]))
		f := s.feature
		if gr.b.wide {
			addLeafRows(gr, s, gr.b.colBins16[f*gr.b.rows:(f+1)*gr.b.rows], nil, gr.rowIdx[jb.node.buf][jb.lo:jb.hi], lv, rv)
		} else {
			addLeafRows(gr, s, gr.b.colBins8[f*gr.b.rows:(f+1)*gr.b.rows], gr.b.missBits[f], gr.rowIdx[jb.node.buf][jb.lo:jb.hi], lv, rv)
		}
	})
}

// addLeafRows adds lv to the output of the rows split s sends left and rv
// to the others (see partitionRows).
func addLeafRows[B binID](gr *grower, s *split, col []B, missBits []uint64, rows []int32, lv, rv float32) {
	sb, dl, cat := s.bin, s.defaultLeft, s.categorical
	miss := B(gr.b.missID[s.feature])
	hasMissing := gr.b.hasMissing[s.feature]
	out := &gr.out
	if !cat && missBits == nil {
		// As partitionRows' numerical loop.
		ml := missLeftBit(hasMissing, dl)
		margin, k, c := out.margin, out.k, out.c
		vals := [2]float32{rv, lv}
		for _, row := range rows {
			b := col[row]
			v := vals[goesLeft(int(b), sb, int(miss), ml)&1]
			i := int(row)*k + c
			margin[i] = float64(float32(margin[i]) + v)
		}
		return
	}
	for _, row := range rows {
		b := col[row]
		var left bool
		switch {
		case b == miss && hasMissing && (missBits == nil || missBits[row>>6]&(1<<(row&63)) != 0):
			left = dl
		case cat:
			left = !s.cats.has(uint8(b))
		default:
			left = int(b) <= sb
		}
		v := rv
		if left {
			v = lv
		}
		out.add(row, v)
	}
}
