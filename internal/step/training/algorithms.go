package training

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"strings"

	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/linear"
	"github.com/ferryml/ferry/table"
)

// Set names in metric property names.
const (
	SetTrain      = "train"
	SetValidation = "validation"
)

// metricName turns "<set>-<metric>" into a property name: "train_auc",
// "validation_poisson_nloglik".
func metricName(key string) string {
	return strings.NewReplacer("-", "_", "@", "_").Replace(key)
}

// defaultXGBoostMetrics are the final metrics reported when eval_metric is
// not given, computed once from the trained model; per round only
// XGBoost's default metric (the last one) is evaluated.
func defaultXGBoostMetrics(objective string) []string {
	switch objective {
	case gbdt.BinaryLogistic, gbdt.BinaryLogitRaw:
		return []string{gbdt.MetricAUC, gbdt.MetricError, gbdt.MetricLogloss}
	case gbdt.MultiSoftprob:
		return []string{gbdt.MetricMError, gbdt.MetricMLogloss}
	case gbdt.MultiSoftmax:
		return []string{gbdt.MetricMLogloss, gbdt.MetricMError}
	case gbdt.CountPoisson:
		return []string{gbdt.MetricRMSE, gbdt.MetricPoisson}
	}
	return []string{gbdt.MetricMAE, gbdt.MetricRMSE}
}

func runXGBoost(ctx context.Context, job Job, train, valid *labelled, mf *model.Manifest) (*Summary, error) {
	p := gbdt.DefaultParams()
	for _, name := range sortedKeys(job.Hyperparameters) {
		if err := p.Set(name, job.Hyperparameters[name]); err != nil {
			return nil, err
		}
	}
	// Per round, training evaluates only what XGBoost would: the given
	// eval_metric on the training and validation sets (SageMaker's
	// container watches both), or else XGBoost's default metric on the
	// validation set, or on the training set when early stopping needs it
	// and there is no validation set. The other final metrics are
	// computed once from the trained model (finalMetrics).
	explicit := len(p.EvalMetric) > 0
	if !explicit {
		p.EvalMetric = []string{gbdt.DefaultMetric(p.Objective)}
	}
	var opts []gbdt.Option
	if job.Log != nil || job.ProgressFunc != nil {
		log, progress := job.Log, job.ProgressFunc
		var line []byte
		opts = append(opts, gbdt.WithProgress(func(round int, metrics map[string]float64) {
			if log != nil {
				// One write per round: a trial's log is a file.
				line = fmt.Appendf(line[:0], "[%d]", round)
				for _, k := range sortedKeys(anyMap(metrics)) {
					line = fmt.Appendf(line, "\t%s:%.5f", k, metrics[k])
				}
				line = append(line, '\n')
				log.Write(line)
			}
			if progress != nil {
				named := make(map[string]float64, len(metrics))
				for k, v := range metrics {
					named[metricName(k)] = v
				}
				progress(round, named)
			}
		}))
	}
	trainSet := &table.Dataset{X: train.X, Y: train.Y, Weight: train.Weight, NumFeature: train.NumFeature, FeatureNames: mf.FeatureNames}
	if len(job.Categorical) > 0 {
		if err := trainSet.SetCategorical(job.Categorical...); err != nil {
			return nil, err
		}
	}
	if job.Data != nil {
		// Runs on shared data (tuning's trials) share its bins.
		q, err := job.Data.bins.quantized(trainSet, p)
		if err != nil {
			return nil, fmt.Errorf("training xgboost: %w", err)
		}
		opts = append(opts, gbdt.WithQuantized(q))
	}
	var validSet *table.Dataset
	if valid != nil {
		validSet = &table.Dataset{X: valid.X, Y: valid.Y, Weight: valid.Weight, NumFeature: valid.NumFeature}
	}
	// The training set is watched per round when eval_metric asks for it
	// (unless a tuning trial with a validation set skips it), or when
	// nothing else can feed early stopping or a trial's progress.
	watchTrain := explicit && (!job.SkipTrainMetrics || validSet == nil)
	if validSet == nil && (p.EarlyStoppingRounds > 0 || job.ProgressFunc != nil) {
		watchTrain = true
	}
	if watchTrain {
		opts = append(opts, gbdt.WithEval(SetTrain, trainSet))
	}
	if validSet != nil {
		opts = append(opts, gbdt.WithEval(SetValidation, validSet))
	}
	res, err := gbdt.Train(ctx, trainSet, p, opts...)
	if err != nil {
		return nil, fmt.Errorf("training xgboost: %w", err)
	}
	if job.Trained != nil {
		job.Trained()
	}
	final := res.Metrics
	if !explicit {
		final = maps.Clone(res.Metrics)
		if err := finalMetrics(final, res.Model, p.Objective, SetTrain, trainSet); err != nil {
			return nil, err
		}
		if validSet != nil {
			if err := finalMetrics(final, res.Model, p.Objective, SetValidation, validSet); err != nil {
				return nil, err
			}
		}
	}
	mf.Objective = p.Objective
	mf.Task = model.XGBoostTask(p.Objective)
	mf.NumClass = res.Model.NumClass
	metrics := make(map[string]float64, len(final))
	for k, v := range final {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			metrics[metricName(k)] = v
		}
	}
	mf.Training = trainingRecord(job, train, valid, metrics)
	mf.Training["best_iteration"] = res.BestIteration
	if err := model.Write(job.OutputDir, *mf, res.Model.WriteJSON); err != nil {
		return nil, err
	}
	return &Summary{Manifest: *mf, Metrics: metrics, BestIteration: res.BestIteration}, nil
}

