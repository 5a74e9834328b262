package gbdt

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/ferryml/ferry/table"
	"github.com/ferryml/ferry/tree"
)

// Categorical features in training, as XGBoost's hist with
// enable_categorical: a feature of type "c" ([table.Dataset.FeatureTypes]) holds
// integer category codes; each category observed in training is one
// histogram bin. A node splits such a feature with a set of categories
// that go right:
//
//   - one-hot, when the feature has fewer than max_cat_to_onehot
//     categories: one category right, the rest left, the missing rows
//     either left or right (both are tried, left first);
//   - partition otherwise: categories sorted by their leaf weight
//     (stable), then the first j of that order go right with the missing
//     rows left (forward scan), or the last ones go left with the missing
//     rows right (backward scan), at most max_cat_threshold categories
//     considered (XGBoost's EnumeratePart).
//
// Gains, validity (min_child_weight on both sides) and ties follow the
// numerical splits'.

// FeatureCategorical is the feature type of a categorical feature, as
// XGBoost writes it in feature_types ([table.FeatureCategorical]).
const FeatureCategorical = table.FeatureCategorical

// maxTrainCategories is the most categories a categorical feature may
// have in training: one histogram bin each, bin ids are bytes and bin 255
// holds the missing rows.
const maxTrainCategories = missingBin

// categoricalFeatures returns which features are categorical (nil when
// none is).
func categoricalFeatures(types []string) []bool {
	var cat []bool
	for i, t := range types {
		if t == FeatureCategorical {
			if cat == nil {
				cat = make([]bool, len(types))
			}
			cat[i] = true
		}
	}
	return cat
}

// checkCategorical checks that every categorical cell is missing or an
// integer category code in [0, 2^24) and, for training data, that a
// feature has at most maxTrainCategories categories.
func checkCategorical(d *table.Dataset, cat []bool, what string, training bool) error {
	if cat == nil {
		return nil
	}
	nf := d.NumFeature
	for f, isCat := range cat {
		if !isCat {
			continue
		}
		seen := map[float64]bool{}
		for r := range d.Rows() {
			v := d.X[r*nf+f]
			if v != v {
				continue
			}
			if v < 0 || v >= tree.MaxCategory || v != math.Trunc(v) {
				return fmt.Errorf("%s dataset row %d feature %d is categorical, and %s is not a category code (an integer in [0, 2^24))", what, r+1, f, strconv.FormatFloat(v, 'f', -1, 64))
			}
			if training && !seen[v] {
				seen[v] = true
				if len(seen) > maxTrainCategories {
					return fmt.Errorf("%s dataset feature %d has more than %d categories, the most a categorical feature may have in training (histogram bins are bytes)", what, f, maxTrainCategories)
				}
			}
		}
	}
	return nil
}

// categoryCuts returns the cuts of a categorical column: one per
// distinct category, ascending.
func categoryCuts(col []float32) cuts {
	var vals []float32
	for _, v := range col {
		if v == v {
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	return cuts{cut: slices.Compact(vals)}
}

// categoryBin is the bin of category v: its index among the cuts.
func categoryBin(cut []float32, v float32) int {
	i, _ := slices.BinarySearch(cut, v)
	return i
}

// catSet is a set of histogram bins (the categories that go right).
type catSet [histBins / 64]uint64

func (s *catSet) add(b int)        { s[b>>6] |= 1 << (b & 63) }
func (s *catSet) has(b uint8) bool { return s[b>>6]&(1<<(b&63)) != 0 }
func (s *catSet) reset()           { *s = catSet{} }
func (s *catSet) addAll(bins []int) {
	s.reset()
	for _, b := range bins {
		s.add(b)
	}
}
func (s *catSet) categories(c *cuts) []uint32 {
	top := uint32(0)
	for b := range len(c.cut) {
		if s.has(uint8(b)) {
			top = max(top, uint32(c.cut[b]))
		}
	}
	set := make([]uint32, top/32+1)
	for b := range len(c.cut) {
		if s.has(uint8(b)) {
			v := uint32(c.cut[b])
			set[v/32] |= 1 << (v % 32)
		}
	}
	return set
}

// evaluateCategorical updates best with the best split of categorical
// feature f, whose histogram is hf (one bucket per category).
func (gr *grower) evaluateCategorical(nd *growNode, f int, hf []bucket, parent float32, best *split) {
	mcw := gr.p.MinChildWeight
	G, H := nd.g, nd.h
	nb := len(hf)
	var sg, sh float64
	for _, b := range hf {
		sg += b.g
		sh += b.h
	}
	mg, mh := G-sg, H-sh // the rows missing this feature
	consider := func(gl, hl, gR, hR float64, defaultLeft bool) bool {
		if hl < mcw || hR < mcw {
			return false
		}
		gain := gr.gain(gl, hl) + gr.gain(gR, hR) - parent
		if !(gain > best.gain) {
			return false
		}
		*best = split{gain: gain, feature: f, defaultLeft: defaultLeft, categorical: true, gl: gl, hl: hl, gr: gR, hr: hR}
		return true
	}
	if nb < gr.p.maxCatToOnehot() {
		for b := range nb {
			// Missing rows left (with the other categories).
			rg, rh := hf[b].g, hf[b].h
			if consider(G-rg, H-rh, rg, rh, true) {
				best.cats.addAll([]int{b})
			}
			// Missing rows right (with the chosen category).
			rg, rh = rg+mg, rh+mh
			if consider(G-rg, H-rh, rg, rh, false) {
				best.cats.addAll([]int{b})
			}
		}
		return
	}
	order := make([]int, nb)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		wa, wb := float32(gr.weight(hf[a].g, hf[a].h)), float32(gr.weight(hf[b].g, hf[b].h))
		switch {
		case wa < wb:
			return -1
		case wb < wa:
			return 1
		}
		return 0
	})
	n := min(gr.p.maxCatThreshold(), nb)
	// Forward: the first j+1 categories of the order go right, missing
	// rows left.
	var rg, rh float64
	for j := 0; j < n-1; j++ {
		rg += hf[order[j]].g
		rh += hf[order[j]].h
		if consider(G-rg, H-rh, rg, rh, true) {
			best.cats.addAll(order[:j+1])
		}
	}
	// Backward: categories from the end of the order go left, missing
	// rows right; the first j stay right.
	var lg, lh float64
	for j := nb - 1; j > nb-n; j-- {
		lg += hf[order[j]].g
		lh += hf[order[j]].h
		if consider(lg, lh, G-lg, H-lh, false) {
			best.cats.addAll(order[:j])
		}
	}
}
