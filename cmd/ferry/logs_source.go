package main

import (
	"context"
	"fmt"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
)

// stepRunLister is the part of the execution store stepLog needs.
type stepRunLister interface {
	StepRuns(ctx context.Context, executionID string) ([]*run.StepRun, error)
}

// stepLog returns the path of the log to print for step of execution
// exID. A step that did not run in that execution (a cache hit, or a step
// left out of a selective run) has an empty log there; its log is the one
// of the execution that ran it, and note says so.
func (m *Main) stepLog(ctx context.Context, es stepRunLister, exID, step string) (path, note string, err error) {
	path = engine.LogPath(m.Home(), exID, step)
	runs, err := es.StepRuns(ctx, exID)
	if err != nil {
		return "", "", err
	}
	for _, r := range runs {
		if r.Step != step || r.Provenance == run.Ran || r.SourceExecution == "" || r.SourceExecution == exID {
			continue
		}
		why := "a cache hit"
		if r.Provenance == run.FromSelection {
			why = "not selected in this run"
		}
		src := engine.LogPath(m.Home(), r.SourceExecution, step)
		return src, fmt.Sprintf("step %q did not run in execution %s (%s): this is the log of execution %s, %s", step, exID, why, r.SourceExecution, src), nil
	}
	return path, "", nil
}
