package lambda

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/step"
)

//go:embed bootstrap.py
var bootstrap []byte

// ID is the kind's stable ID.
const ID = "sagemaker_lambda"

// Kind is the sagemaker_lambda kind.
type Kind struct {
	Functions *Functions
	// Runtimes maps the function's runtime image (public.ecr.aws/lambda/
	// python:3.12) to an interpreter (nil: python3 on PATH).
	Runtimes *imagemap.Map
	// Env is added to the function's environment (AWS_ENDPOINT_URL, ...).
	Env map[string]string
}

var (
	_ step.Kind      = (*Kind)(nil)
	_ step.Validator = (*Kind)(nil)
)

// OutputParameter declares one output of a Lambda step.
type OutputParameter struct {
	OutputName string `json:"OutputName"`
	OutputType string `json:"OutputType,omitempty"` // String (default), Integer, Boolean, Float
}

type args struct {
	FunctionArn      string            `json:"FunctionArn"`
	Arguments        map[string]any    `json:"Arguments"`
	OutputParameters []OutputParameter `json:"OutputParameters"`
	Timeout          int               `json:"Timeout"`
	TimeoutInSeconds int               `json:"TimeoutInSeconds"`
}

// Spec implements step.Kind.
func (*Kind) Spec() step.Spec {
	return step.Spec{
		Kind:        ID,
		Description: "A SageMaker Lambda step run locally: the function registered with Ferry (ferry lambda register) runs handler(event, context) in a Python process with the step's Arguments as the event; the returned object's keys become OutputParameters.",
		Version:     "1",
		Args: []step.Field{
			{Name: "FunctionArn", Type: step.String, Required: true, Description: "arn:aws:lambda:REGION:ACCOUNT:function:NAME (or the bare NAME) of a registered function"},
			{Name: "Arguments", Type: step.Object, Description: "the event"},
			{Name: "OutputParameters", Type: step.List, Description: "OutputName and OutputType (String, Integer, Boolean, Float) of the returned keys exposed"},
			{Name: "Timeout", Type: step.Integer, Description: "seconds the function may run (default: its registered Timeout)"},
			{Name: "TimeoutInSeconds", Type: step.Integer, Description: "the same as Timeout"},
		},
		Properties: []step.Field{
			{Name: "OutputParameters", Type: step.Object, Description: "OutputName -> value (typed per OutputType) of each declared output"},
			{Name: "FunctionArn", Type: step.String},
			{Name: "FerryRuntime", Type: step.Object, Description: "the interpreter that ran the function"},
		},
		DynamicProperties: true,
		NoCache:           true, // functions act on the world (deploy an endpoint)
	}
}

// ValidateArgs implements step.Validator.
func (k *Kind) ValidateArgs(a map[string]any) []error {
	var errs []error
	if ops, ok := a["OutputParameters"].([]any); ok {
		for i, o := range ops {
			m, _ := o.(map[string]any)
			switch t, _ := m["OutputType"].(string); t {
			case "", "String", "Integer", "Boolean", "Float":
			default:
				errs = append(errs, &step.FieldError{Field: fmt.Sprintf("OutputParameters[%d].OutputType", i), Msg: fmt.Sprintf("%q: want String, Integer, Boolean or Float", t)})
			}
			if n, _ := m["OutputName"].(string); n == "" {
				errs = append(errs, &step.FieldError{Field: fmt.Sprintf("OutputParameters[%d].OutputName", i), Msg: "required"})
			}
		}
	}
	return errs
}

// Run implements step.Kind.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	a, err := step.Decode[args](req.Args)
	if err != nil {
		return step.Result{}, err
	}
	fn, err := k.Functions.Get(a.FunctionArn)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("FunctionArn: %w", err))
	}
	rt, err := k.Runtimes.Lookup(fn.Image())
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("lambda function %s (runtime %s): %w", fn.Name, fn.Runtime, err))
	}
	timeout := time.Duration(fn.Timeout) * time.Second
	if a.TimeoutInSeconds > 0 {
		timeout = time.Duration(a.TimeoutInSeconds) * time.Second
	}
	if a.Timeout > 0 {
		timeout = time.Duration(a.Timeout) * time.Second
	}
	event := a.Arguments
	if event == nil {
		event = map[string]any{}
	}
	result, err := k.invoke(ctx, env, fn, rt, event, timeout, req)
	if err != nil {
		return step.Result{}, err
	}
	outs, err := outputs(result, a.OutputParameters)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("lambda function %s: %w", fn.Name, err))
	}
	return step.Result{Properties: map[string]any{"OutputParameters": outs, "FunctionArn": a.FunctionArn,
		"FerryRuntime": map[string]any{"image": rt.Image, "pattern": rt.Pattern, "command": rt.Command, "source": rt.Source}}}, nil
}

