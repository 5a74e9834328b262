package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/sagemaker/optml"
	"github.com/ferryml/ferry/internal/step/clarifycheck"
)

// sagemakerPipeline runs the SageMaker job kinds through the real engine,
// with data flowing between steps as artifact references in S3Uri fields,
// as the SageMaker definition front end passes them: a script-mode
// processing job, the built-in XGBoost algorithm, CreateModel and
// CreateModelPackage.
const sagemakerPipeline = `
version: 1
name: sm-jobs
steps:
  - name: data
    kind: command
    command: [/bin/sh, -c, 'i=0; while [ $i -lt 300 ]; do x=$((i % 17)); y=0; [ $x -gt 8 ] && y=1; echo "$y,$x,$((i % 5))" >> "$FERRY_OUTPUT_RAW/claims.csv"; i=$((i+1)); done; printf "%s\n" "import json, os" "rows = open(\"/opt/ml/processing/input/data/claims.csv\").read().splitlines()" "open(\"/opt/ml/processing/train/train.csv\", \"w\").write(\"\\n\".join(rows[:240]) + \"\\n\")" "open(\"/opt/ml/processing/validation/validation.csv\", \"w\").write(\"\\n\".join(rows[240:]) + \"\\n\")" "json.dump({\"rows\": len(rows)}, open(\"/opt/ml/processing/evaluation/stats.json\", \"w\"))" > "$FERRY_OUTPUT_CODE/prep.py"']
    outputs: [raw, code]
  - name: DataProcessing
    kind: sagemaker_processing
    AppSpecification:
      ImageUri: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:0.23-1-cpu-py3
      ContainerEntrypoint: [python3, /opt/ml/processing/input/code/prep.py]
    ProcessingResources: {ClusterConfig: {InstanceCount: 1, InstanceType: ml.c5.xlarge, VolumeSizeInGB: 30}}
    RoleArn: arn:aws:iam::000000000000:role/ferry
    ProcessingInputs:
      - {InputName: input-1, AppManaged: false, S3Input: {S3Uri: "${{ steps.data.outputs.raw }}", LocalPath: /opt/ml/processing/input/data, S3DataType: S3Prefix, S3InputMode: File}}
      - {InputName: code, S3Input: {S3Uri: "${{ steps.data.outputs.code }}/prep.py", LocalPath: /opt/ml/processing/input/code, S3DataType: S3Prefix, S3InputMode: File}}
    ProcessingOutputConfig:
      Outputs:
        - {OutputName: train, S3Output: {S3Uri: s3://bucket/prep/train, LocalPath: /opt/ml/processing/train, S3UploadMode: EndOfJob}}
        - {OutputName: validation, S3Output: {S3Uri: s3://bucket/prep/validation, LocalPath: /opt/ml/processing/validation, S3UploadMode: EndOfJob}}
        - {OutputName: evaluation, S3Output: {S3Uri: s3://bucket/prep/evaluation, LocalPath: /opt/ml/processing/evaluation, S3UploadMode: EndOfJob}}
    property_files: {stats: {output: evaluation, path: stats.json}}
    cache: {enabled: true}
  - name: Train
    kind: sagemaker_training
    AlgorithmSpecification: {TrainingImage: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1, TrainingInputMode: File}
    HyperParameters: {num_round: "10", max_depth: "3", eta: "0.3", objective: "binary:logistic", eval_metric: auc}
    InputDataConfig:
      - {ChannelName: train, ContentType: text/csv, DataSource: {S3DataSource: {S3Uri: "${{ steps.DataProcessing.outputs.train }}", S3DataType: S3Prefix}}}
      - {ChannelName: validation, ContentType: text/csv, DataSource: {S3DataSource: {S3Uri: "${{ steps.DataProcessing.outputs.validation }}", S3DataType: S3Prefix}}}
    OutputDataConfig: {S3OutputPath: s3://bucket/training_jobs}
    ResourceConfig: {InstanceCount: 1, InstanceType: ml.m4.xlarge, VolumeSizeInGB: 30}
    cache: {enabled: true}
  - name: Check
    kind: condition
    if: "steps.DataProcessing.properties.stats.rows >= 300 and steps.Train.properties.FinalMetricDataList[1].Value > 0.5"
    then: [Model, Register]
    else: [Fail]
  - name: Model
    kind: sagemaker_model
    PrimaryContainer: {Image: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1, ModelDataUrl: "${{ steps.Train.outputs.model }}"}
  - name: Register
    kind: sagemaker_register_model
    ModelPackageGroupName: sm-group
    ModelApprovalStatus: Approved
    InferenceSpecification:
      Containers: [{Image: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1, ModelDataUrl: "${{ steps.Train.outputs.model }}"}]
      SupportedContentTypes: [text/csv]
      SupportedResponseMIMETypes: [text/csv]
  - name: Fail
    kind: fail
    message: "too few rows or a bad model"
  - name: TorchModelData
    kind: command
    command: [/bin/sh, -c, 'mkdir -p m/code && printf "%s\n" "import json, os" "def model_fn(d):" "    return json.load(open(os.path.join(d, \"w.json\")))" "def predict_fn(data, model):" "    return [sum(r) * model[\"w\"] for r in data]" > m/code/inference.py && echo "{\"w\": 2}" > m/w.json && tar czf "$FERRY_OUTPUT_MODEL/model.tar.gz" -C m .']
    outputs: [model]
  - name: RegisterTorch
    kind: sagemaker_register_model
    ModelPackageGroupName: sm-torch
    ModelApprovalStatus: Approved
    InferenceSpecification:
      Containers: [{Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu-py310, ModelDataUrl: "${{ steps.TorchModelData.outputs.model }}"}]
`

