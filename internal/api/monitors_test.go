package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
)

// monitorFixture is setup's home served by an API whose application
// layer has the monitoring service (monitors in the same ferry.db,
// captured data under home/data-capture), with setup's tokens.
func monitorFixture(t *testing.T) *fixture {
	t.Helper()
	f := setup(t)
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(f.home, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store, err := artifact.OpenDir(filepath.Join(f.home, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := registry.New(sqlite.NewRegistryStore(db), logger)
	svc := &monitor.Service{Store: sqlite.NewMonitorStore(db), Endpoints: reg, Artifacts: store,
		CaptureRoot: filepath.Join(f.home, "data-capture"), GroundTruthRoot: filepath.Join(f.home, "ground-truth"), Logger: logger}
	a, err := app.New(app.Config{Executions: sqlite.NewExecutionStore(db), Registry: reg, Artifacts: store,
		Kinds: step.NewRegistry(), Home: f.home, Logger: logger, Monitors: svc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(api.New(api.Config{App: a, Auth: f.auth, Logger: logger}))
	t.Cleanup(srv.Close)
	f.url, f.app = srv.URL, a
	return f
}

// writeCaptures writes one data capture file of endpoint's AllTraffic
// variant, one CSV record per request, all at time at.
func writeCaptures(t *testing.T, home string, at time.Time, records ...string) {
	t.Helper()
	dir := filepath.Join(home, "data-capture", endpoint, "AllTraffic", at.Format("2006/01/02/15"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, rec := range records {
		line := map[string]any{
			"captureData": map[string]any{
				"endpointInput":  map[string]string{"observedContentType": "text/csv", "mode": "INPUT", "data": rec + "\n", "encoding": "CSV"},
				"endpointOutput": map[string]string{"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.5\n", "encoding": "CSV"},
			},
			"eventMetadata": map[string]string{"eventId": fmt.Sprintf("ev-%d", i), "inferenceId": fmt.Sprintf("inf-%d", i),
				"inferenceTime": at.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)},
			"eventVersion": "0",
		}
		j, _ := json.Marshal(line)
		b.Write(j)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, at.Format("04-05-000")+"-test.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMonitorsAPI creates, lists, shows, runs and deletes monitors and
// uploads ground truth through /api/v1 on 127.0.0.1, as an operator, and
// checks every answer's status and body (the authorization matrix,
// TestAuthorization, covers the roles).
func TestMonitorsAPI(t *testing.T) {
	t.Parallel()
	f := monitorFixture(t)
	// A data-quality baseline of two features, and captured traffic: an
	// hour like the baseline, and an hour with a shifted feature and a
	// new category.
	var base []string
	for i := range 40 {
		base = append(base, fmt.Sprintf("%d,%s", i%10, []string{"x", "y"}[i%2]))
	}
	st, cons, err := monitor.DataBaseline(strings.NewReader("a,b\n"+strings.Join(base, "\n")+"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	stats, _ := json.Marshal(st)
	constraints, _ := json.Marshal(cons)
	h1 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	h2 := h1.Add(time.Hour)
	writeCaptures(t, f.home, h1.Add(15*time.Minute), base...)
	var shifted []string
	for i := range 40 {
		shifted = append(shifted, fmt.Sprintf("%d,%s", 500+i, []string{"x", "z"}[i%2]))
	}
	writeCaptures(t, f.home, h2.Add(15*time.Minute), shifted...)
	window := func(from time.Time) string {
		return fmt.Sprintf(`{"from": %q, "to": %q}`, from.Format(time.RFC3339), from.Add(time.Hour).Format(time.RFC3339))
	}
	create := fmt.Sprintf(`{"name": "dq", "endpoint": %q, "type": "data_quality", "schedule": "@hourly", "statistics": %s, "constraints": %s}`,
		endpoint, stats, constraints)

	op := f.tokens[auth.Operator]
	steps := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode                 string   // the error code, for errors
		wantIn                   []string // substrings of the answer
	}{
		{"list none", "GET", "/api/v1/monitors", "", 200, "", []string{`"monitors":[]`}},
		{"create", "POST", "/api/v1/monitors", create, 201, "", []string{`"name":"dq"`, `"statistics":"sha256:`, `"constraints":"sha256:`, `"schedule":"@hourly"`}},
		{"create again", "POST", "/api/v1/monitors", create, 409, "conflict", nil},
		{"unknown endpoint", "POST", "/api/v1/monitors", `{"name": "x", "endpoint": "nope", "type": "data_quality", "constraints": {}}`, 404, "not_found", []string{"nope"}},
		{"bad type", "POST", "/api/v1/monitors", fmt.Sprintf(`{"name": "x", "endpoint": %q, "type": "vibes"}`, endpoint), 400, "invalid_argument", []string{"vibes"}},
		{"unknown field", "POST", "/api/v1/monitors", `{"name": "x", "colour": "red"}`, 400, "invalid_argument", []string{"colour"}},
		{"model quality without problem type", "POST", "/api/v1/monitors", fmt.Sprintf(`{"name": "x", "endpoint": %q, "type": "model_quality"}`, endpoint), 400, "invalid_argument", []string{"problem type"}},
		{"no baseline to take", "POST", "/api/v1/monitors", fmt.Sprintf(`{"name": "x", "endpoint": %q, "type": "data_quality"}`, endpoint), 400, "invalid_argument", []string{"no constraints baseline"}},
		{"baseline not stored", "POST", "/api/v1/monitors", fmt.Sprintf(`{"name": "x", "endpoint": %q, "type": "data_quality", "baseline": {"constraints": "sha256:%s"}}`, endpoint, strings.Repeat("ab", 32)), 400, "invalid_argument", []string{"not stored"}},
		{"baseline twice", "POST", "/api/v1/monitors", fmt.Sprintf(`{"name": "x", "endpoint": %q, "type": "data_quality", "baseline": {"constraints": "sha256:%s"}, "constraints": {}}`, endpoint, strings.Repeat("ab", 32)), 400, "invalid_argument", []string{"given twice"}},
		{"webhook secret as text", "POST", "/api/v1/monitors", fmt.Sprintf(`{"name": "x", "endpoint": %q, "type": "data_quality", "constraints": {}, "config": {"webhook": {"url": "http://127.0.0.1:9/h", "secret": "hunter2"}}}`, endpoint), 400, "invalid_argument", []string{"a secret is never stored"}},
		{"webhook not http", "POST", "/api/v1/monitors", fmt.Sprintf(`{"name": "x", "endpoint": %q, "type": "data_quality", "constraints": {}, "config": {"webhook": {"url": "ftp://h/"}}}`, endpoint), 400, "invalid_argument", []string{"want an http:// or https:// URL"}},
		{"webhook", "POST", "/api/v1/monitors", fmt.Sprintf(`{"name": "hooked", "endpoint": %q, "type": "data_quality", "constraints": {}, "config": {"webhook": {"url": "http://127.0.0.1:9/h", "secret": {"from_env": "HOOK_SECRET"}, "on": "always"}}}`, endpoint), 201, "",
			[]string{`"webhook":{"url":"http://127.0.0.1:9/h","secret":{"from_env":"HOOK_SECRET"},"on":"always"}`}},
		{"baseline not an object", "POST", "/api/v1/monitors", fmt.Sprintf(`{"name": "x", "endpoint": %q, "type": "data_quality", "constraints": [1]}`, endpoint), 400, "invalid_argument", []string{"not a JSON object"}},
		{"list", "GET", "/api/v1/monitors", "", 200, "", []string{`"name":"dq"`, `"type":"data_quality"`}},
		{"show", "GET", "/api/v1/monitors/dq", "", 200, "", []string{`"monitor":{"name":"dq"`, `"runs":[]`}},
		{"show unknown", "GET", "/api/v1/monitors/nope", "", 404, "not_found", []string{"nope"}},
		{"show bad runs", "GET", "/api/v1/monitors/dq?runs=0", "", 400, "invalid_argument", nil},
		{"run like the baseline", "POST", "/api/v1/monitors/dq/runs", window(h1), 200, "", []string{`"status":"Completed"`, `"records":40`, `"violations":{"violations":[]}`}},
		{"run shifted", "POST", "/api/v1/monitors/dq/runs", window(h2), 200, "", []string{`"status":"CompletedWithViolations"`, `"feature_name":"a"`, `"feature_name":"b"`}},
		{"run without data", "POST", "/api/v1/monitors/dq/runs", window(h2.Add(5 * time.Hour)), 200, "", []string{`"status":"Failed"`, `"failure_reason":"`, `"violations":null`}},
		{"run empty window", "POST", "/api/v1/monitors/dq/runs", fmt.Sprintf(`{"from": %q, "to": %q}`, h2.Format(time.RFC3339), h1.Format(time.RFC3339)), 400, "invalid_argument", []string{"empty"}},
		{"run a window of centuries", "POST", "/api/v1/monitors/dq/runs", `{"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T00:00:00Z"}`, 400, "invalid_argument", []string{"longer than 366 days"}},
		{"run bad body", "POST", "/api/v1/monitors/dq/runs", `{"from": "yesterday"}`, 400, "invalid_argument", nil},
		{"run default window", "POST", "/api/v1/monitors/dq/runs", "", 200, "", []string{`"status":"Failed"`}},
		{"run unknown", "POST", "/api/v1/monitors/nope/runs", "", 404, "not_found", nil},
		{"show runs", "GET", "/api/v1/monitors/dq?runs=2", "", 200, "", []string{`"status":"Failed"`, `"owner":"on-demand"`}},
		{"ground truth csv", "POST", "/api/v1/monitors/dq/ground-truth", "inference_id,label\ninf-1,1\ninf-2,0\n", 200, "", []string{`{"monitor":"dq","labels":2}`}},
		{"ground truth json lines", "POST", "/api/v1/monitors/dq/ground-truth",
			`{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "inf-3"}, "eventVersion": "0"}` + "\n", 200, "", []string{`"labels":1`}},
		{"ground truth bad line", "POST", "/api/v1/monitors/dq/ground-truth", `{"eventMetadata": {}}` + "\n", 400, "invalid_argument", []string{"line 1"}},
		{"ground truth empty", "POST", "/api/v1/monitors/dq/ground-truth", "", 400, "invalid_argument", []string{"empty"}},
		{"ground truth unknown monitor", "POST", "/api/v1/monitors/nope/ground-truth", "a,1\n", 404, "not_found", nil},
		{"delete", "DELETE", "/api/v1/monitors/dq", "", 204, "", nil},
		{"delete again", "DELETE", "/api/v1/monitors/dq", "", 404, "not_found", nil},
		{"delete hooked", "DELETE", "/api/v1/monitors/hooked", "", 204, "", nil},
		{"list after delete", "GET", "/api/v1/monitors", "", 200, "", []string{`"monitors":[]`}},
	}
	// The steps build on each other: run in order.
	for _, s := range steps {
		r := f.do(t, t.Context(), op, s.method, s.path, s.body)
		if r.status != s.wantStatus {
			t.Errorf("%s: %s %s: %d %s, want %d", s.name, s.method, s.path, r.status, r.body, s.wantStatus)
			continue
		}
		if got := errorCode(r.body); got != s.wantCode {
			t.Errorf("%s: error code %q, want %q (%s)", s.name, got, s.wantCode, r.body)
		}
		for _, w := range s.wantIn {
			if !strings.Contains(string(r.body), w) {
				t.Errorf("%s: no %s in %s", s.name, w, r.body)
			}
		}
		if s.name == "create" && r.header.Get("Location") != "/api/v1/monitors/dq" {
			t.Errorf("create: Location %q", r.header.Get("Location"))
		}
	}
	// The uploaded labels are where model-quality runs read them.
	labels, err := monitor.ReadGroundTruth(filepath.Join(f.home, "ground-truth"), endpoint)
	if err != nil || labels["inf-1"] != "1" || labels["inf-2"] != "0" || labels["inf-3"] != "1" {
		t.Errorf("stored ground truth: %v %v", labels, err)
	}
}

// TestMonitorsWithoutMonitoring: an API whose application layer has no
// monitoring service answers its monitor routes 404, not 500.
func TestMonitorsWithoutMonitoring(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, path := range []string{"/api/v1/monitors", "/api/v1/monitors/x"} {
		r := f.do(t, t.Context(), f.tokens[auth.Admin], "GET", path, "")
		if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "monitoring is not configured") {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
}
