package tuningjob_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/sagemaker/optml"
	"github.com/ferryml/ferry/internal/sagemaker/tuningjob"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
	steptuning "github.com/ferryml/ferry/internal/step/tuning"
)

const xgbImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"

func csvRows(rows int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for range rows {
		x := [3]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		y := 0
		if x[0]+0.8*x[1]*x[2]+0.7*rng.NormFloat64() > 0.3 {
			y = 1
		}
		fmt.Fprintf(&b, "%d,%.4f,%.4f,%.4f\n", y, x[0], x[1], x[2])
	}
	return b.String()
}

func channel(name string, ref artifact.Ref) map[string]any {
	return map[string]any{"ChannelName": name, "ContentType": "text/csv",
		"DataSource": map[string]any{"S3DataSource": map[string]any{"S3Uri": string(ref), "S3DataType": "S3Prefix"}}}
}

// request is what the SDK's TuningStep emits (TrainingJobDefinition over
// the built-in XGBoost), over artifact references instead of s3:// URIs.
func request(train, valid artifact.Ref, over func(cfg map[string]any)) map[string]any {
	cfg := map[string]any{
		"Strategy":                         "Bayesian",
		"ResourceLimits":                   map[string]any{"MaxNumberOfTrainingJobs": int64(5), "MaxParallelTrainingJobs": int64(2)},
		"TrainingJobEarlyStoppingType":     "Off",
		"HyperParameterTuningJobObjective": map[string]any{"Type": "Maximize", "MetricName": "validation:auc"},
		"ParameterRanges": map[string]any{
			"ContinuousParameterRanges":  []any{map[string]any{"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Logarithmic"}},
			"IntegerParameterRanges":     []any{map[string]any{"Name": "max_depth", "MinValue": "2", "MaxValue": "5", "ScalingType": "Auto"}},
			"CategoricalParameterRanges": []any{},
		},
	}
	if over != nil {
		over(cfg)
	}
	return map[string]any{
		"HyperParameterTuningJobConfig": cfg,
		"TrainingJobDefinition": map[string]any{
			"StaticHyperParameters":  map[string]any{"objective": "binary:logistic", "eval_metric": "auc", "num_round": "8"},
			"AlgorithmSpecification": map[string]any{"TrainingImage": xgbImage, "TrainingInputMode": "File"},
			"InputDataConfig":        []any{channel("train", train), channel("validation", valid)},
			"OutputDataConfig":       map[string]any{"S3OutputPath": "s3://bucket/tune"},
			"StoppingCondition":      map[string]any{"MaxRuntimeInSeconds": int64(86400)},
			"RoleArn":                "arn:aws:iam::000000000000:role/x",
		},
	}
}

type fixture struct {
	*steptest.Bundle
	train, valid artifact.Ref
	kind         *tuningjob.Kind
	trials       steptuning.DirStore
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := steptest.New(t)
	rt, err := imagemap.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{Bundle: b, train: b.PutFiles(t, map[string]string{"train.csv": csvRows(400, 1)}),
		valid:  b.PutFiles(t, map[string]string{"validation.csv": csvRows(200, 2)}),
		trials: steptuning.DirStore{Root: filepath.Join(b.Dir, "tuning")}}
	f.kind = &tuningjob.Kind{R: &job.Runner{Runtimes: rt}, Trials: f.trials}
	return f
}

