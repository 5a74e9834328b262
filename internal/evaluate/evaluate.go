// Package evaluate is the evaluate processor: it loads a model artifact
// and a labelled test set, predicts, and writes evaluation.json, the
// property file that pipeline conditions read, in SageMaker's layout:
//
//	{"classification_metrics": {"roc_auc": {"value": 0.83}, "pr_auc": {...},
//	  "logloss": {...}, "accuracy": {...}, "precision": {...}, "recall": {...},
//	  "f1": {...}, "confusion_matrix": {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}}}
//
// for binary classifiers (the confusion matrix is keyed by actual, then
// predicted label), and {"regression_metrics": {"mse", "rmse", "mae",
// "r2"}} (each {"value": v}) for regressors. Multi-class models get
// accuracy and the confusion matrix of the most probable class; a
// multi:softmax model predicts the class itself (one value per row; the
// manifest's num_class gives the classes), and its document is the same
// (it never had probability metrics such as logloss). A binary:logitraw
// model predicts margins: evaluate applies the sigmoid before computing
// the binary metrics, so roc_auc, logloss and the threshold (default 0.5,
// margin 0) apply to probabilities as for binary:logistic.
package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ferryml/ferry/internal/frame"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/prepare"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/processing"
	"github.com/ferryml/ferry/metric"
)

// Name is the processor's ID.
const Name = "evaluate"

const version = "1+" + model.Version + "+metric/" + metric.Version + "+frame/" + frame.Version

// Input, output and file names.
const (
	InputModel     = "model"
	InputTest      = "test"
	OutputName     = "evaluation"
	EvaluationFile = "evaluation.json"
)

// Config is the evaluate step's "config" argument.
type Config struct {
	// Threshold is the probability at or above which a binary prediction
	// is positive (default 0.5).
	Threshold *float64 `json:"threshold,omitempty"`
	// Label names the label column; by default the first column
	// (SageMaker's convention).
	Label string `json:"label,omitempty"`
	// Header says whether the test CSV has a header row; by default it
	// is detected (a first row of numbers only is data).
	Header *bool `json:"header,omitempty"`
	// File is the test file inside the test artifact; by default its only
	// .csv or .parquet file.
	File string `json:"file,omitempty"`
}

// loadFunc loads a model directory; tests substitute fakes.
type loadFunc func(dir string) (model.Predictor, *model.Manifest, error)

// Processor is the evaluate processor.
type Processor struct {
	load loadFunc
}

// New returns the processor, which loads models with model.Load.
func New() *Processor { return &Processor{load: loadModel} }

func loadModel(dir string) (model.Predictor, *model.Manifest, error) {
	m, err := model.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	return m, &m.Manifest, nil
}

// Name returns "evaluate".
func (*Processor) Name() string { return Name }

// Version returns the processor's code version.
func (*Processor) Version() string { return version }

// Inputs declares model and test.
func (*Processor) Inputs() []step.Field {
	return []step.Field{
		{Name: InputModel, Type: step.Artifact, Required: true, Description: "a model artifact directory"},
		{Name: InputTest, Type: step.Artifact, Required: true, Description: "a test set, label first"},
	}
}

// Outputs declares evaluation.
func (*Processor) Outputs() []step.Field {
	return []step.Field{{Name: OutputName, Type: step.Artifact, Description: "evaluation.json"}}
}

// ValidateConfig checks the config; errors are *step.FieldError.
func (*Processor) ValidateConfig(config map[string]any) []error {
	_, errs := parseConfig(config)
	return errs
}

func parseConfig(config map[string]any) (Config, []error) {
	var cfg Config
	var errs []error
	for k, v := range config {
		if _, ref := v.(*step.RefPlaceholder); ref {
			continue
		}
		switch k {
		case "threshold":
			f, ok := v.(float64)
			if !ok {
				if i, isInt := v.(int64); isInt {
					f, ok = float64(i), true
				}
			}
			if !ok || f < 0 || f > 1 || math.IsNaN(f) {
				errs = append(errs, &step.FieldError{Field: "config.threshold", Msg: fmt.Sprintf("want a number in [0, 1], got %v", v)})
				continue
			}
			cfg.Threshold = &f
		case "label", "file":
			s, ok := v.(string)
			if !ok {
				errs = append(errs, &step.FieldError{Field: "config." + k, Msg: fmt.Sprintf("want a string, got %v", v)})
				continue
			}
			if k == "label" {
				cfg.Label = s
			} else {
				cfg.File = s
			}
		case "header":
			b, ok := v.(bool)
			if !ok {
				errs = append(errs, &step.FieldError{Field: "config.header", Msg: fmt.Sprintf("want a boolean, got %v", v)})
				continue
			}
			cfg.Header = &b
		default:
			errs = append(errs, &step.FieldError{Field: "config", Msg: fmt.Sprintf("unknown key %q (want threshold, label, header or file)", k)})
		}
	}
	return cfg, errs
}

