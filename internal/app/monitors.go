package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/monitor"
)

// Monitoring operations: model monitors on endpoints (monitor.Service),
// for the API. They need Config.Monitors; without it they return
// ErrNotFound ("monitoring is not configured").

// MonitorDetail is a monitor with its recent runs, newest first.
type MonitorDetail struct {
	Monitor monitor.Monitor `json:"monitor"`
	Runs    []monitor.Run   `json:"runs"`
}

// MonitorRunResult is a run on demand: its record, and the violations it
// found (nil when the run failed before writing them).
type MonitorRunResult struct {
	Run        monitor.Run         `json:"run"`
	Violations *monitor.Violations `json:"violations"`
}

// CreateMonitorRequest creates a monitor. Baselines are given as stored
// artifacts (Monitor.Baseline), or as the documents themselves
// (Statistics, Constraints, Analysis: statistics.json, constraints.json,
// a Clarify analysis.json), which are stored as artifacts first; those
// not given come from the drift-check baselines of the model version the
// endpoint serves.
type CreateMonitorRequest struct {
	Monitor     monitor.Monitor
	Statistics  json.RawMessage
	Constraints json.RawMessage
	Analysis    json.RawMessage
}

var errNoMonitoring = fmt.Errorf("monitoring is not configured on this server: %w", ErrNotFound)

func (a *App) monitors() (*monitor.Service, error) {
	if a.cfg.Monitors == nil {
		return nil, errNoMonitoring
	}
	return a.cfg.Monitors, nil
}

// Monitors lists every monitor, by name.
func (a *App) Monitors(ctx context.Context) ([]monitor.Monitor, error) {
	svc, err := a.monitors()
	if err != nil {
		return nil, err
	}
	return svc.Monitors(ctx)
}

// Monitor returns a monitor and its latest runs (at most runs; <= 0: all).
func (a *App) Monitor(ctx context.Context, name string, runs int) (MonitorDetail, error) {
	svc, err := a.monitors()
	if err != nil {
		return MonitorDetail{}, err
	}
	m, err := svc.Monitor(ctx, name)
	if err != nil {
		return MonitorDetail{}, err
	}
	rs, err := svc.Runs(ctx, name, runs)
	if err != nil {
		return MonitorDetail{}, err
	}
	if rs == nil {
		rs = []monitor.Run{}
	}
	return MonitorDetail{Monitor: m, Runs: rs}, nil
}

// CreateMonitor stores the baseline documents req gives and creates the
// monitor.
func (a *App) CreateMonitor(ctx context.Context, req CreateMonitorRequest) (monitor.Monitor, error) {
	svc, err := a.monitors()
	if err != nil {
		return monitor.Monitor{}, err
	}
	m := req.Monitor
	if m.Baseline == nil {
		m.Baseline = map[string]artifact.Ref{}
	}
	for _, b := range []struct {
		key, file string
		doc       json.RawMessage
	}{
		{monitor.BaselineStatistics, monitor.StatisticsFile, req.Statistics},
		{monitor.BaselineConstraints, monitor.ConstraintsFile, req.Constraints},
		{monitor.BaselineAnalysis, "analysis.json", req.Analysis},
	} {
		if len(b.doc) == 0 || string(b.doc) == "null" {
			continue
		}
		if m.Baseline[b.key] != "" {
			return monitor.Monitor{}, fmt.Errorf("the %s baseline is given twice (as an artifact and as a document): %w", b.key, ErrInvalid)
		}
		var v map[string]any
		if err := json.Unmarshal(b.doc, &v); err != nil {
			return monitor.Monitor{}, fmt.Errorf("the %s baseline is not a JSON object: %w", b.key, ErrInvalid)
		}
		ref, err := a.putDocument(ctx, b.file, b.doc)
		if err != nil {
			return monitor.Monitor{}, fmt.Errorf("storing the %s baseline: %w", b.key, err)
		}
		m.Baseline[b.key] = ref
	}
	return svc.Create(ctx, m)
}

// putDocument stores one file, named name, as an artifact.
func (a *App) putDocument(ctx context.Context, name string, doc []byte) (artifact.Ref, error) {
	dir, err := os.MkdirTemp("", "ferry-baseline-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		return "", err
	}
	return a.cfg.Artifacts.PutFile(ctx, p, name)
}

// DeleteMonitor deletes a monitor and its run history.
func (a *App) DeleteMonitor(ctx context.Context, name string) error {
	svc, err := a.monitors()
	if err != nil {
		return err
	}
	return svc.Delete(ctx, name)
}

// RunMonitor runs a monitor now over the window w. A run that was
// recorded but failed (no captured data in the window, say) is a result
// with status Failed and its reason, not an error.
func (a *App) RunMonitor(ctx context.Context, name string, w monitor.Window) (MonitorRunResult, error) {
	svc, err := a.monitors()
	if err != nil {
		return MonitorRunResult{}, err
	}
	r, err := svc.RunNow(ctx, name, w)
	if err != nil && !(r.ID != 0 && r.Status == monitor.RunFailed) {
		return MonitorRunResult{}, err
	}
	res := MonitorRunResult{Run: r}
	if r.Output == "" {
		return res, nil
	}
	dir, err := a.cfg.Artifacts.Path(ctx, r.Output)
	if err != nil {
		return MonitorRunResult{}, fmt.Errorf("reading run %d's output: %w", r.ID, err)
	}
	vs, err := monitor.ReadViolations(filepath.Join(dir, monitor.ViolationsFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return MonitorRunResult{}, fmt.Errorf("reading run %d's violations: %w", r.ID, err)
	}
	res.Violations = vs
	return res, nil
}

// UploadGroundTruth stores labels (JSON lines in SageMaker's layout, or
// CSV "ID,LABEL") for the endpoint a monitor watches, and returns how
// many it stored.
func (a *App) UploadGroundTruth(ctx context.Context, name string, r io.Reader) (int, error) {
	svc, err := a.monitors()
	if err != nil {
		return 0, err
	}
	return svc.UploadGroundTruth(ctx, name, r)
}

// MonitorMark is a monitor of an endpoint whose latest finished run found
// violations: the console marks the endpoint with it.
type MonitorMark struct {
	Monitor string       `json:"monitor"`
	Type    monitor.Type `json:"type"`
	Run     monitor.Run  `json:"run"`
	// Report is the console's path of the run's report.html.
	Report string `json:"report,omitempty"`
}

// marksLookback is how many recent runs of a monitor are read to find
// its latest finished one (runs in progress are skipped).
const marksLookback = 5

// MonitorMarks returns, by endpoint, the monitors whose latest finished
// run found violations, by monitor name. Without monitoring it returns
// no marks.
func (a *App) MonitorMarks(ctx context.Context) (map[string][]MonitorMark, error) {
	if a.cfg.Monitors == nil {
		return map[string][]MonitorMark{}, nil
	}
	svc := a.cfg.Monitors
	ms, err := svc.Monitors(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]MonitorMark{}
	for _, m := range ms {
		runs, err := svc.Store.Runs(ctx, m.Name, marksLookback)
		if err != nil {
			return nil, fmt.Errorf("reading the runs of monitor %q: %w", m.Name, err)
		}
		for _, r := range runs {
			if r.Status == monitor.RunInProgress {
				continue
			}
			if r.Status == monitor.RunCompletedWithViolations {
				out[m.Endpoint] = append(out[m.Endpoint], MonitorMark{Monitor: m.Name, Type: m.Type, Run: r, Report: monitor.ReportPath(r.Output)})
			}
			break
		}
	}
	return out, nil
}
