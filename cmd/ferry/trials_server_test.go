package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/step/tuning"
)

// TestWorkerTrialsGoToTheServer: a worker of a server (saveTrial set)
// records each trial on the server and keeps it under its home (the
// cache its re-runs reuse); a server that refuses is an error.
func TestWorkerTrialsGoToTheServer(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	m := &Main{Getenv: func(k string) string {
		if k == "FERRY_HOME" {
			return home
		}
		return ""
	}}
	if _, ok := m.trialStore(false).(tuning.DirStore); !ok {
		t.Fatalf("a worker without a server: %T, want the file store", m.trialStore(false))
	}
	var posted []string
	fail := false
	m.saveTrial = func(_ context.Context, exec, step string, tr *run.Trial) error {
		if fail {
			return errors.New("503")
		}
		posted = append(posted, exec+"/"+tr.Name)
		return nil
	}
	ts := m.trialStore(false)
	rec := &run.Trial{Trial: 1, Name: "tune/trial-001", Status: tuning.StatusCompleted, CacheKey: "k"}
	if err := ts.SaveTrial(t.Context(), "e1", "tune", rec); err != nil {
		t.Fatal(err)
	}
	if len(posted) != 1 || posted[0] != "e1/tune/trial-001" {
		t.Errorf("posted %v", posted)
	}
	if recs, err := ts.Trials(t.Context(), "e1", "tune"); err != nil || len(recs) != 1 {
		t.Errorf("kept %d records under the home, %v", len(recs), err)
	}
	fail = true
	if err := ts.SaveTrial(t.Context(), "e1", "tune", rec); err == nil || !strings.Contains(err.Error(), "recording trial tune/trial-001 on the server") {
		t.Errorf("server refusing: %v", err)
	}
}
