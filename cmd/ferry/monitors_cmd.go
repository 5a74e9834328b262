package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/webhook"
)

const monitorsUsage = `monitors create NAME --endpoint EP --type data_quality|model_quality|bias_drift|feature_attribution
                [--schedule CRON] [--statistics FILE] [--constraints FILE] [--analysis FILE] [--config FILE]
                [--problem-type BinaryClassification|Regression] [--probability-threshold 0.5] [--offset 2h]
                [--webhook URL [--webhook-secret-env NAME] [--webhook-on violations|always]]
       ferry monitors list [--output json]
       ferry monitors show NAME [--runs 10] [--output json]
       ferry monitors run NAME [--from TIME --to TIME] [--fail-on-violation] [--output json]
       ferry monitors ground-truth NAME FILE       (JSON lines in SageMaker's layout, or CSV ID,LABEL; - for stdin)
       ferry monitors delete NAME
       ferry monitors baseline --data FILE.csv --out DIR [--exclude COL,...]
       ferry monitors baseline --problem-type T --data EVAL.csv --label COL --prediction COL --out DIR [--tolerance 0.1]`

// cmdMonitors is `ferry monitors`: model monitoring on captured traffic.
func cmdMonitors(ctx context.Context, m *Main, args []string) error {
	return runSubcommand(ctx, m, monitorsUsage, map[string]subcommand{
		"create":       monitorsCreate,
		"list":         monitorsList,
		"show":         monitorsShow,
		"run":          monitorsRun,
		"ground-truth": monitorsGroundTruth,
		"delete":       monitorsDelete,
		"baseline":     monitorsBaseline,
	}, args)
}

// monitorService opens the home's monitoring service: monitors in the
// database, captured data under $FERRY_HOME/data-capture (unless an
// endpoint captures elsewhere), ground truth under $FERRY_HOME/ground-truth.
func (m *Main) monitorService(ctx context.Context) (*monitor.Service, error) {
	reg, err := m.Registry(ctx)
	if err != nil {
		return nil, err
	}
	db, err := m.DB(ctx)
	if err != nil {
		return nil, err
	}
	store, err := m.Store()
	if err != nil {
		return nil, err
	}
	return &monitor.Service{
		Store: sqlite.NewMonitorStore(db), Endpoints: reg, Artifacts: store,
		CaptureRoot:     filepath.Join(m.Home(), "data-capture"),
		GroundTruthRoot: filepath.Join(m.Home(), "ground-truth"),
		Logger:          m.Logger,
		ConsoleURL:      m.consoleURL,
		LookupEnv:       m.lookupEnv,
	}, nil
}

// startMonitors starts the monitor scheduler of `ferry server` until ctx ends.
func (m *Main) startMonitors(ctx context.Context) error {
	svc, err := m.monitorService(ctx)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	go monitor.NewScheduler(svc, host+":"+strconv.Itoa(os.Getpid())).Run(ctx)
	return nil
}

