package job_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/sagemaker/optml"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
)

const sklearnImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:0.23-1-cpu-py3"

// setup returns a store bundle, a fake namespace and a runner whose Python
// framework images run with Debian's python3.
func setup(t *testing.T) (*steptest.Bundle, *fakeObjects, *job.Runner) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if _, err := optml.Detect(t.Context(), ""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	m, err := imagemap.New([]imagemap.Rule{{Pattern: "*sagemaker-*", Command: []string{py}}})
	if err != nil {
		t.Fatal(err)
	}
	b := steptest.New(t)
	objs := newFakeObjects(b.Store)
	return b, objs, &job.Runner{Runtimes: m, Objects: objs}
}

const prepScript = `
import json, os, sys
rows = open("/opt/ml/processing/input/data/claims.csv").read().splitlines()
os.makedirs("/opt/ml/processing/train", exist_ok=True)
with open("/opt/ml/processing/train/train.csv", "w") as f:
    f.write("\n".join(rows[1:]) + "\n")
with open("/opt/ml/processing/evaluation/evaluation.json", "w") as f:
    json.dump({"rows": len(rows) - 1, "args": sys.argv[1:], "mode": os.environ.get("MODE")}, f)
`

func processingArgs(code, data string) map[string]any {
	return map[string]any{
		"ProcessingResources": map[string]any{"ClusterConfig": map[string]any{"InstanceCount": 1, "InstanceType": "ml.c5.xlarge", "VolumeSizeInGB": 30}},
		"AppSpecification": map[string]any{
			"ImageUri":            sklearnImage,
			"ContainerEntrypoint": []any{"python3", "/opt/ml/processing/input/code/prep.py"},
			"ContainerArguments":  []any{"--train-ratio", "0.8"},
		},
		"RoleArn":     "arn:aws:iam::000000000000:role/x",
		"Environment": map[string]any{"MODE": "test"},
		"ProcessingInputs": []any{
			map[string]any{"InputName": "input-1", "AppManaged": false, "S3Input": map[string]any{"S3Uri": data, "LocalPath": "/opt/ml/processing/input/data", "S3DataType": "S3Prefix", "S3InputMode": "File"}},
			map[string]any{"InputName": "code", "S3Input": map[string]any{"S3Uri": code, "LocalPath": "/opt/ml/processing/input/code", "S3DataType": "S3Prefix", "S3InputMode": "File"}},
		},
		"ProcessingOutputConfig": map[string]any{"Outputs": []any{
			map[string]any{"OutputName": "train", "S3Output": map[string]any{"S3Uri": "s3://bucket/prep/train", "LocalPath": "/opt/ml/processing/train", "S3UploadMode": "EndOfJob"}},
			map[string]any{"OutputName": "evaluation", "S3Output": map[string]any{"S3Uri": "s3://bucket/prep/evaluation", "LocalPath": "/opt/ml/processing/evaluation", "S3UploadMode": "EndOfJob"}},
		}},
	}
}

