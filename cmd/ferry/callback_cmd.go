package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/internal/sagemaker/callback"
)

const callbackUsage = `callback COMMAND

  list                                   the callback steps waiting for an answer, with their tokens and arguments
  success TOKEN [-o NAME=VALUE ...]      answer a callback step: it succeeds with these output parameters
  failure TOKEN --reason TEXT            answer a callback step: it fails with this reason`

// callbackDir is where callback steps wait for answers.
func (m *Main) callbackDir() *callback.Dir {
	return &callback.Dir{Path: filepath.Join(m.Home(), "callbacks")}
}

func cmdCallback(ctx context.Context, m *Main, args []string) error {
	return runSubcommand(ctx, m, callbackUsage, map[string]subcommand{
		"list":    callbackList,
		"success": callbackSuccess,
		"failure": callbackFailure,
	}, args)
}

func callbackList(_ context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("callback list", "")
	if _, err := parseArgs(fs, args, nil, 0, unexpectedArg); err != nil {
		return err
	}
	list, err := m.callbackDir().List()
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(m.Stdout, "no callback step is waiting")
		return nil
	}
	for _, p := range list {
		fmt.Fprintf(m.Stdout, "%s  execution %s  step %s  since %s\n", p.Token, p.ExecutionID, p.StepName, p.Created.Format("2006-01-02 15:04:05Z"))
		for _, k := range sortedArgKeys(p.Arguments) {
			fmt.Fprintf(m.Stdout, "    %s = %v\n", k, p.Arguments[k])
		}
	}
	return nil
}

func sortedArgKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func callbackSuccess(_ context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("callback success", "TOKEN [-o NAME=VALUE ...]")
	outputs := paramFlags{}
	fs.Var(outputs, "o", "an output parameter, NAME=VALUE (repeatable)")
	pos, err := parseArgs(fs, args, nil, 1, usageLine("callback success takes one TOKEN (see ferry callback list)"))
	if err != nil {
		return err
	}
	if err := m.callbackDir().Succeed(strings.TrimSpace(pos[0]), outputs); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "callback %s: succeeded\n", pos[0])
	return nil
}

func callbackFailure(_ context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("callback failure", "TOKEN --reason TEXT")
	reason := fs.String("reason", "", "why it failed (required)")
	pos, err := parseArgs(fs, args, nil, 1, usageLine("callback failure takes one TOKEN (see ferry callback list)"))
	if err != nil {
		return err
	}
	if strings.TrimSpace(*reason) == "" {
		return usageError("callback failure needs --reason")
	}
	if err := m.callbackDir().Fail(strings.TrimSpace(pos[0]), *reason); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "callback %s: failed\n", pos[0])
	return nil
}
