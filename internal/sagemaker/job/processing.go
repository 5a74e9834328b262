package job

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/step"
)

// ProcessingID is the processing kind's stable ID.
const ProcessingID = "sagemaker_processing"

// ProcessingRequest is the part of CreateProcessingJob that Ferry uses.
type ProcessingRequest struct {
	ProcessingJobName      string                  `json:"ProcessingJobName,omitempty"`
	ProcessingInputs       []ProcessingInput       `json:"ProcessingInputs,omitempty"`
	ProcessingOutputConfig *ProcessingOutputConfig `json:"ProcessingOutputConfig,omitempty"`
	AppSpecification       AppSpecification        `json:"AppSpecification"`
	Environment            map[string]string       `json:"Environment,omitempty"`
	StoppingCondition      *StoppingCondition      `json:"StoppingCondition,omitempty"`
	ProcessingResources    json.RawMessage         `json:"ProcessingResources,omitempty"`
}

// ProcessingInput is one input of a processing job.
type ProcessingInput struct {
	InputName string   `json:"InputName"`
	S3Input   *S3Input `json:"S3Input,omitempty"`
	// DatasetDefinition (Athena, Redshift) is not supported.
	DatasetDefinition json.RawMessage `json:"DatasetDefinition,omitempty"`
}

// S3Input is an input's S3 source and local path.
type S3Input struct {
	S3Uri             string `json:"S3Uri"`
	LocalPath         string `json:"LocalPath"`
	S3DataType        string `json:"S3DataType,omitempty"`
	S3InputMode       string `json:"S3InputMode,omitempty"`
	S3CompressionType string `json:"S3CompressionType,omitempty"`
}

// ProcessingOutputConfig lists a job's outputs.
type ProcessingOutputConfig struct {
	Outputs []ProcessingOutput `json:"Outputs"`
}

// ProcessingOutput is one output of a processing job.
type ProcessingOutput struct {
	OutputName string    `json:"OutputName"`
	S3Output   *S3Output `json:"S3Output,omitempty"`
	AppManaged bool      `json:"AppManaged,omitempty"`
}

// S3Output is an output's local path and S3 destination.
type S3Output struct {
	S3Uri        string `json:"S3Uri"`
	LocalPath    string `json:"LocalPath"`
	S3UploadMode string `json:"S3UploadMode,omitempty"`
}

// AppSpecification is the image and its entry point.
type AppSpecification struct {
	ImageUri            string   `json:"ImageUri"`
	ContainerEntrypoint []string `json:"ContainerEntrypoint,omitempty"`
	ContainerArguments  []string `json:"ContainerArguments,omitempty"`
}

// StoppingCondition bounds a job's run time.
type StoppingCondition struct {
	MaxRuntimeInSeconds int `json:"MaxRuntimeInSeconds,omitempty"`
}

func (s *StoppingCondition) timeout() time.Duration {
	if s == nil || s.MaxRuntimeInSeconds <= 0 {
		return 0
	}
	return time.Duration(s.MaxRuntimeInSeconds) * time.Second
}

// Processing is the sagemaker_processing kind.
type Processing struct{ R *Runner }

var (
	_ step.Kind         = (*Processing)(nil)
	_ step.Validator    = (*Processing)(nil)
	_ step.CodeDigester = (*Processing)(nil)
)

// requestArgs declares the top-level keys of a Create* request as
// arguments. Keys Ferry ignores (instances, roles, networks, tags) are
// accepted so definitions run unchanged.
func requestArgs(used []step.Field, ignored ...string) []step.Field {
	args := append([]step.Field(nil), used...)
	for _, name := range ignored {
		args = append(args, step.Field{Name: name, Type: step.Any, Description: "accepted and ignored (no instances, roles or networks locally)"})
	}
	return args
}