func monitorsCreate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("monitors create", "NAME --endpoint EP --type TYPE [flags]")
	endpoint := fs.String("endpoint", "", "the endpoint to watch")
	typ := fs.String("type", string(monitor.DataQuality), "data_quality, model_quality, bias_drift or feature_attribution")
	schedule := fs.String("schedule", "", `cron schedule in UTC ("0 * * * *", @hourly, @daily, "cron(0 * ? * * *)"); empty: on demand only`)
	stats := fs.String("statistics", "", "baseline statistics.json (default: the served version's drift-check baseline)")
	cons := fs.String("constraints", "", "baseline constraints.json (default: the served version's drift-check baseline)")
	analysis := fs.String("analysis", "", "baseline Clarify analysis.json for bias_drift and feature_attribution (default: the served version's)")
	config := fs.String("config", "", "Clarify analysis_config.json for bias_drift (label, facet, post_training_bias) or feature_attribution (shap)")
	problem := fs.String("problem-type", "", "model_quality: BinaryClassification or Regression")
	threshold := fs.Float64("probability-threshold", 0, "score at or above which a prediction is the positive label (default 0.5)")
	offset := fs.Duration("offset", 0, "shift scheduled windows back by this much, so that ground truth has arrived (model_quality, bias_drift)")
	hookURL := fs.String("webhook", "", "POST a JSON notification to this URL after a run with violations (docs/monitoring.md#webhooks)")
	hookSecret := fs.String("webhook-secret-env", "", "sign the notifications with HMAC-SHA256 keyed with the value of this environment variable of the server (the secret is never stored)")
	hookOn := fs.String("webhook-on", monitor.WebhookOnViolations, "when to call the webhook: violations (runs that found some) or always (every run, failed ones too)")
	pos, err := parseArgs(fs, args, nil, 1, usageLine("usage: ferry monitors create NAME --endpoint EP --type TYPE"))
	if err != nil {
		return err
	}
	if *endpoint == "" {
		return usageError("--endpoint is required")
	}
	hook, err := webhookFlags(*hookURL, *hookSecret, *hookOn)
	if err != nil {
		return err
	}
	svc, err := m.monitorService(ctx)
	if err != nil {
		return err
	}
	mon := monitor.Monitor{Name: pos[0], Endpoint: *endpoint, Type: monitor.Type(*typ), Schedule: *schedule,
		Baseline: map[string]artifact.Ref{},
		Config:   monitor.Config{ProblemType: *problem, ProbabilityThreshold: *threshold, Offset: monitor.Duration(*offset), Webhook: hook}}
	store, err := m.Store()
	if err != nil {
		return err
	}
	for _, b := range []struct{ path, key, name string }{
		{*stats, monitor.BaselineStatistics, monitor.StatisticsFile},
		{*cons, monitor.BaselineConstraints, monitor.ConstraintsFile},
		{*analysis, monitor.BaselineAnalysis, "analysis.json"},
	} {
		if b.path == "" {
			continue
		}
		ref, err := store.PutFile(ctx, b.path, b.name)
		if err != nil {
			return fmt.Errorf("storing the %s baseline: %w", b.key, err)
		}
		mon.Baseline[b.key] = ref
	}
	if *config != "" {
		raw, err := os.ReadFile(*config)
		if err != nil {
			return fmt.Errorf("reading --config: %w", err)
		}
		if !json.Valid(raw) {
			return usageError("--config %s is not JSON", *config)
		}
		mon.Config.Analysis = raw
	}
	mon, err = svc.Create(ctx, mon)
	if err != nil {
		return err
	}
	when := "on demand"
	if mon.Schedule != "" {
		when = "on schedule " + mon.Schedule
	}
	fmt.Fprintf(m.Stdout, "created %s monitor %s on endpoint %s, run %s\n", mon.Type, mon.Name, mon.Endpoint, when)
	return nil
}

// webhookFlags reads --webhook, --webhook-secret-env and --webhook-on.
func webhookFlags(url, secretEnv, on string) (*monitor.Webhook, error) {
	if url == "" {
		if secretEnv != "" {
			return nil, usageError("--webhook-secret-env needs --webhook")
		}
		return nil, nil
	}
	h := &monitor.Webhook{URL: url, On: on}
	if secretEnv != "" {
		h.Secret = &monitor.EnvSecret{FromEnv: secretEnv}
	}
	if err := h.Validate(); err != nil {
		return nil, usageError("%v", err)
	}
	return h, nil
}

func monitorsList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("monitors list", "[--output json]")
	out := outputFlag(fs)
	if _, err := parseArgs(fs, args, out, 0, unexpectedArg); err != nil {
		return err
	}
	svc, err := m.monitorService(ctx)
	if err != nil {
		return err
	}
	ms, err := svc.Monitors(ctx)
	if err != nil {
		return err
	}
	return m.emit(*out, nonNil(ms), func() error {
		return writeTable(m.Stdout, "MONITOR\tTYPE\tENDPOINT\tSCHEDULE\tCREATED", func(tw io.Writer) {
			for _, x := range ms {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.Name, x.Type, x.Endpoint, dash(x.Schedule), fmtWhen(x.CreatedAt))
			}
		})
	})
}

