package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/ferryml/ferry/internal/sagemaker/lambda"
)

const lambdaUsage = `lambda COMMAND

  register NAME --code DIR_OR_ZIP --handler MODULE.FUNCTION [--runtime python3.12] [--timeout SECONDS]
                          register a function that Lambda steps (FunctionArn ...:function:NAME) run locally
  list                    the registered functions
  invoke NAME [--event JSON]
                          call a function once and print what it returns`

// lambdaFunctions is where registered functions live.
func (m *Main) lambdaFunctions() *lambda.Functions {
	return &lambda.Functions{Dir: filepath.Join(m.Home(), "lambda")}
}

// lambdaKind is the sagemaker_lambda kind, with the configured runtimes.
func (m *Main) lambdaKind() *lambda.Kind {
	k := &lambda.Kind{Functions: m.lambdaFunctions()}
	if r, err := m.sagemakerRunner(); err == nil {
		k.Runtimes, k.Env = r.Runtimes, r.Env
	}
	return k
}

func cmdLambda(ctx context.Context, m *Main, args []string) error {
	return runSubcommand(ctx, m, lambdaUsage, map[string]subcommand{
		"register": lambdaRegister,
		"list":     lambdaList,
		"invoke":   lambdaInvoke,
	}, args)
}

func lambdaRegister(_ context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("lambda register", "NAME --code DIR_OR_ZIP --handler MODULE.FUNCTION")
	code := fs.String("code", "", "the function's code: a directory or a .zip (required)")
	handler := fs.String("handler", "", "MODULE.FUNCTION, as Lambda's Handler (required)")
	runtime := fs.String("runtime", "python3", "Lambda runtime (python3.12, ...): picks the interpreter through the runtime map")
	timeout := fs.Int("timeout", 900, "timeout in seconds")
	pos, err := parseArgs(fs, args, nil, 1, usageLine("lambda register takes one NAME"))
	if err != nil {
		return err
	}
	if *code == "" || *handler == "" {
		return usageError("lambda register needs --code and --handler")
	}
	if err := m.lambdaFunctions().Register(lambda.Function{Name: pos[0], Handler: *handler, Runtime: *runtime, Timeout: *timeout}, *code); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "registered lambda function %s (%s)\n", pos[0], *handler)
	return nil
}

func lambdaList(_ context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("lambda list", "")
	if _, err := parseArgs(fs, args, nil, 0, unexpectedArg); err != nil {
		return err
	}
	fns, err := m.lambdaFunctions().List()
	if err != nil {
		return err
	}
	for _, f := range fns {
		fmt.Fprintf(m.Stdout, "%s\t%s\t%s\t%ds\n", f.Name, f.Handler, f.Runtime, f.Timeout)
	}
	return nil
}

func lambdaInvoke(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("lambda invoke", "NAME [--event JSON]")
	event := fs.String("event", "{}", "the event, as JSON")
	pos, err := parseArgs(fs, args, nil, 1, usageLine("lambda invoke takes one NAME"))
	if err != nil {
		return err
	}
	var ev any
	if err := json.Unmarshal([]byte(*event), &ev); err != nil {
		return usageError("--event: %v", err)
	}
	res, err := m.lambdaKind().Invoke(ctx, pos[0], ev, m.Stderr)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	fmt.Fprintln(m.Stdout, string(b))
	return nil
}
