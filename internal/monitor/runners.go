package monitor

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/clarify"
	"github.com/ferryml/ferry/internal/feature"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/registry"
)

// runEnv is one execution's resolved state.
type runEnv struct {
	svc         *Service
	m           Monitor
	ep          registry.Endpoint
	w           Window
	work        string
	captureRoot string

	mdl       *model.Model
	transform *feature.Transform
}

// model loads the model of the endpoint's first variant (once).
func (e *runEnv) model(ctx context.Context) (*model.Model, error) {
	if e.mdl != nil {
		return e.mdl, nil
	}
	if len(e.ep.Config.Variants) == 0 {
		return nil, fmt.Errorf("endpoint %q has no variant", e.ep.Name)
	}
	dir, err := e.svc.Artifacts.Path(ctx, e.ep.Config.Variants[0].Model)
	if err != nil {
		return nil, fmt.Errorf("loading the endpoint's model: %w", err)
	}
	mdl, err := model.Load(dir)
	if err != nil {
		return nil, err
	}
	if tr := mdl.Manifest.Transform; len(tr) > 0 && string(tr) != "null" {
		if e.transform, err = feature.Parse(tr); err != nil {
			return nil, fmt.Errorf("loading the endpoint's model: feature transform: %w", err)
		}
	}
	e.mdl = mdl
	return mdl, nil
}

// captures calls fn with each captured request of the window and its
// parsed input records.
func (e *runEnv) captures(fn func(c *Captured, recs []Record) error) error {
	return ReadCaptures(e.captureRoot, e.m.Endpoint, e.w, func(c *Captured) error {
		recs, err := ParseInput(c.InputType, c.Input)
		if err != nil {
			return fmt.Errorf("captured request %s: %w", c.EventID, err)
		}
		return fn(c, recs)
	})
}

func (e *runEnv) dataQuality(ctx context.Context) (outcome, error) {
	consPath, err := e.svc.baselineFile(ctx, e.m, BaselineConstraints, ConstraintsFile)
	if err != nil {
		return outcome{}, err
	}
	cons, err := ReadConstraints(consPath)
	if err != nil {
		return outcome{}, err
	}
	var base *Statistics
	if _, ok := e.m.Baseline[BaselineStatistics]; ok {
		p, err := e.svc.baselineFile(ctx, e.m, BaselineStatistics, StatisticsFile)
		if err != nil {
			return outcome{}, err
		}
		if base, err = ReadStatistics(p); err != nil {
			return outcome{}, err
		}
	}
	// Positional (CSV) records take the model's feature names, else the
	// baseline's.
	var names []string
	if mdl, err := e.model(ctx); err == nil && len(mdl.Manifest.FeatureNames) > 0 {
		names = mdl.Manifest.FeatureNames
	} else {
		for _, f := range cons.Features {
			names = append(names, f.Name)
		}
	}
	p, err := ProfileCaptures(e.captureRoot, e.m.Endpoint, e.w, names, 0)
	if err != nil {
		return outcome{}, err
	}
	if p.items == 0 {
		return outcome{}, errNoData
	}
	prof := p.Profile()
	vs, drifts := Check(prof, base, cons)
	if err := WriteJSON(filepath.Join(e.work, StatisticsFile), prof.Statistics); err != nil {
		return outcome{}, err
	}
	rep := report{Monitor: e.m, Window: e.w, Records: p.items, Violations: vs, Drift: drifts, Statistics: prof.Statistics, Baseline: base}
	return outcome{records: p.items, violations: vs}, rep.write(filepath.Join(e.work, ReportFile))
}

// joined is captured predictions with their ground truth.
type joined struct {
	rows      [][]float64 // model inputs, when wanted
	scores    []float64
	labels    []string
	unmatched int64
}

