package training

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/internal/cell"
	"github.com/ferryml/ferry/internal/feature"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/linear"
	"github.com/ferryml/ferry/table"
)

// Algorithms.
const (
	AlgorithmXGBoost      = "xgboost"
	AlgorithmRandomForest = "random_forest"
	AlgorithmLinear       = "linear_learner"
)

// Algorithms lists the algorithm names, in the order the docs show them.
func Algorithms() []string {
	return []string{AlgorithmXGBoost, AlgorithmRandomForest, AlgorithmLinear}
}

// Job is one training run outside or inside a pipeline.
type Job struct {
	Algorithm string
	// Hyperparameters by name; values may be strings ("5"), numbers or
	// booleans.
	Hyperparameters map[string]any
	// Train and Validation are CSV files with a header, the label first
	// unless Label names it. Validation is optional.
	Train, Validation string
	// Schema is the path of tabular_prepare's schema.json, or "".
	Schema string
	// Label is the label column's name; "" means the first column.
	Label string
	// Weight is the name of a column of sample weights (xgboost; "":
	// none). It is not a feature. The validation set is weighted by its
	// own column of that name when it has one (else unweighted).
	Weight string
	// Categorical names the features that are categorical (xgboost):
	// non-negative integer category codes, split as XGBoost does with
	// enable_categorical.
	Categorical []string
	// OutputDir receives the model directory (manifest + model file).
	OutputDir string
	// Log, when set, receives one line per boosting round.
	Log io.Writer
	// ProgressFunc, when set, is called after every boosting round
	// (xgboost) with the round (0-based) and the metrics so far, named as
	// the properties are (validation_auc). Tuning stops poor trials from it
	// by cancelling the run's context.
	ProgressFunc func(round int, metrics map[string]float64)
	// Trained, when set, is called once the learner has finished training
	// (xgboost), before the final metrics and the model files: tuning
	// gives the trial's core to the next trial then.
	Trained func()
	// Data, when set, is the job's data read once by [Load] (Train,
	// Validation, Schema and Label are then not read again): tuning
	// trains many trials on the same data. Runs only read it.
	Data *Data
	// SkipTrainMetrics leaves out the training set's metrics (xgboost) when
	// a validation set is given: tuning judges trials on validation only,
	// and evaluating the training set every round costs as much again.
	SkipTrainMetrics bool
}

// Data is a job's data, read and checked once.
type Data struct {
	train, valid *labelled
	transform    *feature.Transform
	transformRaw []byte
	bins         binCache // the training rows' xgboost bins, shared by runs (bins.go)
}

// Summary is what a training run reports.
type Summary struct {
	Manifest model.Manifest
	// Metrics are the final metrics, named "<set>_<metric>" with set
	// "train" or "validation" (for example validation_auc).
	Metrics map[string]float64
	// BestIteration is the 0-based best boosting round (xgboost), else 0.
	BestIteration int
}

// HyperparameterError is an unknown hyperparameter or a value out of its
// allowed range.
type HyperparameterError struct {
	Name string // "" when the learner does not say which
	Msg  string
}

func (e *HyperparameterError) Error() string {
	if e.Name == "" {
		return "hyperparameters: " + e.Msg
	}
	return "hyperparameters." + e.Name + ": " + e.Msg
}

// CheckHyperparameters validates hyperparameters against the algorithm's
// spec and returns every problem.
func CheckHyperparameters(algorithm string, hp map[string]any) []*HyperparameterError {
	var errs []*HyperparameterError
	switch algorithm {
	case AlgorithmXGBoost:
		p := gbdt.DefaultParams()
		for _, name := range sortedKeys(hp) {
			if err := p.Set(name, hp[name]); err != nil {
				var pe *gbdt.ParamError
				if errors.As(err, &pe) {
					msg := pe.Msg
					if msg == "unknown parameter" {
						msg = "unknown xgboost hyperparameter (known: " + strings.Join(xgboostNames(), ", ") + ")"
					}
					errs = append(errs, &HyperparameterError{Name: name, Msg: msg})
				} else {
					errs = append(errs, &HyperparameterError{Name: name, Msg: err.Error()})
				}
			}
		}
	case AlgorithmRandomForest:
		errs = append(errs, checkNamed(hp, forest.ParamNames(), func(m map[string]string) error {
			p, err := forest.ParseParams(m)
			if err != nil {
				return err
			}
			return p.WithDefaults().Validate(math.MaxInt32)
		})...)
	case AlgorithmLinear:
		errs = append(errs, checkNamed(hp, linear.ParamNames(), func(m map[string]string) error {
			p, err := linear.ParseParams(m)
			if err != nil {
				return err
			}
			return p.WithDefaults().Validate()
		})...)
	default:
		errs = append(errs, &HyperparameterError{Msg: fmt.Sprintf("unknown algorithm %q", algorithm)})
	}
	return errs
}

