// Command ferry is Ferry's single binary: pipelines, training, Clarify
// reports, the model registry and endpoints. This package is the only
// composition root: it parses flags and wires the other packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/sqlite"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	code := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Main holds the process's wiring. End-to-end tests build one with their
// own streams and environment and call Run, exercising the real wiring.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Logger         *slog.Logger

	// trialServer, set by a worker of a server, keeps the tuning kinds'
	// trial records, cache and logs on the server (trials_cmd.go).
	trialServer trialServer

	// logs is the writer behind Logger (when NewMain made it), which
	// keeps log records and a live progress table from garbling each other.
	logs *logWriter

	home  string
	db    *sqlite.DB
	store artifact.Store
	// s3 is the S3-compatible artifact store of this command line
	// (--artifacts or $FERRY_ARTIFACTS); nil for $FERRY_HOME/artifacts.
	s3 *s3Location
	// localChosen: --artifacts local (or FERRY_ARTIFACTS=local) was
	// given, which overrides a store the home recorded.
	localChosen bool
	app         *app.App
	// runner runs steps elsewhere than in this process (--engine
	// temporal); nil runs them here.
	runner     engine.StepRunner
	engineInfo app.EngineInfo
	attempts   app.AttemptReporter
	// server is the API the commands act through (--server or
	// FERRY_SERVER); empty for the local home.
	server string
	// usageShown records that a flag set printed its usage (the flag
	// package does so on a parse error, after printing the error).
	usageShown bool

	// runtimes are the --runtime rules of this command line (SageMaker
	// image URI patterns to local commands).
	runtimes []imagemap.Rule
	// jobEnv is added to every SageMaker job's environment: the object
	// listener's AWS_ENDPOINT_URL once a local run has started it. It is
	// written before the engine starts and only read by jobs.
	jobEnv map[string]string
	// consoleURL is `ferry server`'s own address (http://127.0.0.1:8080),
	// which the report links of monitors' webhook calls start with.
	consoleURL string
}

// NewMain returns a Main reading its environment through getenv.
func NewMain(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *Main {
	level := slog.LevelInfo
	if d := getenv("FERRY_DEBUG"); d != "" && d != "0" && d != "false" {
		level = slog.LevelDebug
	}
	logs := &logWriter{w: stderr}
	return &Main{
		Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level})),
		logs:   logs,
	}
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, m *Main, args []string) error
}

func (m *Main) commands() map[string]command {
	return map[string]command{
		"validate":    {"check a pipeline definition and report every problem", cmdValidate},
		"run":         {"run a pipeline", cmdRun},
		"executions":  {"list executions, or show one", cmdExecutions},
		"steps":       {"show the steps of an execution", cmdSteps},
		"logs":        {"print a step's log", cmdLogs},
		"trials":      {"show a tuning step's trials: objective per trial and the best so far", cmdTrials},
		"stop":        {"stop a running execution", cmdStop},
		"resume":      {"resume a failed, stopped or interrupted execution", cmdResume},
		"train":       {"train a model outside any pipeline", cmdTrain},
		"predict":     {"predict with a model", cmdPredict},
		"clarify":     {"run a Clarify analysis (bias, SHAP, PDP, report)", cmdClarify},
		"callback":    {"list and answer the callback steps of SageMaker pipelines", cmdCallback},
		"lambda":      {"register, list and invoke the functions that Lambda steps run", cmdLambda},
		"models":      {"model registry: groups, versions, approvals", cmdModels},
		"endpoints":   {"list, show, delete and invoke endpoints", cmdEndpoints},
		"monitors":    {"monitor endpoints: data quality, model quality, bias and attribution drift", cmdMonitors},
		"server":      {"serve the HTTP API and every endpoint", cmdServer},
		"worker":      {"run pipeline steps from Temporal task queues for a server with --engine temporal", cmdWorker},
		"serve-model": {"serve one model with the SageMaker container contract", cmdServeModel},
		"quickstart":  {"run the fraud-detection pipeline end to end and call its endpoint", cmdQuickstart},
		"kinds":       {"print the reference of every step kind (from their specs)", cmdKinds},
		"tokens":      {"create, list and revoke API tokens (roles: viewer ... admin)", cmdTokens},
		"artifacts":   {"artifact store: migrate a local store to S3-compatible storage", cmdArtifacts},
		"s3":          {"object namespace: s3:// buckets and objects (mb, ls, cp, rm)", cmdS3},
		"version":     {"print the version", cmdVersion},
		"help":        {"print the commands, or a command's usage and flags", cmdHelp},
		"completion":  {"print a shell completion script (bash, zsh or fish)", cmdCompletion},
	}
}

