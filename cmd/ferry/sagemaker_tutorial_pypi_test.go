//go:build pypi

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/pythontest"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sagemaker/optml"
)

// The fraud tutorial on Ferry (examples/sagemaker-fraud): where the SDK
// puts things and what the first run's parameters are.
const (
	tutorialDir    = "../../examples/sagemaker-fraud"
	tutorialBucket = "fraud-demo"
	tutorialRead   = "s3://sagemaker-sample-files/datasets/tabular/synthetic_automobile_claims/"
	tutorialGroup  = "fraud-detect-xgb-model-group"
	// The training job's hyperparameters, as the training toolkit passes
	// them to the script.
	tutorialHPs = "--colsample_bytree 0.75 --eta 0.5 --eval_metric auc --max_depth 5 --num_round 5 --objective binary:logistic --subsample 0.75"
)

// tutorialFirstRun are the tutorial's parameters for a first run: no
// earlier baseline exists, so the checks are skipped and register theirs.
var tutorialFirstRun = []string{
	"-p", "SkipModelBiasCheck=true", "-p", "SkipModelExplainabilityCheck=true",
	"-p", "RegisterNewModelBiasBaseline=true", "-p", "RegisterNewModelExplainabilityBaseline=true",
}

// TestPyPITutorialPipeline builds the fraud tutorial's pipeline with the
// SageMaker SDK against a real `ferry server` S3 listener (the SDK uploads
// the scripts, sourcedir.tar.gz and the Clarify configs there), puts the
// bundled auto-claims data where the tutorial reads it, runs the definition
// with `ferry run`, and checks the results against the same scripts run by
// hand: the split CSVs byte for byte, the AUC to 1e-9, the endpoint's
// predictions to 1e-6.
func TestPyPITutorialPipeline(t *testing.T) {
	t.Parallel()
	py, home, data, must := tutorialHome(t)
	ctx := t.Context()
	dir := artifacttest.TempDir(t)
	def := filepath.Join(dir, "definition.json")
	sdkDefinition(t, py, home, "pipeline.py", "--bucket", tutorialBucket, "--cache", "--out", def)
	uploads := must("s3", "ls", "--recursive", "s3://"+tutorialBucket)
	for _, f := range []string{"preprocessing.py", "evaluate.py", "sourcedir.tar.gz", "bias_config/analysis_config.json", "explainability_config/analysis_config.json"} {
		if !strings.Contains(uploads, f) {
			t.Errorf("the SDK did not upload %s:\n%s", f, uploads)
		}
	}

	must("validate", def)
	first := must(append([]string{"run", def}, tutorialFirstRun...)...)
	m := inspect(t, home)
	ex, steps := latestExecution(t, ctx, m)
	if ex.Status != run.Succeeded {
		t.Fatalf("execution %s:\n%s", ex.Status, first)
	}
	wantSteps := []string{"DataProcessing", "XGBModelTraining", "XGBModelEvaluate", "CheckFraudDetXGBEvaluation",
		"FraudDetModel-CreateModel", "ModelBiasCheck", "ModelExplainabilityCheck", "XGBRegisterModel-RegisterModel",
		"LambdaStepRealTimeDeploy"}
	for _, name := range wantSteps {
		if s, ok := steps[name]; !ok || !s.Status.Produced() {
			t.Errorf("step %s: %+v", name, s)
		}
	}
	store, err := m.Store()
	if err != nil {
		t.Fatal(err)
	}
	output := func(step, name, file string) string {
		t.Helper()
		d, err := store.Path(ctx, steps[step].Outputs[name])
		if err != nil {
			t.Fatalf("%s.%s: %v", step, name, err)
		}
		return filepath.Join(d, file)
	}

	// The same scripts by hand, with the same data.
	hand := artifacttest.TempDir(t)
	code := filepath.Join(tutorialDir, "code")
	for _, d := range []string{"claims", "customers", "model-dir", "output", "model"} {
		if err := os.MkdirAll(filepath.Join(hand, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, filepath.Join(data, "claims.csv"), filepath.Join(hand, "claims", "claims.csv"))
	copyFile(t, filepath.Join(data, "customers.csv"), filepath.Join(hand, "customers", "customers.csv"))
	python(t, py, nil, filepath.Join(code, "preprocessing.py"), "--base-dir", hand)
	for _, c := range []struct{ output, file, local string }{
		{"train_data", "train.csv", "train"}, {"validation_data", "validation.csv", "val"},
		{"test_data", "test.csv", "test"}, {"processed_data", "dataset.csv", "full"},
	} {
		got, want := readFile(t, output("DataProcessing", c.output, c.file)), readFile(t, filepath.Join(hand, c.local, c.file))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes on Ferry, %d by hand, not the same", c.file, len(got), len(want))
		}
	}
	python(t, py, []string{"SM_CHANNEL_TRAIN=" + filepath.Join(hand, "train"), "SM_CHANNEL_VALIDATION=" + filepath.Join(hand, "val"),
		"SM_MODEL_DIR=" + filepath.Join(hand, "model-dir"), "SM_OUTPUT_DATA_DIR=" + filepath.Join(hand, "output")},
		append([]string{filepath.Join(code, "xgboost_train.py")}, strings.Fields(tutorialHPs)...)...)
	if out, err := exec.Command("tar", "czf", filepath.Join(hand, "model", "model.tar.gz"), "-C", filepath.Join(hand, "model-dir"), "xgboost-model").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	python(t, py, nil, filepath.Join(code, "evaluate.py"), "--base-dir", hand)
	wantAUC := auc(t, readFile(t, filepath.Join(hand, "evaluation", "evaluation.json")))
	gotAUC := auc(t, readFile(t, output("XGBModelEvaluate", "evaluation", "evaluation.json")))
	if math.Abs(gotAUC-wantAUC) > 1e-9 || gotAUC < 0.7 {
		t.Errorf("AUC: %.12f on Ferry, %.12f by hand (the condition wants >= 0.7)", gotAUC, wantAUC)
	}
	// The property file is published where the tutorial puts it too.
	published := filepath.Join(dir, "evaluation.json")
	must("s3", "cp", "s3://"+tutorialBucket+"/fraud-detect-demo/model_eval/evaluation.json", published)
	if got := auc(t, readFile(t, published)); got != gotAUC {
		t.Errorf("published AUC %v, property file %v", got, gotAUC)
	}

	// Registered with metrics and drift baselines.
	var pkg struct {
		ApprovalStatus      string            `json:"approval_status"`
		ModelMetrics        map[string]string `json:"model_metrics"`
		DriftCheckBaselines map[string]string `json:"drift_check_baselines"`
	}
	if err := json.Unmarshal([]byte(must("models", "show", tutorialGroup+"/1", "--output", "json")), &pkg); err != nil {
		t.Fatal(err)
	}
	if pkg.ApprovalStatus != "Approved" || pkg.ModelMetrics["bias_post_training"] == "" || pkg.ModelMetrics["explainability"] == "" ||
		pkg.DriftCheckBaselines["bias_post_training_constraints"] == "" || pkg.DriftCheckBaselines["explainability_constraints"] == "" ||
		pkg.DriftCheckBaselines["explainability_config_file"] == "" {
		t.Errorf("model package: %+v", pkg)
	}

	// The tutorial's Lambda deployer (created by the SDK through the Lambda
	// API) made the model, the endpoint config and the endpoint through the
	// SageMaker API of the run's listener: the endpoint serves the
	// registered package, and predicts as XGBoost does.
	show := must("endpoints", "show", "fraud-detect-xgb-pipeline-endpoint")
	if !strings.Contains(show, "Alltraffic") || !strings.Contains(show, tutorialGroup+"/1") {
		t.Errorf("the endpoint the Lambda deployer created:\n%s", show)
	}
	rows := filepath.Join(dir, "rows.csv")
	python(t, py, nil, "-c", `import sys, pandas as pd
pd.read_csv(sys.argv[1]).drop(columns=["fraud"]).head(5).to_csv(sys.argv[2], header=False, index=False)`,
		filepath.Join(hand, "test", "test.csv"), rows)
	got := strings.Fields(strings.ReplaceAll(must("endpoints", "invoke", "fraud-detect-xgb-pipeline-endpoint", "--csv", rows), ",", " "))
	want := strings.Fields(python(t, py, nil, "-c", `import sys, joblib, pandas as pd, xgboost as xgb
m = joblib.load(sys.argv[1])
x = pd.read_csv(sys.argv[2]).drop(columns=["fraud"]).head(5)
print("\n".join(repr(float(v)) for v in m.predict(xgb.DMatrix(x))))`,
		filepath.Join(hand, "model-dir", "xgboost-model"), filepath.Join(hand, "test", "test.csv")))
	if len(got) != len(want) || len(want) != 5 {
		t.Fatalf("endpoint answered %q, XGBoost %q", got, want)
	}
	for i := range want {
		g, _ := strconv.ParseFloat(got[i], 64)
		w, _ := strconv.ParseFloat(want[i], 64)
		if math.Abs(g-w) > 1e-6 {
			t.Errorf("row %d: endpoint %s, XGBoost %s", i, got[i], want[i])
		}
	}

	// A second run reuses the three jobs from the cache; as in the
	// tutorial, its deployer fails because the model it creates exists.
	res := ferry(t, ctx, home, append([]string{"run", def}, tutorialFirstRun...)...)
	second := res.stdout + res.stderr
	if res.code == 0 || !strings.Contains(second, "LambdaStepRealTimeDeploy") || !strings.Contains(second, "already exist") {
		t.Errorf("second run: exit %d, want the deployer to fail on the existing model:\n%s", res.code, second)
	}
	for _, name := range []string{"DataProcessing", "XGBModelTraining", "XGBModelEvaluate"} {
		if !strings.Contains(second, name) || !strings.Contains(second[strings.Index(second, name):], "CacheHit") {
			t.Errorf("second run: %s was not a cache hit:\n%s", name, second)
		}
	}
}

// TestPyPIEveryStepPipeline runs examples/sagemaker-fraud/every_step.py:
// the tutorial's jobs with a Transform step (batch scores equal XGBoost's),
// a Callback answered with `ferry callback success`, a condition on the
// Callback's output, Std:JsonGet with an S3Uri, and a Fail step whose
// joined message ends the execution when MinAuc is out of reach.
func TestPyPIEveryStepPipeline(t *testing.T) {
	t.Parallel()
	py, home, _, must := tutorialHome(t)
	ctx := t.Context()
	dir := artifacttest.TempDir(t)
	def := filepath.Join(dir, "every_step.json")
	sdkDefinition(t, py, home, "every_step.py", "--bucket", tutorialBucket, "--out", def)

	// The run waits for the approval; answer it as a reviewer would.
	done := make(chan ferryResult, 1)
	go func() { done <- ferry(t, ctx, home, "run", def) }()
	var token string
	for deadline := time.Now().Add(3 * time.Minute); token == "" && time.Now().Before(deadline); {
		select {
		case res := <-done:
			t.Fatalf("the run ended before its callback was answered: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		case <-time.After(200 * time.Millisecond):
		}
		for _, line := range strings.Split(must("callback", "list"), "\n") {
			if f := strings.Fields(line); len(f) > 4 && f[4] == "Approve" {
				token = f[0]
			}
		}
	}
	if token == "" {
		t.Fatal("no callback is waiting")
	}
	must("callback", "success", token, "-o", "approved=true")
	res := <-done
	if res.code != 0 {
		t.Fatalf("run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	m := inspect(t, home)
	_, steps := latestExecution(t, ctx, m)
	for _, name := range []string{"DataProcessing", "BatchInput", "XGBModelTraining", "FraudDetModel-CreateModel", "BatchScore",
		"XGBModelEvaluate", "CheckAuc", "Approve", "CheckApproval", "XGBRegisterModel-RegisterModel", "LambdaStepRealTimeDeploy",
		"CheckPublished-JsonGet-1", "CheckPublished"} {
		if s, ok := steps[name]; !ok || !s.Status.Produced() {
			t.Errorf("step %s: %+v", name, s)
		}
	}
	if s := steps["AucTooLow"]; s == nil || s.Status != run.StepSkipped {
		t.Errorf("AucTooLow: %+v, want skipped", s)
	}

	// The batch scores are XGBoost's predictions of the trained model.
	store, err := m.Store()
	if err != nil {
		t.Fatal(err)
	}
	path := func(step, output string) string {
		t.Helper()
		d, err := store.Path(ctx, steps[step].Outputs[output])
		if err != nil {
			t.Fatalf("%s.%s: %v", step, output, err)
		}
		return d
	}
	want := strings.Fields(python(t, py, nil, "-c", `import sys, tarfile, tempfile, joblib, pandas as pd, xgboost as xgb
d = tempfile.mkdtemp()
tarfile.open(sys.argv[1]).extractall(d, filter="data")
m = joblib.load(d + "/xgboost-model")
x = pd.read_csv(sys.argv[2], header=None, names=m.feature_names)
print("\n".join(repr(float(v)) for v in m.predict(xgb.DMatrix(x))))`,
		filepath.Join(path("XGBModelTraining", "model"), "model.tar.gz"), filepath.Join(path("BatchInput", "batch"), "batch.csv")))
	got := strings.Fields(string(readFile(t, filepath.Join(path("BatchScore", "output"), "batch.csv.out"))))
	if len(got) != len(want) || len(want) != 500 {
		t.Fatalf("%d batch scores, %d XGBoost predictions", len(got), len(want))
	}
	for i := range want {
		g, _ := strconv.ParseFloat(got[i], 64)
		w, _ := strconv.ParseFloat(want[i], 64)
		if math.Abs(g-w) > 1e-6 {
			t.Errorf("row %d: batch score %s, XGBoost %s", i, got[i], want[i])
		}
	}

	// Out of reach: the Fail step ends the execution with its joined message.
	fail := ferry(t, ctx, home, "run", def, "-p", "MinAuc=1.5")
	if fail.code != 1 || !strings.Contains(fail.stderr, "Failed: AUC 0.") || !strings.Contains(fail.stderr, " is below 1.5") {
		t.Errorf("run with MinAuc=1.5: exit %d\n%s%s", fail.code, fail.stdout, fail.stderr)
	}
}

// tutorialHome makes a home for examples/sagemaker-fraud: the venv mapped
// to the images, the data where the tutorial reads it and the SDK's bucket
// (the SDK creates the deploy Lambda when it builds the definition). must runs ferry in it and fails the test on
// a non-zero exit.
func tutorialHome(t *testing.T) (py, home, data string, must func(args ...string) string) {
	t.Helper()
	py = pythontest.Venv(t, "sagemaker", "pandas", "sklearn", "xgboost", "joblib")
	ctx := t.Context()
	if _, err := optml.Detect(ctx, ""); err != nil {
		t.Fatal(err)
	}
	home = artifacttest.TempDir(t)
	cfg := fmt.Sprintf("runtimes:\n  - image: \"*sagemaker-scikit-learn*\"\n    command: [%[1]s]\n"+
		"  - image: \"*sagemaker-xgboost*\"\n    command: [%[1]s]\n  - image: \"*lambda/python*\"\n    command: [%[1]s]\n", py)
	if err := os.WriteFile(filepath.Join(home, "ferry.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := filepath.Abs("../../examples/fraud-detection/data")
	if err != nil {
		t.Fatal(err)
	}
	must = func(args ...string) string {
		t.Helper()
		res := ferry(t, ctx, home, args...)
		if res.code != 0 {
			t.Fatalf("ferry %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
		}
		return res.stdout
	}
	must("s3", "mb", "s3://sagemaker-sample-files")
	must("s3", "cp", filepath.Join(data, "claims.csv"), tutorialRead)
	must("s3", "cp", filepath.Join(data, "customers.csv"), tutorialRead)
	must("s3", "mb", "s3://"+tutorialBucket)
	return py, home, data, must
}

// sdkDefinition runs one of the example's SDK scripts against a `ferry
// server` on the home (its S3 listener takes the SDK's uploads).
func sdkDefinition(t *testing.T, py, home, script string, args ...string) {
	t.Helper()
	base := startServer(t, home, "server", "--addr", "127.0.0.1:0")
	sdk := exec.CommandContext(t.Context(), py, append([]string{filepath.Join(tutorialDir, script)}, args...)...)
	sdk.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+base, "AWS_ACCESS_KEY_ID=ferry", "AWS_SECRET_ACCESS_KEY=ferry", "AWS_DEFAULT_REGION=us-east-1")
	if out, err := sdk.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
}

// python runs the venv's interpreter and returns its stdout.
func python(t *testing.T, py string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), py, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	if err := os.WriteFile(to, readFile(t, from), 0o644); err != nil {
		t.Fatal(err)
	}
}

// auc reads classification_metrics.roc_auc.value of an evaluation.json.
func auc(t *testing.T, b []byte) float64 {
	t.Helper()
	var e struct {
		ClassificationMetrics struct {
			RocAuc struct {
				Value float64 `json:"value"`
			} `json:"roc_auc"`
		} `json:"classification_metrics"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("evaluation.json: %v", err)
	}
	return e.ClassificationMetrics.RocAuc.Value
}
