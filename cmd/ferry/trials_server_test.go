package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/client"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/step/tuning"
)

// TestWorkerTrialsGoToTheServer: a worker of a server (trialServer set,
// here the API client of a real `ferry server`) records each trial on the
// server and keeps it under its home; it finds the trials another worker
// finished in the server's trial cache, and its trial logs are read
// through the server. A server that refuses a record is an error.
func TestWorkerTrialsGoToTheServer(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srvHome := artifacttest.TempDir(t)
	def := writeFile(t, filepath.Join(t.TempDir(), "p.yaml"), "version: 1\nname: tuned\nsteps:\n  - name: tune\n    kind: command\n    command: [/bin/true]\n")
	mustFerry(t, srvHome, "run", def)
	url := startServer(t, srvHome, "server", "--addr", "127.0.0.1:0")
	ex, _ := latestExecution(t, ctx, inspect(t, srvHome))
	c, err := client.New(url, "", client.Options{})
	if err != nil {
		t.Fatal(err)
	}

	worker := func() *Main {
		home := t.TempDir()
		return &Main{Getenv: func(k string) string {
			if k == "FERRY_HOME" {
				return home
			}
			return ""
		}}
	}
	w1, w2 := worker(), worker()
	if _, ok := w1.trialStore(false).(tuning.DirStore); !ok {
		t.Fatalf("a worker without a server: %T, want the file store", w1.trialStore(false))
	}
	w1.trialServer, w2.trialServer = c, c
	key := strings.Repeat("ab", 32)
	rec := &run.Trial{Trial: 1, Name: "tune/trial-001", Status: tuning.StatusCompleted, CacheKey: key}
	ts1 := w1.trialStore(false)
	log, err := ts1.TrialLog(ex.ID, "tune", 1)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(log, "[0]\tvalidation-auc:0.9\n")
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ts1.SaveTrial(ctx, ex.ID, "tune", rec); err != nil {
		t.Fatal(err)
	}
	if recs, err := ts1.Trials(ctx, ex.ID, "tune"); err != nil || len(recs) != 1 {
		t.Errorf("kept %d records under the home, %v", len(recs), err)
	}
	got, err := c.Trials(ctx, ex.ID, "tune")
	if err != nil || len(got.Trials) != 1 || got.Trials[0].Name != rec.Name {
		t.Errorf("the server's trials: %+v, %v", got, err)
	}
	// The other worker finds the trial in the server's cache.
	cached, err := w2.trialStore(false).CachedTrial(ctx, key)
	if err != nil || cached == nil || cached.Name != rec.Name {
		t.Errorf("the other worker's cache lookup: %+v, %v", cached, err)
	}
	if none, err := w2.trialStore(false).CachedTrial(ctx, strings.Repeat("cd", 32)); none != nil || err != nil {
		t.Errorf("an unknown key: %+v, %v", none, err)
	}
	resp, err := http.Get(url + "/api/v1/executions/" + ex.ID + "/steps/tune/trials/1/logs")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "validation-auc:0.9") {
		t.Errorf("the trial's log through the server: %d %s", resp.StatusCode, body)
	}
	bad := &run.Trial{Trial: 2, Name: "tune/trial-002", Status: "Done"}
	if err := ts1.SaveTrial(ctx, ex.ID, "tune", bad); err == nil || !strings.Contains(err.Error(), "recording trial tune/trial-002 on the server") {
		t.Errorf("server refusing: %v", err)
	}
}
