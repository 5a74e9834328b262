package prepare

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/ferryml/ferry/internal/feature"
	"github.com/ferryml/ferry/internal/frame"
)

// origin records where a current column comes from, for the transform.
type origin struct {
	source   string
	encoding string
	category string
}

// Prepare applies cfg to the input tables (by input name), which it does
// not modify. The caller reads the inputs and writes the result.
func Prepare(ctx context.Context, tables map[string]*frame.Frame, cfg Config) (*Result, error) {
	if len(tables) == 0 {
		return nil, fmt.Errorf("tabular_prepare: no inputs")
	}
	tables = maps.Clone(tables)
	if cfg.NormalizeColumnNames {
		for name, t := range tables {
			nt, err := t.RenameFunc(normalizeName)
			if err != nil {
				return nil, fmt.Errorf("normalising column names of input %q: %w", name, err)
			}
			tables[name] = nt
		}
	}
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		if err := checkFinite(name, tables[name]); err != nil {
			return nil, err
		}
	}
	f, err := joinInputs(tables, cfg)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(cfg.Rename) > 0 {
		if f, err = f.Rename(cfg.Rename); err != nil {
			return nil, fmt.Errorf("config.rename: %w", err)
		}
	}
	tr := &feature.Transform{
		FormatVersion: feature.FormatVersion,
		Label:         cfg.Label,
		Fill:          map[string]string{},
		Unseen:        feature.UnseenError,
	}
	na := columnNA(tables, cfg)
	orig := make(map[string]origin, f.NumCols())
	for _, c := range f.Columns() {
		colNA := na[c.Name]
		tr.Inputs = append(tr.Inputs, feature.Column{Name: c.Name, Type: c.Type.String(), NA: &colNA})
		orig[c.Name] = origin{source: c.Name, encoding: feature.Numeric}
	}
	if len(cfg.Drop) > 0 {
		if f, err = f.Drop(cfg.Drop...); err != nil {
			return nil, fmt.Errorf("config.drop: %w", err)
		}
		tr.Dropped = append(tr.Dropped, cfg.Drop...)
	}
	for _, col := range slices.Sorted(maps.Keys(cfg.Fill)) {
		if f, err = fillColumn(f, col, cfg.Fill[col]); err != nil {
			return nil, fmt.Errorf("config.fill.%s: %w", col, err)
		}
		tr.Fill[col] = fmt.Sprint(cfg.Fill[col])
	}
	for _, col := range slices.Sorted(maps.Keys(cfg.Ordinal)) {
		c, err := f.Lookup(col)
		if err != nil {
			return nil, fmt.Errorf("config.ordinal.%s: %w", col, err)
		}
		oc, err := c.Ordinal(cfg.Ordinal[col])
		if err != nil {
			return nil, fmt.Errorf("config.ordinal.%s: %w", col, err)
		}
		if f, err = f.With(oc); err != nil {
			return nil, fmt.Errorf("config.ordinal.%s: %w", col, err)
		}
		orig[col] = origin{source: col, encoding: feature.Ordinal}
		if tr.Ordinal == nil {
			tr.Ordinal = map[string]map[string]float64{}
		}
		tr.Ordinal[col] = cfg.Ordinal[col]
	}
	if cfg.OneHot != nil {
		if f, err = oneHot(f, cfg, tr, orig); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.LowercaseColumns {
		renamed := make(map[string]origin, len(orig))
		for _, c := range f.Columns() {
			renamed[strings.ToLower(c.Name)] = orig[c.Name]
		}
		if f, err = f.RenameFunc(strings.ToLower); err != nil {
			return nil, fmt.Errorf("config.lowercase_columns: %w", err)
		}
		orig = renamed
	}
	if len(cfg.DropAfter) > 0 {
		if f, err = f.Drop(cfg.DropAfter...); err != nil {
			return nil, fmt.Errorf("config.drop_after: %w", err)
		}
		tr.Dropped = append(tr.Dropped, cfg.DropAfter...)
	}
	full, err := labelFirst(f, cfg.Label, tr, orig)
	if err != nil {
		return nil, err
	}
	label, _ := full.Column(cfg.Label)
	opts := frame.SplitOptions{Test: cfg.Split.Test, Validation: cfg.Split.Validation, Seed: cfg.Split.Seed}
	if cfg.Split.Stratify {
		opts.Stratify = label
	}
	split, err := frame.SplitRows(full.NumRows(), opts)
	if err != nil {
		return nil, fmt.Errorf("config.split: %w", err)
	}
	if err := tr.Validate(); err != nil {
		return nil, err
	}
	return &Result{Full: full, Split: split, Transform: tr}, nil
}

