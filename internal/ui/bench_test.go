package ui_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	commandkind "github.com/ferryml/ferry/internal/step/command"
	"github.com/ferryml/ferry/internal/ui"
)

// bigHome returns the console and the API over a home with n executions
// of three pipelines (every tenth failed), without tokens.
func bigHome(b *testing.B, n int) (console, cold, apiv1 http.Handler) {
	b.Helper()
	ctx := b.Context()
	home := b.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(home, "ferry.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	store, err := artifact.OpenDir(filepath.Join(home, "artifacts"))
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	execs := sqlite.NewExecutionStore(db)
	kinds := step.NewRegistry()
	kinds.MustRegister(&commandkind.Kind{})
	a, err := app.New(app.Config{Executions: execs, Registry: registry.New(sqlite.NewRegistryStore(db), logger),
		Artifacts: store, Kinds: kinds, Home: home, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if err := execs.SavePipeline(ctx, fmt.Sprintf("%064d", i), fmt.Sprintf("pipeline-%d", i), []byte(okPipeline)); err != nil {
			b.Fatal(err)
		}
	}
	for i := range n {
		st := start.Add(time.Duration(i) * time.Minute)
		ex := &run.Execution{ID: fmt.Sprintf("e-20260101-%06d-%06x", i, i), PipelineName: fmt.Sprintf("pipeline-%d", i%3),
			PipelineDigest: fmt.Sprintf("%064d", i%3), Params: map[string]any{"word": "hello"},
			Status: run.Succeeded, StartedAt: st, EndedAt: st.Add(42 * time.Second)}
		if i%10 == 0 {
			ex.Status, ex.FailureReason = run.Failed, "step broken failed"
		}
		if err := execs.CreateExecution(ctx, ex); err != nil {
			b.Fatal(err)
		}
	}
	con, err := ui.New(ui.Config{App: a, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	// cold's clock jumps a minute per reading: its cache of pipeline
	// names is always stale.
	clock := start
	cold, err = ui.New(ui.Config{App: a, Logger: logger, Now: func() time.Time { clock = clock.Add(time.Minute); return clock }})
	if err != nil {
		b.Fatal(err)
	}
	return con, cold, api.New(api.Config{App: a, Logger: logger})
}

// BenchmarkExecutionsList renders the executions list (one page of 50)
// of a home with 10,000 executions, server-side, unfiltered and filtered,
// beside the JSON API's listing of the same page (the reference: the
// same query without HTML). ConsoleCold lists the pipeline names of the
// filter on every render (their cache always stale).
func BenchmarkExecutionsList(b *testing.B) {
	con, cold, apiv1 := bigHome(b, 10_000)
	cases := []struct {
		name, path string
		h          http.Handler
	}{
		{"Console", "/executions", con},
		{"ConsoleFiltered", "/executions?pipeline=pipeline-1&status=Failed", con},
		{"ConsoleCold", "/executions", cold},
		{"ConsoleLastPage", "/executions?page=9950", con},
		{"APIJSON", "/api/v1/executions", apiv1},
		{"APIJSONFiltered", "/api/v1/executions?pipeline=pipeline-1&status=Failed", apiv1},
		{"APIJSONLastPage", "/api/v1/executions?page_token=9950", apiv1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, httptest.NewRequest("GET", c.path, nil))
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d %s", c.path, w.Code, w.Body)
				}
			}
		})
	}
}