func TestRunSageMakerJobKinds(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	ctx := context.Background()
	if _, err := optml.Detect(ctx, ""); err != nil {
		t.Skip(err)
	}
	home, dir := artifacttest.TempDir(t), artifacttest.TempDir(t)
	file := writePipeline(t, dir, sagemakerPipeline)
	if v := ferry(t, ctx, home, "validate", file); v.code != 0 {
		t.Fatalf("validate: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	// Outputs are published under their S3 destinations, in a bucket that
	// must exist, as on SageMaker.
	if mb := ferry(t, ctx, home, "s3", "mb", "s3://bucket"); mb.code != 0 {
		t.Fatalf("s3 mb: exit %d\n%s%s", mb.code, mb.stdout, mb.stderr)
	}
	first := ferry(t, ctx, home, "run", file)
	if first.code != 0 {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", first.code, first.stdout, first.stderr)
	}
	if ls := ferry(t, ctx, home, "s3", "ls", "--recursive", "s3://bucket/prep/"); ls.code != 0 || !strings.Contains(ls.stdout, "prep/train/") {
		t.Errorf("s3 ls after the run: exit %d, want the published train output:\n%s%s", ls.code, ls.stdout, ls.stderr)
	}
	list := ferry(t, ctx, home, "models", "list", "sm-group")
	if list.code != 0 || !strings.Contains(list.stdout, "Approved") {
		t.Errorf("models list: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}
	second := ferry(t, ctx, home, "run", file)
	if second.code != 0 {
		t.Fatalf("second run: exit %d\n%s%s", second.code, second.stdout, second.stderr)
	}
	for _, st := range []string{"DataProcessing", "Train"} {
		if !strings.Contains(second.stdout, st) || !strings.Contains(second.stdout[strings.Index(second.stdout, st):], "CacheHit") {
			t.Errorf("second run: %s was not a cache hit:\n%s", st, second.stdout)
		}
	}
	// The registered SageMaker model deploys and answers like any other.
	if d := ferry(t, ctx, home, "endpoints", "deploy", "sm-ep", "sm-group/1"); d.code != 0 {
		t.Fatalf("deploy: exit %d\n%s%s", d.code, d.stdout, d.stderr)
	}
	csv := filepath.Join(dir, "rows.csv")
	if err := os.WriteFile(csv, []byte("12,3\n2,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := ferry(t, ctx, home, "endpoints", "invoke", "sm-ep", "--csv", csv)
	if inv.code != 0 || len(strings.Fields(inv.stdout)) != 2 {
		t.Errorf("invoke: exit %d\n%s%s", inv.code, inv.stdout, inv.stderr)
	}
	// An inference.py model deploys and answers through worker processes.
	if d := ferry(t, ctx, home, "endpoints", "deploy", "torch-ep", "sm-torch/1"); d.code != 0 {
		t.Fatalf("deploy inference.py model: exit %d\n%s%s", d.code, d.stdout, d.stderr)
	}
	inv = ferry(t, ctx, home, "endpoints", "invoke", "torch-ep", "--csv", csv, "--accept", "application/json")
	if inv.code != 0 || strings.TrimSpace(inv.stdout) != "[30.0, 6.0]" {
		t.Errorf("invoke inference.py model: exit %d\n%q%s", inv.code, inv.stdout, inv.stderr)
	}
}

// TestServeModelLoadsModelTarGz: serve-model takes a SageMaker
// model.tar.gz (here XGBoost JSON, which needs no Python), unpacked once
// into the home's cache by content digest; no temporary directory is left
// behind. Not parallel: it sets TMPDIR.
func TestServeModelLoadsModelTarGz(t *testing.T) {
	tmp, home := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	m := NewMain(strings.NewReader(""), io.Discard, io.Discard, func(k string) string {
		return map[string]string{"FERRY_HOME": home}[k]
	})
	for range 2 {
		sm, err := m.loadModelPath(context.Background(), "testdata/sagemaker-jobs/xgboost-json-model.tar.gz", "")
		if err != nil {
			t.Fatal(err)
		}
		if sm.Predictor == nil || sm.Predictor.NumFeatures() != 5 {
			t.Errorf("loaded %+v", sm)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}
	if unpacked, err := os.ReadDir(filepath.Join(home, "cache", "sagemaker-models", "unpacked")); err != nil || len(unpacked) != 1 {
		t.Errorf("unpacked archives in the home's cache: %v %v, want one", unpacked, err)
	}
}

// TestBadFerryYAML: a broken runtimes section fails the jobs with its
// location instead of being ignored.
func TestBadFerryYAML(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "ferry.yaml"), []byte("runtimes:\n  - image: \"*x*\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := NewMain(strings.NewReader(""), io.Discard, io.Discard, func(k string) string { return map[string]string{"FERRY_HOME": home}[k] })
	_, err := m.sagemakerRunner()
	if err == nil || !strings.Contains(err.Error(), "ferry.yaml") || !strings.Contains(err.Error(), "command is empty") {
		t.Errorf("got %v", err)
	}
}

// TestClarifyCheckReadsNamespace: a SageMaker ClarifyCheck step names its
// analysis_config.json by an s3:// URI, so the clarify_check kind gets the
// home's object namespace (a missing object names its URI).
func TestClarifyCheckReadsNamespace(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	m := NewMain(strings.NewReader(""), io.Discard, io.Discard, func(k string) string { return map[string]string{"FERRY_HOME": home}[k] })
	t.Cleanup(func() { m.Close() })
	k, ok := m.buildKinds(nil).Lookup("clarify_check")
	if !ok {
		t.Fatal("no clarify_check kind")
	}
	cc, ok := k.(*clarifycheck.Kind)
	if !ok || cc.Objects == nil {
		t.Fatalf("clarify_check kind %T has no object namespace", k)
	}
	ctx := context.Background()
	if res := ferry(t, ctx, home, "s3", "mb", "s3://cfg"); res.code != 0 {
		t.Fatalf("s3 mb: %s", res.stderr)
	}
	uri := "s3://cfg/bias_config/analysis_config.json"
	if _, err := cc.Objects.Import(ctx, uri); err == nil || !strings.Contains(err.Error(), uri) {
		t.Errorf("importing a missing object: %v, want an error naming %s", err, uri)
	}
	src := filepath.Join(t.TempDir(), "analysis_config.json")
	if err := os.WriteFile(src, []byte(`{"methods": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := ferry(t, ctx, home, "s3", "cp", src, uri); res.code != 0 {
		t.Fatalf("s3 cp: %s", res.stderr)
	}
	if ref, err := cc.Objects.Import(ctx, uri); err != nil || ref == "" {
		t.Errorf("importing %s: %q, %v", uri, ref, err)
	}
}

// TestSageMakerExampleScriptsParse: the scripts of examples/sagemaker-fraud
// (run end to end by the pypi tests) are valid Python, checked without the
// SDK or writing __pycache__.
func TestSageMakerExampleScriptsParse(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	files, err := filepath.Glob("../../examples/sagemaker-fraud/*/*.py")
	if err != nil {
		t.Fatal(err)
	}
	top, _ := filepath.Glob("../../examples/sagemaker-fraud/*.py")
	files = append(files, top...)
	if len(files) < 7 {
		t.Fatalf("found %d scripts: %v", len(files), files)
	}
	cmd := exec.Command("python3", append([]string{"-c", "import ast, sys\nfor f in sys.argv[1:]:\n    ast.parse(open(f).read(), f)"}, files...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%v\n%s", err, out)
	}
}
