//go:build pypi

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/pythontest"
	"github.com/ferryml/ferry/internal/sagemaker/optml"
)

// awsKeys runs `ferry tokens create --output json` and returns the
// token's SigV4 key pair.
func awsKeys(t *testing.T, home, name, role string) (string, string) {
	t.Helper()
	out := mustFerry(t, home, "tokens", "create", "--name", name, "--role", role, "--output", "json")
	var tok struct {
		ID     string `json:"access_key_id"`
		Secret string `json:"secret_access_key"`
	}
	if err := json.Unmarshal([]byte(out), &tok); err != nil || tok.ID == "" || tok.Secret == "" {
		t.Fatalf("tokens create: %v: %s", err, out)
	}
	return tok.ID, tok.Secret
}

// awsServer starts `ferry server` over a quickstart home with tokens and
// returns the home and the environment of an AWS client with an admin's
// keys: only AWS_ENDPOINT_URL, the keys and the region.
func awsServer(t *testing.T) (string, []string) {
	t.Helper()
	home := artifacttest.TempDir(t)
	if res := ferry(t, t.Context(), home, "quickstart"); res.code != 0 {
		t.Fatalf("quickstart exited %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	id, secret := awsKeys(t, home, "ops", "admin")
	url := startServer(t, home, "server", "--addr", "127.0.0.1:0")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cfg := filepath.Join(t.TempDir(), "none")
	env = append(env, "AWS_ENDPOINT_URL="+url, "AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+cfg, "NO_COLOR=1")
	return home, env
}

// TestPyPIBotocoreAWSAPI calls every supported operation through boto3
// against a real `ferry server` with keys from `ferry tokens create`:
// botocore parses every response, errors carry the codes boto3 raises,
// and an approval through UpdateModelPackage is in `ferry models show`'s
// history under the token's name.
func TestPyPIBotocoreAWSAPI(t *testing.T) {
	py := pythontest.Venv(t, "boto3")
	home, env := awsServer(t)
	cmd := exec.CommandContext(t.Context(), py, "testdata/aws/boto3_ops.py", filepath.Join(home, "rows.csv"), "testdata/sagemaker-jobs/xgboost-json-model.tar.gz")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("boto3_ops.py: %v\n%s", err, out)
	}
	show := mustFerry(t, home, "models", "show", "fraud-detect-xgb-model-group/1")
	for _, want := range []string{"Rejected               by ops: through boto3", "Approved               by ops: approved again"} {
		if !strings.Contains(show, want) {
			t.Errorf("ferry models show lacks %q:\n%s", want, show)
		}
	}
	// A version made by CreateModelPackage is in the same registry, with
	// its approval history.
	show = mustFerry(t, home, "models", "show", "api-group/1")
	for _, want := range []string{"PendingManualApproval  by ops: registered", "Approved               by ops: api approval"} {
		if !strings.Contains(show, want) {
			t.Errorf("ferry models show lacks %q:\n%s", want, show)
		}
	}
}

// TestPyPIAWSCLI: the aws CLI's s3 cp/ls, sagemaker list-pipelines and
// sagemaker-runtime invoke-endpoint against the server.
func TestPyPIAWSCLI(t *testing.T) {
	py := pythontest.Venv(t, "awscli")
	home, env := awsServer(t)
	aws := filepath.Join(filepath.Dir(py), "aws")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), aws, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	rows := filepath.Join(home, "rows.csv")
	run("s3", "mb", "s3://smoke")
	run("s3", "cp", rows, "s3://smoke/in/rows.csv")
	if out := run("s3", "ls", "s3://smoke/in/"); !strings.Contains(out, "rows.csv") {
		t.Errorf("aws s3 ls: %s", out)
	}
	got := filepath.Join(t.TempDir(), "back.csv")
	run("s3", "cp", "s3://smoke/in/rows.csv", got)
	a, _ := os.ReadFile(rows)
	b, _ := os.ReadFile(got)
	if string(a) != string(b) {
		t.Errorf("aws s3 cp round trip changed the file")
	}
	if out := run("sagemaker", "list-pipelines", "--output", "json"); !strings.Contains(out, `"PipelineSummaries"`) {
		t.Errorf("aws sagemaker list-pipelines: %s", out)
	}
	first := filepath.Join(t.TempDir(), "one.csv")
	if err := os.WriteFile(first, []byte(strings.SplitN(string(a), "\n", 2)[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(t.TempDir(), "pred.txt")
	meta := run("sagemaker-runtime", "invoke-endpoint", "--endpoint-name", "fraud-detect-xgb-pipeline-endpoint",
		"--content-type", "text/csv", "--body", "fileb://"+first, outFile)
	if !strings.Contains(meta, "InvokedProductionVariant") {
		t.Errorf("invoke-endpoint: %s", meta)
	}
	if p, _ := os.ReadFile(outFile); len(strings.TrimSpace(string(p))) == 0 {
		t.Errorf("invoke-endpoint wrote no prediction")
	}
}

// TestPyPIAWSNotebookFlow runs the pytest suite of tests/aws with this
// test binary as the ferry command: the fraud tutorial as its notebook runs
// it (test_tutorial_flow.py: the SDK-built pipeline with its jobs, Clarify
// checks, registration and the Lambda deployer, then approval, the
// endpoint waiter, a Predictor and the clean-up) and the SDK's basics over
// a quickstart home (test_notebook_flow.py).
func TestPyPIAWSNotebookFlow(t *testing.T) {
	py := pythontest.Venv(t, "sagemaker", "boto3", "pandas", "s3fs", "pytest", "sklearn", "xgboost", "joblib")
	if _, err := optml.Detect(t.Context(), ""); err != nil {
		t.Fatal(err) // the jobs' private /opt/ml
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(t.TempDir(), "ferry")
	script := "#!/bin/sh\n" + envRunAsFerry + "=1 exec '" + self + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), py, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-s", "../../tests/aws")
	cmd.Env = append(os.Environ(), "FERRY="+wrapper, "SAGEMAKER_SUPPRESS_V2_WARNING=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pytest tests/aws: %v\n%s", err, out)
	}
	t.Logf("pytest tests/aws:\n%s", tail(string(out), 5))
}
