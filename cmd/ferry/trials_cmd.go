package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

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
	if m.saveTrial != nil {
		return serverTrials{DirStore: dir, save: m.saveTrial}
	}
	return dir
}

// serverTrials are a worker's trial records: each saved in the server's
// database through its API (where ferry trials, the API and the console
// read them), and kept under the worker's home too, which holds the
// trials' logs and the cache that its re-runs reuse.
type serverTrials struct {
	tuning.DirStore
	save func(ctx context.Context, executionID, step string, t *run.Trial) error
}

// SaveTrial implements tuning.TrialStore.
func (s serverTrials) SaveTrial(ctx context.Context, execID, stepName string, rec *tuning.Record) error {
	if err := s.DirStore.SaveTrial(ctx, execID, stepName, rec); err != nil {
		return err
	}
	if err := s.save(ctx, execID, stepName, rec); err != nil {
		return fmt.Errorf("recording trial %s on the server: %w", rec.Name, err)
	}
	return nil
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
