package job

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/step"
)

// TrainingID is the training kind's stable ID.
const TrainingID = "sagemaker_training"

// Output artifact names of the training kind.
const (
	OutputModel  = "model"  // a directory holding model.tar.gz
	OutputOutput = "output" // a directory holding output.tar.gz
)

// TrainingRequest is the part of CreateTrainingJob that Ferry uses.
type TrainingRequest struct {
	TrainingJobName        string                 `json:"TrainingJobName,omitempty"`
	AlgorithmSpecification AlgorithmSpecification `json:"AlgorithmSpecification"`
	HyperParameters        map[string]any         `json:"HyperParameters,omitempty"`
	InputDataConfig        []Channel              `json:"InputDataConfig,omitempty"`
	OutputDataConfig       *OutputDataConfig      `json:"OutputDataConfig,omitempty"`
	ResourceConfig         json.RawMessage        `json:"ResourceConfig,omitempty"`
	StoppingCondition      *StoppingCondition     `json:"StoppingCondition,omitempty"`
	Environment            map[string]string      `json:"Environment,omitempty"`
}

// AlgorithmSpecification is the training image and its metrics.
type AlgorithmSpecification struct {
	TrainingImage       string             `json:"TrainingImage,omitempty"`
	TrainingInputMode   string             `json:"TrainingInputMode,omitempty"`
	AlgorithmName       string             `json:"AlgorithmName,omitempty"`
	MetricDefinitions   []MetricDefinition `json:"MetricDefinitions,omitempty"`
	ContainerEntrypoint []string           `json:"ContainerEntrypoint,omitempty"`
	ContainerArguments  []string           `json:"ContainerArguments,omitempty"`
}

// Channel is one named training input.
type Channel struct {
	ChannelName string `json:"ChannelName"`
	DataSource  struct {
		S3DataSource *struct {
			S3Uri                  string `json:"S3Uri"`
			S3DataType             string `json:"S3DataType,omitempty"`
			S3DataDistributionType string `json:"S3DataDistributionType,omitempty"`
		} `json:"S3DataSource,omitempty"`
	} `json:"DataSource"`
	ContentType     string `json:"ContentType,omitempty"`
	CompressionType string `json:"CompressionType,omitempty"`
	InputMode       string `json:"InputMode,omitempty"`
}

// OutputDataConfig is where model.tar.gz and output.tar.gz are published.
type OutputDataConfig struct {
	S3OutputPath string `json:"S3OutputPath"`
}

// Training is the sagemaker_training kind.
type Training struct{ R *Runner }

var (
	_ step.Kind         = (*Training)(nil)
	_ step.Validator    = (*Training)(nil)
	_ step.CodeDigester = (*Training)(nil)
)