// checkNamed checks each hyperparameter alone (so an error names it),
// then all together.
func checkNamed(hp map[string]any, known []string, check func(map[string]string) error) []*HyperparameterError {
	var errs []*HyperparameterError
	all := stringValues(hp)
	for _, name := range sortedKeys(hp) {
		if !slices.Contains(known, name) {
			errs = append(errs, &HyperparameterError{Name: name, Msg: "unknown hyperparameter (known: " + strings.Join(known, ", ") + ")"})
			continue
		}
		if err := check(map[string]string{name: all[name]}); err != nil {
			errs = append(errs, &HyperparameterError{Name: name, Msg: err.Error()})
		}
	}
	if len(errs) == 0 {
		if err := check(all); err != nil {
			errs = append(errs, &HyperparameterError{Msg: err.Error()})
		}
	}
	return errs
}

func xgboostNames() []string {
	var names []string
	for _, s := range gbdt.Spec() {
		names = append(names, s.Name)
	}
	return names
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// stringValues renders hyperparameter values as strings.
func stringValues(hp map[string]any) map[string]string {
	out := make(map[string]string, len(hp))
	for k, v := range hp {
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			out[k] = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

// labelled is a dataset read from a CSV file, with its label's name.
type labelled struct {
	label string
	*table.Dataset
}

// readTable reads a CSV file and splits off the label (by name, or the
// first column) and, when weight names one, the weight column (required
// unless weightOptional). A header whose cells are all numbers or missing values
// (empty, NA, NaN, nan, N/A; at least one number) is taken as a data row
// of a headerless file: the label is then the first column and the
// features are named from names (the schema's) or f0, f1, ...
//
// The file is read in one streaming pass (table.ReadCSVSize), and the
// label and weight columns are cut out of the table in place
// (table.Table.Dataset): the text is never whole in memory, and the
// values are held once.
func readTable(path, label, weight string, weightOptional bool, names []string) (*labelled, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	br := bufio.NewReaderSize(f, 1<<20)
	// The first line, when it fits the buffer (a longer one is a header).
	peek, _ := br.Peek(1 << 20)
	var src io.Reader = br
	first, _, found := bytes.Cut(peek, []byte("\n"))
	if (found || len(peek) < 1<<20) && numericLine(string(first)) {
		cells := strings.Count(string(first), ",") + 1
		hdr := []string{"label"}
		if label != "" {
			hdr[0] = label
		}
		if len(names) == cells-1 {
			hdr = append(hdr, names...)
		} else {
			for i := range cells - 1 {
				hdr = append(hdr, fmt.Sprintf("f%d", i))
			}
		}
		src = io.MultiReader(strings.NewReader(strings.Join(hdr, ",")+"\n"), br)
	}
	t, err := table.ReadCSVSize(src, size)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(t.Names) >= 2 && t.Rows() == 0 && (label == "" || t.Column(label) >= 0) {
		return nil, fmt.Errorf("reading %s: no data rows", path)
	}
	c := 0
	if label != "" {
		c = t.Column(label)
	}
	name := label
	if c >= 0 && c < len(t.Names) {
		name = t.Names[c]
	}
	if weightOptional && weight != "" && t.Column(weight) < 0 {
		weight = ""
	}
	d, err := t.Dataset(label, weight)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return &labelled{label: name, Dataset: d}, nil
}

func numericLine(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	numbers := 0
	for _, c := range strings.Split(s, ",") {
		if cell.IsMissing(c) {
			continue // a missing value, as table.ReadCSV reads it: no header cell
		}
		if _, err := cell.Number(c); err != nil {
			return false
		}
		numbers++
	}
	return numbers > 0
}

// alignColumns reorders v's feature columns to the order of names.
func alignColumns(v *table.Dataset, names []string, what string) error {
	if slices.Equal(v.FeatureNames, names) {
		return nil
	}
	idx := make([]int, len(names))
	for i, n := range names {
		if idx[i] = slices.Index(v.FeatureNames, n); idx[i] < 0 {
			return fmt.Errorf("%s has no feature column %q", what, n)
		}
	}
	if len(v.FeatureNames) != len(names) {
		return fmt.Errorf("%s has %d feature columns, training has %d", what, len(v.FeatureNames), len(names))
	}
	rows := v.Rows()
	m := v.NumFeature
	out := make([]float64, 0, len(v.X))
	for r := range rows {
		for _, j := range idx {
			out = append(out, v.X[r*m+j])
		}
	}
	v.X, v.FeatureNames = out, slices.Clone(names)
	return nil
}

// Load reads and checks the job's data (Train, Validation, Schema, Label).
func Load(job Job) (*Data, error) {
	d := &Data{}
	if job.Schema != "" {
		raw, err := os.ReadFile(job.Schema)
		if err != nil {
			return nil, fmt.Errorf("reading schema: %w", err)
		}
		if d.transform, err = feature.Parse(raw); err != nil {
			return nil, fmt.Errorf("reading schema %s: %w", job.Schema, err)
		}
		d.transformRaw = raw
	}
	var schemaNames []string
	if d.transform != nil {
		schemaNames = d.transform.FeatureNames()
	}
	var err error
	if job.Weight != "" && job.Weight == job.Label {
		return nil, fmt.Errorf("the weight column %q is the label column", job.Weight)
	}
	if d.train, err = readTable(job.Train, job.Label, job.Weight, false, schemaNames); err != nil {
		return nil, fmt.Errorf("reading training data: %w", err)
	}
	names := d.train.FeatureNames
	if d.transform != nil && !slices.Equal(schemaNames, names) {
		return nil, fmt.Errorf("training data features %v differ from the schema's %v", names, schemaNames)
	}
	if job.Validation != "" {
		if d.valid, err = readTable(job.Validation, d.train.label, job.Weight, true, names); err != nil {
			return nil, fmt.Errorf("reading validation data: %w", err)
		}
		if err := alignColumns(d.valid.Dataset, names, "validation data"); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Run trains a model as the job says and writes its directory.
func Run(ctx context.Context, job Job) (*Summary, error) {
	if errs := CheckHyperparameters(job.Algorithm, job.Hyperparameters); len(errs) > 0 {
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e
		}
		return nil, errors.Join(joined...)
	}
	if job.Algorithm != AlgorithmXGBoost && (job.Weight != "" || len(job.Categorical) > 0) {
		return nil, fmt.Errorf("algorithm %s: a weight column and categorical features are supported by xgboost only", job.Algorithm)
	}
	d := job.Data
	if d == nil {
		var err error
		if d, err = Load(job); err != nil {
			return nil, err
		}
	}
	train, valid, transform := d.train, d.valid, d.transform
	names := train.FeatureNames
	mf := model.Manifest{
		FormatVersion: model.FormatVersion,
		Flavor:        job.Algorithm,
		ModelFile:     model.XGBoostModelFile,
		Label:         train.label,
		FeatureNames:  names,
		Transform:     d.transformRaw,
	}
	if transform != nil {
		mf.FeatureTypes = transform.FeatureTypes()
	} else {
		mf.FeatureTypes = make([]string, len(names))
		for i := range names {
			mf.FeatureTypes[i] = "float"
		}
	}
	var s *Summary
	var err error
	switch job.Algorithm {
	case AlgorithmXGBoost:
		s, err = runXGBoost(ctx, job, train, valid, &mf)
	case AlgorithmRandomForest, AlgorithmLinear:
		s, err = runOther(ctx, job, train, valid, &mf)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}