// finalMetrics adds to dst the default metrics of the objective
// (defaultXGBoostMetrics) on set d, from the trained model's margins, for
// those dst lacks ("<set>-<metric>" keys, as training reports them).
func finalMetrics(dst map[string]float64, md *gbdt.Model, objective, set string, d *table.Dataset) error {
	k := md.NumOutputGroups()
	var margin []float64
	for _, name := range defaultXGBoostMetrics(objective) {
		key := set + "-" + name
		if _, ok := dst[key]; ok {
			continue
		}
		if margin == nil {
			margin = make([]float64, d.Rows()*k)
			md.PredictMargin(margin, d.X)
		}
		v, err := gbdt.EvalMetric(name, objective, k, margin, d.Y, d.Weight)
		if err != nil {
			return fmt.Errorf("evaluating %s on the %s set: %w", name, set, err)
		}
		dst[key] = v
	}
	return nil
}

func anyMap(m map[string]float64) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func trainingRecord(job Job, train, valid *labelled, metrics map[string]float64) map[string]any {
	rec := map[string]any{
		"algorithm":       job.Algorithm,
		"hyperparameters": stringValues(job.Hyperparameters),
		"metrics":         metrics,
		"train_rows":      train.Rows(),
	}
	if valid != nil {
		rec["validation_rows"] = valid.Rows()
	}
	if job.Weight != "" {
		rec["weight_column"] = job.Weight
	}
	if len(job.Categorical) > 0 {
		rec["categorical_features"] = job.Categorical
	}
	return rec
}

// predictor is what forest and linear models share.
type predictor interface {
	model.Predictor
	Write(w io.Writer) error
}

func runOther(ctx context.Context, job Job, train, valid *labelled, mf *model.Manifest) (*Summary, error) {
	hp := stringValues(job.Hyperparameters)
	// The learners take the features and labels (the step allows no
	// weights for them).
	data := &table.Dataset{X: train.X, Y: train.Y, NumFeature: train.NumFeature, FeatureNames: train.FeatureNames}
	var pr predictor
	switch job.Algorithm {
	case AlgorithmRandomForest:
		p, err := forest.ParseParams(hp)
		if err != nil {
			return nil, err
		}
		md, err := forest.Train(ctx, data, p)
		if err != nil {
			return nil, fmt.Errorf("training random_forest: %w", err)
		}
		mf.Task = md.Task
		pr = md
	case AlgorithmLinear:
		p, err := linear.ParseParams(hp)
		if err != nil {
			return nil, err
		}
		md, err := linear.Train(ctx, data, p)
		if err != nil {
			return nil, fmt.Errorf("training linear_learner: %w", err)
		}
		mf.Task = model.TaskRegression
		if p.WithDefaults().PredictorType == linear.BinaryClassifier {
			mf.Task = model.TaskBinary
		}
		pr = md
	}
	metrics := map[string]float64{}
	addMetrics(metrics, SetTrain, mf.Task, pr, train)
	if valid != nil {
		addMetrics(metrics, SetValidation, mf.Task, pr, valid)
	}
	mf.Training = trainingRecord(job, train, valid, metrics)
	if err := model.Write(job.OutputDir, *mf, pr.Write); err != nil {
		return nil, err
	}
	return &Summary{Manifest: *mf, Metrics: metrics}, nil
}

// addMetrics evaluates a single-output model: auc, logloss and error for
// binary classification, rmse and mae for regression.
func addMetrics(dst map[string]float64, set, task string, pr model.Predictor, t *labelled) {
	n := t.Rows()
	pred := make([]float64, n)
	pr.Predict(pred, t.X)
	if task == model.TaskBinary {
		var ll, errs float64
		for i, p := range pred {
			y := t.Y[i]
			ll += -y*math.Log(max(p, 1e-16)) - (1-y)*math.Log(max(1-p, 1e-16))
			if (p > 0.5) != (y == 1) {
				errs++
			}
		}
		if auc := gbdt.AUC(pred, t.Y, nil); !math.IsNaN(auc) {
			dst[set+"_auc"] = auc
		}
		dst[set+"_logloss"] = ll / float64(n)
		dst[set+"_error"] = errs / float64(n)
		return
	}
	var se, ae float64
	for i, p := range pred {
		d := t.Y[i] - p
		se += d * d
		ae += math.Abs(d)
	}
	dst[set+"_rmse"] = math.Sqrt(se / float64(n))
	dst[set+"_mae"] = ae / float64(n)
}
