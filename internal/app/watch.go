package app

import (
	"context"
	"time"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
)

// Event is a change of an execution's status (Step empty) or of one of
// its steps' status or attempt, as [App.Watch] reports it. Its JSON form
// is the data of the API's server-sent events.
type Event struct {
	Time        time.Time      `json:"time"`
	ExecutionID string         `json:"execution_id"`
	Step        string         `json:"step,omitempty"`
	Status      run.Status     `json:"status,omitempty"`
	StepStatus  run.StepStatus `json:"step_status,omitempty"`
	Attempt     int            `json:"attempt,omitempty"`
	Message     string         `json:"message,omitempty"`
}

// EngineEvent returns the event as the engine's progress callbacks see
// it, so a remote watcher can drive the same progress display.
func (e Event) EngineEvent() engine.Event {
	return engine.Event{Time: e.Time, ExecutionID: e.ExecutionID, Step: e.Step, Status: e.Status,
		StepStatus: e.StepStatus, Attempt: e.Attempt, Message: e.Message}
}

func (a *App) after() <-chan time.Time { return time.After(a.cfg.PollInterval) }

// Watch sends the execution's current state to fn (its status, then each
// step's), then every change, until the execution's status is terminal
// (sent last), fn fails or ctx ends. It reads the records, so it sees
// executions run by any process on the home.
func (a *App) Watch(ctx context.Context, id string, fn func(Event) error) error {
	type stepState struct {
		status  run.StepStatus
		attempt int
	}
	var (
		lastStatus run.Status
		steps      = map[string]stepState{}
	)
	sendStatus := func(ex Execution) error {
		lastStatus = ex.Status
		at := ex.StartedAt
		if ex.EndedAt != nil {
			at = *ex.EndedAt
		}
		return fn(Event{Time: at, ExecutionID: ex.ID, Status: ex.Status, Message: ex.FailureReason})
	}
	for {
		ex, err := a.Execution(ctx, id)
		if err != nil {
			return err
		}
		if ex.Status != lastStatus && !ex.Status.Terminal() {
			if err := sendStatus(ex); err != nil {
				return err
			}
		}
		now := a.cfg.Now()
		for _, s := range ex.Steps {
			st := stepState{s.Status, s.Attempts}
			if prev, ok := steps[s.Name]; ok && prev == st {
				continue
			}
			steps[s.Name] = st
			msg := s.FailureReason
			if msg == "" && (s.Status == run.StepCacheHit || s.Status == run.StepExecuting || s.Status == run.StepSucceeded) {
				msg = s.Cache
			}
			at := now
			if s.EndedAt != nil {
				at = *s.EndedAt
			} else if s.StartedAt != nil {
				at = *s.StartedAt
			}
			if err := fn(Event{Time: at, ExecutionID: ex.ID, Step: s.Name, StepStatus: s.Status, Attempt: s.Attempts, Message: msg}); err != nil {
				return err
			}
		}
		if ex.Status != lastStatus && ex.Status.Terminal() { // the end comes after the steps'
			if err := sendStatus(ex); err != nil {
				return err
			}
		}
		if ex.Status.Terminal() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-a.after():
		}
	}
}
