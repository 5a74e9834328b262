package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sagemaker/definition"
)

func cmdValidate(ctx context.Context, m *Main, args []string) error {
	return validateMain(ctx, m, args)
}

// parseInterspersed parses flags that may come before or after the
// positional arguments (`ferry run FILE -p a=1`), which flag.Parse alone
// does not allow.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// outputFlag registers --output (text or json).
func outputFlag(fs *flag.FlagSet) *string {
	return fs.String("output", "text", "output format: text or json")
}

func checkOutput(format string) error {
	if format != "text" && format != "json" {
		return &exitError{2, fmt.Sprintf("--output %q: want text or json", format)}
	}
	return nil
}

// loadPipeline parses and validates a definition; every problem is
// reported at once.
func (m *Main) loadPipeline(name string, src []byte) (*pipeline.Pipeline, error) {
	p, err := definition.Load(name, src, m.kindSpecs())
	if err != nil {
		fmt.Fprintln(m.Stderr, err)
		return nil, &exitError{1, fmt.Sprintf("%s is not a valid pipeline", name)}
	}
	return p, nil
}

type paramFlags map[string]string

func (p paramFlags) String() string { return "" }

func (p paramFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q: want name=value", s)
	}
	if _, dup := p[name]; dup {
		return fmt.Errorf("parameter %q given twice", name)
	}
	p[name] = value
	return nil
}

func cmdRun(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("run", "FILE [-p name=value ...] [--no-cache] [--steps a,b --from EXECUTION] [--parallelism N] [--dry-run] [--output json]")
	params := paramFlags{}
	fs.Var(params, "p", "set a parameter, name=value (repeatable)")
	noCache := fs.Bool("no-cache", false, "run every step, ignoring cached results")
	steps := fs.String("steps", "", "comma-separated steps to run (selective execution)")
	from := fs.String("from", "", "execution whose results the unselected steps reuse (with --steps)")
	parallelism := fs.Int("parallelism", 0, "maximum steps running at once (0: the pipeline's limit)")
	m.runtimeFlag(fs)
	output := outputFlag(fs)
	dry := fs.Bool("dry-run", false, "check the definition and parameters and show the steps in order; run nothing")
	eng := engineFlags(fs)
	pos, err := parseArgs(fs, args, output, 1, showUsage(fs, "want exactly one pipeline FILE"))
	if err != nil {
		return err
	}
	if *parallelism < 0 {
		return &exitError{2, "--parallelism must be >= 0"}
	}
	src, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("reading pipeline: %w", err)
	}
	p, err := m.loadPipeline(pos[0], src)
	if err != nil {
		return err
	}
	if *dry {
		return dryRun(m.Stdout, p, params, *output)
	}
	release, err := m.engineFor(ctx, eng)
	if err != nil {
		return err
	}
	defer release()
	o, err := m.ops(ctx)
	if err != nil {
		return err
	}
	stopS3, err := m.startJobObjects(ctx, p)
	if err != nil {
		return err
	}
	defer stopS3()
	name := pos[0]
	if abs, err := filepath.Abs(name); err == nil && m.remote() {
		name = abs // the server resolves the definition's local paths
	}
	req := app.RunRequest{Name: name, Source: src, Params: params, NoCache: *noCache, Parallelism: *parallelism, From: *from}
	if *steps != "" {
		for _, s := range strings.Split(*steps, ",") {
			if s = strings.TrimSpace(s); s != "" {
				req.Steps = append(req.Steps, s)
			}
		}
	}
	return m.execute(p, *output, func(onEvent func(engine.Event)) (app.Execution, error) {
		return o.Run(ctx, req, onEvent)
	})
}

func cmdResume(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("resume", "EXECUTION [--no-cache] [--parallelism N] [--output json]")
	noCache := fs.Bool("no-cache", false, "rerun the remaining steps ignoring cached results")
	parallelism := fs.Int("parallelism", 0, "maximum steps running at once (0: the pipeline's limit)")
	m.runtimeFlag(fs)
	output := outputFlag(fs)
	eng := engineFlags(fs)
	pos, err := parseArgs(fs, args, output, 1, showUsage(fs, "want exactly one EXECUTION id"))
	if err != nil {
		return err
	}
	release, err := m.engineFor(ctx, eng)
	if err != nil {
		return err
	}
	defer release()
	o, err := m.ops(ctx)
	if err != nil {
		return err
	}
	ex, err := o.Execution(ctx, pos[0])
	if err != nil {
		return err
	}
	src, err := o.PipelineSource(ctx, ex.Pipeline, ex.PipelineDigest)
	if err != nil {
		return err
	}
	p, err := m.loadPipeline(ex.Pipeline+".yaml", src)
	if err != nil {
		return err
	}
	stopS3, err := m.startJobObjects(ctx, p)
	if err != nil {
		return err
	}
	defer stopS3()
	req := app.ResumeRequest{NoCache: *noCache, Parallelism: *parallelism}
	return m.execute(p, *output, func(onEvent func(engine.Event)) (app.Execution, error) {
		return o.Resume(ctx, ex.ID, req, onEvent)
	})
}

