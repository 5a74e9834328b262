package ui

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/run"
)

// trialsView is a tuning step's trials on its page: a table and the
// objective per trial with the best so far, drawn server-side as SVG.
type trialsView struct {
	ExecID    string // the page's execution
	Step      string
	Execution string // the execution that ran the trials (another for a cache hit)
	Metric    string
	Direction string
	Names     []string // the tuned hyperparameters, sorted
	Rows      []trialRow
	Best      string // the best completed trial's name
	Chart     trialChart
}

type trialRow struct {
	Trial        int
	Name         string
	Status       string
	Objective    string
	BestSoFar    string
	IsBest       bool
	StoppedEarly bool
	Reused       bool
	Rounds       int
	Seconds      string
	Values       []string // by Names
}

// trialChart is the chart's geometry, in viewBox units.
type trialChart struct {
	Width, Height float64
	Points        []trialPoint
	BestLine      string // polyline points of the best so far
	Min, Max      string // the objective axis' ends
	MinY, MaxY    float64
}

type trialPoint struct {
	X, Y   float64
	Status string
	Title  string
}

// Chart geometry.
const (
	chartW, chartH   = 600.0, 160.0
	chartPadX        = 44.0
	chartPadTop      = 8.0
	chartPadBottom   = 8.0
	objectivePrecise = 'g'
)

func formatObjective(f float64) string { return strconv.FormatFloat(f, objectivePrecise, 6, 64) }

// axisLabel is an end of the chart's objective axis: four significant
// digits fit the 40 pixels left of the plot (six were cut off).
func axisLabel(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }

// trials reads a step's trials; nil when it has none.
func (c *Console) trials(ctx context.Context, id, step string) (*trialsView, error) {
	ts, err := c.cfg.App.Trials(ctx, id, step)
	if err != nil {
		return nil, err
	}
	if len(ts.Trials) == 0 {
		return nil, nil
	}
	v := newTrialsView(ts.Execution, ts.Trials)
	v.ExecID, v.Step = id, step
	return v, nil
}

func newTrialsView(exec string, trials []run.Trial) *trialsView {
	v := &trialsView{Execution: exec, Metric: trials[0].ObjectiveMetric, Direction: trials[0].Direction}
	maximize := v.Direction != "minimize"
	better := func(a, b float64) bool {
		if maximize {
			return a > b
		}
		return a < b
	}
	names := map[string]bool{}
	for _, t := range trials {
		for k := range t.Hyperparameters {
			names[k] = true
		}
	}
	for k := range names {
		v.Names = append(v.Names, k)
	}
	sort.Strings(v.Names)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range trials {
		if t.Objective != nil && !math.IsNaN(*t.Objective) && !math.IsInf(*t.Objective, 0) {
			lo, hi = min(lo, *t.Objective), max(hi, *t.Objective)
		}
	}
	if lo > hi { // no objective at all
		lo, hi = 0, 1
	}
	if hi-lo < 1e-12 {
		lo, hi = lo-0.5, hi+0.5
	}
	n := len(trials)
	x := func(i int) float64 {
		if n == 1 {
			return chartPadX + (chartW-chartPadX)/2
		}
		return chartPadX + float64(i)*(chartW-chartPadX-8)/float64(n-1)
	}
	y := func(f float64) float64 {
		return chartPadTop + (hi-f)/(hi-lo)*(chartH-chartPadTop-chartPadBottom)
	}
	v.Chart = trialChart{Width: chartW, Height: chartH, Min: axisLabel(lo), Max: axisLabel(hi),
		MinY: y(lo), MaxY: y(hi)}
	var best *float64
	bestRow := -1
	var line []string
	for i, t := range trials {
		r := trialRow{Trial: t.Trial, Name: t.Name, Status: t.Status, Objective: "–", BestSoFar: "–",
			StoppedEarly: t.StoppedEarly, Reused: t.Reused, Rounds: t.Rounds, Seconds: strconv.FormatFloat(t.Seconds, 'f', 2, 64)}
		for _, k := range v.Names {
			r.Values = append(r.Values, shortNumber(t.Hyperparameters[k]))
		}
		if t.Objective != nil {
			o := *t.Objective
			r.Objective = formatObjective(o)
			v.Chart.Points = append(v.Chart.Points, trialPoint{X: x(i), Y: y(o), Status: strings.ToLower(t.Status),
				Title: fmt.Sprintf("%s: %s %s (%s)", t.Name, v.Metric, r.Objective, t.Status)})
			if t.Status == "Completed" && (best == nil || better(o, *best)) {
				best, bestRow = &o, i
			}
		}
		if best != nil {
			r.BestSoFar = formatObjective(*best)
			line = append(line, fmt.Sprintf("%.1f,%.1f", x(i), y(*best)))
		}
		v.Rows = append(v.Rows, r)
	}
	if bestRow >= 0 {
		v.Rows[bestRow].IsBest = true
		v.Best = v.Rows[bestRow].Name
	}
	v.Chart.BestLine = strings.Join(line, " ")
	return v
}

// shortNumber shows a fractional number with 4 significant digits; other
// values as they are.
func shortNumber(s string) string {
	if f, err := strconv.ParseFloat(s, 64); err == nil && strings.ContainsAny(s, ".eE") {
		return strconv.FormatFloat(f, 'g', 4, 64)
	}
	return s
}

// trialLog serves one trial's log as text.
func (c *Console) trialLog(w http.ResponseWriter, r *http.Request, v *viewer) error {
	n, err := strconv.Atoi(r.PathValue("trial"))
	if err != nil || n < 1 {
		return &statusError{http.StatusBadRequest, "A trial is a number from 1."}
	}
	l, err := c.cfg.App.TrialLog(r.Context(), r.PathValue("id"), r.PathValue("step"), n)
	if err != nil {
		return err
	}
	defer l.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = io.Copy(w, l)
	return err
}