// join reads the window's predictions and joins them with the uploaded
// labels by inference id; with inputs it also encodes each record.
func (e *runEnv) join(ctx context.Context, inputs bool) (*joined, error) {
	gt, err := ReadGroundTruth(e.svc.GroundTruthRoot, e.m.Endpoint)
	if err != nil {
		return nil, err
	}
	var enc *encoder
	if inputs {
		if enc, err = e.encoder(ctx); err != nil {
			return nil, err
		}
	}
	j := &joined{}
	err = ReadCaptures(e.captureRoot, e.m.Endpoint, e.w, func(c *Captured) error {
		var recs []Record
		if inputs { // model quality needs only the predictions
			var err error
			if recs, err = ParseInput(c.InputType, c.Input); err != nil {
				return fmt.Errorf("captured request %s: %w", c.EventID, err)
			}
		}
		scores, err := ParseScores(c.OutputType, c.Output)
		if err != nil {
			return fmt.Errorf("captured response %s: %w", c.EventID, err)
		}
		label, ok := gt[c.Key()]
		if !ok {
			j.unmatched += int64(len(scores))
			return nil
		}
		labels := []string{label}
		if len(scores) > 1 {
			labels = strings.FieldsFunc(label, func(r rune) bool { return r == '\n' || r == ',' })
		}
		if len(labels) != len(scores) {
			return fmt.Errorf("ground truth of %s has %d labels for %d predictions", c.Key(), len(labels), len(scores))
		}
		if inputs && len(recs) != len(scores) {
			return fmt.Errorf("captured request %s has %d records and %d predictions", c.EventID, len(recs), len(scores))
		}
		for i := range scores {
			if inputs {
				row, err := enc.encode(recs[i])
				if err != nil {
					return fmt.Errorf("captured request %s record %d: %w", c.EventID, i+1, err)
				}
				j.rows = append(j.rows, row)
			}
			j.scores = append(j.scores, scores[i])
			j.labels = append(j.labels, strings.TrimSpace(labels[i]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(j.scores) == 0 {
		if j.unmatched > 0 {
			return nil, fmt.Errorf("none of the %d captured predictions in the window has ground truth (upload it with the inference ids)", j.unmatched)
		}
		return nil, errNoData
	}
	return j, nil
}

func (e *runEnv) modelQuality(ctx context.Context) (outcome, error) {
	consPath, err := e.svc.baselineFile(ctx, e.m, BaselineConstraints, ConstraintsFile)
	if err != nil {
		return outcome{}, err
	}
	var cons QualityConstraints
	if err := readJSON(consPath, &cons); err != nil {
		return outcome{}, err
	}
	j, err := e.join(ctx, false)
	if err != nil {
		return outcome{}, err
	}
	y := make([]float64, len(j.labels))
	for i, l := range j.labels {
		if y[i], err = ParseLabel(l); err != nil {
			return outcome{}, fmt.Errorf("ground truth: %w", err)
		}
	}
	st, err := QualityMetrics(e.m.Config.ProblemType, y, j.scores, e.threshold())
	if err != nil {
		return outcome{}, err
	}
	vs := CheckQuality(st, &cons)
	if err := WriteJSON(filepath.Join(e.work, StatisticsFile), st); err != nil {
		return outcome{}, err
	}
	rep := report{Monitor: e.m, Window: e.w, Records: int64(len(y)), Unmatched: j.unmatched, Violations: vs, Metrics: st.values(), Constraints: &cons}
	return outcome{records: int64(len(y)), violations: vs}, rep.write(filepath.Join(e.work, ReportFile))
}

func (e *runEnv) threshold() float64 {
	if t := e.m.Config.ProbabilityThreshold; t > 0 {
		return t
	}
	return 0.5
}

// predictedColumn names the predicted-label column of a bias data set.
const predictedColumn = "_monitor_predicted_label"

func (e *runEnv) biasDrift(ctx context.Context) (outcome, error) {
	basePath, err := e.svc.baselineFile(ctx, e.m, BaselineAnalysis, clarify.AnalysisFile)
	if err != nil {
		return outcome{}, err
	}
	base, err := clarify.ReadAnalysis(basePath)
	if err != nil {
		return outcome{}, err
	}
	if base.PostTraining == nil {
		return outcome{}, errors.New("the bias baseline has no post-training bias metrics")
	}
	cfg, err := clarify.ParseConfig(e.m.Config.Analysis)
	if err != nil {
		return outcome{}, fmt.Errorf("analysis config: %w", err)
	}
	if cfg.Methods.PostTraining == nil {
		return outcome{}, errors.New("analysis config: methods.post_training_bias is not set")
	}
	label := "label"
	if cfg.Label != nil && !cfg.Label.IsIndex {
		label = cfg.Label.Name
	}
	cfg.Headers = nil
	cfg.Label = &clarify.Column{Name: label}
	cfg.PredictedLabel = &clarify.Column{Name: predictedColumn}
	cfg.Methods.PreTraining, cfg.Methods.SHAP, cfg.Methods.PDP = nil, nil, nil
	j, err := e.join(ctx, true)
	if err != nil {
		return outcome{}, err
	}
	names := e.mdl.Manifest.FeatureNames
	header := append(append([]string{label}, names...), predictedColumn)
	thr := e.threshold()
	path, err := writeRows(filepath.Join(e.work, "data"), header, len(j.rows), func(i int, row []string) []string {
		row = append(row, j.labels[i])
		row = appendFloats(row, j.rows[i])
		p := "0"
		if j.scores[i] >= thr {
			p = "1"
		}
		return append(row, p)
	})
	if err != nil {
		return outcome{}, err
	}
	res, err := clarify.Run(ctx, cfg, path, nil, filepath.Join(e.work, "clarify"), clarify.Options{})
	if err != nil {
		return outcome{}, fmt.Errorf("computing post-training bias: %w", err)
	}
	var vs []Violation
	for _, v := range clarify.BiasDrift(res.Analysis.PostTraining, base.PostTraining) {
		vs = append(vs, Violation{FeatureName: v.Facet, MetricName: v.MetricName, ConstraintCheckType: BiasDriftCheck,
			Description: fmt.Sprintf("%s (facet %s = %s; the baseline's value is the constraint)", v.Description, v.Facet, v.FacetValue)})
	}
	if err := os.RemoveAll(filepath.Dir(path)); err != nil {
		return outcome{}, fmt.Errorf("removing the bias data set: %w", err)
	}
	rep := report{Monitor: e.m, Window: e.w, Records: int64(len(j.rows)), Unmatched: j.unmatched, Violations: vs, Metrics: biasValues(res.Analysis)}
	return outcome{records: int64(len(j.rows)), violations: vs}, rep.write(filepath.Join(e.work, ReportFile))
}

func biasValues(a *clarify.Analysis) map[string]float64 {
	out := map[string]float64{}
	if a.PostTraining == nil {
		return out
	}
	for _, f := range a.PostTraining.Facets {
		for _, en := range f.Entries {
			for _, m := range en.Metrics {
				if m.Value != nil {
					out[f.Name+"="+en.ValueOrThreshold+" "+m.Name] = *m.Value
				}
			}
		}
	}
	return out
}

func (e *runEnv) featureAttribution(ctx context.Context) (outcome, error) {
	basePath, err := e.svc.baselineFile(ctx, e.m, BaselineAnalysis, clarify.AnalysisFile)
	if err != nil {
		return outcome{}, err
	}
	base, err := clarify.ReadAnalysis(basePath)
	if err != nil {
		return outcome{}, err
	}
	if base.Explanations == nil || len(base.Explanations.KernelSHAP) == 0 {
		return outcome{}, errors.New("the explainability baseline has no SHAP values")
	}
	cfg, err := clarify.ParseConfig(e.m.Config.Analysis)
	if err != nil {
		return outcome{}, fmt.Errorf("analysis config: %w", err)
	}
	if cfg.Methods.SHAP == nil {
		return outcome{}, errors.New("analysis config: methods.shap is not set")
	}
	cfg.Headers, cfg.Label, cfg.PredictedLabel = nil, nil, nil
	cfg.Methods.PreTraining, cfg.Methods.PostTraining, cfg.Methods.PDP = nil, nil, nil
	cfg.Methods.SHAP.SaveLocalSHAPValues = false
	enc, err := e.encoder(ctx)
	if err != nil {
		return outcome{}, err
	}
	var rows [][]float64
	if err := e.captures(func(c *Captured, recs []Record) error {
		for i, r := range recs {
			row, err := enc.encode(r)
			if err != nil {
				return fmt.Errorf("captured request %s record %d: %w", c.EventID, i+1, err)
			}
			rows = append(rows, row)
		}
		return nil
	}); err != nil {
		return outcome{}, err
	}
	if len(rows) == 0 {
		return outcome{}, errNoData
	}
	names := e.mdl.Manifest.FeatureNames
	path, err := writeRows(filepath.Join(e.work, "data"), names, len(rows), func(i int, row []string) []string {
		return appendFloats(row, rows[i])
	})
	if err != nil {
		return outcome{}, err
	}
	res, err := clarify.Run(ctx, cfg, path, clarify.FromModel(e.mdl.Predictor, names...), filepath.Join(e.work, "clarify"), clarify.Options{})
	if err != nil {
		return outcome{}, fmt.Errorf("computing SHAP values: %w", err)
	}
	var vs []Violation
	for _, v := range clarify.ExplainabilityDrift(res.Analysis.Explanations, base.Explanations) {
		vs = append(vs, Violation{FeatureName: v.Label, MetricName: "ndcg", ConstraintCheckType: FeatureAttributionDriftChk, Description: v.Description})
	}
	metrics := map[string]float64{}
	byLabel := map[string]clarify.LabelSHAP{}
	for _, l := range base.Explanations.KernelSHAP {
		byLabel[l.Label] = l
	}
	for _, l := range res.Analysis.Explanations.KernelSHAP {
		if b, ok := byLabel[l.Label]; ok {
			metrics["ndcg "+l.Label] = clarify.NDCG(l, b)
		}
	}
	if err := os.RemoveAll(filepath.Dir(path)); err != nil {
		return outcome{}, fmt.Errorf("removing the data set: %w", err)
	}
	rep := report{Monitor: e.m, Window: e.w, Records: int64(len(rows)), Violations: vs, Metrics: metrics}
	return outcome{records: int64(len(rows)), violations: vs}, rep.write(filepath.Join(e.work, ReportFile))
}

// encoder turns captured records into model inputs: named records through
// the model's feature transform (or by feature name), positional ones as
// numbers in model order.
type encoder struct {
	names     []string
	index     map[string]int
	transform *feature.Transform
}

func (e *runEnv) encoder(ctx context.Context) (*encoder, error) {
	mdl, err := e.model(ctx)
	if err != nil {
		return nil, err
	}
	enc := &encoder{names: mdl.Manifest.FeatureNames, index: map[string]int{}, transform: e.transform}
	for i, n := range enc.names {
		enc.index[n] = i
	}
	if len(enc.names) == 0 {
		return nil, errors.New("the endpoint's model does not name its features")
	}
	return enc, nil
}

func (enc *encoder) encode(r Record) ([]float64, error) {
	row := make([]float64, len(enc.names))
	if r.Names == nil {
		if len(r.Values) != len(row) {
			return nil, fmt.Errorf("%d values for %d features", len(r.Values), len(row))
		}
		for i, v := range r.Values {
			if !r.Present[i] {
				row[i] = nan
				continue
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("column %d: %q is not a number", i+1, v)
			}
			row[i] = x
		}
		return row, nil
	}
	if enc.transform != nil {
		rec := make(map[string]string, len(r.Names))
		for i, n := range r.Names {
			if r.Present[i] {
				rec[n] = r.Values[i]
			}
		}
		if err := enc.transform.Encode(row, rec); err != nil {
			return nil, err
		}
		return row, nil
	}
	for i := range row {
		row[i] = nan
	}
	for i, n := range r.Names {
		j, ok := enc.index[n]
		if !ok || !r.Present[i] {
			continue
		}
		x, err := strconv.ParseFloat(r.Values[i], 64)
		if err != nil {
			return nil, fmt.Errorf("field %q: %q is not a number", n, r.Values[i])
		}
		row[j] = x
	}
	return row, nil
}

// writeRows writes a CSV file with a header and n rows built by fill.
func writeRows(dir string, header []string, n int, fill func(i int, row []string) []string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("writing data set: %w", err)
	}
	path := filepath.Join(dir, "data.csv")
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("writing data set: %w", err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	row := make([]string, 0, len(header))
	for i := range n {
		row = fill(i, row[:0])
		_ = w.Write(row)
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		return "", fmt.Errorf("writing data set: %w", err)
	}
	return path, nil
}

func appendFloats(row []string, xs []float64) []string {
	for _, x := range xs {
		if x != x {
			row = append(row, "")
		} else {
			row = append(row, strconv.FormatFloat(x, 'g', -1, 64))
		}
	}
	return row
}