// execute runs or resumes an execution with progress on m.Stdout, then
// prints the result; it fails with status 1 when the execution does not
// succeed.
func (m *Main) execute(p *pipeline.Pipeline, output string, start func(onEvent func(engine.Event)) (app.Execution, error)) error {
	var prog *progress
	var onEvent func(engine.Event)
	if output == "text" {
		var done func()
		prog, done = m.startProgress(p)
		defer done()
		onEvent = prog.event
	}
	ex, err := start(onEvent)
	if err != nil {
		return err
	}
	if output == "json" {
		if err := writeJSON(m.Stdout, ex); err != nil {
			return err
		}
	} else {
		prog.finish(&run.Execution{ID: ex.ID, Status: ex.Status, StartedAt: ex.StartedAt, EndedAt: timeOf(ex.EndedAt), FailureReason: ex.FailureReason})
	}
	if ex.Status != run.Succeeded {
		return &exitError{1, fmt.Sprintf("execution %s %s: %s", ex.ID, ex.Status, ex.FailureReason)}
	}
	return nil
}

// timeOf returns *t, or the zero time for nil.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func isTerminal(w io.Writer, getenv func(string) string) bool {
	f, ok := w.(*os.File)
	if !ok || getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

func cmdExecutions(ctx context.Context, m *Main, args []string) error {
	if len(args) > 0 && args[0] == "show" {
		return cmdExecutionShow(ctx, m, args[1:])
	}
	fs := m.newFlagSet("executions", "[--limit N] [--pipeline NAME] [--status STATUS] [--output json]\n       ferry executions show EXECUTION [--output json]")
	limit := fs.Int("limit", 50, "show at most N executions, newest first (0: all)")
	pipe := fs.String("pipeline", "", "only the executions of this pipeline")
	status := fs.String("status", "", "only the executions with this status (Executing, Stopping, Stopped, Failed, Succeeded, Interrupted)")
	output := outputFlag(fs)
	if _, err := parseArgs(fs, args, output, 0, func(pos []string) error {
		fs.Usage()
		return unexpectedArg(pos)
	}); err != nil {
		return err
	}
	o, err := m.ops(ctx)
	if err != nil {
		return err
	}
	exs, err := listExecutions(ctx, o, app.ListOptions{Pipeline: *pipe, Status: run.Status(*status)}, *limit)
	if err != nil {
		return err
	}
	return m.emit(*output, exs, func() error {
		return writeTable(m.Stdout, "ID\tPIPELINE\tSTATUS\tSTARTED\tDURATION\tREASON", func(tw io.Writer) {
			for _, ex := range exs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ex.ID, ex.Pipeline, ex.Status,
					ex.StartedAt.Local().Format("2006-01-02 15:04:05"), duration(ex.StartedAt, timeOf(ex.EndedAt)), oneLine(ex.FailureReason, 60))
			}
		})
	})
}

// listExecutions reads pages until it has limit executions (limit <= 0:
// all of them).
func listExecutions(ctx context.Context, o ops, opts app.ListOptions, limit int) ([]app.Execution, error) {
	out := []app.Execution{}
	for {
		opts.Limit = app.MaxPageSize
		if limit > 0 {
			opts.Limit = min(limit-len(out), app.MaxPageSize)
		}
		page, err := o.ListExecutions(ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Executions...)
		if page.NextPageToken == "" || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		opts.PageToken = page.NextPageToken
	}
}

func cmdExecutionShow(ctx context.Context, m *Main, args []string) error {
	output, ex, err := m.executionArg(ctx, "executions show", args)
	if err != nil {
		return err
	}
	if output == "json" {
		return writeJSON(m.Stdout, ex)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Execution:\t%s\n", ex.ID)
	fmt.Fprintf(tw, "Pipeline:\t%s (version %.12s)\n", ex.Pipeline, ex.PipelineDigest)
	fmt.Fprintf(tw, "Status:\t%s\n", ex.Status)
	fmt.Fprintf(tw, "Started:\t%s\n", ex.StartedAt.Local().Format(time.RFC3339))
	if ex.EndedAt != nil {
		fmt.Fprintf(tw, "Ended:\t%s (%s)\n", ex.EndedAt.Local().Format(time.RFC3339), duration(ex.StartedAt, *ex.EndedAt))
	}
	if ex.FailureReason != "" {
		fmt.Fprintf(tw, "Reason:\t%s\n", ex.FailureReason)
	}
	if len(ex.Parameters) > 0 {
		b, _ := json.Marshal(ex.Parameters)
		fmt.Fprintf(tw, "Parameters:\t%s\n", b)
	}
	if ex.SourceExecution != "" {
		fmt.Fprintf(tw, "Selected steps:\t%s (from %s)\n", strings.Join(ex.SelectedSteps, ", "), ex.SourceExecution)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout)
	return writeSteps(m.Stdout, ex.Steps)
}

func writeSteps(w io.Writer, steps []app.StepRun) error {
	return writeTable(w, "STEP\tKIND\tSTATUS\tATTEMPTS\tDURATION\tNOTE", func(tw io.Writer) {
		for _, r := range steps {
			note := r.FailureReason
			switch {
			case r.Provenance == string(run.FromSelection):
				note = "from " + r.SourceExecution
			case note == "":
				note = r.Cache
			}
			start := timeOf(r.StartedAt)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.Name, r.Kind, r.Status, r.Attempts,
				duration(start, timeOf(r.EndedAt)), oneLine(note, 80))
		}
	})
}

