package monitor

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// maxCategories bounds the distinct values a feature's counts keep; past
// it the feature is high-cardinality: its counts stop and it gets no
// domain constraint.
const maxCategories = 1000

// maxDomain is the largest number of distinct values a String feature may
// have for its values to become a domain constraint.
const maxDomain = 100

// histogramBuckets is the number of buckets statistics.json materialises
// (Model Monitor's 10).
const histogramBuckets = 10

// Profiler computes a data set's statistics one record at a time, in
// bounded memory (a quantile sketch and capped value counts per feature).
type Profiler struct {
	// names are the features in order; positional records take them in
	// this order, and extra positions are named _cN.
	names []string
	index map[string]int
	cols  []*accumulator
	items int64
}

// NewProfiler returns a profiler whose positional records take the given
// feature names (nil: _c0, _c1, ... as Model Monitor names the columns of
// a CSV file without a header).
func NewProfiler(names []string) *Profiler {
	p := &Profiler{index: make(map[string]int)}
	for _, n := range names {
		p.column(n)
	}
	return p
}

func (p *Profiler) column(name string) int {
	if i, ok := p.index[name]; ok {
		return i
	}
	i := len(p.cols)
	p.index[name] = i
	p.names = append(p.names, name)
	p.cols = append(p.cols, &accumulator{min: math.Inf(1), max: math.Inf(-1)})
	return i
}

// Add profiles one record.
func (p *Profiler) Add(r Record) {
	p.items++
	if r.Names == nil {
		for i, v := range r.Values {
			var c int
			if i < len(p.names) {
				c = i
			} else {
				c = p.column("_c" + strconv.Itoa(i))
			}
			p.cols[c].add(v, r.Present[i])
		}
		return
	}
	for i, name := range r.Names {
		p.cols[p.column(name)].add(r.Values[i], r.Present[i])
	}
}

// AddCSV profiles a CSV file with a header row.
func (p *Profiler) AddCSV(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("the CSV file is empty")
	}
	if err != nil {
		return fmt.Errorf("reading the CSV header: %w", err)
	}
	header = slices.Clone(header)
	idx := make([]int, len(header))
	for i, h := range header {
		idx[i] = p.column(strings.TrimSpace(h))
	}
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading CSV: %w", err)
		}
		if len(row) != len(header) {
			return fmt.Errorf("CSV line %d has %d fields, the header %d", line, len(row), len(header))
		}
		p.items++
		for i, v := range row {
			v = strings.TrimSpace(v)
			p.cols[idx[i]].add(v, !isMissing(v))
		}
	}
}

// accumulator holds one feature's running statistics.
type accumulator struct {
	seen              int64 // records that had the field (present or not)
	present           int64
	nInt, nFrac, nStr int64
	nNum              int64
	sum, sumsq        float64
	min, max          float64
	sketch            *kll
	// Value counts: the first few distinct values in small (a linear scan
	// is faster than a map for the 0/1 columns of one-hot features), the
	// rest in cats; overflow is set past maxCategories, when both stop.
	small  [smallCategories]CategoryBucket
	nsmall int
	// smallX and smallKind are the small values parsed, so a repeated
	// value is not parsed again.
	smallX    [smallCategories]float64
	smallKind [smallCategories]string
	// smallNum and smallInt say whether each is a number, an integer.
	smallNum, smallInt [smallCategories]bool
	cats               map[string]int64
	overflow           bool
}

const smallCategories = 8

func (a *accumulator) count(v string) { a.countN(v, 1) }

func (a *accumulator) countN(v string, k int64) {
	if a.overflow {
		return
	}
	for i := range a.nsmall {
		if a.small[i].Value == v {
			a.small[i].Count += k
			return
		}
	}
	if a.nsmall < smallCategories {
		a.small[a.nsmall] = CategoryBucket{Value: v, Count: k}
		a.smallX[a.nsmall], a.smallKind[a.nsmall] = parseNumber(v)
		a.smallNum[a.nsmall] = a.smallKind[a.nsmall] == Integral || a.smallKind[a.nsmall] == Fractional
		a.smallInt[a.nsmall] = a.smallKind[a.nsmall] == Integral
		a.nsmall++
		return
	}
	if a.cats == nil {
		a.cats = make(map[string]int64)
	}
	if n, ok := a.cats[v]; ok {
		a.cats[v] = n + k
		return
	}
	a.cats[v] = k
	if a.nsmall+len(a.cats) > maxCategories {
		a.overflow, a.cats = true, nil
	}
}

// categories returns the value counts, or nil after an overflow.
func (a *accumulator) categories() map[string]int64 {
	if a.overflow {
		return nil
	}
	out := make(map[string]int64, a.nsmall+len(a.cats))
	for i := range a.nsmall {
		out[a.small[i].Value] += a.small[i].Count
	}
	for v, n := range a.cats {
		out[v] += n
	}
	return out
}

// mergeCats adds b's value counts to a's.
func (a *accumulator) mergeCats(b *accumulator) {
	if a.overflow || b.overflow {
		a.overflow, a.cats = true, nil
		return
	}
	for v, n := range b.categories() {
		if a.countN(v, n); a.overflow {
			return
		}
	}
}