func monitorsShow(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("monitors show", "NAME [--runs 10] [--output json]")
	out := outputFlag(fs)
	n := fs.Int("runs", 10, "how many recent runs to show")
	pos, err := parseArgs(fs, args, out, 1, usageLine("usage: ferry monitors show NAME"))
	if err != nil {
		return err
	}
	svc, err := m.monitorService(ctx)
	if err != nil {
		return err
	}
	mon, err := svc.Monitor(ctx, pos[0])
	if err != nil {
		return err
	}
	runs, err := svc.Runs(ctx, mon.Name, *n)
	if err != nil {
		return err
	}
	return m.emit(*out, map[string]any{"monitor": mon, "runs": nonNil(runs)}, func() error {
		fmt.Fprintf(m.Stdout, "Monitor:   %s (%s)\nEndpoint:  %s\nSchedule:  %s\n", mon.Name, mon.Type, mon.Endpoint, dash(mon.Schedule))
		for _, k := range slices.Sorted(maps.Keys(mon.Baseline)) {
			fmt.Fprintf(m.Stdout, "Baseline:  %s %s\n", k, mon.Baseline[k].Short())
		}
		if h := mon.Config.Webhook; h != nil {
			signed := ""
			if h.Secret != nil {
				signed = ", signed with $" + h.Secret.FromEnv
			}
			fmt.Fprintf(m.Stdout, "Webhook:   %s (on %s%s)\n", webhook.Redact(h.URL), cmp.Or(h.On, monitor.WebhookOnViolations), signed)
		}
		fmt.Fprintln(m.Stdout)
		return writeTable(m.Stdout, "RUN\tSTATUS\tWINDOW\tRECORDS\tVIOLATIONS\tOUTPUT\tWEBHOOK", func(tw io.Writer) {
			for _, r := range runs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\t%s\n", r.ID, r.Status, fmtWindow(r.Window), r.Records, r.Violations, dash(r.Output.Short()), fmtDelivery(r.Webhook))
			}
		})
	})
}

// fmtDelivery is a run's webhook outcome in a table cell.
func fmtDelivery(d *webhook.Delivery) string {
	switch {
	case d == nil:
		return "-"
	case d.Delivered:
		return fmt.Sprintf("delivered (%d)", d.Status)
	case d.Status != 0:
		return fmt.Sprintf("failed (%d, %d attempts)", d.Status, d.Attempts)
	}
	return fmt.Sprintf("failed (%d attempts)", d.Attempts)
}

func fmtWindow(w monitor.Window) string {
	return w.From.UTC().Format("2006-01-02 15:04") + " to " + w.To.UTC().Format("2006-01-02 15:04")
}

// parseWhen reads a time flag: RFC 3339, or a duration relative to now
// ("-1h", "now").
func parseWhen(flagName, s string, now time.Time) (time.Time, error) {
	switch {
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "-"):
		d, err := time.ParseDuration(s)
		if err == nil {
			return now.Add(d), nil
		}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageError("--%s %q: want an RFC 3339 time (2026-01-02T15:00:00Z), now, or a negative duration (-1h)", flagName, s)
	}
	return t, nil
}

func monitorsRun(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("monitors run", "NAME [--from TIME --to TIME] [--fail-on-violation] [--output json]")
	out := outputFlag(fs)
	failOn := fs.Bool("fail-on-violation", false, "exit with status 1 when the run finds violations (for CI)")
	from := fs.String("from", "-1h", "window start: RFC 3339, or a duration before now")
	to := fs.String("to", "now", "window end (exclusive)")
	pos, err := parseArgs(fs, args, out, 1, usageLine("usage: ferry monitors run NAME [--from TIME --to TIME]"))
	if err != nil {
		return err
	}
	now := time.Now()
	w := monitor.Window{}
	if w.From, err = parseWhen("from", *from, now); err != nil {
		return err
	}
	if w.To, err = parseWhen("to", *to, now); err != nil {
		return err
	}
	svc, err := m.monitorService(ctx)
	if err != nil {
		return err
	}
	r, err := svc.RunNow(ctx, pos[0], w)
	if err != nil {
		return err
	}
	var vs *monitor.Violations
	if r.Output != "" {
		store, err := m.Store()
		if err != nil {
			return err
		}
		dir, err := store.Path(ctx, r.Output)
		if err != nil {
			return err
		}
		if vs, err = monitor.ReadViolations(filepath.Join(dir, monitor.ViolationsFile)); err != nil {
			return err
		}
		if *out != "json" {
			defer fmt.Fprintf(m.Stdout, "output:     %s (statistics.json, constraint_violations.json, report.html)\n", dir)
		}
	}
	err = m.emit(*out, map[string]any{"run": r, "violations": vs}, func() error {
		fmt.Fprintf(m.Stdout, "run %d of %s: %s, %d records, %d violations\n", r.ID, pos[0], r.Status, r.Records, r.Violations)
		if vs != nil {
			for _, v := range vs.Violations {
				name := v.FeatureName
				if v.MetricName != "" {
					name = strings.TrimSpace(name + " " + v.MetricName)
				}
				fmt.Fprintf(m.Stdout, "  %s %s: %s\n", name, v.ConstraintCheckType, v.Description)
			}
		}
		return nil
	})
	if err == nil && *failOn && r.Violations > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("run %d found %d violations", r.ID, r.Violations)}
	}
	return err
}

