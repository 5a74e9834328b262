package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	commandkind "github.com/ferryml/ferry/internal/step/command"
	"github.com/ferryml/ferry/internal/step/fail"
)

// testPipeline writes a log line, an output artifact with two files (one
// in a subdirectory) and a property.
const testPipeline = `version: 1
name: apitest
parameters:
  word: {type: string, default: hello}
steps:
  - name: write
    kind: command
    command: [/bin/sh, -c, 'mkdir -p "$FERRY_OUTPUT_TEXT/sub"; echo "$WORD" > "$FERRY_OUTPUT_TEXT/word.txt"; echo deep > "$FERRY_OUTPUT_TEXT/sub/deep.txt"; printf "{\"length\": 5}" > "$FERRY_PROPERTIES_FILE"; echo wrote "$WORD"']
    env: {WORD: "${{ params.word }}"}
    outputs: [text]
`

// fixture is a home with one finished execution, a registered model
// version deployed to an endpoint, a token per role, and the API served
// on 127.0.0.1.
type fixture struct {
	url    string
	home   string
	app    *app.App
	exec   string // the execution's ID
	digest string // its pipeline version
	output string // the write step's output artifact
	tokens map[auth.Role]string
	srv    *httptest.Server
	// The parts, for benchmarks that call handlers directly.
	serving *serving.Server
	auth    *auth.Service
	handler http.Handler
}

const group, endpoint = "fraud", "fraud-ep"

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
	a, err := app.New(app.Config{Executions: sqlite.NewExecutionStore(db), Registry: reg, Artifacts: store,
		Kinds: kinds, Home: home, Logger: logger, PollInterval: 10e6, Trials: sqlite.NewTrialStore(db)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ex, err := a.Run(ctx, app.RunRequest{Name: filepath.Join(home, "p.yaml"), Source: []byte(testPipeline)}, nil)
	if err != nil || ex.Status != "Succeeded" {
		t.Fatalf("run: %v %+v", err, ex)
	}
	v, err := a.Register(ctx, app.RegisterRequest{Group: group, ModelDir: modelDir(t), By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Deploy(ctx, registry.DeployRequest{Endpoint: endpoint, Package: v.Ref()}); err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewKeyring(bytes.Repeat([]byte{7}, auth.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.NewService(sqlite.NewTokenStore(db), keys, nil)
	tokens := map[auth.Role]string{}
	for _, role := range auth.Roles() {
		_, sec, err := svc.Create(ctx, string(role)+"-token", role)
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = sec.Token
	}
	ss, err := serving.NewServer(serving.StoreLoader(store), serving.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	if err := ss.Sync(ctx, reg); err != nil {
		t.Fatal(err)
	}
	h := api.New(api.Config{App: a, Auth: svc, Serving: ss, Logger: logger,
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "# metrics\n") })})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{url: srv.URL, home: home, app: a, exec: ex.ID, digest: ex.PipelineDigest, output: ex.Steps[0].Outputs["text"], tokens: tokens, srv: srv,
		serving: ss, auth: svc, handler: h}
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

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request with token (none when empty).
func (f *fixture) do(t *testing.T, ctx context.Context, token, method, path, body string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, f.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		ct := "application/json"
		if strings.HasPrefix(path, "/endpoints/") {
			ct = "text/csv"
		}
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// errorCode decodes the API's error shape and returns its code ("" when
// the body is not one).
func errorCode(b []byte) string {
	var e api.ErrorBody
	if json.Unmarshal(b, &e) != nil || e.Error.Message == "" {
		return ""
	}
	return e.Error.Code
}
