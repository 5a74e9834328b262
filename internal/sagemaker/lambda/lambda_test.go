package lambda_test

import (
	"archive/zip"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/sagemaker/lambda"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
)

// deployer is shaped like the tutorial's lambda_deployer.py, without boto3.
const deployer = `
import json, os
def lambda_handler(event, context):
    if event.get("fail"):
        raise RuntimeError("endpoint config %s already exists" % event["endpoint_config_name"])
    print("deploying", event["model_name"], "remaining ms", context.get_remaining_time_in_millis() > 0)
    return {"statusCode": 200, "body": json.dumps("Created Endpoint!"), "endpoint": event["endpoint_name"],
            "count": int(event["instance_count"]), "fn": context.function_name, "arn": context.invoked_function_arn}
`

func setup(t *testing.T) (*lambda.Kind, *steptest.Bundle) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	code := t.TempDir()
	if err := os.WriteFile(filepath.Join(code, "lambda_deployer.py"), []byte(deployer), 0o644); err != nil {
		t.Fatal(err)
	}
	fns := &lambda.Functions{Dir: t.TempDir()}
	if err := fns.Register(lambda.Function{Name: "sagemaker-fraud-det-demo-lambda-step", Handler: "lambda_deployer.lambda_handler", Runtime: "python3.12", Timeout: 600}, code); err != nil {
		t.Fatal(err)
	}
	rt, err := imagemap.New([]imagemap.Rule{{Pattern: "*lambda/python*", Command: []string{py}}})
	if err != nil {
		t.Fatal(err)
	}
	return &lambda.Kind{Functions: fns, Runtimes: rt}, steptest.New(t)
}

func TestLambdaStep(t *testing.T) {
	t.Parallel()
	k, b := setup(t)
	args := map[string]any{
		"FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:sagemaker-fraud-det-demo-lambda-step",
		"Arguments":   map[string]any{"model_name": "fraud-detect-xgb-pipeline", "endpoint_name": "fraud-ep", "endpoint_config_name": "cfg", "instance_count": 1},
		"OutputParameters": []any{
			map[string]any{"OutputName": "statusCode", "OutputType": "Integer"},
			map[string]any{"OutputName": "endpoint"},
			map[string]any{"OutputName": "fn", "OutputType": "String"},
		},
	}
	if errs := k.ValidateArgs(args); len(errs) > 0 {
		t.Fatal(errs)
	}
	res, err := b.Run(t, k, step.Request{ExecutionID: "e", StepName: "LambdaStepRealTimeDeploy", Args: args})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"statusCode": int64(200), "endpoint": "fraud-ep", "fn": "sagemaker-fraud-det-demo-lambda-step"}
	if diff := cmp.Diff(want, res.Properties["OutputParameters"]); diff != "" {
		t.Errorf("OutputParameters (-want +got):\n%s", diff)
	}
}

func TestLambdaErrors(t *testing.T) {
	t.Parallel()
	k, b := setup(t)
	t.Run("HandlerRaises", func(t *testing.T) {
		t.Parallel()
		_, err := b.Run(t, k, step.Request{Args: map[string]any{"FunctionArn": "sagemaker-fraud-det-demo-lambda-step", "Arguments": map[string]any{"fail": true, "endpoint_config_name": "cfg"}}})
		var fe *lambda.FunctionError
		if !errors.As(err, &fe) || fe.Type != "RuntimeError" || !strings.Contains(err.Error(), "endpoint config cfg already exists") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("NotRegistered", func(t *testing.T) {
		t.Parallel()
		_, err := b.Run(t, k, step.Request{Args: map[string]any{"FunctionArn": "arn:aws:lambda:us-east-1:1:function:nope:3"}})
		if !errors.Is(err, lambda.ErrNotFound) || !strings.Contains(err.Error(), `lambda function "nope"`) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("MissingOutput", func(t *testing.T) {
		t.Parallel()
		_, err := b.Run(t, k, step.Request{Args: map[string]any{"FunctionArn": "sagemaker-fraud-det-demo-lambda-step",
			"Arguments":        map[string]any{"model_name": "m", "endpoint_name": "e", "instance_count": 1},
			"OutputParameters": []any{map[string]any{"OutputName": "nothing"}}}})
		if err == nil || !strings.Contains(err.Error(), `output "nothing": not in the returned object`) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("BadOutputType", func(t *testing.T) {
		t.Parallel()
		errs := k.ValidateArgs(map[string]any{"OutputParameters": []any{map[string]any{"OutputName": "x", "OutputType": "Number"}}})
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "OutputParameters[0].OutputType") {
			t.Errorf("got %v", errs)
		}
	})
}

func TestRegisterZip(t *testing.T) {
	t.Parallel()
	zipPath := filepath.Join(t.TempDir(), "fn.zip")
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("pkg/handler.py")
	w.Write([]byte("def main(event, context):\n    return {'n': len(event)}\n"))
	zw.Close()
	f.Close()
	fns := &lambda.Functions{Dir: t.TempDir()}
	if err := fns.Register(lambda.Function{Name: "zipped", Handler: "pkg.handler.main"}, zipPath); err != nil {
		t.Fatal(err)
	}
	if err := fns.Register(lambda.Function{Name: "bad", Handler: "missing.main"}, zipPath); err == nil || !strings.Contains(err.Error(), "no missing.py") {
		t.Errorf("got %v", err)
	}
	list, err := fns.List()
	if err != nil || len(list) != 1 || list[0].Name != "zipped" {
		t.Errorf("List = %v, %v", list, err)
	}
}
