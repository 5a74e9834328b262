package frame

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SplitOptions configure SplitRows.
type SplitOptions struct {
	// Test and Validation are fractions in [0, 1). The test set is held
	// out first: ceil(Test·n) rows; the validation set is then
	// ceil(Validation·rest) of the remaining rows, as two successive
	// calls of scikit-learn's train_test_split do (5000 rows with 0.1 and
	// 0.1 give 4050/450/500).
	Test, Validation float64
	// Seed seeds the permutations (math/rand/v2 PCG). Row membership is
	// deterministic for a seed but differs from scikit-learn's, which
	// uses numpy's MT19937.
	Seed uint64
	// Stratify, when set, keeps each value's share of rows (missing
	// values form one more group) in every split, allocating by largest
	// remainder.
	Stratify *Column
}

// Split holds the row indexes of each part, in shuffled order.
type Split struct {
	Train, Validation, Test []int
}

// SplitSizes returns the sizes SplitRows gives n rows.
func SplitSizes(n int, test, validation float64) (train, val, tst int) {
	tst = int(math.Ceil(test * float64(n)))
	rest := n - tst
	val = int(math.Ceil(validation * float64(rest)))
	return rest - val, val, tst
}

// SplitRows splits the row indexes 0..n-1 into train, validation and test
// sets.
func SplitRows(n int, opts SplitOptions) (Split, error) {
	if opts.Test < 0 || opts.Test >= 1 || math.IsNaN(opts.Test) {
		return Split{}, fmt.Errorf("splitting rows: test fraction %v is outside [0, 1)", opts.Test)
	}
	if opts.Validation < 0 || opts.Validation >= 1 || math.IsNaN(opts.Validation) {
		return Split{}, fmt.Errorf("splitting rows: validation fraction %v is outside [0, 1)", opts.Validation)
	}
	if opts.Stratify != nil && opts.Stratify.Len() != n {
		return Split{}, fmt.Errorf("splitting rows: stratify column %q has %d values for %d rows", opts.Stratify.Name, opts.Stratify.Len(), n)
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	_, nVal, nTest := SplitSizes(n, opts.Test, opts.Validation)
	test, rest := split(all, nTest, opts.Stratify, opts.Seed)
	val, train := split(rest, nVal, opts.Stratify, opts.Seed)
	return Split{Train: train, Validation: val, Test: test}, nil
}

// split takes k of rows as the first part and the others as the second,
// both in shuffled order.
func split(rows []int, k int, strat *Column, seed uint64) (first, second []int) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	shuffled := slices.Clone(rows)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if strat == nil {
		return shuffled[:k], shuffled[k:]
	}
	// Group the shuffled rows by stratum, in order of first appearance.
	groupOf := make(map[string]int)
	var groups [][]int
	for _, r := range shuffled {
		key := "\x00missing"
		if strat.IsValid(r) {
			key = "v" + strat.Text(r)
		}
		g, ok := groupOf[key]
		if !ok {
			g = len(groups)
			groupOf[key] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], r)
	}
	// Largest-remainder allocation of k over the groups.
	take := make([]int, len(groups))
	type rem struct {
		g    int
		frac float64
	}
	rems := make([]rem, len(groups))
	total := 0
	for g, rs := range groups {
		exact := float64(k) * float64(len(rs)) / float64(len(rows))
		take[g] = int(math.Floor(exact))
		total += take[g]
		rems[g] = rem{g, exact - float64(take[g])}
	}
	slices.SortStableFunc(rems, func(a, b rem) int {
		switch {
		case a.frac > b.frac:
			return -1
		case a.frac < b.frac:
			return 1
		}
		return 0
	})
	for i := 0; total < k; i++ {
		g := rems[i%len(rems)].g
		if take[g] < len(groups[g]) {
			take[g]++
			total++
		}
	}
	maxRow := 0
	for _, r := range rows {
		maxRow = max(maxRow, r)
	}
	inFirst := make([]bool, maxRow+1)
	for g, rs := range groups {
		for _, r := range rs[:take[g]] {
			inFirst[r] = true
		}
	}
	first = make([]int, 0, k)
	second = make([]int, 0, len(rows)-k)
	for _, r := range shuffled {
		if inFirst[r] {
			first = append(first, r)
		} else {
			second = append(second, r)
		}
	}
	return first, second
}