// isHelp reports whether err is a flag set's answer to --help.
func isHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }

// Run runs one command line and returns the exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	defer m.Close()
	args, err := m.globalFlags(args)
	if err != nil {
		fmt.Fprintf(m.Stderr, "ferry: %v\n", err)
		return 2
	}
	cmds := m.commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		m.usage(cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "__complete" { // the completion scripts' helper; not listed
		cmds[args[0]] = command{run: cmdComplete}
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(m.Stderr, "ferry: unknown command %q (ferry help lists the commands)\n", args[0])
		return 2
	}
	err = c.run(ctx, m, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	var ex *exitError
	if !errors.As(err, &ex) && m.usageShown {
		// A flag parse error: the flag package has printed it with the usage.
		return 2
	}
	if errors.As(err, &ex) {
		if ex.msg != "" {
			fmt.Fprintln(m.Stderr, "ferry "+args[0]+": "+ex.msg)
		}
		return ex.code
	}
	fmt.Fprintf(m.Stderr, "ferry %s: %v\n", args[0], withFlagHint(err))
	return 1
}

func (m *Main) usage(cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Ferry: typed, cached ML pipelines, XGBoost-compatible training, Clarify reports,\na model registry and endpoints, in one binary.\n\nUsage: ferry [--server URL] COMMAND [flags] [args]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-12s %s\n", n, cmds[n].summary)
	}
	b.WriteString("\nState lives under $FERRY_HOME (default ./.ferry). With --server URL (or $FERRY_SERVER, and\n$FERRY_TOKEN), executions, steps, logs, stop, resume, run, models and endpoints act through a\nFerry server's API instead. Run 'ferry COMMAND --help' for a command's flags.\n")
	fmt.Fprint(m.Stdout, b.String())
}

// exitError ends a command with a given status (for example 1 from
// validate when it printed problems).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return fmt.Sprintf("exit %d: %s", e.code, e.msg) }

// newFlagSet returns a flag set that prints usage to m.Stderr and returns
// errors instead of exiting.
func (m *Main) newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("ferry "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		m.usageShown = true
		fmt.Fprintf(m.Stderr, "Usage: ferry %s %s\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// Home returns FERRY_HOME (default ./.ferry).
func (m *Main) Home() string {
	if m.home == "" {
		m.home = m.Getenv("FERRY_HOME")
		if m.home == "" {
			m.home = ".ferry"
		}
		// Steps run programs in their own working directories: every path
		// handed to them must be absolute.
		if abs, err := filepath.Abs(m.home); err == nil {
			m.home = abs
		}
	}
	return m.home
}

// DB opens the home's database on first use.
func (m *Main) DB(ctx context.Context) (*sqlite.DB, error) {
	if m.db != nil {
		return m.db, nil
	}
	if err := os.MkdirAll(m.Home(), 0o700); err != nil { // owner only: logs, work directories, the keyring
		return nil, fmt.Errorf("creating FERRY_HOME: %w", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(m.Home(), "ferry.db"))
	if err != nil {
		return nil, err
	}
	m.db = db
	return db, nil
}

// globalFlags takes the flags that come before the command
// (--server URL) off args; FERRY_SERVER is the default of --server.
func (m *Main) globalFlags(args []string) ([]string, error) {
	m.server = m.Getenv("FERRY_SERVER")
	for len(args) > 0 {
		switch a := args[0]; {
		case a == "--server" || a == "-server":
			if len(args) < 2 {
				return nil, errors.New("--server needs a URL")
			}
			m.server, args = args[1], args[2:]
		case strings.HasPrefix(a, "--server=") || strings.HasPrefix(a, "-server="):
			m.server, args = a[strings.Index(a, "=")+1:], args[1:]
		default:
			return args, nil
		}
	}
	return args, nil
}

// Close releases what Run opened.
func (m *Main) Close() error {
	if m.app != nil {
		m.app.Close()
		m.app = nil
	}
	if m.db != nil {
		err := m.db.Close()
		m.db = nil
		return err
	}
	return nil
}

func cmdVersion(ctx context.Context, m *Main, args []string) error {
	fmt.Fprintln(m.Stdout, "ferry", Version)
	return nil
}