func (a *accumulator) add(v string, present bool) {
	a.seen++
	if !present {
		return
	}
	a.present++
	a.count(v)
	x, kind := parseNumber(v)
	a.addNumber(x, kind)
}

// addNumber records a present cell's type and, when numeric, its value.
func (a *accumulator) addNumber(x float64, kind string) {
	switch kind {
	case Integral:
		a.nInt++
	case Fractional:
		a.nFrac++
	default:
		a.nStr++
		return
	}
	a.nNum++
	a.sum += x
	a.sumsq += x * x
	a.min = min(a.min, x)
	a.max = max(a.max, x)
	if !a.overflow && a.cats == nil {
		// At most smallCategories distinct values so far: their counts
		// are the exact distribution, and the sketch is built from them
		// only if more values come (or at the end).
		return
	}
	a.ensureSketch()
	a.sketch.Add(x)
}

// ensureSketch makes the sketch, seeded with the numeric values counted
// while the feature had few distinct values.
func (a *accumulator) ensureSketch() {
	if a.sketch != nil {
		return
	}
	a.sketch = newKLL()
	for i := range a.nsmall {
		if x, kind := parseNumber(a.small[i].Value); kind != String {
			a.sketch.addWeighted(x, a.small[i].Count)
		}
	}
}

// addBytes is add for a cell of a payload (missing when empty or NaN /
// null as text); it copies the cell only to keep a new category value.
func (a *accumulator) addBytes(cell []byte) {
	a.seen++
	if isMissingBytes(cell) {
		return
	}
	a.present++
	if !a.overflow && a.cats == nil {
		// A value seen before among the first few: counted, and its
		// parsed number reused.
		for i := range a.nsmall {
			// The first byte tells most values apart (0 and 1) without
			// a call to compare them.
			v := a.small[i].Value
			if len(v) == len(cell) && (len(v) == 0 || v[0] == cell[0]) && (len(v) == 1 || v == string(cell)) {
				a.small[i].Count++
				// addNumber, inlined: with few distinct values there is
				// no sketch to feed.
				if !a.smallNum[i] {
					a.nStr++
					return
				}
				if a.smallInt[i] {
					a.nInt++
				} else {
					a.nFrac++
				}
				x := a.smallX[i]
				a.nNum++
				a.sum += x
				a.sumsq += x * x
				a.min = min(a.min, x)
				a.max = max(a.max, x)
				return
			}
		}
	}
	a.countBytes(cell)
	x, kind := parseNumberBytes(cell)
	a.addNumber(x, kind)
}

func isMissingBytes(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if len(b) > 4 || (b[0] >= '0' && b[0] <= '9') {
		return false
	}
	return isMissing(string(b))
}

func (a *accumulator) countBytes(b []byte) {
	if a.overflow {
		return
	}
	for i := range a.nsmall {
		if a.small[i].Value == string(b) {
			a.small[i].Count++
			return
		}
	}
	if a.cats != nil {
		if n, ok := a.cats[string(b)]; ok {
			a.cats[string(b)] = n + 1
			return
		}
	}
	a.count(string(b))
}

// parseNumberBytes is parseNumber on bytes, with a fast path for plain
// decimals ("-71600", "8913.66"): an integer mantissa below 2^53 over an
// exact power of ten is correctly rounded (Clinger's fast path).
func parseNumberBytes(b []byte) (float64, string) {
	i, neg := 0, false
	if len(b) > 1 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i++
	}
	var mant uint64
	digits, frac, dot, seen := 0, 0, false, false
	for ; i < len(b); i++ {
		c := b[i]
		if d := c - '0'; d <= 9 {
			seen = true
			if digits == 18 {
				return parseNumber(string(b))
			}
			mant = mant*10 + uint64(d)
			if mant > 0 {
				digits++
			}
			if dot {
				frac++
			}
			continue
		}
		if c == '.' && !dot {
			dot = true
			continue
		}
		return parseNumber(string(b))
	}
	if !seen {
		return parseNumber(string(b))
	}
	v := float64(mant)
	kind := Integral
	if dot {
		if mant > 1<<53 || frac > 22 {
			return parseNumber(string(b))
		}
		v /= pow10[frac]
		kind = Fractional
	}
	if neg {
		v = -v
	}
	return v, kind
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseNumber classifies a present cell: Integral (an integer literal),
// Fractional (any other finite number) or String.
func parseNumber(v string) (float64, string) {
	digits := len(v) > 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < '0' || c > '9') && !(i == 0 && (c == '-' || c == '+') && len(v) > 1) {
			digits = false
			break
		}
	}
	if digits {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return float64(n), Integral
		}
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, String
	}
	if digits {
		return x, Integral // an integer literal beyond int64
	}
	return x, Fractional
}

// inferredType is the type of the feature's present values: String when
// any is not a number, else Fractional when any is not an integer.
func (a *accumulator) inferredType() string {
	switch {
	case a.present == 0:
		return Unknown
	case a.nStr > 0:
		return String
	case a.nFrac > 0:
		return Fractional
	}
	return Integral
}