func normalizeName(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(strings.ToLower(s)), " ", "_")
}

// checkFinite rejects an infinite numeric cell ("inf", "-Infinity", 1e999):
// the learners cannot use it, and treating it as missing would hide a
// data error. Rows are numbered from 1, not counting a header.
func checkFinite(input string, f *frame.Frame) error {
	for _, c := range f.Columns() {
		if c.Type != frame.Float {
			continue
		}
		for i, v := range c.Floats {
			if math.IsInf(v, 0) && c.IsValid(i) {
				return fmt.Errorf("input %q column %q row %d: value %s is not finite; fix or remove it (or list it in na_values to read it as missing)", input, c.Name, i+1, frame.AppendFloat(nil, v))
			}
		}
	}
	return nil
}

// columnNA returns, by column name after the joins and config.rename, the
// missing-value setting of the input each column was read from (a join
// key: the left side's), so that serving reads a column's missing values
// as training did.
func columnNA(tables map[string]*frame.Frame, cfg Config) map[string]feature.NA {
	setting := func(input string) feature.NA {
		in := cfg.Inputs[input]
		vals := slices.Clone(in.NAValues)
		slices.Sort(vals)
		return feature.NA{Values: slices.Compact(vals), NoDefault: in.NoDefaultNA}
	}
	base := cfg.Base
	if base == "" && len(cfg.Join) > 0 {
		base = cfg.Join[0].Left
	}
	if base == "" {
		for name := range tables {
			base = name
		}
	}
	out := map[string]feature.NA{}
	if t, ok := tables[base]; ok {
		for _, c := range t.Columns() {
			out[c.Name] = setting(base)
		}
	}
	for _, j := range cfg.Join {
		r, ok := tables[j.Right]
		if !ok {
			continue
		}
		for _, c := range r.Columns() {
			if slices.Contains(j.On, c.Name) {
				continue
			}
			if left, dup := out[c.Name]; dup {
				// pandas' merge suffixes: left "_x", right "_y".
				delete(out, c.Name)
				out[c.Name+"_x"] = left
				out[c.Name+"_y"] = setting(j.Right)
				continue
			}
			out[c.Name] = setting(j.Right)
		}
	}
	if len(cfg.Rename) > 0 {
		renamed := make(map[string]feature.NA, len(out))
		for name, v := range out {
			if to, ok := cfg.Rename[name]; ok {
				name = to
			}
			renamed[name] = v
		}
		out = renamed
	}
	return out
}

func joinInputs(tables map[string]*frame.Frame, cfg Config) (*frame.Frame, error) {
	base := cfg.Base
	if base == "" && len(cfg.Join) > 0 {
		base = cfg.Join[0].Left
	}
	if base == "" {
		if len(tables) != 1 {
			return nil, fmt.Errorf("config: %d inputs and no join; name the table to use with base", len(tables))
		}
		for name := range tables {
			base = name
		}
	}
	f, ok := tables[base]
	if !ok {
		return nil, fmt.Errorf("config: base input %q is not among the step's inputs", base)
	}
	used := map[string]bool{base: true}
	for i, j := range cfg.Join {
		if j.Left != "" && !used[j.Left] {
			return nil, fmt.Errorf("config.join[%d].left: %q is not the table built so far", i, j.Left)
		}
		r, ok := tables[j.Right]
		if !ok {
			return nil, fmt.Errorf("config.join[%d].right: %q is not among the step's inputs", i, j.Right)
		}
		how := frame.LeftJoin
		if j.How == "inner" {
			how = frame.InnerJoin
		}
		var err error
		if f, err = frame.Join(f, r, j.On, how); err != nil {
			return nil, fmt.Errorf("config.join[%d]: %w", i, err)
		}
		used[j.Right] = true
	}
	for name := range tables {
		if !used[name] {
			return nil, fmt.Errorf("config: input %q is not used (not the base and not joined)", name)
		}
	}
	return f, nil
}

