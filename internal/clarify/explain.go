package clarify

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/cell"
	"github.com/ferryml/ferry/internal/quote"
)

// SHAP output folder and files.
const (
	SHAPDir      = "explanations_shap"
	LocalFile    = "out.csv"
	BaselineFile = "baseline.csv"
)

// explain computes SHAP values (exact TreeSHAP for tree models, Kernel
// SHAP otherwise), aggregates them and writes explanations_shap/.
func (j *job) explain(ctx context.Context, res *Result, outDir string, opts Options) error {
	sc := j.cfg.Methods.SHAP
	x, err := j.matrix()
	if err != nil {
		return err
	}
	n, m := j.ds.Table.Rows(), len(j.features)
	base, err := j.baseline(sc, opts)
	if err != nil {
		return err
	}
	var local, expected, weights []float64
	k := 0
	if ix, nf, ok := interventionalExplainer(j.pred); ok && base != nil {
		// A baseline is given: the exact Shapley values of the game Kernel
		// SHAP samples (features outside a coalition take the baseline's
		// values), computed per tree instead of estimated.
		if nf != m {
			return fmt.Errorf("the model takes %d features but the data set has %d feature columns (%v)", nf, m, j.features)
		}
		k = j.pred.NumOutputs()
		local, expected = treeSHAP(contribsFunc(func(dst, x []float64) { ix.ContribsInterventional(dst, x, base) }), x, n, m, k)
		res.shapNote = fmt.Sprintf("Exact interventional TreeSHAP against the baseline of %d row(s): the values Kernel SHAP estimates, computed exactly; reported under kernel_shap.", len(base)/m)
	} else if ex, nf, ok := explainer(j.pred); ok {
		if nf != m {
			return fmt.Errorf("the model takes %d features but the data set has %d feature columns (%v)", nf, m, j.features)
		}
		k = j.pred.NumOutputs()
		local, expected = treeSHAP(ex, x, n, m, k)
		res.shapNote = "Exact TreeSHAP contributions of the tree model (margin units, as XGBoost's pred_contribs), reported under kernel_shap."
	} else {
		if base == nil {
			if base, weights, err = autoBaseline(ctx, x, n, m, sc); err != nil {
				return err
			}
		}
		if ep, ok := j.pred.(*Endpoint); ok {
			if err := ep.Probe(ctx, x[:m]); err != nil {
				return err
			}
		}
		k = j.pred.NumOutputs()
		local, expected, err = kernelSHAP(ctx, j.pred, x, n, m, k, base, weights, sc)
		if err != nil {
			return err
		}
		res.shapNote = fmt.Sprintf("Kernel SHAP on the model's scores with a baseline of %d row(s).", len(base)/m)
	}
	labels := j.outputLabels(k)
	explain := j.features
	if len(sc.FeaturesToExplain) > 0 {
		explain = nil
		for i := range sc.FeaturesToExplain {
			name, err := j.ds.resolve(&sc.FeaturesToExplain[i], fmt.Sprintf("methods.shap.features_to_explain[%d]", i))
			if err != nil {
				return err
			}
			if !slices.Contains(j.features, name) {
				return fmt.Errorf("methods.shap.features_to_explain[%d]: %q is not a model feature", i, name)
			}
			explain = append(explain, name)
		}
	}
	if res.Analysis.Explanations == nil {
		res.Analysis.Explanations = &Explanations{}
	}
	for c := range k {
		ls := LabelSHAP{Label: labels[c], ExpectedValue: expected[c]}
		col := make([]float64, n)
		for _, name := range explain {
			f := slices.Index(j.features, name)
			for i := range n {
				col[i] = local[(i*k+c)*m+f]
			}
			ls.Features = append(ls.Features, name)
			ls.GlobalValues = append(ls.GlobalValues, aggregate(col, sc.AggMethod))
		}
		res.Analysis.Explanations.KernelSHAP = append(res.Analysis.Explanations.KernelSHAP, ls)
	}
	res.Local, res.Baseline = local, base
	dir := filepath.Join(outDir, SHAPDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", SHAPDir, err)
	}
	if sc.SaveLocalSHAPValues {
		if err := writeLocal(filepath.Join(dir, LocalFile), j.features, labels, local, n, m, k); err != nil {
			return err
		}
	}
	if base != nil {
		if err := writeRows(filepath.Join(dir, BaselineFile), base, m); err != nil {
			return err
		}
	}
	return nil
}

func (j *job) outputLabels(k int) []string {
	labels := make([]string, k)
	var headers []string
	if p := j.cfg.Predictor; p != nil {
		headers = p.LabelHeaders
	}
	for c := range labels {
		if len(headers) == k {
			labels[c] = headers[c]
		} else {
			labels[c] = "label" + strconv.Itoa(c)
		}
	}
	return labels
}

// contribsFunc adapts a function to the Contribs method treeSHAP takes.
type contribsFunc func(dst, x []float64)

