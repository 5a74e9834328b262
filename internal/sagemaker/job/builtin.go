package job

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/training"
)

// builtinIgnored are the built-in XGBoost algorithm's hyperparameters that
// do not change Ferry's model (threads, logging, tree method: Ferry always
// grows histogram trees).
var builtinIgnored = map[string]bool{
	"verbosity": true, "silent": true, "nthread": true, "tree_method": true, "updater": true, "predictor": true,
	"single_precision_histogram": true, "deterministic_histogram": true, "sampling_method": true,
	"save_model_on_termination": true, "use_dask_gpu_training": true, "_tuning_objective_metric": true,
	"_kfold": true, "_num_cv_round": true, "csv_weights": true,
}

// builtinXGBoost trains SageMaker's built-in XGBoost algorithm on Ferry's
// boosted trees: CSV channels train and validation (no header, label
// first), SageMaker's hyperparameter names, and /opt/ml/model/xgboost-model
// in XGBoost's JSON format. It returns FinalMetricDataList.
func builtinXGBoost(ctx context.Context, a *TrainingRequest, jobDir string, log io.Writer) ([]map[string]any, error) {
	hp := make(map[string]any)
	for k, v := range a.HyperParameters {
		if builtinIgnored[k] {
			fmt.Fprintf(log, "# hyperparameter %s=%s does not apply to Ferry's trees; ignored\n", k, hpString(v))
			continue
		}
		hp[k] = hpString(v)
	}
	var train, valid string
	for _, c := range a.InputDataConfig {
		ct := strings.ToLower(strings.TrimSpace(strings.Split(c.ContentType, ";")[0]))
		if ct != "" && ct != "text/csv" && ct != "csv" {
			return nil, step.Permanent(fmt.Errorf("channel %q: content type %q: Ferry's built-in XGBoost reads text/csv only", c.ChannelName, c.ContentType))
		}
		dir := filepath.Join(jobDir, "input", "data", c.ChannelName)
		file, err := joinCSV(dir, filepath.Join(jobDir, "input", c.ChannelName+".csv"))
		if err != nil {
			return nil, step.Permanent(fmt.Errorf("channel %q: %w", c.ChannelName, err))
		}
		switch c.ChannelName {
		case "train":
			train = file
		case "validation":
			valid = file
		default:
			fmt.Fprintf(log, "# channel %s is not used by the built-in XGBoost algorithm\n", c.ChannelName)
		}
	}
	if train == "" {
		return nil, step.Permanent(fmt.Errorf("InputDataConfig: the built-in XGBoost algorithm needs a channel named train"))
	}
	out := filepath.Join(jobDir, "ferry-model")
	s, err := training.Run(ctx, training.Job{Algorithm: training.AlgorithmXGBoost, Hyperparameters: hp, Train: train, Validation: valid, OutputDir: out, Log: log})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, step.Permanent(err)
	}
	if err := copyFile(filepath.Join(out, model.XGBoostModelFile), filepath.Join(jobDir, "model", "xgboost-model")); err != nil {
		return nil, fmt.Errorf("writing xgboost-model: %w", err)
	}
	var metrics []map[string]any
	keys := make([]string, 0, len(s.Metrics))
	for k := range s.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		set, metric, ok := strings.Cut(k, "_")
		if !ok {
			continue
		}
		metrics = append(metrics, map[string]any{"MetricName": set + ":" + metric, "Value": s.Metrics[k]})
	}
	return metrics, nil
}

// joinCSV concatenates the CSV files of a channel directory (in name
// order) into dst; a channel with one file is used in place.
func joinCSV(dir, dst string) (string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	switch len(files) {
	case 0:
		return "", fmt.Errorf("no data files")
	case 1:
		return files[0], nil
	}
	sort.Strings(files)
	out, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			out.Close()
			return "", err
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(b, '\n')
		}
		if _, err := out.Write(b); err != nil {
			out.Close()
			return "", err
		}
	}
	return dst, out.Close()
}
