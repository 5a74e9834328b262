package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step/tuning"
	search "github.com/ferryml/ferry/internal/tuning"
)

// trialStore is the tuning kind's trial records and cache: records in the
// home's database (each trial a child record STEP/trial-NNN of the tuning
// step's run, its log beside the step logs) when the kinds run here with
// the database open (withDB), else files under the home (a worker, which
// opens no database).
func (m *Main) trialStore(withDB bool) tuning.TrialStore {
	if withDB && m.db != nil {
		home := m.Home()
		return tuning.Records{Store: sqlite.NewTrialStore(m.db), LogPath: func(exec, trial string) string {
			return engine.LogPath(home, exec, trial)
		}}
	}
	dir := tuning.DirStore{Root: filepath.Join(m.Home(), "tuning")}
	if m.trialServer != nil {
		logger := m.Logger
		if logger == nil {
			logger = slog.New(slog.DiscardHandler)
		}
		return serverTrials{DirStore: dir, server: m.trialServer, logger: logger}
	}
	return dir
}

// trialServer is what a worker of a server asks of it for trials (the
// API client implements it).
type trialServer interface {
	SaveTrial(ctx context.Context, executionID, step string, t *run.Trial) error
	CachedTrial(ctx context.Context, key string) (*run.Trial, error)
	SaveTrialLog(ctx context.Context, executionID, step string, n int, log []byte) error
}

// serverTrials are a worker's trials kept on the server: each record
// saved in the server's database through its API (where ferry trials,
// the API and the console read it), each log sent there when the trial
// ends, and the trial cache asked there, so a trial finished on one
// worker is reused on any other. The worker keeps its own copies under
// its home too, and falls back on them when the server has no entry.
type serverTrials struct {
	tuning.DirStore
	server trialServer
	logger *slog.Logger
}

// SaveTrial implements tuning.TrialStore.
func (s serverTrials) SaveTrial(ctx context.Context, execID, stepName string, rec *tuning.Record) error {
	if err := s.DirStore.SaveTrial(ctx, execID, stepName, rec); err != nil {
		return err
	}
	if err := s.server.SaveTrial(ctx, execID, stepName, rec); err != nil {
		return fmt.Errorf("recording trial %s on the server: %w", rec.Name, err)
	}
	return nil
}

// CachedTrial implements tuning.TrialStore: the server's entry, else the
// worker's own.
func (s serverTrials) CachedTrial(ctx context.Context, key string) (*tuning.Record, error) {
	t, err := s.server.CachedTrial(ctx, key)
	if err != nil {
		s.logger.Warn("asking the server's trial cache", "key", key, "err", err)
	}
	if t != nil {
		return t, nil
	}
	return s.DirStore.CachedTrial(ctx, key)
}

// TrialLog implements tuning.TrialStore: the log is written under the
// worker's home and, when the trial closes it, sent to the server.
func (s serverTrials) TrialLog(execID, stepName string, n int) (io.WriteCloser, error) {
	local, err := s.DirStore.TrialLog(execID, stepName, n)
	if err != nil {
		return nil, err
	}
	return &sentLog{local: local, send: func(b []byte) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return s.server.SaveTrialLog(ctx, execID, stepName, n, b)
	}, logger: s.logger.With("execution", execID, "step", stepName, "trial", n)}, nil
}

// sentLogLimit is how much of a trial's log (its start) goes to the
// server; the server takes at most 8 MiB.
const sentLogLimit = 4 << 20

// sentLog writes a trial's log to a local file and keeps its first
// sentLogLimit bytes for the server, sent on Close.
type sentLog struct {
	local  io.WriteCloser
	buf    bytes.Buffer
	cut    bool
	send   func([]byte) error
	logger *slog.Logger
}

func (l *sentLog) Write(p []byte) (int, error) {
	if room := sentLogLimit - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	l.cut = l.cut || l.buf.Len() >= sentLogLimit
	return l.local.Write(p)
}

// Close closes the local file and sends the log; a server that does not
// take it is logged, not an error of the trial.
func (l *sentLog) Close() error {
	err := l.local.Close()
	if l.cut {
		l.buf.WriteString("\n[... the rest of this log is on the worker]\n")
	}
	if serr := l.send(l.buf.Bytes()); serr != nil {
		l.logger.Warn("sending a trial log to the server", "err", serr)
	}
	return err
}

// cmdTrials prints a tuning step's trials: the objective of each and the
// best so far, in trial order.
func cmdTrials(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("trials", "EXECUTION STEP [--json]")
	asJSON := fs.Bool("json", false, "print the trial records as JSON")
	pos, err := parseArgs(fs, args, nil, 2, showUsage(fs, "want an EXECUTION id and a tuning STEP name"))
	if err != nil {
		return err
	}
	o, err := m.ops(ctx)
	if err != nil {
		return err
	}
	ts, err := o.Trials(ctx, pos[0], pos[1])
	if err != nil {
		return err
	}
	recs := ts.Trials
	if len(recs) == 0 {
		return fmt.Errorf("step %q of execution %s has no trials (it is not a tuning step, or none has finished here)", pos[1], ts.Execution)
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(recs)
	}
	printTrials(m, recs)
	return nil
}

func printTrials(m *Main, recs []tuning.Record) {
	names := map[string]bool{}
	for _, r := range recs {
		for k := range r.Hyperparameters {
			names[k] = true
		}
	}
	hp := make([]string, 0, len(names))
	for k := range names {
		hp = append(hp, k)
	}
	sort.Strings(hp)
	metric, dir := recs[0].ObjectiveMetric, search.Maximize
	if d, err := search.ParseDirection(recs[0].Direction); err == nil {
		dir = d
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "TRIAL\tSTATUS\t%s\tBEST SO FAR\tROUNDS\tSECONDS\t%s\n", strings.ToUpper(metric), strings.ToUpper(strings.Join(hp, "\t")))
	var best *float64
	bestName := ""
	for _, r := range recs {
		obj := "-"
		if r.Objective != nil {
			obj = fmt.Sprintf("%.6g", *r.Objective)
			if r.Status == tuning.StatusCompleted && (best == nil || dir.Better(*r.Objective, *best)) {
				best, bestName = r.Objective, r.Name
			}
		}
		status := r.Status
		if r.Reused {
			status += " (reused)"
		}
		so := "-"
		if best != nil {
			so = fmt.Sprintf("%.6g", *best)
		}
		row := []string{fmt.Sprintf("%03d", r.Trial), status, obj, so, fmt.Sprint(r.Rounds), fmt.Sprintf("%.2f", r.Seconds)}
		for _, k := range hp {
			row = append(row, short(r.Hyperparameters[k]))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	if best != nil {
		fmt.Fprintf(m.Stdout, "best: %s (%s %s %.6g)\n", bestName, metric, dir, *best)
	}
}

// short renders a number with 4 significant digits; other values as they are.
func short(v string) string {
	if f, err := strconv.ParseFloat(v, 64); err == nil && strings.ContainsAny(v, ".eE") {
		return strconv.FormatFloat(f, 'g', 4, 64)
	}
	return v
}
