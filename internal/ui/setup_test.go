package ui_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	commandkind "github.com/ferryml/ferry/internal/step/command"
	"github.com/ferryml/ferry/internal/step/fail"
	"github.com/ferryml/ferry/internal/ui"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// okPipeline has three steps in two layers: a log line, an output
// artifact with a file, a property with a metric.
const okPipeline = `version: 1
name: uitest
parameters:
  word: {type: string, default: hello}
steps:
  - name: write
    kind: command
    command: [/bin/sh, -c, 'echo "$WORD" > "$FERRY_OUTPUT_TEXT/word.txt"; printf "{\"accuracy\": 0.75}" > "$FERRY_PROPERTIES_FILE"; echo wrote "$WORD"']
    env: {WORD: "${{ params.word }}"}
    outputs: [text]
  - name: count
    kind: command
    command: [/bin/sh, -c, 'wc -c < "$FERRY_INPUT_TEXT/word.txt"']
    inputs: {text: "${{ steps.write.outputs.text }}"}
  - name: shout
    kind: command
    command: [/bin/sh, -c, 'echo "$WORD!"']
    env: {WORD: "${{ params.word }}"}
    depends_on: [write]
`

// failPipeline fails its second step with a log line.
const failPipeline = `version: 1
name: uifail
steps:
  - name: first
    kind: command
    command: [/bin/sh, -c, 'echo fine']
  - name: broken
    kind: command
    command: [/bin/sh, -c, 'echo "about to fail" >&2; echo "no such table: claims" >&2; exit 3']
    depends_on: [first]
`

const group, endpoint = "fraud", "fraud-ep"

// fixture is a home with two executions of okPipeline (different
// parameters), one failed execution, a model version with metrics and a
// Clarify report deployed to an endpoint, a token per role, and the
// console mounted in the API server.
type fixture struct {
	app    *app.App
	home   string
	ok     []string // the okPipeline executions
	failed string
	tokens map[auth.Role]string
	h      http.Handler
	auth   *auth.Service
	trials *sqlite.TrialStore // the tuning trials (trials_test.go)
}