func TestProcessingScriptMode(t *testing.T) {
	t.Parallel()
	b, objs, r := setup(t)
	objs.put("s3://bucket/raw/claims.csv", []byte("fraud,x\n0,1\n1,2\n"))
	objs.put("s3://bucket/code/prep.py", []byte(prepScript))
	k := &job.Processing{R: r}
	var log strings.Builder
	env := b.Env(t)
	env.Log = &log
	res, err := k.Run(t.Context(), env, step.Request{ExecutionID: "exec1", StepName: "DataProcessing", Attempt: 1,
		Args: processingArgs("s3://bucket/code/prep.py", "s3://bucket/raw/claims.csv")})
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	if got, ok := objs.get("s3://bucket/prep/train/train.csv"); !ok || string(got) != "0,1\n1,2\n" {
		t.Errorf("published train.csv = %q, %v", got, ok)
	}
	ev, err := os.ReadFile(filepath.Join(b.Path(t, res.Outputs["evaluation"]), "evaluation.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"rows": 2, "args": ["--train-ratio", "0.8"], "mode": "test"}`; string(ev) != want {
		t.Errorf("evaluation.json = %s, want %s", ev, want)
	}
	if res.Properties["ProcessingJobStatus"] != "Completed" || res.Properties["ProcessingJobName"] != "pipelines-exec1-DataProcessing" {
		t.Errorf("properties: %v", res.Properties)
	}
	rt, _ := res.Properties["FerryRuntime"].(map[string]any)
	if rt["pattern"] != "*sagemaker-*" {
		t.Errorf("FerryRuntime = %v", rt)
	}
	if !strings.Contains(log.String(), "# runtime ") {
		t.Errorf("log lacks the runtime line:\n%s", log.String())
	}
}

func TestProcessingErrors(t *testing.T) {
	t.Parallel()
	b, objs, r := setup(t)
	objs.put("s3://bucket/code/fail.py", []byte("import sys\nprint('working', flush=True)\nraise SystemExit('KeyError: column fraud not found')\n"))
	objs.put("s3://bucket/raw/claims.csv", []byte("x\n"))
	k := &job.Processing{R: r}

	t.Run("ExitNonZeroQuotesStderr", func(t *testing.T) {
		t.Parallel()
		args := processingArgs("s3://bucket/code/fail.py", "s3://bucket/raw/claims.csv")
		args["AppSpecification"].(map[string]any)["ContainerEntrypoint"] = []any{"python3", "/opt/ml/processing/input/code/fail.py"}
		_, err := b.Run(t, k, step.Request{ExecutionID: "e", StepName: "Fails", Args: args})
		if err == nil || !strings.Contains(err.Error(), "exit status 1: KeyError: column fraud not found") {
			t.Fatalf("got %v", err)
		}
		if step.IsPermanent(err) {
			t.Error("a script failure should be retryable")
		}
	})
	t.Run("MissingObjectNamesURI", func(t *testing.T) {
		t.Parallel()
		_, err := b.Run(t, k, step.Request{ExecutionID: "e", StepName: "Missing", Args: processingArgs("s3://bucket/code/fail.py", "s3://bucket/raw/nothing.csv")})
		if err == nil || !strings.Contains(err.Error(), "s3://bucket/raw/nothing.csv") || !strings.Contains(err.Error(), `"input-1"`) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("UnmappedImage", func(t *testing.T) {
		t.Parallel()
		args := processingArgs("s3://bucket/code/fail.py", "s3://bucket/raw/claims.csv")
		args["AppSpecification"].(map[string]any)["ImageUri"] = "123.dkr.ecr.us-east-1.amazonaws.com/custom:1"
		_, err := b.Run(t, k, step.Request{ExecutionID: "e", StepName: "Custom", Args: args})
		var ue *imagemap.UnmappedError
		if !errors.As(err, &ue) || !step.IsPermanent(err) || !strings.Contains(err.Error(), "--runtime") {
			t.Fatalf("got %v", err)
		}
		errs := k.ValidateArgs(args)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "AppSpecification.ImageUri: no runtime is mapped") {
			t.Errorf("ValidateArgs: %v", errs)
		}
	})
	t.Run("LocalPathOutsideOptML", func(t *testing.T) {
		t.Parallel()
		args := processingArgs("s3://bucket/code/fail.py", "s3://bucket/raw/claims.csv")
		args["ProcessingInputs"].([]any)[0].(map[string]any)["S3Input"].(map[string]any)["LocalPath"] = "/etc/x"
		_, err := b.Run(t, k, step.Request{ExecutionID: "e", StepName: "Bad", Args: args})
		if err == nil || !strings.Contains(err.Error(), `ProcessingInputs[0] "input-1": LocalPath "/etc/x" must be a directory under /opt/ml/`) {
			t.Fatalf("got %v", err)
		}
	})
}

// TestFrameworkProcessorShellEntryPoint: a shell entry point that calls
// python itself (FrameworkProcessor's runproc.sh) runs the mapped runtime.
func TestFrameworkProcessorShellEntryPoint(t *testing.T) {
	t.Parallel()
	b, objs, r := setup(t)
	const mapped = "/usr/bin/python3"
	if _, err := os.Stat(mapped); err != nil {
		t.Skip("no " + mapped)
	}
	m, err := imagemap.New([]imagemap.Rule{{Pattern: "*sagemaker-*", Command: []string{mapped}}})
	if err != nil {
		t.Fatal(err)
	}
	r.Runtimes = m
	objs.put("s3://bucket/code/runproc.sh", []byte("cd /opt/ml/processing/input/code && python3 -c 'import sys; print(sys.executable)' > /opt/ml/processing/evaluation/exe.txt\n"))
	args := processingArgs("s3://bucket/code/runproc.sh", "s3://bucket/code/runproc.sh")
	args["AppSpecification"].(map[string]any)["ContainerEntrypoint"] = []any{"/bin/bash", "/opt/ml/processing/input/code/runproc.sh"}
	res, err := b.Run(t, &job.Processing{R: r}, step.Request{ExecutionID: "e", StepName: "Framework", Args: args})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(b.Path(t, res.Outputs["evaluation"]), "exe.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if exe := strings.TrimSpace(string(got)); exe != mapped {
		t.Errorf("the script's python3 is %s, want the mapped %s", exe, mapped)
	}
}

func TestCacheArgsFunc(t *testing.T) {
	t.Parallel()
	args := map[string]any{"AppSpecification": 1, "ProcessingJobName": "x"}
	if got := (&job.Processing{R: &job.Runner{}}).CacheArgs(args); len(got) != 2 {
		t.Errorf("without a func: %v", got)
	}
	var gotKind string
	r := &job.Runner{CacheArgsFunc: func(kind string, a map[string]any) map[string]any {
		gotKind = kind
		return map[string]any{"AppSpecification": a["AppSpecification"]}
	}}
	if got := (&job.Training{R: r}).CacheArgs(args); len(got) != 1 || gotKind != job.TrainingID {
		t.Errorf("with a func: %v %s", got, gotKind)
	}
}

func TestProcessingStoppingCondition(t *testing.T) {
	t.Parallel()
	b, objs, r := setup(t)
	objs.put("s3://bucket/code/slow.py", []byte("import time\ntime.sleep(30)\n"))
	objs.put("s3://bucket/raw/claims.csv", []byte("x\n"))
	args := processingArgs("s3://bucket/code/slow.py", "s3://bucket/raw/claims.csv")
	args["AppSpecification"].(map[string]any)["ContainerEntrypoint"] = []any{"python3", "/opt/ml/processing/input/code/slow.py"}
	args["StoppingCondition"] = map[string]any{"MaxRuntimeInSeconds": 1}
	start := time.Now()
	_, err := b.Run(t, &job.Processing{R: r}, step.Request{ExecutionID: "e", StepName: "Slow", Args: args})
	if err == nil || !strings.Contains(err.Error(), "MaxRuntimeInSeconds=1") {
		t.Errorf("got %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the job ran %s after its 1 s limit", d)
	}
}