func fillColumn(f *frame.Frame, col string, v any) (*frame.Frame, error) {
	c, err := f.Lookup(col)
	if err != nil {
		return nil, err
	}
	fc, err := c.FillMissing(v)
	if err != nil {
		return nil, err
	}
	return f.With(fc)
}

func oneHot(f *frame.Frame, cfg Config, tr *feature.Transform, orig map[string]origin) (*frame.Frame, error) {
	cols, auto, err := cfg.OneHot.columns()
	if err != nil {
		return nil, fmt.Errorf("config.one_hot.columns: %w", err)
	}
	if auto {
		for _, c := range f.Columns() {
			if c.Type == frame.String && c.Name != cfg.Label && cfg.Ordinal[c.Name] == nil {
				cols = append(cols, c.Name)
			}
		}
	}
	if fill := cfg.OneHot.FillMissing; fill != nil {
		for _, col := range cols {
			c, err := f.Lookup(col)
			if err != nil {
				return nil, fmt.Errorf("config.one_hot.columns: %w", err)
			}
			if c.Type != frame.String {
				continue
			}
			if f, err = fillColumn(f, col, *fill); err != nil {
				return nil, fmt.Errorf("config.one_hot.fill_missing: %w", err)
			}
			tr.Fill[col] = *fill
		}
	}
	enc, err := frame.FitOneHot(f, cols)
	if err != nil {
		return nil, fmt.Errorf("config.one_hot: %w", err)
	}
	if f, err = frame.ApplyOneHot(f, enc, frame.UnseenError); err != nil {
		return nil, fmt.Errorf("config.one_hot: %w", err)
	}
	if cfg.OneHot.Unseen != "" {
		tr.Unseen = cfg.OneHot.Unseen
	}
	tr.OneHotCategories = make(map[string][]string, len(enc))
	for _, e := range enc {
		tr.OneHotCategories[e.Column] = e.Categories
		for _, v := range e.Categories {
			orig[frame.DummyName(e.Column, v)] = origin{source: e.Column, encoding: feature.OneHot, category: v}
		}
	}
	return f, nil
}

// labelFirst moves the label to the front, checks that every column is
// numeric (bools become 0/1 ints) and lists the features.
func labelFirst(f *frame.Frame, label string, tr *feature.Transform, orig map[string]origin) (*frame.Frame, error) {
	lc, err := f.Lookup(label)
	if err != nil {
		return nil, fmt.Errorf("config.label: %w", err)
	}
	if n := lc.NullCount(); n > 0 {
		return nil, fmt.Errorf("config.label: label column %q has %d missing values", label, n)
	}
	cols := []*frame.Column{lc}
	for _, c := range f.Columns() {
		if c.Name != label {
			cols = append(cols, c)
		}
	}
	for i, c := range cols {
		switch c.Type {
		case frame.String:
			if i == 0 {
				return nil, fmt.Errorf("config.label: label column %q holds text; map it to numbers with ordinal", label)
			}
			return nil, fmt.Errorf("column %q holds text: one-hot encode it, map it with ordinal, or drop it", c.Name)
		case frame.Bool:
			ints := make([]int64, c.Len())
			for r, b := range c.Bools {
				if b {
					ints[r] = 1
				}
			}
			cols[i] = frame.NewInt(c.Name, ints, c.Valid)
		}
	}
	tr.LabelType = cols[0].Type.String()
	tr.Features = nil
	for _, c := range cols[1:] {
		o, ok := orig[c.Name]
		if !ok {
			return nil, fmt.Errorf("internal error: no origin for column %q", c.Name)
		}
		tr.Features = append(tr.Features, feature.Feature{
			Name: c.Name, Type: c.Type.String(), Source: o.source, Encoding: o.encoding, Category: o.category,
		})
	}
	return frame.New(cols...)
}