func setup(t testing.TB) *fixture {
	t.Helper()
	ctx := t.Context()
	home := artifacttest.TempDir(t)
	db, err := sqlite.Open(ctx, filepath.Join(home, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store, err := artifact.OpenDir(filepath.Join(home, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := registry.New(sqlite.NewRegistryStore(db), logger)
	kinds := step.NewRegistry()
	kinds.MustRegister(&commandkind.Kind{}, fail.Kind{})
	monitors := &monitor.Service{Store: sqlite.NewMonitorStore(db), Endpoints: reg, Artifacts: store, Logger: logger}
	a, err := app.New(app.Config{Executions: sqlite.NewExecutionStore(db), Registry: reg, Artifacts: store,
		Kinds: kinds, Home: home, Logger: logger, PollInterval: 10e6, Monitors: monitors, Trials: sqlite.NewTrialStore(db)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	f := &fixture{app: a, home: home, tokens: map[auth.Role]string{}, trials: sqlite.NewTrialStore(db)}
	def := filepath.Join(home, "p.yaml")
	for _, word := range []string{"hello", "bonjour"} {
		ex, err := a.Run(ctx, app.RunRequest{Name: def, Source: []byte(okPipeline), Params: map[string]string{"word": word}}, nil)
		if err != nil || ex.Status != "Succeeded" {
			t.Fatalf("run: %v %+v", err, ex)
		}
		f.ok = append(f.ok, ex.ID)
	}
	ex, err := a.Run(ctx, app.RunRequest{Name: filepath.Join(home, "f.yaml"), Source: []byte(failPipeline)}, nil)
	if err != nil || ex.Status != "Failed" {
		t.Fatalf("run: %v %+v", err, ex)
	}
	f.failed = ex.ID
	modelRef, err := store.PutDir(ctx, modelDir(t))
	if err != nil {
		t.Fatal(err)
	}
	metrics := map[string]artifact.Ref{}
	for key, files := range map[string]map[string]string{
		"model_statistics": {"evaluation.json": `{"binary_classification_metrics": {"roc_auc": {"value": 0.8125}, "accuracy": {"value": 0.75}}}`},
		"explainability": {
			"analysis.json": `{"explanations": {"kernel_shap": {"label0": {"global_shap_values": {"amount": 0.31, "age": 0.12, "claims": -0.05}}}}}`,
			"report.html":   `<!doctype html><title>Clarify report</title><h1>Explainability report</h1>`,
		},
	} {
		dir := t.TempDir()
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if metrics[key], err = store.PutDir(ctx, dir); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		v, err := reg.Register(ctx, registry.RegisterRequest{Group: group, Model: modelRef, By: "pipeline",
			Metrics: metrics, Status: registry.PendingManualApproval,
			Lineage: registry.Lineage{PipelineName: "uitest", ExecutionID: f.ok[i], Step: "write",
				Inputs: map[string]artifact.Ref{"model": modelRef}}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := a.SetApproval(ctx, app.ApprovalRequest{Ref: v.Ref(), Status: registry.Approved, By: "alice", Reason: "beats the baseline"}); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Deploy(ctx, registry.DeployRequest{Endpoint: endpoint, Package: v.Ref()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := reg.SetGroupEndpoint(ctx, group, endpoint); err != nil {
		t.Fatal(err)
	}
	addMonitorRuns(t, monitors.Store, store)
	keys, err := auth.NewKeyring(bytes.Repeat([]byte{7}, auth.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	f.auth = auth.NewService(sqlite.NewTokenStore(db), keys, nil)
	for _, role := range auth.Roles() {
		_, sec, err := f.auth.Create(ctx, string(role)+"-token", role)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[role] = sec.Token
	}
	promReg := prometheus.NewRegistry()
	ss, err := serving.NewServer(serving.StoreLoader(store), serving.Options{Logger: logger, Metrics: promReg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	if err := ss.Sync(ctx, reg); err != nil {
		t.Fatal(err)
	}
	con, err := ui.New(ui.Config{App: a, Auth: f.auth, Invoker: ss, Metrics: promReg, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	f.h = api.New(api.Config{App: a, Auth: f.auth, Serving: ss, Logger: logger, Console: con})
	return f
}

// addMonitorRuns gives the endpoint a data-quality monitor whose latest
// run found violations (the console marks the endpoint, linking to the
// run's report) and a model-quality monitor whose latest run found none
// (an earlier one did: no mark).
func addMonitorRuns(t testing.TB, ms monitor.Store, store artifact.Store) {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, monitor.ReportFile), []byte("<!doctype html><title>Monitoring report</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	report, err := store.PutDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, mon := range []struct {
		name       string
		typ        monitor.Type
		violations []int
	}{
		{"dq", monitor.DataQuality, []int{0, 4}},
		{"mq", monitor.ModelQuality, []int{2, 0}},
	} {
		if err := ms.CreateMonitor(ctx, monitor.Monitor{Name: mon.name, Endpoint: endpoint, Type: mon.typ, CreatedAt: day}); err != nil {
			t.Fatal(err)
		}
		for h, n := range mon.violations {
			w := monitor.Window{From: day.Add(time.Duration(h) * time.Hour), To: day.Add(time.Duration(h+1) * time.Hour)}
			r, _, err := ms.ClaimRun(ctx, monitor.Run{Monitor: mon.name, Window: w, Status: monitor.RunInProgress, StartedAt: w.To})
			if err != nil {
				t.Fatal(err)
			}
			r.Status, r.Records, r.Violations, r.Output, r.EndedAt = monitor.RunCompleted, 500, n, report, w.To
			if n > 0 {
				r.Status = monitor.RunCompletedWithViolations
			}
			if err := ms.FinishRun(ctx, r, endpoint); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// modelDir writes a model directory holding the fraud XGBoost model.
func modelDir(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/model.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	man, _ := json.Marshal(model.Manifest{FormatVersion: 1, Flavor: model.FlavorXGBoost, ModelFile: "model.json",
		Objective: "binary:logistic", Task: model.TaskBinary})
	if err := os.WriteFile(filepath.Join(dir, model.ManifestFile), man, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// get sends a request with role's token (none for the zero role) and
// returns the recorded answer.
func (f *fixture) do(t testing.TB, role auth.Role, method, path string, form string) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	req := httptest.NewRequest(method, path, body)
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if role != "" {
		req.AddCookie(&http.Cookie{Name: "ferry_token", Value: f.tokens[role]})
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of role's pages.
func (f *fixture) csrf(t testing.TB, role auth.Role) string {
	t.Helper()
	w := f.do(t, role, "GET", "/executions", "")
	m := csrfRe.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no CSRF token on the page of %s", role)
	}
	return m[1]
}

// normalizers replace what changes from run to run (IDs, digests, times,
// durations, CSRF tokens) so that pages compare with golden files.
var normalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`e-\d{8}-\d{6}-[0-9a-f]{6}`), "EXECUTION"},
	// An ID shortened for a lineage box (its date and the hour's first digit).
	{regexp.MustCompile(`e-\d{8}-\d+\b`), "EXECUTION"},
	{regexp.MustCompile(`sha256[:/][0-9a-f]{64}`), "REF"},
	{regexp.MustCompile(`[0-9a-f]{64}`), "DIGEST"},
	{regexp.MustCompile(`<code>[0-9a-f]{12}</code>`), "<code>SHORT</code>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "TIMESTAMP"},
	{regexp.MustCompile(`<time datetime="[^"]*">[^<]*</time>`), `<time datetime="T">T</time>`},
	{regexp.MustCompile(`value="[A-Za-z0-9_-]{43}"`), `value="CSRF"`},
	{regexp.MustCompile(`x="[0-9.]+" y="1" width="[0-9.]+"`), `x="X" y="1" width="W"`},
	{regexp.MustCompile(`\b(\d+(\.\d+)?(h|m|s|ms|µs|ns))+\b`), "DUR"},
	{regexp.MustCompile(`/tmp/[^\s"<]*`), "PATH"},
}

func normalize(s string) string {
	for _, n := range normalizers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

// golden compares got (normalized) with testdata/golden/NAME.html, or
// rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = normalize(got)
	file := filepath.Join("testdata", "golden", name+".html")
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs from its golden file (-want +got):\n%s", name, d)
	}
}

// httptestRequest is a form POST with a token cookie.
func httptestRequest(t testing.TB, path, form, token string) *http.Request {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "ferry_token", Value: token})
	return req
}

func serve(f *fixture, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}