func (f contribsFunc) Contribs(dst, x []float64) { f(dst, x) }

// treeSHAP returns local values (n × k × m) and the expected value of
// each output from the model's exact contributions.
func treeSHAP(ex interface{ Contribs(dst, x []float64) }, x []float64, n, m, k int) (local, expected []float64) {
	contribs := make([]float64, n*k*(m+1))
	ex.Contribs(contribs, x)
	local = make([]float64, n*k*m)
	expected = make([]float64, k)
	for i := range n {
		for c := range k {
			blk := contribs[(i*k+c)*(m+1) : (i*k+c+1)*(m+1)]
			copy(local[(i*k+c)*m:], blk[:m])
			expected[c] += blk[m]
		}
	}
	for c := range expected {
		expected[c] /= float64(n)
	}
	return local, expected
}

// aggregate is Clarify's agg_method over one feature's local values.
func aggregate(v []float64, method string) float64 {
	if len(v) == 0 {
		return 0
	}
	var s float64
	switch method {
	case "median":
		c := slices.Clone(v)
		sort.Float64s(c)
		h := len(c) / 2
		if len(c)%2 == 1 {
			return c[h]
		}
		return (c[h-1] + c[h]) / 2
	case "mean_sq":
		for _, x := range v {
			s += x * x
		}
	default:
		for _, x := range v {
			s += math.Abs(x)
		}
	}
	return s / float64(len(v))
}

// baseline returns the configured baseline rows (row-major), or nil.
func (j *job) baseline(sc *SHAPConfig, opts Options) ([]float64, error) {
	m := len(j.features)
	var rows [][]string
	switch {
	case sc.Baseline != nil:
		for i, r := range sc.Baseline {
			row := make([]string, len(r))
			for c, v := range r {
				switch t := v.(type) {
				case json.Number:
					row[c] = t.String()
				case string:
					row[c] = t
				case nil:
					row[c] = ""
				default:
					return nil, fmt.Errorf("methods.shap.baseline[%d][%d]: %v is not a number", i, c, v)
				}
			}
			rows = append(rows, row)
		}
	case sc.BaselinePath != "":
		path, err := j.findBaseline(sc.BaselinePath, opts)
		if err != nil {
			return nil, err
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("methods.shap.baseline: %w", err)
		}
		defer f.Close()
		cr := csv.NewReader(bufio.NewReader(f))
		cr.FieldsPerRecord = -1
		if rows, err = cr.ReadAll(); err != nil {
			return nil, fmt.Errorf("methods.shap.baseline: reading %q: %w", path, err)
		}
	default:
		return nil, nil
	}
	if len(rows) == 0 {
		return nil, errors.New("methods.shap.baseline: no rows")
	}
	out := make([]float64, 0, len(rows)*m)
	for i, r := range rows {
		if len(r) != m {
			return nil, fmt.Errorf("methods.shap.baseline: row %d has %d values, want %d (the features %v)", i+1, len(r), m, j.features)
		}
		for c, s := range r {
			v, err := cell.Number(s)
			if err != nil {
				return nil, fmt.Errorf("methods.shap.baseline: row %d, feature %s: %w", i+1, quote.Value(j.features[c]), err)
			}
			out = append(out, v)
		}
	}
	return out, nil
}

func (j *job) findBaseline(p string, opts Options) (string, error) {
	if strings.Contains(p, "://") {
		return "", fmt.Errorf("methods.shap.baseline: %q: only local files are supported", p)
	}
	if filepath.IsAbs(p) {
		return p, nil
	}
	dirs := append([]string{j.cfg.Dir}, opts.BaselineDirs...)
	for _, d := range dirs {
		c := filepath.Join(d, p)
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
		c = filepath.Join(d, filepath.Base(p))
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("methods.shap.baseline: file %q not found (looked in %v)", p, dirs)
}

func writeLocal(path string, features, labels []string, local []float64, n, m, k int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing local SHAP values: %w", err)
	}
	w := bufio.NewWriter(f)
	for c := range k {
		for fi, name := range features {
			if c > 0 || fi > 0 {
				w.WriteByte(',')
			}
			w.WriteString(csvField(name + "_" + labels[c]))
		}
	}
	w.WriteByte('\n')
	for i := range n {
		for c := range k {
			for fi := range m {
				if c > 0 || fi > 0 {
					w.WriteByte(',')
				}
				w.WriteString(formatCSVFloat(local[(i*k+c)*m+fi]))
			}
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing local SHAP values: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing local SHAP values: %w", err)
	}
	return nil
}

func writeRows(path string, rows []float64, m int) error {
	var b strings.Builder
	for i := 0; i < len(rows); i += m {
		for c := range m {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteString(formatCSVFloat(rows[i+c]))
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing SHAP baseline: %w", err)
	}
	return nil
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