// Spec implements step.Kind.
func (*Training) Spec() step.Spec {
	return step.Spec{
		Kind: TrainingID,
		Description: "A SageMaker training job (CreateTrainingJob request) run locally: script mode (sagemaker_program from sagemaker_submit_directory, with the training toolkit's SM_* environment and /opt/ml/input/config files) under a private /opt/ml, " +
			"or SageMaker's built-in XGBoost algorithm on Ferry's boosted trees; /opt/ml/model is packed as model.tar.gz; properties are the DescribeTrainingJob response.",
		Version: "1",
		Args: requestArgs([]step.Field{
			{Name: "AlgorithmSpecification", Type: step.Object, Required: true, Description: "TrainingImage (mapped to a runtime, or the built-in XGBoost algorithm), MetricDefinitions (regexes over the log)"},
			{Name: "HyperParameters", Type: step.Object, Description: "string values; sagemaker_program and sagemaker_submit_directory select script mode"},
			{Name: "InputDataConfig", Type: step.List, Description: "channels: ChannelName, DataSource.S3DataSource.S3Uri (s3:// or sha256: artifact)"},
			{Name: "OutputDataConfig", Type: step.Object, Description: "S3OutputPath: model.tar.gz is published at <S3OutputPath>/<job>/output/model.tar.gz"},
			{Name: "Environment", Type: step.StringMap, Description: "environment variables"},
			{Name: "StoppingCondition", Type: step.Object, Description: "MaxRuntimeInSeconds: the job's timeout"},
			{Name: "TrainingJobName", Type: step.String, Description: "job name (default: pipelines-<execution>-<step>)"},
		}, "ResourceConfig", "RoleArn", "VpcConfig", "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
			"EnableManagedSpotTraining", "CheckpointConfig", "DebugHookConfig", "DebugRuleConfigurations", "ProfilerConfig",
			"ProfilerRuleConfigurations", "TensorBoardOutputConfig", "ExperimentConfig", "RetryStrategy", "Tags",
			"RemoteDebugConfig", "InfraCheckConfig", "SessionChainingConfig"),
		Outputs: []step.Field{
			{Name: OutputModel, Type: step.Artifact, Description: "a directory holding model.tar.gz"},
			{Name: OutputOutput, Type: step.Artifact, Description: "a directory holding output.tar.gz (/opt/ml/output/data)"},
		},
		Properties: []step.Field{
			{Name: "TrainingJobName", Type: step.String},
			{Name: "TrainingJobStatus", Type: step.String, Description: "Completed"},
			{Name: "ModelArtifacts", Type: step.Object, Description: "S3ModelArtifacts: the model.tar.gz URI"},
			{Name: "FinalMetricDataList", Type: step.List, Description: "MetricName, Value, Timestamp: each metric's last value in the log (script mode) or the final evaluation metrics (built-in XGBoost, named train:auc, validation:auc, ...)"},
			{Name: "HyperParameters", Type: step.Object},
			{Name: "FerryRuntime", Type: step.Object, Description: "the local runtime that ran the image, or the built-in algorithm"},
		},
		DynamicProperties: true,
	}
}

// ValidateArgs implements step.Validator.
func (t *Training) ValidateArgs(args map[string]any) []error {
	var errs []error
	alg, _ := args["AlgorithmSpecification"].(map[string]any)
	if defs, ok := alg["MetricDefinitions"].([]any); ok {
		var md []MetricDefinition
		if b, err := json.Marshal(defs); err == nil && json.Unmarshal(b, &md) == nil {
			if _, err := newMetricScanner(md); err != nil {
				errs = append(errs, &step.FieldError{Field: "AlgorithmSpecification.MetricDefinitions", Msg: err.Error()})
			}
		}
	}
	img, ok := alg["TrainingImage"].(string)
	if !ok || t.R == nil {
		return errs
	}
	hp, _ := args["HyperParameters"].(map[string]any)
	if _, script := hp["sagemaker_program"]; !script && imagemap.IsBuiltinXGBoost(img) {
		return errs
	}
	if _, err := t.R.Runtimes.Lookup(img); err != nil {
		errs = append(errs, &step.FieldError{Field: "AlgorithmSpecification.TrainingImage", Msg: err.Error()})
	}
	return errs
}

// mode tells script mode from the built-in XGBoost algorithm.
func (a *TrainingRequest) scriptMode() bool {
	_, ok := a.HyperParameters["sagemaker_program"]
	return ok || len(a.AlgorithmSpecification.ContainerEntrypoint) > 0
}

// CodeDigest implements step.CodeDigester: the content digests of the
// channels and of the submitted source directory, and the runtime.
func (t *Training) CodeDigest(ctx context.Context, req step.Request) (string, error) {
	a, err := decodeRequest[TrainingRequest](req.Args)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if a.scriptMode() {
		rt, err := t.R.runtime(a.AlgorithmSpecification.TrainingImage)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "runtime %q\n", rt.Command)
		if dir, ok := a.HyperParameters["sagemaker_submit_directory"]; ok {
			if uri, ok := decodeHP(hpString(dir)).(string); ok && (strings.HasPrefix(uri, "s3://") || strings.HasPrefix(uri, "sha256:")) {
				key, err := t.R.contentKey(ctx, uri)
				if err != nil {
					return "", fmt.Errorf("sagemaker_submit_directory: %w", err)
				}
				fmt.Fprintf(h, "code %s\n", key)
			}
		}
	} else {
		fmt.Fprintf(h, "builtin xgboost\n")
	}
	for i, c := range a.InputDataConfig {
		if c.DataSource.S3DataSource == nil {
			continue
		}
		key, err := t.R.contentKey(ctx, c.DataSource.S3DataSource.S3Uri)
		if err != nil {
			return "", fmt.Errorf("InputDataConfig[%d] %q: %w", i, c.ChannelName, err)
		}
		fmt.Fprintf(h, "channel %q %s\n", c.ChannelName, key)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Run implements step.Kind.
func (t *Training) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	res, _, err := t.RunTimed(ctx, env, req)
	return res, err
}