// Spec implements step.Kind.
func (*Processing) Spec() step.Spec {
	return step.Spec{
		Kind:        ProcessingID,
		Description: "A SageMaker processing job (CreateProcessingJob request) run locally: inputs copied to their LocalPath under a private /opt/ml, the entry point run with the image's mapped runtime, outputs stored as artifacts named by OutputName and published to their S3Uri; properties are the DescribeProcessingJob response.",
		Version:     "1",
		Args: requestArgs([]step.Field{
			{Name: "AppSpecification", Type: step.Object, Required: true, Description: "ImageUri (mapped to a runtime), ContainerEntrypoint, ContainerArguments"},
			{Name: "ProcessingInputs", Type: step.List, Description: "inputs: S3Input.S3Uri (s3:// or sha256: artifact) copied to S3Input.LocalPath"},
			{Name: "ProcessingOutputConfig", Type: step.Object, Description: "Outputs: LocalPath stored as the artifact OutputName and published to S3Uri"},
			{Name: "Environment", Type: step.StringMap, Description: "environment variables"},
			{Name: "StoppingCondition", Type: step.Object, Description: "MaxRuntimeInSeconds: the job's timeout"},
			{Name: "ProcessingJobName", Type: step.String, Description: "job name (default: pipelines-<execution>-<step>)"},
		}, "ProcessingResources", "RoleArn", "NetworkConfig", "ExperimentConfig", "Tags"),
		DynamicOutputs: true,
		Properties: []step.Field{
			{Name: "ProcessingJobName", Type: step.String},
			{Name: "ProcessingJobStatus", Type: step.String, Description: "Completed"},
			{Name: "ProcessingOutputConfig", Type: step.Object, Description: "Outputs[]: OutputName, S3Output.S3Uri"},
			{Name: "ProcessingInputs", Type: step.List},
			{Name: "AppSpecification", Type: step.Object},
			{Name: "FerryRuntime", Type: step.Object, Description: "the local runtime that ran the image: image, pattern, command, source"},
		},
		DynamicProperties: true,
	}
}

// OutputNames implements pipeline.OutputNamer: the OutputNames of
// ProcessingOutputConfig.
func (*Processing) OutputNames(args map[string]any) ([]string, bool) {
	oc, ok := args["ProcessingOutputConfig"].(map[string]any)
	if !ok {
		return nil, args["ProcessingOutputConfig"] == nil
	}
	outs, ok := oc["Outputs"].([]any)
	if !ok {
		return nil, false
	}
	var names []string
	for _, o := range outs {
		m, ok := o.(map[string]any)
		if !ok {
			return nil, false
		}
		n, ok := m["OutputName"].(string)
		if !ok {
			return nil, false
		}
		names = append(names, n)
	}
	return names, true
}

// ValidateArgs implements step.Validator.
func (p *Processing) ValidateArgs(args map[string]any) []error {
	var errs []error
	if app, ok := args["AppSpecification"].(map[string]any); ok {
		if _, ok := app["ImageUri"]; !ok {
			errs = append(errs, &step.FieldError{Field: "AppSpecification.ImageUri", Msg: "required"})
		} else if img, ok := app["ImageUri"].(string); ok && p.R != nil {
			if _, err := p.R.Runtimes.Lookup(img); err != nil {
				errs = append(errs, &step.FieldError{Field: "AppSpecification.ImageUri", Msg: err.Error()})
			}
		}
		if _, ok := app["ContainerEntrypoint"]; !ok {
			errs = append(errs, &step.FieldError{Field: "AppSpecification.ContainerEntrypoint", Msg: "required: Ferry runs script-mode images only"})
		}
	}
	if ins, ok := args["ProcessingInputs"].([]any); ok {
		for i, in := range ins {
			m, _ := in.(map[string]any)
			if _, ok := m["DatasetDefinition"]; ok {
				errs = append(errs, &step.FieldError{Field: fmt.Sprintf("ProcessingInputs[%d].DatasetDefinition", i), Msg: "Athena and Redshift dataset definitions are not supported; use an S3Input"})
			}
		}
	}
	return errs
}

