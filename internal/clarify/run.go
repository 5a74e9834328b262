// Package clarify runs a SageMaker Clarify processing job: it reads
// Clarify's analysis_config.json and a CSV data set, computes bias
// metrics (package bias), SHAP explanations and partial dependence for a
// model, and writes Clarify's output folder: analysis.json,
// explanations_shap/out.csv and baseline.csv, and a self-contained
// report.html.
//
// # SHAP for tree models
//
// When the model has exact SHAP values (it implements model.Explainer:
// trees, linear models), the SHAP values are its contributions (for
// trees the path-dependent TreeSHAP values XGBoost's pred_contribs
// gives, in margin units) instead of a Kernel SHAP estimate; they are still written under "kernel_shap" so tools
// reading Clarify's layout keep working. Other models get Kernel SHAP on
// their scores with the configured or automatic (k-means) baseline.
package clarify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/ferryml/ferry/bias"
)

// predictedColumn names the column that holds a model's predicted labels.
const predictedColumn = "_ferry_predicted_label"

// Options tunes a run.
type Options struct {
	// BaselineDirs are searched, after the config's Dir, for a relative
	// methods.shap.baseline path.
	BaselineDirs []string
}

// Result is what a run produced.
type Result struct {
	Analysis *Analysis
	// Features are the model's input columns, in order.
	Features []string
	// Local holds the local SHAP values (rows × outputs × features) when
	// SHAP was computed.
	Local []float64
	// Baseline holds the baseline rows used for SHAP (row-major).
	Baseline []float64

	rows     int
	shapNote string
}

// job is one run's resolved state.
type job struct {
	cfg       *Config
	ds        *Dataset
	pred      Predictor
	label     string
	predicted string
	features  []string
	x         []float64 // rows × features, lazily built
}

// Run runs the Clarify job configured by cfg on the CSV at dataPath and
// writes the output folder outDir. pred may be nil when no method needs a
// model (bias with a predicted_label column).
func Run(ctx context.Context, cfg *Config, dataPath string, pred Predictor, outDir string, opts Options) (*Result, error) {
	ds, err := ReadData(dataPath, cfg.Headers)
	if err != nil {
		return nil, err
	}
	return RunDataset(ctx, cfg, ds, pred, outDir, opts)
}

// ErrModelNeeded is returned when the configured methods (SHAP, partial
// dependence, post-training bias without predicted_label) need a model and
// none was given.
var ErrModelNeeded = errors.New("the configured methods need a model: give one or set predicted_label for bias only")

// RunDataset is Run on a data set already read.
func RunDataset(ctx context.Context, cfg *Config, ds *Dataset, pred Predictor, outDir string, opts Options) (*Result, error) {
	j := &job{cfg: cfg, ds: ds, pred: pred}
	if err := j.resolveColumns(); err != nil {
		return nil, err
	}
	m := cfg.Methods
	needModel := m.SHAP != nil || m.PDP != nil || (m.PostTraining != nil && j.predicted == "")
	if needModel && pred == nil {
		return nil, ErrModelNeeded
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating output folder: %w", err)
	}
	res := &Result{Analysis: &Analysis{Version: "1.0"}, Features: j.features, rows: ds.Table.Rows()}
	if m.PreTraining != nil || m.PostTraining != nil {
		if err := j.bias(ctx, res.Analysis); err != nil {
			return nil, err
		}
	}
	if m.SHAP != nil {
		if err := j.explain(ctx, res, outDir, opts); err != nil {
			return nil, err
		}
	}
	if m.PDP != nil {
		if err := j.pdp(ctx, res); err != nil {
			return nil, err
		}
	}
	if err := res.Analysis.WriteFile(filepath.Join(outDir, AnalysisFile)); err != nil {
		return nil, err
	}
	name, title := "report", "Analysis Report"
	if m.Report != nil {
		name, title = m.Report.Name, m.Report.Title
	}
	if err := writeReport(filepath.Join(outDir, name+".html"), title, res); err != nil {
		return nil, err
	}
	return res, nil
}

