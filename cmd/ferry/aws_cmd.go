package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/awsapi"
	"github.com/ferryml/ferry/internal/s3api"
	"github.com/ferryml/ferry/internal/sagemaker/lambda"
)

// awsConfig is the AWS-compatible listener's configuration: the account id
// from FERRY_AWS_ACCOUNT_ID and the region from FERRY_AWS_REGION (the
// ARNs' defaults 000000000000 and us-east-1), the Lambda functions of
// `ferry lambda`, without keys (the caller adds them when the home has
// tokens).
func (m *Main) awsConfig(a *app.App, s3h *s3api.Handler) awsapi.Config {
	return awsapi.Config{
		App:       a,
		S3:        s3h,
		AccountID: m.Getenv("FERRY_AWS_ACCOUNT_ID"),
		Region:    m.Getenv("FERRY_AWS_REGION"),
		Logger:    m.Logger,
		Lambda:    lambdaAPI{m: m},
		Callbacks: m.callbackDir(),
	}
}

// lambdaAPI adapts the functions `ferry lambda register` keeps to the
// Lambda API: a function created through the API is the one Lambda steps
// and `ferry lambda invoke` run. What Lambda reports but Ferry's function
// record does not hold (role, description, code hash) is kept beside it
// in aws.json.
type lambdaAPI struct{ m *Main }

const lambdaSidecar = "aws.json"

func (l lambdaAPI) dir(name string) string { return filepath.Join(l.m.Home(), "lambda", name) }

func (l lambdaAPI) Put(_ context.Context, f awsapi.LambdaFunction, zip []byte) error {
	fns := l.m.lambdaFunctions()
	code := filepath.Join(l.dir(f.Name), "code")
	if zip != nil {
		tmp, err := os.CreateTemp("", "ferry-lambda-*.zip")
		if err != nil {
			return fmt.Errorf("storing function %s: %w", f.Name, err)
		}
		defer os.Remove(tmp.Name())
		_, werr := tmp.Write(zip)
		if err := errors.Join(werr, tmp.Close()); err != nil {
			return fmt.Errorf("storing function %s: %w", f.Name, err)
		}
		code = tmp.Name()
	}
	err := fns.Register(lambda.Function{Name: f.Name, Handler: f.Handler, Runtime: f.Runtime, Timeout: f.Timeout,
		MemorySize: f.MemorySize, Environment: f.Environment}, code)
	if err != nil {
		return err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(l.dir(f.Name), lambdaSidecar), b, 0o644)
}

func (l lambdaAPI) Get(_ context.Context, name string) (awsapi.LambdaFunction, error) {
	fn, err := l.m.lambdaFunctions().Get(name)
	if errors.Is(err, lambda.ErrNotFound) {
		return awsapi.LambdaFunction{}, fmt.Errorf("function %s: %w", name, awsapi.ErrNoFunction)
	}
	if err != nil {
		return awsapi.LambdaFunction{}, err
	}
	var f awsapi.LambdaFunction
	if b, err := os.ReadFile(filepath.Join(l.dir(fn.Name), lambdaSidecar)); err == nil {
		_ = json.Unmarshal(b, &f)
	}
	f.Name, f.Handler, f.Runtime, f.Timeout, f.MemorySize, f.Environment = fn.Name, fn.Handler, fn.Runtime, fn.Timeout, fn.MemorySize, fn.Environment
	return f, nil
}

func (l lambdaAPI) Delete(_ context.Context, name string) error {
	if err := os.RemoveAll(l.dir(lambda.NameFromARN(name))); err != nil {
		return fmt.Errorf("deleting function %s: %w", name, err)
	}
	return nil
}

func (l lambdaAPI) Invoke(ctx context.Context, name string, event []byte) ([]byte, error) {
	var ev any
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, fmt.Errorf("the event is not JSON: %w", err)
	}
	res, err := l.m.lambdaKind().Invoke(ctx, name, ev, l.m.Stderr)
	var fe *lambda.FunctionError
	if errors.As(err, &fe) {
		return nil, &awsapi.LambdaError{Type: fe.Type, Message: fe.Message}
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}