func TestTuningJobRunsTrials(t *testing.T) {
	t.Parallel()
	f := setup(t)
	args := request(f.train, f.valid, nil)
	if errs := f.kind.ValidateArgs(args); len(errs) > 0 {
		t.Fatalf("ValidateArgs: %v", errs)
	}
	res, err := f.Run(t, f.kind, step.Request{ExecutionID: "exec-1", StepName: "Tune", Args: args})
	if err != nil {
		t.Fatal(err)
	}
	sums, _ := res.Properties["TrainingJobSummaries"].([]any)
	if len(sums) != 5 {
		t.Fatalf("%d summaries, want 5", len(sums))
	}
	var values []float64
	for _, s := range sums {
		m := s.(map[string]any)
		if !strings.HasPrefix(m["TrainingJobName"].(string), "ferry-exec-1-Tune-00") || m["TrainingJobStatus"] != "Completed" {
			t.Errorf("summary %v", m)
		}
		values = append(values, m["FinalHyperParameterTuningJobObjectiveMetric"].(map[string]any)["Value"].(float64))
	}
	if !slices.IsSortedFunc(values, func(a, b float64) int { return -cmpFloat(a, b) }) {
		t.Errorf("summaries not best first: %v", values)
	}
	best := res.Properties["BestTrainingJob"].(map[string]any)
	if best["TrainingJobName"] != sums[0].(map[string]any)["TrainingJobName"] || res.Outputs[tuningjob.OutputModel] == "" {
		t.Errorf("BestTrainingJob %v, model %q", best["TrainingJobName"], res.Outputs[tuningjob.OutputModel])
	}
	recs, err := f.trials.Trials(t.Context(), "exec-1", "Tune")
	if err != nil || len(recs) != 5 {
		t.Fatalf("%d trial records, %v", len(recs), err)
	}
	// A re-run (another execution) reuses every trial and picks the same model.
	again, err := f.Run(t, f.kind, step.Request{ExecutionID: "exec-2", StepName: "Tune", Args: args})
	if err != nil {
		t.Fatal(err)
	}
	recs, _ = f.trials.Trials(t.Context(), "exec-2", "Tune")
	reused := 0
	for _, r := range recs {
		if r.Reused {
			reused++
		}
	}
	if reused != 5 || again.Outputs[tuningjob.OutputModel] != res.Outputs[tuningjob.OutputModel] {
		t.Errorf("re-run reused %d trials (want 5), model %s vs %s", reused, again.Outputs[tuningjob.OutputModel], res.Outputs[tuningjob.OutputModel])
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestTuningJobMetricNoTrialReports(t *testing.T) {
	t.Parallel()
	f := setup(t)
	args := request(f.train, f.valid, func(cfg map[string]any) {
		cfg["HyperParameterTuningJobObjective"] = map[string]any{"Type": "Maximize", "MetricName": "validation:f1"}
		cfg["ResourceLimits"] = map[string]any{"MaxNumberOfTrainingJobs": int64(2)}
	})
	_, err := f.Run(t, f.kind, step.Request{ExecutionID: "exec-1", StepName: "Tune", Args: args})
	if err == nil || !strings.Contains(err.Error(), `no training job reported "validation:f1"`) || !strings.Contains(err.Error(), "validation:auc") {
		t.Errorf("got %v; want the metric named with what the trials reported", err)
	}
}

func TestTuningJobValidationErrorsAreLocated(t *testing.T) {
	t.Parallel()
	ref := artifact.Ref("sha256:" + strings.Repeat("0", 64))
	const at = "HyperParameterTuningJobConfig."
	cases := []struct {
		name  string
		over  func(cfg map[string]any)
		field string
		msg   string
	}{
		{"min above max", func(c map[string]any) {
			c["ParameterRanges"].(map[string]any)["IntegerParameterRanges"] = []any{map[string]any{"Name": "max_depth", "MinValue": "6", "MaxValue": "2"}}
		}, at + "ParameterRanges", "max_depth"},
		{"log scale from zero", func(c map[string]any) {
			c["ParameterRanges"].(map[string]any)["ContinuousParameterRanges"] = []any{map[string]any{"Name": "eta", "MinValue": "0", "MaxValue": "1", "ScalingType": "Logarithmic"}}
		}, at + "ParameterRanges", "eta"},
		{"not a number", func(c map[string]any) {
			c["ParameterRanges"].(map[string]any)["ContinuousParameterRanges"] = []any{map[string]any{"Name": "eta", "MinValue": "x", "MaxValue": "1"}}
		}, at + "ParameterRanges.ContinuousParameterRanges[0].MinValue", "not a number"},
		{"unknown scaling", func(c map[string]any) {
			c["ParameterRanges"].(map[string]any)["ContinuousParameterRanges"] = []any{map[string]any{"Name": "eta", "MinValue": "0.1", "MaxValue": "1", "ScalingType": "Cubic"}}
		}, at + "ParameterRanges.ContinuousParameterRanges[0].ScalingType", "Cubic"},
		{"unknown strategy", func(c map[string]any) { c["Strategy"] = "Genetic" }, at + "Strategy", "Genetic"},
		{"no objective", func(c map[string]any) { delete(c, "HyperParameterTuningJobObjective") }, at + "HyperParameterTuningJobObjective", "required"},
		{"no trials", func(c map[string]any) { c["ResourceLimits"] = map[string]any{"MaxNumberOfTrainingJobs": int64(0)} }, at + "ResourceLimits.MaxNumberOfTrainingJobs", "out of range"},
		{"no ranges", func(c map[string]any) { c["ParameterRanges"] = map[string]any{} }, at + "ParameterRanges", "no ranges"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			errs := (&tuningjob.Kind{}).ValidateArgs(request(ref, ref, c.over))
			found := false
			for _, e := range errs {
				var fe *step.FieldError
				if errors.As(e, &fe) && fe.Field == c.field && strings.Contains(fe.Msg, c.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("errors %v; want one at %s saying %q", errs, c.field, c.msg)
			}
		})
	}
	// A tuned hyperparameter that is also static is located there.
	args := request(ref, ref, nil)
	args["TrainingJobDefinition"].(map[string]any)["StaticHyperParameters"].(map[string]any)["eta"] = "0.3"
	if errs := (&tuningjob.Kind{}).ValidateArgs(args); len(errs) != 1 || !strings.Contains(errs[0].Error(), "StaticHyperParameters.eta") {
		t.Errorf("static and tuned eta: %v", errs)
	}
}

// scoreScript reports a validation score that peaks at eta = 0.3, in the
// log, as a script-mode training job would.
const scoreScript = `
import argparse, os
p = argparse.ArgumentParser()
p.add_argument("--eta", type=float)
p.add_argument("--num_round", type=int)
a = p.parse_args()
for r in range(a.num_round):
    print("[%d] validation-score:%.6f" % (r, (1 - (a.eta - 0.3) ** 2) * (r + 1) / a.num_round), flush=True)
open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w").write("eta=%s\n" % a.eta)
`

// TestTuningJobScriptMode: script-mode trials are judged by the
// MetricDefinitions applied to their logs.
func TestTuningJobScriptMode(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if _, err := optml.Detect(t.Context(), ""); err != nil {
		t.Skip(err)
	}
	f := setup(t)
	rt, err := imagemap.New([]imagemap.Rule{{Pattern: "*sagemaker-*", Command: []string{py}}})
	if err != nil {
		t.Fatal(err)
	}
	f.kind.R = &job.Runner{Runtimes: rt}
	var tgz bytes.Buffer
	if err := tarGz(&tgz, map[string]string{"score.py": scoreScript}); err != nil {
		t.Fatal(err)
	}
	src := f.PutFiles(t, map[string]string{"sourcedir.tar.gz": tgz.String()})
	args := request(f.train, f.valid, func(cfg map[string]any) {
		cfg["Strategy"] = "Grid"
		cfg["HyperParameterTuningJobObjective"] = map[string]any{"Type": "Maximize", "MetricName": "validation:score"}
		cfg["ParameterRanges"] = map[string]any{"CategoricalParameterRanges": []any{map[string]any{"Name": "eta", "Values": []any{"0.1", "0.3", "0.5"}}}}
		cfg["ResourceLimits"] = map[string]any{"MaxNumberOfTrainingJobs": int64(10), "MaxParallelTrainingJobs": int64(3)}
	})
	d := args["TrainingJobDefinition"].(map[string]any)
	d["StaticHyperParameters"] = map[string]any{"num_round": "4", "sagemaker_program": `"score.py"`,
		"sagemaker_submit_directory": `"` + string(src) + `/sourcedir.tar.gz"`}
	d["AlgorithmSpecification"] = map[string]any{"TrainingImage": xgbImage, "TrainingInputMode": "File",
		"MetricDefinitions": []any{map[string]any{"Name": "validation:score", "Regex": `validation-score:([0-9\.]+)`}}}
	res, err := f.Run(t, f.kind, step.Request{ExecutionID: "exec-1", StepName: "Tune", Args: args})
	if err != nil {
		t.Fatal(err)
	}
	sums := res.Properties["TrainingJobSummaries"].([]any)
	best := res.Properties["BestTrainingJob"].(map[string]any)
	if len(sums) != 3 || best["TunedHyperParameters"].(map[string]any)["eta"] != "0.3" {
		t.Errorf("%d summaries, best %v; want 3 (the grid) and eta 0.3", len(sums), best)
	}
	if v := best["FinalHyperParameterTuningJobObjectiveMetric"].(map[string]any)["Value"].(float64); v != 1 {
		t.Errorf("best objective %v, want 1 (the last value in the log)", v)
	}
}

func tarGz(w io.Writer, files map[string]string) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// stopTally counts the trial records stopped early and checks what a
// stopped record holds.
func stopTally(t *testing.T, f *fixture, exec string, rounds int) (stopped, completed int) {
	t.Helper()
	recs, err := f.trials.Trials(t.Context(), exec, "Tune")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		switch r.Status {
		case steptuning.StatusStopped:
			stopped++
			if !r.StoppedEarly || r.Model != "" || r.Rounds < 1 || r.Rounds >= rounds || len(r.History) != r.Rounds || r.Objective == nil {
				t.Errorf("stopped trial %s: stopped_early %v, model %q, rounds %d, history %v", r.Name, r.StoppedEarly, r.Model, r.Rounds, r.History)
			}
		case steptuning.StatusCompleted:
			completed++
			if r.StoppedEarly || len(r.History) != rounds {
				t.Errorf("completed trial %s: stopped_early %v, %d rounds of history, want %d", r.Name, r.StoppedEarly, len(r.History), rounds)
			}
		default:
			t.Errorf("trial %s: %s %s", r.Name, r.Status, r.Error)
		}
	}
	return stopped, completed
}

func bestValue(t *testing.T, res step.Result) float64 {
	t.Helper()
	best := res.Properties["BestTrainingJob"].(map[string]any)
	if best["TrainingJobStatus"] != "Completed" {
		t.Errorf("best job %v is not completed", best)
	}
	return best["FinalHyperParameterTuningJobObjectiveMetric"].(map[string]any)["Value"].(float64)
}

// TestTuningJobEarlyStopping: Strategy Hyperband and
// TrainingJobEarlyStoppingType Auto stop poor built-in XGBoost trials from
// the per-round validation metric in their logs, and the best is still
// found: at least what random search without stopping finds from the same
// proposals, less a margin. A re-run replays the stopping rule on the
// recorded histories.
func TestTuningJobEarlyStopping(t *testing.T) {
	t.Parallel()
	const rounds, trials = 27, 16
	limits := map[string]any{"MaxNumberOfTrainingJobs": int64(trials), "MaxParallelTrainingJobs": int64(1)}
	f := setup(t)
	def := func(args map[string]any) map[string]any {
		d := args["TrainingJobDefinition"].(map[string]any)
		d["StaticHyperParameters"] = map[string]any{"objective": "binary:logistic", "eval_metric": "auc", "num_round": fmt.Sprint(rounds)}
		return args
	}
	full, err := f.Run(t, f.kind, step.Request{ExecutionID: "full", StepName: "Tune", Args: def(request(f.train, f.valid, func(cfg map[string]any) {
		cfg["Strategy"] = "Random"
		cfg["RandomSeed"] = int64(3)
		cfg["ResourceLimits"] = limits
	}))})
	if err != nil {
		t.Fatal(err)
	}
	if s, c := stopTally(t, f, "full", rounds); s != 0 || c != trials {
		t.Fatalf("without early stopping: %d stopped, %d completed", s, c)
	}
	for _, tc := range []struct {
		name string
		over func(cfg map[string]any)
	}{
		{"Hyperband", func(cfg map[string]any) {
			cfg["Strategy"] = "Hyperband"
			cfg["StrategyConfig"] = map[string]any{"HyperbandStrategyConfig": map[string]any{"MinResource": int64(1), "MaxResource": int64(rounds)}}
		}},
		{"Auto", func(cfg map[string]any) { cfg["TrainingJobEarlyStoppingType"] = "Auto" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := def(request(f.train, f.valid, func(cfg map[string]any) {
				cfg["Strategy"] = "Random"
				cfg["RandomSeed"] = int64(3)
				cfg["ResourceLimits"] = limits
				tc.over(cfg)
			}))
			if errs := f.kind.ValidateArgs(args); len(errs) > 0 {
				t.Fatalf("ValidateArgs: %v", errs)
			}
			// A fresh trial store: no trial is reused from the full run.
			g := setup(t)
			g.train, g.valid = f.train, f.valid
			g.Bundle = f.Bundle
			g.trials = steptuning.DirStore{Root: filepath.Join(t.TempDir(), "tuning")}
			g.kind.Trials = g.trials
			res, err := g.Run(t, g.kind, step.Request{ExecutionID: "e1", StepName: "Tune", Args: args})
			if err != nil {
				t.Fatal(err)
			}
			stopped, completed := stopTally(t, g, "e1", rounds)
			if stopped == 0 || completed == 0 || stopped+completed != trials {
				t.Errorf("%d trials stopped early, %d completed; want some of each, %d in all", stopped, completed, trials)
			}
			counters := res.Properties["TrainingJobStatusCounters"].(map[string]any)
			if counters["Stopped"] != int64(stopped) {
				t.Errorf("TrainingJobStatusCounters %v, want Stopped %d", counters, stopped)
			}
			if got, want := bestValue(t, res), bestValue(t, full); got < want-0.01 {
				t.Errorf("best validation:auc %.5f with early stopping, %.5f without", got, want)
			}
			t.Logf("%s: %d of %d trials stopped early; best %.5f (without stopping %.5f)", tc.name, stopped, trials, bestValue(t, res), bestValue(t, full))
			// A re-run reuses every trial and ends the same.
			again, err := g.Run(t, g.kind, step.Request{ExecutionID: "e2", StepName: "Tune", Args: args})
			if err != nil {
				t.Fatal(err)
			}
			s2, c2 := stopTally(t, g, "e2", rounds)
			if s2 != stopped || c2 != completed || again.Outputs[tuningjob.OutputModel] != res.Outputs[tuningjob.OutputModel] {
				t.Errorf("re-run: %d stopped, %d completed, model %s; first run %d, %d, %s", s2, c2, again.Outputs[tuningjob.OutputModel], stopped, completed, res.Outputs[tuningjob.OutputModel])
			}
		})
	}
}

// slowScoreScript is scoreScript taking its time per round, so that a
// trial stopped early is killed mid-run.
const slowScoreScript = `
import argparse, os, time
p = argparse.ArgumentParser()
p.add_argument("--eta", type=float)
p.add_argument("--num_round", type=int)
a = p.parse_args()
for r in range(a.num_round):
    print("[%d] validation-score:%.6f" % (r, (1 - (a.eta - 0.3) ** 2) * (r + 1) / a.num_round), flush=True)
    time.sleep(0.01)
open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w").write("eta=%s\n" % a.eta)
`

// TestTuningJobScriptModeHyperband: script-mode trials are stopped early
// from their MetricDefinitions applied to their logs as they run, and the
// best eta proposed is still the best job.
func TestTuningJobScriptModeHyperband(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if _, err := optml.Detect(t.Context(), ""); err != nil {
		t.Skip(err)
	}
	const rounds = 27
	f := setup(t)
	rt, err := imagemap.New([]imagemap.Rule{{Pattern: "*sagemaker-*", Command: []string{py}}})
	if err != nil {
		t.Fatal(err)
	}
	f.kind.R = &job.Runner{Runtimes: rt}
	var tgz bytes.Buffer
	if err := tarGz(&tgz, map[string]string{"score.py": slowScoreScript}); err != nil {
		t.Fatal(err)
	}
	src := f.PutFiles(t, map[string]string{"sourcedir.tar.gz": tgz.String()})
	etas := []any{"0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"}
	args := request(f.train, f.valid, func(cfg map[string]any) {
		cfg["Strategy"] = "Hyperband"
		cfg["RandomSeed"] = int64(5)
		cfg["StrategyConfig"] = map[string]any{"HyperbandStrategyConfig": map[string]any{"MinResource": int64(1), "MaxResource": int64(rounds)}}
		cfg["HyperParameterTuningJobObjective"] = map[string]any{"Type": "Maximize", "MetricName": "validation:score"}
		cfg["ParameterRanges"] = map[string]any{"CategoricalParameterRanges": []any{map[string]any{"Name": "eta", "Values": etas}}}
		cfg["ResourceLimits"] = map[string]any{"MaxNumberOfTrainingJobs": int64(12), "MaxParallelTrainingJobs": int64(1)}
	})
	d := args["TrainingJobDefinition"].(map[string]any)
	d["StaticHyperParameters"] = map[string]any{"num_round": fmt.Sprint(rounds), "sagemaker_program": `"score.py"`,
		"sagemaker_submit_directory": `"` + string(src) + `/sourcedir.tar.gz"`}
	d["AlgorithmSpecification"] = map[string]any{"TrainingImage": xgbImage, "TrainingInputMode": "File",
		"MetricDefinitions": []any{map[string]any{"Name": "validation:score", "Regex": `validation-score:([0-9\.]+)`}}}
	res, err := f.Run(t, f.kind, step.Request{ExecutionID: "exec-1", StepName: "Tune", Args: args})
	if err != nil {
		t.Fatal(err)
	}
	stopped, _ := stopTally(t, f, "exec-1", rounds)
	if stopped == 0 {
		t.Errorf("no trial stopped early")
	}
	recs, _ := f.trials.Trials(t.Context(), "exec-1", "Tune")
	bestEta, bestScore := "", -1.0
	for _, r := range recs {
		var eta float64
		fmt.Sscan(r.Hyperparameters["eta"], &eta)
		if s := 1 - (eta-0.3)*(eta-0.3); s > bestScore {
			bestEta, bestScore = r.Hyperparameters["eta"], s
		}
	}
	best := res.Properties["BestTrainingJob"].(map[string]any)
	if got := best["TunedHyperParameters"].(map[string]any)["eta"]; got != bestEta {
		t.Errorf("best job's eta %v, want %s (the best proposed)", got, bestEta)
	}
	t.Logf("%d of %d trials stopped early; best eta %s", stopped, len(recs), bestEta)
}

func TestTuningJobHyperbandConfigErrorsAreLocated(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, tc := range []struct {
		strategy string
		min, max int64
		want     string
	}{
		{"Hyperband", 9, 3, "HyperParameterTuningJobConfig.StrategyConfig.HyperbandStrategyConfig.MinResource: 9 is greater than MaxResource 3"},
		{"Hyperband", -1, 3, "HyperParameterTuningJobConfig.StrategyConfig.HyperbandStrategyConfig.MinResource: -1 is negative"},
		{"Random", 1, 3, "HyperParameterTuningJobConfig.StrategyConfig.HyperbandStrategyConfig: applies to Strategy Hyperband only, not Random"},
	} {
		args := request(f.train, f.valid, func(cfg map[string]any) {
			cfg["Strategy"] = tc.strategy
			cfg["StrategyConfig"] = map[string]any{"HyperbandStrategyConfig": map[string]any{"MinResource": tc.min, "MaxResource": tc.max}}
		})
		errs := f.kind.ValidateArgs(args)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("%s %d..%d: %v, want %q", tc.strategy, tc.min, tc.max, errs, tc.want)
		}
	}
}