func decodeRequest[T any](args map[string]any) (T, error) {
	var v T
	b, err := json.Marshal(args)
	if err != nil {
		return v, fmt.Errorf("encoding arguments: %w", err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, step.Permanent(fmt.Errorf("decoding the request: %w", err))
	}
	return v, nil
}

// CodeDigest implements step.CodeDigester: the content digests of the
// inputs (the s3:// data and code the job reads) and the runtime command,
// so a changed object or script misses the cache although its URI is the
// same.
func (p *Processing) CodeDigest(ctx context.Context, req step.Request) (string, error) {
	a, err := decodeRequest[ProcessingRequest](req.Args)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	rt, err := p.R.runtime(a.AppSpecification.ImageUri)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "runtime %q\n", rt.Command)
	for i, in := range a.ProcessingInputs {
		if in.S3Input == nil {
			continue
		}
		key, err := p.R.contentKey(ctx, in.S3Input.S3Uri)
		if err != nil {
			return "", fmt.Errorf("ProcessingInputs[%d] %q: %w", i, in.InputName, err)
		}
		fmt.Fprintf(h, "input %q %s\n", in.InputName, key)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Run implements step.Kind.
func (p *Processing) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	res, _, err := p.RunTimed(ctx, env, req)
	return res, err
}

// RunTimed runs the job and reports its timing.
func (p *Processing) RunTimed(ctx context.Context, env step.Env, req step.Request) (step.Result, Timing, error) {
	start := time.Now()
	a, err := decodeRequest[ProcessingRequest](req.Args)
	if err != nil {
		return step.Result{}, Timing{}, err
	}
	rt, err := p.R.runtime(a.AppSpecification.ImageUri)
	if err != nil {
		return step.Result{}, Timing{}, fmt.Errorf("AppSpecification.ImageUri: %w", err)
	}
	if len(a.AppSpecification.ContainerEntrypoint) == 0 && imagemap.Match("*sagemaker-clarify-processing*", a.AppSpecification.ImageUri) {
		return step.Result{}, Timing{}, step.Permanent(errors.New("AppSpecification: a processing job on the Clarify image runs the container's own analysis, which Ferry does not run as a job: use a ClarifyCheck step (kind clarify_check) or ferry clarify"))
	}
	argv, err := entryArgv(a.AppSpecification.ContainerEntrypoint, rt)
	if err != nil {
		return step.Result{}, Timing{}, step.Permanent(fmt.Errorf("AppSpecification: %w", err))
	}
	argv = append(argv, a.AppSpecification.ContainerArguments...)
	jobDir, err := filepath.Abs(filepath.Join(env.WorkDir, "opt-ml"))
	if err != nil {
		return step.Result{}, Timing{}, err
	}
	name := jobName(a.ProcessingJobName, req)
	for i, in := range a.ProcessingInputs {
		if in.S3Input == nil {
			return step.Result{}, Timing{}, step.Permanent(fmt.Errorf("ProcessingInputs[%d] %q: only S3Input is supported", i, in.InputName))
		}
		dst, err := localPath(jobDir, in.S3Input.LocalPath)
		if err != nil {
			return step.Result{}, Timing{}, step.Permanent(fmt.Errorf("ProcessingInputs[%d] %q: %w", i, in.InputName, err))
		}
		ref, err := p.R.Resolve(ctx, env.Store, in.S3Input.S3Uri)
		if err != nil {
			return step.Result{}, Timing{}, fmt.Errorf("ProcessingInputs[%d] %q: %w", i, in.InputName, err)
		}
		src, err := env.Store.Path(ctx, ref)
		if err != nil {
			return step.Result{}, Timing{}, fmt.Errorf("ProcessingInputs[%d] %q: %w", i, in.InputName, err)
		}
		if err := copyTree(src, dst); err != nil {
			return step.Result{}, Timing{}, fmt.Errorf("ProcessingInputs[%d] %q: copying to %s: %w", i, in.InputName, in.S3Input.LocalPath, err)
		}
	}
	var outputs []ProcessingOutput
	if a.ProcessingOutputConfig != nil {
		outputs = a.ProcessingOutputConfig.Outputs
	}
	outDirs := make([]string, len(outputs))
	for i, o := range outputs {
		if o.S3Output == nil {
			return step.Result{}, Timing{}, step.Permanent(fmt.Errorf("ProcessingOutputConfig.Outputs[%d] %q: only S3Output is supported", i, o.OutputName))
		}
		if outDirs[i], err = localPath(jobDir, o.S3Output.LocalPath); err != nil {
			return step.Result{}, Timing{}, step.Permanent(fmt.Errorf("ProcessingOutputConfig.Outputs[%d] %q: %w", i, o.OutputName, err))
		}
		if err := os.MkdirAll(outDirs[i], 0o755); err != nil {
			return step.Result{}, Timing{}, err
		}
	}
	if err := writeProcessingConfig(jobDir, name, a); err != nil {
		return step.Result{}, Timing{}, err
	}
	procEnv := map[string]string{"PYTHONUNBUFFERED": "1"}
	for k, v := range a.Environment {
		procEnv[k] = v
	}
	elapsed, err := p.R.run(ctx, proc{jobDir: jobDir, argv: argv, env: procEnv, timeout: a.StoppingCondition.timeout(), runtime: rt}, env.Log)
	if err != nil {
		return step.Result{}, Timing{Total: time.Since(start), Process: elapsed}, fmt.Errorf("processing job %s: %w", name, err)
	}
	res := step.Result{Outputs: make(map[string]artifact.Ref, len(outputs))}
	for i, o := range outputs {
		ref, err := env.Store.PutDir(ctx, outDirs[i])
		if err != nil {
			return step.Result{}, Timing{}, fmt.Errorf("storing output %q: %w", o.OutputName, err)
		}
		res.Outputs[o.OutputName] = ref
		if err := p.R.publish(ctx, outDirs[i], o.S3Output.S3Uri); err != nil {
			return step.Result{}, Timing{}, fmt.Errorf("output %q: %w", o.OutputName, err)
		}
	}
	desc, err := toMap(struct {
		ProcessingRequest
		ProcessingJobName   string `json:"ProcessingJobName"`
		ProcessingJobStatus string `json:"ProcessingJobStatus"`
		ProcessingJobArn    string `json:"ProcessingJobArn"`
		ExitMessage         string `json:"ExitMessage"`
		ProcessingStartTime string `json:"ProcessingStartTime"`
		ProcessingEndTime   string `json:"ProcessingEndTime"`
		FerryRuntime        any    `json:"FerryRuntime"`
	}{a, name, "Completed", "arn:aws:sagemaker:local:000000000000:processing-job/" + name, "", start.UTC().Format(time.RFC3339Nano), time.Now().UTC().Format(time.RFC3339Nano), rt})
	if err != nil {
		return step.Result{}, Timing{}, err
	}
	res.Properties = desc
	return res, Timing{Total: time.Since(start), Process: elapsed}, nil
}

// writeProcessingConfig writes /opt/ml/config/processingjobconfig.json and
// resourceconfig.json as the processing container finds them.
func writeProcessingConfig(jobDir, name string, a ProcessingRequest) error {
	dir := filepath.Join(jobDir, "config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg := map[string]any{"ProcessingJobName": name, "ProcessingInputs": a.ProcessingInputs, "ProcessingOutputConfig": a.ProcessingOutputConfig,
		"AppSpecification": a.AppSpecification, "Environment": a.Environment}
	if len(a.ProcessingResources) > 0 {
		cfg["ProcessingResources"] = a.ProcessingResources
	}
	if err := writeJSON(filepath.Join(dir, "processingjobconfig.json"), cfg); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "resourceconfig.json"), resourceConfig())
}

func resourceConfig() map[string]any {
	return map[string]any{"current_host": "algo-1", "current_instance_type": "local", "current_group_name": "homogeneousCluster",
		"hosts": []string{"algo-1"}, "network_interface_name": "lo",
		"instance_groups": []any{map[string]any{"instance_group_name": "homogeneousCluster", "instance_type": "local", "hosts": []string{"algo-1"}}}}
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	return os.WriteFile(path, b, 0o644)
}

// toMap turns a Describe* struct into the properties map.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding properties: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decoding properties: %w", err)
	}
	if m == nil {
		return nil, errors.New("encoding properties: not an object")
	}
	return m, nil
}