// Profile is a data set's statistics with the per-type value counts that
// the data type check needs.
type Profile struct {
	Statistics *Statistics
	// Types counts the present values of each feature by type.
	Types map[string]TypeCounts
}

// TypeCounts counts a feature's present values by the type they parse as.
type TypeCounts struct {
	Integral, Fractional, String int64
}

// Profile returns the statistics of everything added so far.
func (p *Profiler) Profile() *Profile {
	st := &Statistics{Version: 0, Dataset: DatasetStatistics{ItemCount: p.items}, Features: []FeatureStatistics{}}
	types := make(map[string]TypeCounts, len(p.cols))
	for i, a := range p.cols {
		name := p.names[i]
		if a.seen == 0 {
			continue // a declared feature the data never had
		}
		common := Common{NumPresent: a.present, NumMissing: p.items - a.present}
		types[name] = TypeCounts{Integral: a.nInt, Fractional: a.nFrac, String: a.nStr}
		f := FeatureStatistics{Name: name, InferredType: a.inferredType()}
		switch f.InferredType {
		case Integral, Fractional:
			f.Numerical = a.numerical(common)
		default:
			f.String = a.strings(common)
		}
		st.Features = append(st.Features, f)
	}
	return &Profile{Statistics: st, Types: types}
}

func (a *accumulator) numerical(c Common) *NumericalStatistics {
	ns := &NumericalStatistics{Common: c, Sum: a.sum}
	if a.nNum > 0 {
		n := float64(a.nNum)
		ns.Mean = a.sum / n
		ns.StdDev = math.Sqrt(max(0, a.sumsq/n-ns.Mean*ns.Mean))
		ns.Min, ns.Max = a.min, a.max
	}
	sk := KLLSketch{Parameters: KLLParameters{C: sketchC, K: sketchK}, Data: [][]float64{}}
	if a.nNum > 0 {
		a.ensureSketch()
	}
	if a.sketch != nil {
		sk = a.sketch.Sketch()
	}
	ns.Distribution.KLL = KLLDistribution{
		Buckets: distributionOf(sk).buckets(histogramBuckets, ns.Min, ns.Max),
		Sketch:  sk,
	}
	return ns
}

func (a *accumulator) strings(c Common) *StringStatistics {
	ss := &StringStatistics{Common: c}
	b := []CategoryBucket{}
	if cats := a.categories(); cats != nil {
		for v, n := range cats {
			b = append(b, CategoryBucket{Value: v, Count: n})
		}
		slices.SortFunc(b, func(x, y CategoryBucket) int {
			if c := cmp.Compare(y.Count, x.Count); c != 0 {
				return c
			}
			return strings.Compare(x.Value, y.Value)
		})
		ss.DistinctCount = float64(len(b))
	} else {
		ss.DistinctCount = float64(maxCategories + 1) // at least
	}
	ss.Distribution.Categorical.Buckets = b
	return ss
}

// SuggestConstraints returns the constraints a baseline's statistics
// suggest, as Model Monitor's baselining job does: each feature's type
// and completeness, non-negativity of numeric features whose minimum is
// not negative, the values of low-cardinality String features as their
// domain, and the default monitoring config.
func SuggestConstraints(st *Statistics) *Constraints {
	c := &Constraints{Version: 0, Features: []FeatureConstraint{}, MonitoringConfig: DefaultMonitoringConfig()}
	for _, f := range st.Features {
		fc := FeatureConstraint{Name: f.Name, InferredType: f.InferredType}
		cm := f.common()
		if total := cm.NumPresent + cm.NumMissing; total > 0 {
			comp := float64(cm.NumPresent) / float64(total)
			fc.Completeness = &comp
		}
		switch {
		case f.Numerical != nil:
			fc.Num = &NumConstraints{IsNonNegative: f.Numerical.Min >= 0}
		case f.String != nil:
			b := f.String.Distribution.Categorical.Buckets
			if f.String.DistinctCount <= maxDomain && len(b) > 0 {
				d := make([]string, len(b))
				for i, x := range b {
					d[i] = x.Value
				}
				slices.Sort(d)
				fc.Str = &StringConstraints{Domains: d}
			}
		}
		c.Features = append(c.Features, fc)
	}
	return c
}

// DefaultMonitoringConfig is the monitoring config Ferry writes: every
// check on, Robust drift comparison at threshold 0.1.
func DefaultMonitoringConfig() MonitoringConfig {
	f := func(v float64) *float64 { return &v }
	return MonitoringConfig{
		EvaluateConstraints:    "Enabled",
		EmitMetrics:            "Enabled",
		DatatypeCheckThreshold: f(DefaultDatatypeCheckThreshold),
		DomainContentThreshold: f(DefaultDomainContentThreshold),
		DistributionConstraints: &DistributionConstraints{
			PerformComparison:   "Enabled",
			ComparisonThreshold: f(DefaultComparisonThreshold),
			ComparisonMethod:    DefaultComparisonMethod,
		},
	}
}
