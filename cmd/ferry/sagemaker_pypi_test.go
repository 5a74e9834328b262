//go:build pypi

package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/pythontest"
	"github.com/ferryml/ferry/internal/sagemaker/optml"
)

// tutorialJobs is shaped like the fraud tutorial's jobs: a script-mode
// XGBoost training job that saves the booster with joblib, a
// ScriptProcessor evaluation that unpickles it from model.tar.gz and writes
// a property file, a condition on the AUC, and a Model step. %[1]s is the
// Python that makes the data; %[2]s the testdata directory.
const tutorialJobs = `
version: 1
name: tutorial-jobs
steps:
  - name: files
    kind: command
    command: [/bin/sh, -c, 'tar czf "$FERRY_OUTPUT_SRCDIR/sourcedir.tar.gz" -C "$FERRY_INPUT_SRC" xgboost_train.py && cp "$FERRY_INPUT_SRC/evaluate.py" "$FERRY_OUTPUT_EVAL/" && %[1]s "$FERRY_INPUT_SRC/make_data.py" "$FERRY_OUTPUT_DATA"']
    inputs: {src: %[2]s}
    outputs: [srcdir, eval, data]
  - name: XGBModelTraining
    kind: sagemaker_training
    AlgorithmSpecification:
      TrainingImage: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1
      TrainingInputMode: File
      MetricDefinitions:
        - {Name: "train:auc", Regex: 'train-auc:([0-9\.]+)'}
        - {Name: "validation:auc", Regex: 'validation-auc:([0-9\.]+)'}
    HyperParameters:
      eval_metric: '"auc"'
      objective: '"binary:logistic"'
      num_round: '"5"'
      max_depth: '"5"'
      subsample: '"0.75"'
      colsample_bytree: '"0.75"'
      eta: '"0.5"'
      sagemaker_program: '"xgboost_train.py"'
      sagemaker_submit_directory: '"${{ steps.files.outputs.srcdir }}/sourcedir.tar.gz"'
    InputDataConfig:
      - {ChannelName: train, ContentType: csv, DataSource: {S3DataSource: {S3Uri: "${{ steps.files.outputs.data }}/train", S3DataType: S3Prefix}}}
      - {ChannelName: validation, ContentType: csv, DataSource: {S3DataSource: {S3Uri: "${{ steps.files.outputs.data }}/validation", S3DataType: S3Prefix}}}
    OutputDataConfig: {S3OutputPath: s3://bucket/fraud-detect-demo/training_jobs}
    ResourceConfig: {InstanceCount: 1, InstanceType: ml.m4.xlarge, VolumeSizeInGB: 30}
  - name: XGBModelEvaluate
    kind: sagemaker_processing
    AppSpecification:
      ImageUri: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1
      ContainerEntrypoint: [python3, /opt/ml/processing/input/code/evaluate.py]
    ProcessingInputs:
      - {InputName: input-1, S3Input: {S3Uri: "${{ steps.XGBModelTraining.outputs.model }}", LocalPath: /opt/ml/processing/model, S3DataType: S3Prefix, S3InputMode: File}}
      - {InputName: input-2, S3Input: {S3Uri: "${{ steps.files.outputs.data }}/test", LocalPath: /opt/ml/processing/test, S3DataType: S3Prefix, S3InputMode: File}}
      - {InputName: code, S3Input: {S3Uri: "${{ steps.files.outputs.eval }}", LocalPath: /opt/ml/processing/input/code, S3DataType: S3Prefix, S3InputMode: File}}
    ProcessingOutputConfig:
      Outputs:
        - {OutputName: evaluation, S3Output: {S3Uri: s3://bucket/fraud-detect-demo/model_eval, LocalPath: /opt/ml/processing/evaluation, S3UploadMode: EndOfJob}}
    property_files: {FraudDetEvaluationReport: {output: evaluation, path: evaluation.json}}
  - name: CheckFraudDetXGBEvaluation
    kind: condition
    if: "steps.XGBModelEvaluate.properties.FraudDetEvaluationReport.classification_metrics.roc_auc.value >= 0.6"
    then: [FraudDetModel]
    else: [Fail]
  - name: FraudDetModel
    kind: sagemaker_model
    ModelName: fraud-detect-xgb-pipeline
    PrimaryContainer: {Image: 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1, ModelDataUrl: "${{ steps.XGBModelTraining.outputs.model }}"}
  - name: Fail
    kind: fail
    message: AUC too low
`