// Process loads the model and test set and writes evaluation.json.
func (p *Processor) Process(ctx context.Context, job processing.Job) (map[string]any, error) {
	cfg, errs := parseConfig(job.Config)
	if len(errs) > 0 {
		return nil, step.Permanent(fmt.Errorf("evaluate config: %w", errs[0]))
	}
	modelDir, ok := job.Inputs[InputModel]
	if !ok {
		return nil, step.Permanent(fmt.Errorf("evaluate: no %q input", InputModel))
	}
	testDir, ok := job.Inputs[InputTest]
	if !ok {
		return nil, step.Permanent(fmt.Errorf("evaluate: no %q input", InputTest))
	}
	outDir, ok := job.OutputDirs[OutputName]
	if !ok {
		return nil, step.Permanent(fmt.Errorf("evaluate: no %q output", OutputName))
	}
	if p.load == nil {
		return nil, step.Permanent(fmt.Errorf("evaluate: no model loader configured"))
	}
	pred, man, err := p.load(modelDir)
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("loading model: %w", err))
	}
	test, err := readTest(testDir, cfg)
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("reading test set: %w", err))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	doc, err := Evaluate(pred, man, test, cfg)
	if err != nil {
		return nil, step.Permanent(err)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding evaluation: %w", err)
	}
	if err := os.WriteFile(filepath.Join(outDir, EvaluationFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("writing evaluation: %w", err)
	}
	return doc, nil
}

func readTest(dir string, cfg Config) (*frame.Frame, error) {
	in := prepare.InputConfig{File: cfg.File}
	header := true
	if cfg.Header != nil {
		header = *cfg.Header
	} else {
		var err error
		if header, err = detectHeader(dir, cfg.File); err != nil {
			return nil, err
		}
	}
	in.NoHeader = !header
	return prepare.ReadInput(dir, in)
}

// detectHeader reports whether the CSV's first row holds any non-number.
func detectHeader(dir, file string) (bool, error) {
	f, err := prepare.ReadInput(dir, prepare.InputConfig{File: file, NoHeader: true})
	if err != nil {
		return false, err
	}
	if f.NumRows() == 0 {
		return true, nil
	}
	for _, c := range f.Columns() {
		if c.Type == frame.String && c.IsValid(0) {
			if _, err := strconv.ParseFloat(c.Strings[0], 64); err != nil {
				return true, nil
			}
		}
	}
	return false, nil
}

// value is one metric in evaluation.json: {"value": v}.
func value(v float64) map[string]any { return map[string]any{"value": v} }

// Evaluate predicts the test frame with the model and returns the
// evaluation document. The label is cfg.Label or the first column; the
// features are the manifest's feature names when the frame has them all,
// else the columns after the label, in order.
func Evaluate(pred model.Predictor, man *model.Manifest, test *frame.Frame, cfg Config) (map[string]any, error) {
	if test.NumRows() == 0 {
		return nil, fmt.Errorf("evaluating: the test set has no rows")
	}
	labelName := test.Columns()[0].Name
	if cfg.Label != "" {
		labelName = cfg.Label
	}
	lc, err := test.Lookup(labelName)
	if err != nil {
		return nil, fmt.Errorf("evaluating: label: %w", err)
	}
	y, err := toFloats(lc)
	if err != nil {
		return nil, fmt.Errorf("evaluating: label: %w", err)
	}
	for i, v := range y {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("evaluating: label %q is missing at row %d", labelName, i)
		}
	}
	feats, err := featureColumns(test, labelName, man)
	if err != nil {
		return nil, fmt.Errorf("evaluating: %w", err)
	}
	nf := pred.NumFeatures()
	if len(feats) != nf {
		return nil, fmt.Errorf("evaluating: the test set has %d feature columns, the model takes %d", len(feats), nf)
	}
	n := test.NumRows()
	x := make([]float64, n*nf)
	for j, c := range feats {
		col, err := toFloats(c)
		if err != nil {
			return nil, fmt.Errorf("evaluating: feature: %w", err)
		}
		for i, v := range col {
			x[i*nf+j] = v
		}
	}
	no := pred.NumOutputs()
	out := make([]float64, n*no)
	pred.Predict(out, x)
	task := ""
	if man != nil {
		task = man.Task
	}
	threshold := 0.5
	if cfg.Threshold != nil {
		threshold = *cfg.Threshold
	}
	objective := ""
	if man != nil {
		objective = man.Objective
	}
	switch task {
	case model.TaskBinary:
		if no != 1 {
			return nil, fmt.Errorf("evaluating: binary model with %d outputs", no)
		}
		if objective == objBinaryLogitRaw {
			// binary:logitraw predicts margins: metrics take probabilities.
			for i, v := range out {
				out[i] = 1 / (1 + math.Exp(-v))
			}
		}
		return binaryMetrics(y, out, threshold)
	case model.TaskRegression:
		return regressionMetrics(y, out)
	case model.TaskMulticlass:
		if no == 1 {
			// multi:softmax predicts the class index, not probabilities.
			k := 0
			if man != nil {
				k = man.NumClass
			}
			if k < 2 {
				return nil, fmt.Errorf("evaluating: multi-class model (objective %q) predicts one value per row and its manifest gives num_class %d; want num_class >= 2", objective, k)
			}
			pred := make([]int, n)
			for i, v := range out {
				if v != math.Trunc(v) || v < 0 || int(v) >= k {
					return nil, fmt.Errorf("evaluating: the model predicted %v for row %d, not a class in 0..%d", v, i, k-1)
				}
				pred[i] = int(v)
			}
			return multiclassMetrics(y, pred, k)
		}
		pred := make([]int, n)
		for i := range pred {
			best := 0
			for j := 1; j < no; j++ {
				if out[i*no+j] > out[i*no+best] {
					best = j
				}
			}
			pred[i] = best
		}
		return multiclassMetrics(y, pred, no)
	}
	return nil, fmt.Errorf("evaluating: model task %q: want %s, %s or %s", task, model.TaskBinary, model.TaskRegression, model.TaskMulticlass)
}