func (j *job) resolveColumns() error {
	cfg, ds := j.cfg, j.ds
	drop := map[string]bool{}
	if cfg.Label != nil {
		n, err := ds.resolve(cfg.Label, "label")
		if err != nil {
			return err
		}
		j.label, drop[n] = n, true
	}
	if cfg.PredictedLabel != nil {
		n, err := ds.resolve(cfg.PredictedLabel, "predicted_label")
		if err != nil {
			return err
		}
		j.predicted, drop[n] = n, true
	}
	for i := range cfg.ExcludedColumns {
		n, err := ds.resolve(&cfg.ExcludedColumns[i], fmt.Sprintf("excluded_columns[%d]", i))
		if err != nil {
			return err
		}
		drop[n] = true
	}
	for _, n := range ds.Names() {
		if !drop[n] {
			j.features = append(j.features, n)
		}
	}
	// A model that names its inputs gets them in its order when the data
	// set has them all (extra columns are then not sent).
	if nm, ok := j.pred.(interface{ FeatureNames() []string }); ok {
		if names := nm.FeatureNames(); len(names) > 0 && allIn(names, j.features) {
			j.features = slices.Clone(names)
		}
	}
	if len(j.features) == 0 {
		return errors.New("no feature columns remain after removing the label, predicted label and excluded columns")
	}
	return nil
}

// matrix returns the feature matrix, built once.
func (j *job) matrix() ([]float64, error) {
	if j.x == nil {
		x, err := j.ds.matrix(j.features)
		if err != nil {
			return nil, err
		}
		j.x = x
	}
	return j.x, nil
}

// scores returns the model's scores for every row.
func (j *job) scores(ctx context.Context) ([]float64, int, error) {
	x, err := j.matrix()
	if err != nil {
		return nil, 0, err
	}
	n := j.ds.Table.Rows()
	if ep, ok := j.pred.(*Endpoint); ok && n > 0 {
		if err := ep.Probe(ctx, x[:len(j.features)]); err != nil {
			return nil, 0, err
		}
	}
	k := j.pred.NumOutputs()
	out := make([]float64, n*k)
	if err := j.pred.Predict(ctx, out, x, n); err != nil {
		return nil, 0, fmt.Errorf("predicting labels: %w", err)
	}
	return out, k, nil
}

func (j *job) bias(ctx context.Context, a *Analysis) error {
	cfg := j.cfg
	bc := bias.Config{
		Label:        j.label,
		LabelValues:  cfg.LabelValues,
		PreTraining:  cfg.Methods.PreTraining,
		PostTraining: cfg.Methods.PostTraining,
	}
	for i := range cfg.ExcludedColumns {
		n, _ := j.ds.resolve(&cfg.ExcludedColumns[i], "excluded_columns")
		bc.Excluded = append(bc.Excluded, n)
	}
	for i, f := range cfg.Facets {
		n, err := j.ds.resolve(&f.Column, fmt.Sprintf("facet[%d].name_or_index", i))
		if err != nil {
			return err
		}
		bc.Facets = append(bc.Facets, bias.Facet{Name: n, Values: f.Values})
	}
	if cfg.GroupVariable != nil {
		n, err := j.ds.resolve(cfg.GroupVariable, "group_variable")
		if err != nil {
			return err
		}
		bc.GroupVariable = n
	}
	table := &j.ds.Table
	if cfg.Methods.PostTraining != nil {
		if j.predicted != "" {
			bc.PredictedLabel = j.predicted
		} else {
			col, err := j.predictedLabels(ctx)
			if err != nil {
				return err
			}
			t := bias.Table{Columns: append(slices.Clip(table.Columns), col)}
			table = &t
			bc.PredictedLabel = predictedColumn
		}
	}
	rep, err := bias.Compute(table, bc)
	if err != nil {
		return fmt.Errorf("computing bias metrics: %w", err)
	}
	a.PreTraining, a.PostTraining = rep.PreTraining, rep.PostTraining
	return nil
}

// predictedLabels turns the model's scores into labels: score >
// probability_threshold for one output, the arg-max output otherwise.
func (j *job) predictedLabels(ctx context.Context) (bias.Column, error) {
	s, k, err := j.scores(ctx)
	if err != nil {
		return bias.Column{}, err
	}
	n := j.ds.Table.Rows()
	labels := make([]float64, n)
	for i := range n {
		row := s[i*k : (i+1)*k]
		if k == 1 {
			if math.IsNaN(row[0]) {
				return bias.Column{}, fmt.Errorf("the model's score for row %d is NaN", i+1)
			}
			if row[0] > j.cfg.ProbabilityThreshold {
				labels[i] = 1
			}
			continue
		}
		best := 0
		for c := range row {
			if row[c] > row[best] {
				best = c
			}
		}
		labels[i] = float64(best)
	}
	return bias.NumericColumn(predictedColumn, labels), nil
}

func allIn(names, set []string) bool {
	for _, n := range names {
		if !slices.Contains(set, n) {
			return false
		}
	}
	return true
}