// TestPyPITutorialShapedJobs runs the tutorial-shaped jobs with the test
// venv mapped to the XGBoost image, then serves the joblib-pickled booster
// natively and checks it predicts as XGBoost did inside the evaluation job.
func TestPyPITutorialShapedJobs(t *testing.T) {
	t.Parallel()
	py := pythontest.Venv(t, "xgboost", "joblib", "pandas", "sklearn")
	ctx := context.Background()
	if _, err := optml.Detect(ctx, ""); err != nil {
		t.Fatal(err)
	}
	home, dir := artifacttest.TempDir(t), artifacttest.TempDir(t)
	cfg := fmt.Sprintf("runtimes:\n  - image: \"*sagemaker-xgboost*\"\n    command: [%s]\n", py)
	if err := os.WriteFile(filepath.Join(home, "ferry.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Abs("testdata/sagemaker-jobs")
	if err != nil {
		t.Fatal(err)
	}
	file := writePipeline(t, dir, fmt.Sprintf(tutorialJobs, py, src))
	// Outputs are published under their S3 destinations: the bucket must
	// exist, as on SageMaker.
	if mb := ferry(t, ctx, home, "s3", "mb", "s3://bucket"); mb.code != 0 {
		t.Fatalf("s3 mb: exit %d\n%s%s", mb.code, mb.stdout, mb.stderr)
	}
	res := ferry(t, ctx, home, "run", file)
	if res.code != 0 {
		t.Fatalf("run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// The evaluation job wrote XGBoost's predictions of the unpickled
	// booster; the Model step converted the pickle to Ferry's model.
	preds, _ := filepath.Glob(filepath.Join(home, "artifacts", "sha256", "*", "pred.csv"))
	xs, _ := filepath.Glob(filepath.Join(home, "artifacts", "sha256", "*", "x.csv"))
	models, _ := filepath.Glob(filepath.Join(home, "artifacts", "sha256", "*", "ferry-model.json"))
	if len(preds) != 1 || len(xs) != 1 || len(models) != 1 {
		t.Fatalf("found %d pred.csv, %d x.csv, %d converted models", len(preds), len(xs), len(models))
	}
	out := filepath.Join(dir, "native.csv")
	p := ferry(t, ctx, home, "predict", "--model", filepath.Dir(models[0]), "--data", withHeader(t, xs[0], dir), "--output", out)
	if p.code != 0 {
		t.Fatalf("predict: exit %d\n%s%s", p.code, p.stdout, p.stderr)
	}
	want := floats(t, preds[0])
	got := floats(t, out)
	if len(got) != len(want) {
		t.Fatalf("got %d predictions, want %d", len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-6 {
			t.Errorf("row %d: Ferry %.9f, XGBoost %.9f", i, got[i], want[i])
		}
	}
}

// withHeader copies a headerless CSV with the model's feature names.
func withHeader(t *testing.T, path, dir string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x-header.csv")
	hdr := "num_insurers_past_5_years,customer_gender_male,months_as_customer,num_witnesses\n"
	if err := os.WriteFile(out, append([]byte(hdr), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func floats(t *testing.T, path string) []float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if _, err := strconv.ParseFloat(line, 64); err != nil {
			continue // a header
		}
		v, _ := strconv.ParseFloat(line, 64)
		out = append(out, v)
	}
	return out
}