// executionArg parses the flags of a command that takes one EXECUTION and
// --output, and returns the output format and the execution with its
// steps.
func (m *Main) executionArg(ctx context.Context, name string, args []string) (string, app.Execution, error) {
	fs := m.newFlagSet(name, "EXECUTION [--output json]")
	output := outputFlag(fs)
	pos, err := parseArgs(fs, args, output, 1, showUsage(fs, "want exactly one EXECUTION id"))
	if err != nil {
		return "", app.Execution{}, err
	}
	o, err := m.ops(ctx)
	if err != nil {
		return "", app.Execution{}, err
	}
	ex, err := o.Execution(ctx, pos[0])
	if err != nil {
		return "", app.Execution{}, err
	}
	return *output, ex, nil
}

func cmdSteps(ctx context.Context, m *Main, args []string) error {
	output, ex, err := m.executionArg(ctx, "steps", args)
	if err != nil {
		return err
	}
	if output == "json" {
		steps := ex.Steps
		if steps == nil {
			steps = []app.StepRun{}
		}
		return writeJSON(m.Stdout, steps)
	}
	if err := writeSteps(m.Stdout, ex.Steps); err != nil {
		return err
	}
	return m.writeOutputs(ctx, ex.Steps)
}

// writeOutputs lists every output artifact of the steps with the
// directory that holds it (on the machine that holds the home), so
// reports and datasets are one `ls` away.
func (m *Main) writeOutputs(ctx context.Context, steps []app.StepRun) error {
	o, err := m.ops(ctx)
	if err != nil {
		return err
	}
	type row struct{ step, name, path string }
	var rows []row
	for _, r := range steps {
		for _, name := range slices.Sorted(maps.Keys(r.Outputs)) {
			path, err := o.ArtifactPath(ctx, r.Outputs[name])
			if err != nil {
				path = r.Outputs[name] + " (not in this home's store)"
			}
			rows = append(rows, row{r.Name, name, path})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprintln(m.Stdout)
	return writeTable(m.Stdout, "STEP\tOUTPUT\tPATH", func(tw io.Writer) {
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.step, r.name, r.path)
		}
	})
}

func cmdLogs(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("logs", "EXECUTION STEP [--follow]")
	follow := fs.Bool("follow", false, "keep printing the log as it grows, until the step is done")
	fs.BoolVar(follow, "f", false, "short for --follow")
	pos, err := parseArgs(fs, args, nil, 2, showUsage(fs, "want an EXECUTION id and a STEP name"))
	if err != nil {
		return err
	}
	o, err := m.ops(ctx)
	if err != nil {
		return err
	}
	if *follow {
		return o.TailLog(ctx, pos[0], pos[1], 0, func(b []byte) error {
			_, err := m.Stdout.Write(b)
			return err
		})
	}
	f, err := o.Log(ctx, pos[0], pos[1])
	if err != nil {
		return err
	}
	defer f.Close()
	if f.Note != "" {
		fmt.Fprintln(m.Stderr, f.Note)
	}
	if _, err := io.Copy(m.Stdout, f); err != nil {
		return fmt.Errorf("reading log: %w", err)
	}
	return nil
}

func cmdStop(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("stop", "EXECUTION [--wait]")
	wait := fs.Bool("wait", false, "wait until the execution has stopped")
	pos, err := parseArgs(fs, args, nil, 1, showUsage(fs, "want exactly one EXECUTION id"))
	if err != nil {
		return err
	}
	o, err := m.ops(ctx)
	if err != nil {
		return err
	}
	ex, err := o.Stop(ctx, pos[0])
	if errors.Is(err, app.ErrConflict) {
		return &exitError{1, conflictMessage(err)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "stop requested for %s\n", ex.ID)
	if !*wait {
		return nil
	}
	ex, err = o.Wait(ctx, ex.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%s %s\n", ex.ID, ex.Status)
	return nil
}

// duration formats the time between start and end (or now while running).
func duration(start, end time.Time) string {
	if start.IsZero() {
		return "-"
	}
	if end.IsZero() {
		end = time.Now()
	}
	d := end.Sub(start)
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// oneLine flattens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