// RunTimed runs the job and reports its timing.
func (t *Training) RunTimed(ctx context.Context, env step.Env, req step.Request) (step.Result, Timing, error) {
	start := time.Now()
	a, err := decodeRequest[TrainingRequest](req.Args)
	if err != nil {
		return step.Result{}, Timing{}, err
	}
	name := jobName(a.TrainingJobName, req)
	jobDir, err := filepath.Abs(filepath.Join(env.WorkDir, "opt-ml"))
	if err != nil {
		return step.Result{}, Timing{}, err
	}
	for _, d := range []string{"input/config", "input/data", "model", "output/data", "code"} {
		if err := os.MkdirAll(filepath.Join(jobDir, d), 0o755); err != nil {
			return step.Result{}, Timing{}, err
		}
	}
	channels := make([]string, 0, len(a.InputDataConfig))
	for i, c := range a.InputDataConfig {
		if c.DataSource.S3DataSource == nil {
			return step.Result{}, Timing{}, step.Permanent(fmt.Errorf("InputDataConfig[%d] %q: only S3DataSource is supported", i, c.ChannelName))
		}
		if !nameOK(c.ChannelName) {
			return step.Result{}, Timing{}, step.Permanent(fmt.Errorf("InputDataConfig[%d]: bad ChannelName %q", i, c.ChannelName))
		}
		ref, err := t.R.Resolve(ctx, env.Store, c.DataSource.S3DataSource.S3Uri)
		if err != nil {
			return step.Result{}, Timing{}, fmt.Errorf("InputDataConfig[%d] %q: %w", i, c.ChannelName, err)
		}
		src, err := env.Store.Path(ctx, ref)
		if err != nil {
			return step.Result{}, Timing{}, fmt.Errorf("InputDataConfig[%d] %q: %w", i, c.ChannelName, err)
		}
		if err := copyTree(src, filepath.Join(jobDir, "input", "data", c.ChannelName)); err != nil {
			return step.Result{}, Timing{}, fmt.Errorf("InputDataConfig[%d] %q: %w", i, c.ChannelName, err)
		}
		channels = append(channels, c.ChannelName)
	}
	log := env.Log
	if log == nil {
		log = io.Discard
	}
	var (
		elapsed time.Duration
		metrics []map[string]any
		rtDesc  any
	)
	if a.scriptMode() {
		rt, err := t.R.runtime(a.AlgorithmSpecification.TrainingImage)
		if err != nil {
			return step.Result{}, Timing{}, fmt.Errorf("AlgorithmSpecification.TrainingImage: %w", err)
		}
		rtDesc = rt
		scan, err := newMetricScanner(a.AlgorithmSpecification.MetricDefinitions)
		if err != nil {
			return step.Result{}, Timing{}, step.Permanent(err)
		}
		p, err := t.scriptProc(ctx, env, &a, name, jobDir, channels, rt)
		if err != nil {
			return step.Result{}, Timing{}, err
		}
		elapsed, err = t.R.run(ctx, p, io.MultiWriter(log, scan))
		if err != nil {
			return step.Result{}, Timing{Total: time.Since(start), Process: elapsed}, fmt.Errorf("training job %s: %w", name, err)
		}
		metrics = scan.final(time.Now().UTC().Format(time.RFC3339Nano))
	} else {
		if !imagemap.IsBuiltinXGBoost(a.AlgorithmSpecification.TrainingImage) {
			return step.Result{}, Timing{}, step.Permanent(fmt.Errorf("AlgorithmSpecification.TrainingImage %q: not a script-mode job (no sagemaker_program hyperparameter) and not a built-in algorithm Ferry runs (SageMaker's XGBoost)", a.AlgorithmSpecification.TrainingImage))
		}
		rtDesc = map[string]any{"image": a.AlgorithmSpecification.TrainingImage, "builtin": "xgboost", "source": "builtin"}
		pstart := time.Now()
		if metrics, err = builtinXGBoost(ctx, &a, jobDir, log); err != nil {
			return step.Result{}, Timing{}, fmt.Errorf("training job %s (built-in XGBoost): %w", name, err)
		}
		elapsed = time.Since(pstart) // the learner stands in for the user's process
	}

	// Pack /opt/ml/model and /opt/ml/output/data as SageMaker does.
	packDir := filepath.Join(env.WorkDir, "packed")
	modelDir, outDir := filepath.Join(packDir, "model"), filepath.Join(packDir, "output")
	for _, d := range []string{modelDir, outDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return step.Result{}, Timing{}, err
		}
	}
	if err := packTarGz(filepath.Join(jobDir, "model"), filepath.Join(modelDir, "model.tar.gz")); err != nil {
		return step.Result{}, Timing{}, fmt.Errorf("packing model.tar.gz: %w", err)
	}
	if err := packTarGz(filepath.Join(jobDir, "output", "data"), filepath.Join(outDir, "output.tar.gz")); err != nil {
		return step.Result{}, Timing{}, fmt.Errorf("packing output.tar.gz: %w", err)
	}
	res := step.Result{Outputs: map[string]artifact.Ref{}}
	for out, dir := range map[string]string{OutputModel: modelDir, OutputOutput: outDir} {
		ref, err := env.Store.PutDir(ctx, dir)
		if err != nil {
			return step.Result{}, Timing{}, fmt.Errorf("storing %s: %w", out, err)
		}
		res.Outputs[out] = ref
	}
	modelURI := string(res.Outputs[OutputModel])
	if a.OutputDataConfig != nil && a.OutputDataConfig.S3OutputPath != "" {
		prefix := strings.TrimSuffix(a.OutputDataConfig.S3OutputPath, "/") + "/" + name + "/output"
		for _, dir := range []string{modelDir, outDir} {
			if err := t.R.publish(ctx, dir, prefix); err != nil {
				return step.Result{}, Timing{}, err
			}
		}
		if t.R.Objects != nil && strings.HasPrefix(prefix, "s3://") {
			modelURI = prefix + "/model.tar.gz"
		}
	}
	now := time.Now().UTC()
	desc := map[string]any{
		"TrainingJobName":        name,
		"TrainingJobArn":         "arn:aws:sagemaker:local:000000000000:training-job/" + name,
		"TrainingJobStatus":      "Completed",
		"SecondaryStatus":        "Completed",
		"ModelArtifacts":         map[string]any{"S3ModelArtifacts": modelURI},
		"FinalMetricDataList":    metrics,
		"HyperParameters":        hpStrings(a.HyperParameters),
		"AlgorithmSpecification": a.AlgorithmSpecification,
		"InputDataConfig":        a.InputDataConfig,
		"OutputDataConfig":       a.OutputDataConfig,
		"TrainingStartTime":      start.UTC().Format(time.RFC3339Nano),
		"TrainingEndTime":        now.Format(time.RFC3339Nano),
		"TrainingTimeInSeconds":  int(now.Sub(start).Seconds()),
		"BillableTimeInSeconds":  0,
		"FerryRuntime":           rtDesc,
	}
	if res.Properties, err = toMap(desc); err != nil {
		return step.Result{}, Timing{}, err
	}
	if res.Properties["FinalMetricDataList"] == nil {
		res.Properties["FinalMetricDataList"] = []any{}
	}
	return res, Timing{Total: time.Since(start), Process: elapsed}, nil
}

func nameOK(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	return !strings.ContainsAny(s, "/\\\x00")
}
