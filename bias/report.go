package bias

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
)

// Table is a set of equal-length columns.
type Table struct {
	Columns []Column // all of the same length
}

// Index returns the position of the named column, or -1.
func (t *Table) Index(name string) int {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

// Rows returns the number of rows.
func (t *Table) Rows() int {
	if len(t.Columns) == 0 {
		return 0
	}
	return t.Columns[0].Len()
}

// Facet is one configured facet: a column and the values (categorical) or
// the threshold (continuous) selecting the sensitive group d. No values on
// a categorical column means one-vs-all.
type Facet struct {
	Name   string  // the column
	Values []Value // the values (categorical) or the one threshold (continuous)
}

// Config says what to compute.
type Config struct {
	Label          string   // label column
	LabelValues    []Value  // label_values_or_threshold
	Facets         []Facet  // the sensitive attributes
	GroupVariable  string   // "" when none
	PredictedLabel string   // column holding predictions; needed for post-training metrics
	Excluded       []string // columns dropped before anything (excluded_columns)
	// PreTraining and PostTraining name the metrics to compute (nil:
	// none). Use the PreTraining / PostTraining variables for "all".
	PreTraining  []string
	PostTraining []string
}

// MetricResult is one metric of a facet entry. Value is nil when Error is
// set.
type MetricResult struct {
	Name        string   // the metric's short name, such as "DPL"
	Description string   // its name in words, as Clarify writes it
	Value       *float64 // the value; nil when Error is set
	Error       string   // why the metric has no value
}

// FacetEntry is the metrics of one facet value.
type FacetEntry struct {
	ValueOrThreshold string // the facet value(s) or threshold, as Clarify prints them
	Metrics          []MetricResult
}

// FacetResult is the entries of one configured facet.
type FacetResult struct {
	Name    string // the facet's column
	Entries []FacetEntry
}

// Section is pre_training_bias_metrics or post_training_bias_metrics.
type Section struct {
	Label                 string // the label column
	LabelValueOrThreshold string // the positive label values or threshold, as Clarify prints them
	Facets                []FacetResult
}

// Report holds the sections that were asked for (nil otherwise).
type Report struct {
	PreTraining  *Section // pre_training_bias_metrics
	PostTraining *Section // post_training_bias_metrics
}

// checkNames validates metric names.
func checkNames(names []string, allowed []string, what string) error {
	for _, n := range names {
		if !slices.Contains(allowed, n) {
			return fmt.Errorf("unknown %s bias metric %q (known: %v)", what, n, allowed)
		}
	}
	return nil
}

// Compute computes the configured metrics on t. Errors that smclarify
// raises for a whole call (a missing column, no label values, a
// continuous facet without threshold, predictions of another data type or
// without any positive) are returned; an error of one metric is recorded
// in its MetricResult and leaves the others standing.
func Compute(t *Table, cfg Config) (*Report, error) {
	if err := checkNames(cfg.PreTraining, PreTraining, "pre-training"); err != nil {
		return nil, err
	}
	if err := checkNames(cfg.PostTraining, PostTraining, "post-training"); err != nil {
		return nil, err
	}
	if len(cfg.PreTraining) == 0 && len(cfg.PostTraining) == 0 {
		return &Report{}, nil
	}
	col := func(name, what string) (*Column, error) {
		i := t.Index(name)
		if i < 0 {
			return nil, fmt.Errorf("%s column %q is not in the data set", what, name)
		}
		return &t.Columns[i], nil
	}
	y, err := col(cfg.Label, "label")
	if err != nil {
		return nil, err
	}
	if len(cfg.LabelValues) == 0 {
		return nil, fmt.Errorf("label_values_or_threshold is empty: positive label values or a threshold are required")
	}
	yKind := GuessKind(y, len(cfg.LabelValues))
	yPos, yLabel, err := binarize(y, cfg.LabelValues, yKind)
	if err != nil {
		return nil, fmt.Errorf("binarising label %q: %w", cfg.Label, err)
	}
	var group []int
	ngroups := 0
	if cfg.GroupVariable != "" {
		g, err := col(cfg.GroupVariable, "group variable")
		if err != nil {
			return nil, err
		}
		group, ngroups = groupIDs(g)
	}
	var yhatPos []bool
	if len(cfg.PostTraining) > 0 {
		if cfg.PredictedLabel == "" {
			return nil, fmt.Errorf("post-training bias needs predicted labels: configure predicted_label or a model")
		}
		p, err := col(cfg.PredictedLabel, "predicted label")
		if err != nil {
			return nil, err
		}
		if yhatPos, err = predictedPositive(p, y, cfg.LabelValues, yKind); err != nil {
			return nil, err
		}
	}
	skip := map[string]bool{cfg.Label: true, cfg.PredictedLabel: true}
	for _, e := range cfg.Excluded {
		skip[e] = true
	}
	rep := &Report{}
	if len(cfg.PreTraining) > 0 {
		rep.PreTraining = &Section{Label: cfg.Label, LabelValueOrThreshold: yLabel}
	}
	if len(cfg.PostTraining) > 0 {
		rep.PostTraining = &Section{Label: cfg.Label, LabelValueOrThreshold: yLabel}
	}
	for _, fc := range cfg.Facets {
		fcol, err := col(fc.Name, "facet")
		if err != nil {
			return nil, err
		}
		entries, err := facetMasks(fcol, fc.Values)
		if err != nil {
			return nil, fmt.Errorf("facet %q: %w", fc.Name, err)
		}
		var feats features
		if slices.Contains(cfg.PostTraining, FT) {
			var fcols []*Column
			for i := range t.Columns {
				c := &t.Columns[i]
				if !skip[c.Name] && c.Name != fc.Name {
					fcols = append(fcols, c)
				}
			}
			feats = newFeatures(fcols, t.Rows())
		}
		var pre, post []FacetEntry
		for _, e := range entries {
			if rep.PreTraining != nil {
				pre = append(pre, FacetEntry{e.label, preMetrics(cfg.PreTraining, e.d, yPos, group, ngroups)})
			}
			if rep.PostTraining != nil {
				post = append(post, FacetEntry{e.label, postMetrics(cfg.PostTraining, e.d, yPos, yhatPos, group, ngroups, feats)})
			}
		}
		if rep.PreTraining != nil {
			rep.PreTraining.Facets = append(rep.PreTraining.Facets, FacetResult{fc.Name, pre})
		}
		if rep.PostTraining != nil {
			rep.PostTraining.Facets = append(rep.PostTraining.Facets, FacetResult{fc.Name, post})
		}
	}
	return rep, nil
}

func predictedPositive(p, y *Column, values []Value, yKind DataKind) ([]bool, error) {
	pc, err := castLike(p, y)
	if err != nil {
		return nil, err
	}
	if GuessKind(pc, len(values)) != yKind {
		return nil, errTypeMismatch
	}
	var pos []bool
	if yKind == Categorical {
		pos, _ = matchCategorical(pc, values)
	} else {
		iv, err := newInterval(values, y, pc)
		if err != nil {
			return nil, fmt.Errorf("binarising predicted label %q: %w", p.Name, err)
		}
		pos = intervalMask(pc, iv)
	}
	if !slices.Contains(pos, true) {
		return nil, errNoPredictedPositive
	}
	return pos, nil
}

type facetMask struct {
	label string
	d     []bool
}

// facetMasks returns the sensitive-group rows of each facet entry.
func facetMasks(c *Column, values []Value) ([]facetMask, error) {
	kind := GuessKind(c, len(values))
	if kind == Continuous {
		iv, err := newInterval(values, c)
		if err != nil {
			return nil, err
		}
		return []facetMask{{iv.label, intervalMask(c, iv)}}, nil
	}
	if len(values) > 0 {
		d, used := matchCategorical(c, values)
		return []facetMask{{joinValues(used), d}}, nil
	}
	// one-vs-all, in order of first appearance
	var out []facetMask
	if c.Type == String {
		idx := make(map[string]int)
		for i, s := range c.Str {
			if c.isMissing(i) {
				continue
			}
			k, ok := idx[s]
			if !ok {
				k = len(out)
				idx[s] = k
				out = append(out, facetMask{s, make([]bool, len(c.Str))})
			}
			out[k].d[i] = true
		}
		return out, nil
	}
	idx := make(map[float64]int)
	for i, v := range c.Num {
		if c.isMissing(i) {
			continue
		}
		k, ok := idx[v]
		if !ok {
			k = len(out)
			idx[v] = k
			out = append(out, facetMask{numText(c.Type, v), make([]bool, len(c.Num))})
		}
		out[k].d[i] = true
	}
	return out, nil
}

func numText(t ColumnType, v float64) string {
	switch t {
	case Int:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case Bool:
		return Value{Kind: BoolValue, Num: v}.String()
	}
	return PyFloat(v)
}

// groupIDs maps a group column to dense ids in sorted value order.
func groupIDs(c *Column) ([]int, int) {
	n := c.Len()
	ids := make([]int, n)
	if c.Type == String {
		set := make(map[string]int)
		for _, s := range c.Str {
			set[s] = 0
		}
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			set[k] = i
		}
		for i, s := range c.Str {
			ids[i] = set[s]
		}
		return ids, len(keys)
	}
	if ids, n, ok := denseIDs(c); ok {
		return ids, n
	}
	// NaN (missing) is one group of its own, sorted last as numpy does.
	key := func(v float64) float64 {
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	set := make(map[float64]int)
	for _, v := range c.Num {
		set[key(v)] = 0
	}
	keys := make([]float64, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Float64s(keys)
	for i, k := range keys {
		set[k] = i
	}
	for i, v := range c.Num {
		ids[i] = set[key(v)]
	}
	return ids, len(keys)
}

func result(name string, v float64, err error) MetricResult {
	r := MetricResult{Name: name, Description: infos[name].Description}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Value = &v
	return r
}

func preMetrics(names []string, d, y []bool, group []int, ngroups int) []MetricResult {
	fc := count(d, y, nil)
	out := make([]MetricResult, 0, len(names))
	for _, name := range sortedNames(names) {
		var v float64
		var err error
		if name == CDDL {
			if err = fc.nonEmpty(); err == nil {
				v, err = cdd(d, y, group, ngroups)
			}
		} else {
			v, err = simple(name, fc)
		}
		out = append(out, result(name, v, err))
	}
	return out
}

func postMetrics(names []string, d, y, yhat []bool, group []int, ngroups int, feats features) []MetricResult {
	fc := count(d, y, yhat)
	out := make([]MetricResult, 0, len(names))
	for _, name := range sortedNames(names) {
		var v float64
		var err error
		switch name {
		case CDDPL:
			if err = fc.nonEmpty(); err == nil {
				v, err = cdd(d, yhat, group, ngroups)
			}
		case GE:
			v, err = ge(y, yhat)
		case FT:
			v, err = flipTest(feats, d, yhat)
		default:
			v, err = simple(name, fc)
		}
		out = append(out, result(name, v, err))
	}
	return out
}

// denseRange is the widest integer range handled with a table instead of
// a map.
const denseRange = 1 << 20

// intRange returns the range of an integer column without missing
// values; ok is false for other columns or wide ranges.
func intRange(c *Column) (lo, hi int64, ok bool) {
	if c.Type != Int && c.Type != Bool || c.Missing != nil || len(c.Num) == 0 {
		return 0, 0, false
	}
	mn, mx := c.Num[0], c.Num[0]
	for _, v := range c.Num {
		mn, mx = min(mn, v), max(mx, v)
	}
	if mx-mn >= denseRange {
		return 0, 0, false
	}
	return int64(mn), int64(mx), true
}

// denseIDs is groupIDs for integer columns of a narrow range.
func denseIDs(c *Column) ([]int, int, bool) {
	lo, hi, ok := intRange(c)
	if !ok {
		return nil, 0, false
	}
	slot := make([]int32, hi-lo+1)
	for _, v := range c.Num {
		slot[int64(v)-lo] = 1
	}
	n := 0
	for i, used := range slot {
		if used != 0 {
			slot[i] = int32(n)
			n++
		} else {
			slot[i] = -1
		}
	}
	ids := make([]int, len(c.Num))
	for i, v := range c.Num {
		ids[i] = int(slot[int64(v)-lo])
	}
	return ids, n, true
}
