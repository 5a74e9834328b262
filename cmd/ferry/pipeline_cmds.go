package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
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

// executionStore opens the home's execution records.
func (m *Main) executionStore(ctx context.Context) (*sqlite.ExecutionStore, error) {
	db, err := m.DB(ctx)
	if err != nil {
		return nil, err
	}
	return sqlite.NewExecutionStore(db), nil
}

// engine wires an engine over the home's database and artifact store.
func (m *Main) engine(ctx context.Context) (*engine.Engine, *sqlite.ExecutionStore, error) {
	es, err := m.executionStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	store, err := m.Store()
	if err != nil {
		return nil, nil, err
	}
	kinds, err := m.kinds(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &engine.Engine{Kinds: kinds, Store: es, Artifacts: store, Home: m.Home(), Logger: m.Logger}, es, nil
}

// loadPipeline parses and validates a definition; every problem is
// reported at once.
func (m *Main) loadPipeline(name string, src []byte) (*pipeline.Pipeline, error) {
	p, err := pipeline.Load(name, src, m.kindSpecs())
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
	fs := m.newFlagSet("run", "FILE [-p name=value ...] [--no-cache] [--steps a,b --from EXECUTION] [--parallelism N] [--output json]")
	params := paramFlags{}
	fs.Var(params, "p", "set a parameter, name=value (repeatable)")
	noCache := fs.Bool("no-cache", false, "run every step, ignoring cached results")
	steps := fs.String("steps", "", "comma-separated steps to run (selective execution)")
	from := fs.String("from", "", "execution whose results the unselected steps reuse (with --steps)")
	parallelism := fs.Int("parallelism", 0, "maximum steps running at once (0: the pipeline's limit)")
	m.runtimeFlag(fs)
	output := outputFlag(fs)
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
	eng, es, err := m.engine(ctx)
	if err != nil {
		return err
	}
	opts := engine.RunOptions{Source: src, Params: params, NoCache: *noCache, Parallelism: *parallelism}
	if *steps != "" {
		for _, s := range strings.Split(*steps, ",") {
			if s = strings.TrimSpace(s); s != "" {
				opts.Steps = append(opts.Steps, s)
			}
		}
	}
	if *from != "" {
		src, err := es.ResolveExecution(ctx, *from)
		if err != nil {
			return err
		}
		opts.From = src.ID
	}
	return m.execute(ctx, es, p, *output, opts, func(opts engine.RunOptions) (*run.Execution, error) {
		return eng.Run(ctx, p, opts)
	})
}

func cmdResume(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("resume", "EXECUTION [--no-cache] [--parallelism N] [--output json]")
	noCache := fs.Bool("no-cache", false, "rerun the remaining steps ignoring cached results")
	parallelism := fs.Int("parallelism", 0, "maximum steps running at once (0: the pipeline's limit)")
	m.runtimeFlag(fs)
	output := outputFlag(fs)
	pos, err := parseArgs(fs, args, output, 1, showUsage(fs, "want exactly one EXECUTION id"))
	if err != nil {
		return err
	}
	eng, es, err := m.engine(ctx)
	if err != nil {
		return err
	}
	ex, err := es.ResolveExecution(ctx, pos[0])
	if err != nil {
		return err
	}
	src, err := es.PipelineSource(ctx, ex.PipelineDigest)
	if err != nil {
		return err
	}
	name := ex.DefinitionPath
	if name == "" {
		name = ex.PipelineName + ".yaml"
	}
	p, err := m.loadPipeline(name, src)
	if err != nil {
		return err
	}
	opts := engine.RunOptions{NoCache: *noCache, Parallelism: *parallelism}
	return m.execute(ctx, es, p, *output, opts, func(opts engine.RunOptions) (*run.Execution, error) {
		return eng.Resume(ctx, p, ex.ID, opts)
	})
}

// execute runs or resumes an execution with progress on m.Stdout, then
// prints the result; it fails with status 1 when the execution does not
// succeed.
func (m *Main) execute(ctx context.Context, es *sqlite.ExecutionStore, p *pipeline.Pipeline, output string,
	opts engine.RunOptions, start func(engine.RunOptions) (*run.Execution, error)) error {
	var prog *progress
	if output == "text" {
		tty := isTerminal(m.Stdout, m.Getenv)
		prog = newProgress(m.Stdout, p, tty)
		if tty {
			prog.height = terminalHeight(m.Stdout)
		}
		opts.OnEvent = prog.event
	}
	ex, err := start(opts)
	if err != nil {
		return err
	}
	// An interrupt cancels ctx and stops the execution; still report it.
	steps, err := es.StepRuns(context.WithoutCancel(ctx), ex.ID)
	if err != nil {
		return err
	}
	if output == "json" {
		if err := writeJSON(m.Stdout, showJSON(ex, ex.Status, steps)); err != nil {
			return err
		}
	} else {
		prog.finish(ex)
	}
	if ex.Status != run.Succeeded {
		return &exitError{1, fmt.Sprintf("execution %s %s: %s", ex.ID, ex.Status, ex.FailureReason)}
	}
	return nil
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

// effective returns the status to show for an execution (Interrupted when
// its process died).
func effective(ex *run.Execution) run.Status {
	host, _ := os.Hostname()
	return ex.Effective(time.Now(), host, engine.StaleAfter(0), engine.ProcessAlive)
}

// executionJSON is the scripting form of an execution.
type executionJSON struct {
	ID              string            `json:"id"`
	Pipeline        string            `json:"pipeline"`
	PipelineDigest  string            `json:"pipeline_digest"`
	Status          run.Status        `json:"status"`
	StartedAt       time.Time         `json:"started_at"`
	EndedAt         *time.Time        `json:"ended_at,omitempty"`
	FailureReason   string            `json:"failure_reason,omitempty"`
	Parameters      map[string]any    `json:"parameters"`
	Overrides       map[string]string `json:"overrides,omitempty"`
	SourceExecution string            `json:"source_execution,omitempty"`
	SelectedSteps   []string          `json:"selected_steps,omitempty"`
	OwnerPID        int               `json:"owner_pid,omitempty"`
	Steps           []stepJSON        `json:"steps,omitempty"`
}

// stepJSON is the scripting form of a step run.
type stepJSON struct {
	Name            string            `json:"name"`
	Kind            string            `json:"kind"`
	Status          run.StepStatus    `json:"status"`
	Attempts        int               `json:"attempts"`
	StartedAt       *time.Time        `json:"started_at,omitempty"`
	EndedAt         *time.Time        `json:"ended_at,omitempty"`
	FailureReason   string            `json:"failure_reason,omitempty"`
	Outputs         map[string]string `json:"outputs,omitempty"`
	Properties      map[string]any    `json:"properties,omitempty"`
	CacheKey        string            `json:"cache_key,omitempty"`
	Cache           string            `json:"cache,omitempty"`
	Provenance      string            `json:"provenance,omitempty"`
	SourceExecution string            `json:"source_execution,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toJSON(ex *run.Execution, status run.Status) executionJSON {
	return executionJSON{
		ID: ex.ID, Pipeline: ex.PipelineName, PipelineDigest: ex.PipelineDigest, Status: status,
		StartedAt: ex.StartedAt, EndedAt: timePtr(ex.EndedAt), FailureReason: ex.FailureReason,
		Parameters: ex.Params, Overrides: ex.Overrides, SourceExecution: ex.SourceExecution,
		SelectedSteps: ex.SelectedSteps, OwnerPID: ex.OwnerPID,
	}
}

func showJSON(ex *run.Execution, status run.Status, steps []*run.StepRun) executionJSON {
	j := toJSON(ex, status)
	j.Steps = make([]stepJSON, 0, len(steps))
	for _, r := range steps {
		s := stepJSON{
			Name: r.Step, Kind: r.Kind, Status: r.Status, Attempts: r.Attempts,
			StartedAt: timePtr(r.StartedAt), EndedAt: timePtr(r.EndedAt), FailureReason: r.FailureReason,
			Properties: r.Properties, CacheKey: r.CacheKey, Cache: r.CacheNote,
			Provenance: string(r.Provenance), SourceExecution: r.SourceExecution,
		}
		if len(r.Outputs) > 0 {
			s.Outputs = make(map[string]string, len(r.Outputs))
			for k, v := range r.Outputs {
				s.Outputs[k] = string(v)
			}
		}
		j.Steps = append(j.Steps, s)
	}
	return j
}

func cmdExecutions(ctx context.Context, m *Main, args []string) error {
	if len(args) > 0 && args[0] == "show" {
		return cmdExecutionShow(ctx, m, args[1:])
	}
	fs := m.newFlagSet("executions", "[--limit N] [--output json]\n       ferry executions show EXECUTION [--output json]")
	limit := fs.Int("limit", 50, "show at most N executions, newest first (0: all)")
	output := outputFlag(fs)
	if _, err := parseArgs(fs, args, output, 0, func(pos []string) error {
		fs.Usage()
		return unexpectedArg(pos)
	}); err != nil {
		return err
	}
	es, err := m.executionStore(ctx)
	if err != nil {
		return err
	}
	exs, err := es.Executions(ctx, *limit)
	if err != nil {
		return err
	}
	out := make([]executionJSON, 0, len(exs))
	for _, ex := range exs {
		out = append(out, toJSON(ex, effective(ex)))
	}
	return m.emit(*output, out, func() error {
		return writeTable(m.Stdout, "ID\tPIPELINE\tSTATUS\tSTARTED\tDURATION\tREASON", func(tw io.Writer) {
			for _, ex := range exs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ex.ID, ex.PipelineName, effective(ex),
					ex.StartedAt.Local().Format("2006-01-02 15:04:05"), duration(ex.StartedAt, ex.EndedAt), oneLine(ex.FailureReason, 60))
			}
		})
	})
}

func cmdExecutionShow(ctx context.Context, m *Main, args []string) error {
	output, ex, steps, err := m.executionArg(ctx, "executions show", args)
	if err != nil {
		return err
	}
	if output == "json" {
		return writeJSON(m.Stdout, showJSON(ex, effective(ex), steps))
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Execution:\t%s\n", ex.ID)
	fmt.Fprintf(tw, "Pipeline:\t%s (version %.12s)\n", ex.PipelineName, ex.PipelineDigest)
	fmt.Fprintf(tw, "Status:\t%s\n", effective(ex))
	fmt.Fprintf(tw, "Started:\t%s\n", ex.StartedAt.Local().Format(time.RFC3339))
	if !ex.EndedAt.IsZero() {
		fmt.Fprintf(tw, "Ended:\t%s (%s)\n", ex.EndedAt.Local().Format(time.RFC3339), duration(ex.StartedAt, ex.EndedAt))
	}
	if ex.FailureReason != "" {
		fmt.Fprintf(tw, "Reason:\t%s\n", ex.FailureReason)
	}
	if len(ex.Params) > 0 {
		b, _ := json.Marshal(ex.Params)
		fmt.Fprintf(tw, "Parameters:\t%s\n", b)
	}
	if ex.SourceExecution != "" {
		fmt.Fprintf(tw, "Selected steps:\t%s (from %s)\n", strings.Join(ex.SelectedSteps, ", "), ex.SourceExecution)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout)
	return writeSteps(m.Stdout, steps)
}

func writeSteps(w io.Writer, steps []*run.StepRun) error {
	return writeTable(w, "STEP\tKIND\tSTATUS\tATTEMPTS\tDURATION\tNOTE", func(tw io.Writer) {
		for _, r := range steps {
			note := r.FailureReason
			switch {
			case r.Provenance == run.FromSelection:
				note = "from " + r.SourceExecution
			case note == "":
				note = r.CacheNote
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.Step, r.Kind, r.Status, r.Attempts,
				duration(r.StartedAt, r.EndedAt), oneLine(note, 80))
		}
	})
}

// executionArg parses the flags of a command that takes one EXECUTION and
// --output, and returns the output format, the execution and its step runs.
func (m *Main) executionArg(ctx context.Context, name string, args []string) (string, *run.Execution, []*run.StepRun, error) {
	fs := m.newFlagSet(name, "EXECUTION [--output json]")
	output := outputFlag(fs)
	pos, err := parseArgs(fs, args, output, 1, showUsage(fs, "want exactly one EXECUTION id"))
	if err != nil {
		return "", nil, nil, err
	}
	es, ex, err := m.resolveExecution(ctx, pos[0])
	if err != nil {
		return "", nil, nil, err
	}
	steps, err := es.StepRuns(ctx, ex.ID)
	if err != nil {
		return "", nil, nil, err
	}
	return *output, ex, steps, nil
}

// resolveExecution opens the execution records and finds the execution id
// (or a unique prefix of one) names.
func (m *Main) resolveExecution(ctx context.Context, id string) (*sqlite.ExecutionStore, *run.Execution, error) {
	es, err := m.executionStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	ex, err := es.ResolveExecution(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return es, ex, nil
}

func cmdSteps(ctx context.Context, m *Main, args []string) error {
	output, ex, steps, err := m.executionArg(ctx, "steps", args)
	if err != nil {
		return err
	}
	if output == "json" {
		return writeJSON(m.Stdout, showJSON(ex, effective(ex), steps).Steps)
	}
	if err := writeSteps(m.Stdout, steps); err != nil {
		return err
	}
	return m.writeOutputs(ctx, steps)
}

// writeOutputs lists every output artifact of the steps with the local
// directory that holds it, so reports and datasets are one `ls` away.
func (m *Main) writeOutputs(ctx context.Context, steps []*run.StepRun) error {
	store, err := m.Store()
	if err != nil {
		return err
	}
	type row struct{ step, name, path string }
	var rows []row
	for _, r := range steps {
		names := make([]string, 0, len(r.Outputs))
		for name := range r.Outputs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			path, err := store.Path(ctx, r.Outputs[name])
			if err != nil {
				path = string(r.Outputs[name]) + " (not in this home's store)"
			}
			rows = append(rows, row{r.Step, name, path})
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
	fs := m.newFlagSet("logs", "EXECUTION STEP")
	pos, err := parseArgs(fs, args, nil, 2, showUsage(fs, "want an EXECUTION id and a STEP name"))
	if err != nil {
		return err
	}
	_, ex, err := m.resolveExecution(ctx, pos[0])
	if err != nil {
		return err
	}
	f, err := os.Open(engine.LogPath(m.Home(), ex.ID, pos[1]))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("step %q of execution %s has no log (it has not run here)", pos[1], ex.ID)
	}
	if err != nil {
		return fmt.Errorf("reading log: %w", err)
	}
	defer f.Close()
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
	es, ex, err := m.resolveExecution(ctx, pos[0])
	if err != nil {
		return err
	}
	if st := effective(ex); st.Terminal() {
		return &exitError{1, fmt.Sprintf("execution %s is not running (%s)", ex.ID, st)}
	}
	if err := es.RequestStop(ctx, ex.ID); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "stop requested for %s\n", ex.ID)
	if !*wait {
		return nil
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		ex, err := es.Execution(ctx, ex.ID)
		if err != nil {
			return err
		}
		if st := effective(ex); st.Terminal() {
			fmt.Fprintf(m.Stdout, "%s %s\n", ex.ID, st)
			return nil
		}
	}
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