func toFloats(c *frame.Column) ([]float64, error) {
	fc, err := c.ToFloat()
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(fc.Floats))
	for i, v := range fc.Floats {
		if !fc.IsValid(i) {
			v = math.NaN()
		}
		out[i] = v
	}
	return out, nil
}

func featureColumns(test *frame.Frame, label string, man *model.Manifest) ([]*frame.Column, error) {
	if man != nil && len(man.FeatureNames) > 0 {
		cols := make([]*frame.Column, 0, len(man.FeatureNames))
		for _, name := range man.FeatureNames {
			c, ok := test.Column(name)
			if !ok {
				break
			}
			cols = append(cols, c)
		}
		if len(cols) == len(man.FeatureNames) {
			return cols, nil
		}
	}
	var cols []*frame.Column
	for _, c := range test.Columns() {
		if c.Name != label {
			cols = append(cols, c)
		}
	}
	return cols, nil
}

func binaryMetrics(y, p []float64, threshold float64) (map[string]any, error) {
	auc, err := metric.ROCAUC(y, p, nil)
	if err != nil {
		return nil, fmt.Errorf("evaluating: %w", err)
	}
	ap, err := metric.AveragePrecision(y, p, nil)
	if err != nil {
		return nil, fmt.Errorf("evaluating: %w", err)
	}
	ll, err := metric.LogLoss(y, p, nil)
	if err != nil {
		return nil, fmt.Errorf("evaluating: %w", err)
	}
	c, err := metric.ConfusionAt(y, p, nil, threshold)
	if err != nil {
		return nil, fmt.Errorf("evaluating: %w", err)
	}
	return map[string]any{"classification_metrics": map[string]any{
		"roc_auc":   value(auc),
		"pr_auc":    value(ap),
		"logloss":   value(ll),
		"accuracy":  value(c.Accuracy()),
		"precision": value(c.Precision()),
		"recall":    value(c.Recall()),
		"f1":        value(c.F1()),
		"confusion_matrix": map[string]any{
			"0": map[string]any{"0": c.TN, "1": c.FP},
			"1": map[string]any{"0": c.FN, "1": c.TP},
		},
	}}, nil
}

func regressionMetrics(y, p []float64) (map[string]any, error) {
	mse, err := metric.MSE(y, p, nil)
	if err != nil {
		return nil, fmt.Errorf("evaluating: %w", err)
	}
	mae, err := metric.MAE(y, p, nil)
	if err != nil {
		return nil, fmt.Errorf("evaluating: %w", err)
	}
	r2, err := metric.R2(y, p, nil)
	if err != nil {
		return nil, fmt.Errorf("evaluating: %w", err)
	}
	return map[string]any{"regression_metrics": map[string]any{
		"mse":  value(mse),
		"rmse": value(math.Sqrt(mse)),
		"mae":  value(mae),
		"r2":   value(r2),
	}}, nil
}

// objBinaryLogitRaw is XGBoost's binary:logitraw objective, whose
// predictions are margins.
const objBinaryLogitRaw = "binary:logitraw"

// multiclassMetrics computes accuracy and the confusion matrix from the
// predicted classes (pred[i] in [0, k)).
func multiclassMetrics(y []float64, pred []int, k int) (map[string]any, error) {
	cm := map[string]any{}
	correct := 0
	counts := make(map[[2]int]float64)
	for i, label := range y {
		if label != math.Trunc(label) || label < 0 || int(label) >= k {
			return nil, fmt.Errorf("evaluating: label %v at row %d is not a class in 0..%d", label, i, k-1)
		}
		best := pred[i]
		if best == int(label) {
			correct++
		}
		counts[[2]int{int(label), best}]++
	}
	for a := 0; a < k; a++ {
		row := map[string]any{}
		for b := 0; b < k; b++ {
			row[strconv.Itoa(b)] = counts[[2]int{a, b}]
		}
		cm[strconv.Itoa(a)] = row
	}
	return map[string]any{"multiclass_classification_metrics": map[string]any{
		"accuracy":         value(float64(correct) / float64(len(y))),
		"confusion_matrix": cm,
	}}, nil
}