func monitorsGroundTruth(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("monitors ground-truth", "NAME FILE")
	pos, err := parseArgs(fs, args, nil, 2, usageLine("usage: ferry monitors ground-truth NAME FILE (- for stdin)"))
	if err != nil {
		return err
	}
	var r io.Reader = m.Stdin
	if pos[1] != "-" {
		f, err := os.Open(pos[1])
		if err != nil {
			return fmt.Errorf("reading ground truth: %w", err)
		}
		defer f.Close()
		r = f
	}
	svc, err := m.monitorService(ctx)
	if err != nil {
		return err
	}
	n, err := svc.UploadGroundTruth(ctx, pos[0], r)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "stored %d labels for monitor %s\n", n, pos[0])
	return nil
}

func monitorsDelete(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("monitors delete", "NAME")
	pos, err := parseArgs(fs, args, nil, 1, usageLine("usage: ferry monitors delete NAME"))
	if err != nil {
		return err
	}
	svc, err := m.monitorService(ctx)
	if err != nil {
		return err
	}
	if err := svc.Delete(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "deleted monitor %s\n", pos[0])
	return nil
}

func monitorsBaseline(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("monitors baseline", "--data FILE.csv --out DIR [--exclude COLS] | --problem-type T --label COL --prediction COL")
	data := fs.String("data", "", "the training (or, for model quality, evaluation) data set: CSV with a header row")
	outDir := fs.String("out", "", "directory to write statistics.json and constraints.json into")
	exclude := fs.String("exclude", "", "comma-separated columns to leave out (the label, ids)")
	problem := fs.String("problem-type", "", "model quality: BinaryClassification or Regression")
	label := fs.String("label", "", "model quality: the label column")
	prediction := fs.String("prediction", "", "model quality: the prediction (score) column")
	threshold := fs.Float64("probability-threshold", 0.5, "model quality: the score at or above which a prediction is positive")
	tolerance := fs.Float64("tolerance", 0.1, "model quality: how much worse (a fraction of the baseline value) a metric may get")
	if _, err := parseArgs(fs, args, nil, 0, unexpectedArg); err != nil {
		return err
	}
	if *data == "" || *outDir == "" {
		return usageError("--data and --out are required")
	}
	f, err := os.Open(*data)
	if err != nil {
		return fmt.Errorf("reading --data: %w", err)
	}
	defer f.Close()
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fmt.Errorf("creating --out: %w", err)
	}
	if *problem != "" {
		if *label == "" || *prediction == "" {
			return usageError("a model-quality baseline needs --label and --prediction")
		}
		st, cons, err := monitor.QualityBaseline(f, *problem, *label, *prediction, *threshold, *tolerance)
		if err != nil {
			return fmt.Errorf("%s: %w", *data, err)
		}
		if err := monitor.WriteBaseline(*outDir, st, cons); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "model-quality baseline of %d predictions written to %s\n", st.Dataset.ItemCount, *outDir)
		return nil
	}
	var ex []string
	if *exclude != "" {
		ex = strings.Split(*exclude, ",")
	}
	st, cons, err := monitor.DataBaseline(f, ex)
	if err != nil {
		return fmt.Errorf("%s: %w", *data, err)
	}
	if err := monitor.WriteBaseline(*outDir, st, cons); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "data-quality baseline of %d records and %d features written to %s\n", st.Dataset.ItemCount, len(st.Features), *outDir)
	return nil
}