// Invoke calls a registered function once with event and returns what it
// returned (for `ferry lambda invoke` and the Lambda API).
func (k *Kind) Invoke(ctx context.Context, nameOrARN string, event any, log io.Writer) (any, error) {
	fn, err := k.Functions.Get(nameOrARN)
	if err != nil {
		return nil, err
	}
	rt, err := k.Runtimes.Lookup(fn.Image())
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ferry-lambda-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	return k.invoke(ctx, step.Env{WorkDir: dir, Log: log}, fn, rt, event, time.Duration(fn.Timeout)*time.Second, step.Request{})
}

func (k *Kind) invoke(ctx context.Context, env step.Env, fn Function, rt imagemap.Runtime, event any, timeout time.Duration, req step.Request) (any, error) {
	log := env.Log
	if log == nil {
		log = io.Discard
	}
	script := filepath.Join(env.WorkDir, "ferry_lambda_bootstrap.py")
	if err := os.WriteFile(script, bootstrap, 0o644); err != nil {
		return nil, err
	}
	resultFile := filepath.Join(env.WorkDir, "result.json")
	ev, err := json.Marshal(event)
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("encoding the event: %w", err))
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("lambda function %s timed out after %s", fn.Name, timeout))
	defer cancel()
	argv := append(append([]string(nil), rt.Command...), script, fn.CodeDir, fn.Handler, resultFile)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = fn.CodeDir
	cmd.Stdin = strings.NewReader(string(ev))
	cmd.Stdout, cmd.Stderr = log, log
	arn := fmt.Sprintf("arn:aws:lambda:local:000000000000:function:%s", fn.Name)
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "AWS_LAMBDA_FUNCTION_NAME="+fn.Name, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(fn.MemorySize), "FERRY_LAMBDA_ARN="+arn,
		"FERRY_LAMBDA_TIMEOUT="+strconv.Itoa(int(timeout.Seconds())), "FERRY_LAMBDA_REQUEST_ID="+requestID(req),
		"LAMBDA_TASK_ROOT="+fn.CodeDir)
	for _, m := range []map[string]string{k.Env, fn.Environment} {
		for name, v := range m {
			cmd.Env = append(cmd.Env, name+"="+v)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	fmt.Fprintf(log, "$ %s  # lambda %s (%s), runtime rule %q\n", strings.Join(argv, " "), fn.Name, fn.Handler, rt.Pattern)
	if err := cmd.Start(); err != nil {
		return nil, step.Permanent(fmt.Errorf("starting %s: %w", argv[0], err))
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		case <-done:
		}
	}()
	waitErr := cmd.Wait()
	close(done)
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	b, err := os.ReadFile(resultFile)
	if err != nil {
		if waitErr != nil {
			return nil, fmt.Errorf("lambda function %s: %w", fn.Name, waitErr)
		}
		return nil, fmt.Errorf("lambda function %s wrote no result: %w", fn.Name, err)
	}
	var res struct {
		OK           bool   `json:"ok"`
		Result       any    `json:"result"`
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("lambda function %s: reading its result: %w", fn.Name, err)
	}
	if !res.OK {
		return nil, &FunctionError{Function: fn.Name, Type: res.ErrorType, Message: res.ErrorMessage}
	}
	return res.Result, nil
}

// FunctionError is an exception raised by the handler.
type FunctionError struct {
	Function, Type, Message string
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("lambda function %s raised %s: %s", e.Function, e.Type, e.Message)
}

func requestID(req step.Request) string {
	if req.ExecutionID == "" {
		return ""
	}
	return fmt.Sprintf("%s-%s-%d", req.ExecutionID, req.StepName, req.Attempt)
}

// outputs picks the declared outputs from the returned object, as an
// object of OutputName -> value typed by OutputType.
func outputs(result any, decl []OutputParameter) (map[string]any, error) {
	out := map[string]any{}
	if len(decl) == 0 {
		return out, nil
	}
	obj, ok := result.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("returned %T, want an object holding the OutputParameters (%s)", result, names(decl))
	}
	var errs []error
	for _, d := range decl {
		v, ok := obj[d.OutputName]
		if !ok {
			errs = append(errs, fmt.Errorf("output %q: not in the returned object", d.OutputName))
			continue
		}
		tv, err := typed(v, d.OutputType)
		if err != nil {
			errs = append(errs, fmt.Errorf("output %q: %w", d.OutputName, err))
			continue
		}
		out[d.OutputName] = tv
	}
	return out, errors.Join(errs...)
}

func names(decl []OutputParameter) string {
	var s []string
	for _, d := range decl {
		s = append(s, d.OutputName)
	}
	return strings.Join(s, ", ")
}

func typed(v any, t string) (any, error) {
	s := fmt.Sprint(v)
	switch t {
	case "", "String":
		if str, ok := v.(string); ok {
			return str, nil
		}
		b, _ := json.Marshal(v)
		return string(b), nil
	case "Integer":
		if f, ok := v.(float64); ok && f == float64(int64(f)) {
			return int64(f), nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%v is not an Integer", v)
		}
		return n, nil
	case "Float":
		if f, ok := v.(float64); ok {
			return f, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%v is not a Float", v)
		}
		return f, nil
	case "Boolean":
		if b, ok := v.(bool); ok {
			return b, nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%v is not a Boolean", v)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown OutputType %q", t)
}
