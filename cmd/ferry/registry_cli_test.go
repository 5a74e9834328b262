package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/registry"
)

const fraudFixture = "../../gbdt/testdata/xgboost/fraud_autoclaims/"

// fraudModelDir writes a model directory holding the fraud model.json,
// with a manifest; bias shifts the base score so two "versions" answer
// differently.
func fraudModelDir(t *testing.T, bias string) string {
	t.Helper()
	b, err := os.ReadFile(fraudFixture + "model.json")
	if err != nil {
		t.Fatal(err)
	}
	if bias != "" {
		b = bytes.Replace(b, []byte(`"base_score":"5E-1"`), []byte(`"base_score":"`+bias+`"`), 1)
	}
	dir := filepath.Join(artifacttest.TempDir(t), "model")
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

func firstRows(t *testing.T, n int) string {
	t.Helper()
	b, err := os.ReadFile(fraudFixture + "data.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(b)), "\n")[1 : n+1]
	return strings.Join(rows, "\n") + "\n"
}

func firstRowsWithHeader(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(fraudFixture + "data.csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustFerry(t *testing.T, home string, args ...string) string {
	t.Helper()
	res := ferry(t, t.Context(), home, args...)
	if res.code != 0 {
		t.Fatalf("ferry %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

func TestModelsAndEndpointsCLI(t *testing.T) {
	t.Parallel()
	home := artifacttest.TempDir(t)
	dir := fraudModelDir(t, "")
	mustFerry(t, home, "models", "register", "fraud", dir, "--status", "PendingManualApproval")
	if out := mustFerry(t, home, "models", "list", "fraud"); !strings.Contains(out, "PendingManualApproval") {
		t.Errorf("models list: %s", out)
	}
	// Auto-deploy: approving deploys to the group's endpoint.
	mustFerry(t, home, "models", "groups", "set-endpoint", "fraud", "fraud-ep")
	out := mustFerry(t, home, "models", "approve", "fraud/1", "--reason", "AUC 0.83", "--by", "alice")
	if !strings.Contains(out, "fraud/1 is now Approved") || !strings.Contains(out, "deployed to endpoint fraud-ep") {
		t.Errorf("approve: %s", out)
	}
	var v registry.Version
	if err := json.Unmarshal([]byte(mustFerry(t, home, "models", "show", "fraud/1", "--output", "json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.Status != registry.Approved || len(v.History) != 2 || v.History[1].By != "alice" || v.History[1].Reason != "AUC 0.83" {
		t.Errorf("models show: %+v", v)
	}
	if out := mustFerry(t, home, "models", "show", "fraud/1"); !strings.Contains(out, "Approval history:") {
		t.Errorf("models show text: %s", out)
	}
	if out := mustFerry(t, home, "endpoints", "list"); !strings.Contains(out, "fraud-ep") || !strings.Contains(out, "InService") {
		t.Errorf("endpoints list: %s", out)
	}
	payload := filepath.Join(artifacttest.TempDir(t), "rows.csv")
	if err := os.WriteFile(payload, []byte(firstRows(t, 3)), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(mustFerry(t, home, "endpoints", "invoke", "fraud-ep", "--csv", payload))
	want := strings.Fields(expectedPredictions(t, 3))
	if len(got) != 3 {
		t.Fatalf("invoke printed %v", got)
	}
	for i := range got {
		if got[i][:8] != want[i][:8] {
			t.Errorf("prediction %d = %s, XGBoost says %s", i, got[i], want[i])
		}
	}
	if out := mustFerry(t, home, "endpoints", "invoke", "fraud-ep", "--csv", payload, "--accept", "application/json"); !strings.HasPrefix(out, `{"predictions":[`) {
		t.Errorf("invoke --accept json: %s", out)
	}
	// predict takes a registered GROUP/VERSION as clarify does, and
	// answers as with the model directory.
	named := fraudModelDir(t, "")
	header, _, _ := strings.Cut(firstRowsWithHeader(t), "\n")
	man, _ := json.Marshal(model.Manifest{FormatVersion: 1, Flavor: model.FlavorXGBoost, ModelFile: "model.json",
		Objective: "binary:logistic", Task: model.TaskBinary, FeatureNames: strings.Split(header, ",")})
	if err := os.WriteFile(filepath.Join(named, model.ManifestFile), man, 0o644); err != nil {
		t.Fatal(err)
	}
	mustFerry(t, home, "models", "register", "named", named)
	byRef := mustFerry(t, home, "predict", "--model", "named/1", "--data", fraudFixture+"data.csv")
	if byDir := mustFerry(t, home, "predict", "--model", named, "--data", fraudFixture+"data.csv"); byRef != byDir || byRef == "" {
		t.Errorf("predict --model named/1 printed %d bytes, --model DIR %d bytes; want the same", len(byRef), len(byDir))
	}
	if res := ferry(t, t.Context(), home, "predict", "--model", "fraud/7", "--data", fraudFixture+"data.csv"); res.code != 1 || !strings.Contains(res.stderr, "not found") {
		t.Errorf("predict --model fraud/7: exit %d, %s", res.code, res.stderr)
	}
	// Approving an approved version again (the README walkthrough does)
	// succeeds and changes nothing.
	if out := mustFerry(t, home, "models", "approve", "fraud/1", "--reason", "again"); !strings.Contains(out, "fraud/1 is already Approved; nothing changed") {
		t.Errorf("approve twice: %s", out)
	}
	// Errors: a rejected version is not deployed; bad input exits non-zero with a message.
	mustFerry(t, home, "models", "register", "fraud", dir)
	mustFerry(t, home, "models", "reject", "fraud/2", "--reason", "bias")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"endpoints", "deploy", "fraud-ep", "fraud/2"}, "Rejected"},
		{[]string{"models", "approve", "fraud/1"}, "--reason is required"},
		{[]string{"models", "show", "fraud/x"}, "version must be an integer"},
		{[]string{"models", "show", "fraud/9"}, "not found"},
		{[]string{"endpoints", "show", "nope"}, "not found"},
		{[]string{"endpoints", "invoke", "fraud-ep", "--csv", "/nonexistent"}, "reading payload"},
	} {
		res := ferry(t, t.Context(), home, tc.args...)
		if res.code == 0 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("ferry %v: exit %d, stderr %q; want an error containing %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
	if out := mustFerry(t, home, "models", "events"); !strings.Contains(out, "version.approval_changed") {
		t.Errorf("events: %s", out)
	}
	mustFerry(t, home, "endpoints", "delete", "fraud-ep")
	if res := ferry(t, t.Context(), home, "endpoints", "show", "fraud-ep"); res.code == 0 {
		t.Error("endpoint still there after delete")
	}
}

func expectedPredictions(t *testing.T, n int) string {
	t.Helper()
	b, err := os.ReadFile(fraudFixture + "expected_prediction.csv")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Split(string(b), "\n")[1:n+1], "\n")
}

// syncBuffer is a bytes.Buffer safe for a server goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServerPicksUpDeployFromAnotherProcess runs `ferry server` on
// 127.0.0.1:0 and deploys a new version through a separate Main (another
// process's view of the same home): the server must switch to it.
func TestServerPicksUpDeployFromAnotherProcess(t *testing.T) {
	t.Parallel()
	home := artifacttest.TempDir(t)
	mustFerry(t, home, "models", "register", "fraud", fraudModelDir(t, ""), "--status", "Approved")
	mustFerry(t, home, "models", "register", "fraud", fraudModelDir(t, "9E-1"), "--status", "Approved")
	mustFerry(t, home, "endpoints", "deploy", "ep", "fraud/1")

	base := startServer(t, home, "server", "--addr", "127.0.0.1:0", "--poll", "50ms")
	row := firstRows(t, 1)
	invoke := func() (string, string) {
		resp, err := http.Post(base+"/endpoints/ep/invocations", "text/csv", strings.NewReader(row))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("invoke: %d %s", resp.StatusCode, b)
		}
		return string(b), resp.Header.Get("X-Amzn-Invoked-Production-Variant")
	}
	first, variant := invoke()
	if variant != "AllTraffic" {
		t.Errorf("invoked variant header %q", variant)
	}
	mustFerry(t, home, "endpoints", "deploy", "ep", "fraud/2")
	for deadline := time.Now().Add(10 * time.Second); ; {
		if got, _ := invoke(); got != first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server never served the newly deployed version")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, path := range []string{"/ping", "/metrics", "/api/models", "/api/models/fraud", "/api/models/fraud/2", "/api/endpoints", "/api/endpoints/ep", "/api/events"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	resp, err := http.Get(base + "/api/models/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /api/models/nope: %d, want 404", resp.StatusCode)
	}
}

func TestRegistryKinds(t *testing.T) {
	t.Parallel()
	env := map[string]string{"FERRY_HOME": artifacttest.TempDir(t)}
	m := NewMain(strings.NewReader(""), io.Discard, io.Discard, func(k string) string { return env[k] })
	defer m.Close()
	kinds, err := m.registryKinds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range kinds {
		ids = append(ids, k.Spec().Kind)
	}
	if strings.Join(ids, ",") != "create_model,register_model,deploy" {
		t.Errorf("kinds %v", ids)
	}
}

// startServer runs `ferry ARGS...` (a server) and returns its base URL; the
// server stops when the test ends.
func startServer(t *testing.T, home string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	stderr := &syncBuffer{}
	env := map[string]string{"FERRY_HOME": home}
	m := NewMain(strings.NewReader(""), io.Discard, stderr, func(k string) string { return env[k] })
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, args) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("server exit %d: %s", code, stderr.String())
		} else if t.Failed() {
			t.Logf("the server's log:\n%s", stderr.String())
		}
	})
	addrRE := regexp.MustCompile(`listening on http://(127\.0\.0\.1|0\.0\.0\.0|\[::\]):(\d+)`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if mm := addrRE.FindStringSubmatch(stderr.String()); mm != nil {
			return "http://127.0.0.1:" + mm[2] // a wildcard address answers on loopback too
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", stderr.String())
		}
	}
}

func TestServeModel(t *testing.T) {
	t.Parallel()
	base := startServer(t, artifacttest.TempDir(t), "serve-model", fraudFixture+"model.json", "--port", "0")
	resp, err := http.Post(base+"/invocations", "text/csv", strings.NewReader(firstRows(t, 2)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got, want := strings.Fields(string(b)), strings.Fields(expectedPredictions(t, 2))
	if resp.StatusCode != 200 || len(got) != 2 || got[0][:8] != want[0][:8] || got[1][:8] != want[1][:8] {
		t.Errorf("POST /invocations: %d %q, want %v", resp.StatusCode, b, want)
	}
	for path, code := range map[string]int{"/ping": 200, "/metrics": 200, "/nowhere": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, code)
		}
	}
}

// TestInvokeRawRecordsThroughTransform registers a model whose manifest
// carries a feature transform and sends raw named records as JSON.
func TestInvokeRawRecordsThroughTransform(t *testing.T) {
	t.Parallel()
	home := artifacttest.TempDir(t)
	dir := fraudModelDir(t, "")
	data, err := os.ReadFile(fraudFixture + "data.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(data)), "\n")
	header := strings.Split(rows[0], ",")
	type feat struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Source   string `json:"source"`
		Encoding string `json:"encoding"`
	}
	var feats []feat
	for _, h := range header {
		feats = append(feats, feat{Name: h, Type: "float", Source: h, Encoding: "numeric"})
	}
	trJSON, _ := json.Marshal(map[string]any{"format_version": 1, "features": feats})
	man, _ := json.Marshal(model.Manifest{FormatVersion: 1, Flavor: model.FlavorXGBoost, ModelFile: "model.json",
		Task: model.TaskBinary, FeatureNames: header, Transform: trJSON})
	if err := os.WriteFile(filepath.Join(dir, model.ManifestFile), man, 0o644); err != nil {
		t.Fatal(err)
	}
	mustFerry(t, home, "models", "register", "fraud", dir, "--status", "Approved")
	mustFerry(t, home, "endpoints", "deploy", "ep", "fraud/1")
	var instances []map[string]string
	for _, row := range rows[1:3] {
		rec := map[string]string{}
		for j, v := range strings.Split(row, ",") {
			rec[header[j]] = v
		}
		instances = append(instances, rec)
	}
	body, _ := json.Marshal(map[string]any{"instances": instances})
	payload := filepath.Join(artifacttest.TempDir(t), "records.json")
	if err := os.WriteFile(payload, body, 0o644); err != nil {
		t.Fatal(err)
	}
	var got struct{ Predictions []float64 }
	if err := json.Unmarshal([]byte(mustFerry(t, home, "endpoints", "invoke", "ep", "--json", payload)), &got); err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(expectedPredictions(t, 2))
	if len(got.Predictions) != 2 {
		t.Fatalf("predictions %v", got.Predictions)
	}
	for i, p := range got.Predictions {
		if s := strconv.FormatFloat(p, 'f', 8, 64); s[:8] != want[i][:8] {
			t.Errorf("record %d: %s, XGBoost says %s", i+1, s, want[i])
		}
	}
	// A bad raw value is named.
	instances[1][header[4]] = "lots"
	body, _ = json.Marshal(map[string]any{"instances": instances})
	if err := os.WriteFile(payload, body, 0o644); err != nil {
		t.Fatal(err)
	}
	res := ferry(t, t.Context(), home, "endpoints", "invoke", "ep", "--json", payload)
	if res.code == 0 || !strings.Contains(res.stderr, `400 record 2: field "`+header[4]+`": value "lots" is not a number`) {
		t.Errorf("bad raw value: exit %d, stderr %q", res.code, res.stderr)
	}
}

func TestWriteVersionShowsPipelineVersion(t *testing.T) {
	v := registry.Version{Group: "fraud", Version: 1, Lineage: registry.Lineage{
		PipelineName: "p", PipelineDigest: "0123456789abcdef0123", ExecutionID: "exec-1", Step: "register",
	}}
	var b strings.Builder
	if err := writeVersion(&b, v); err != nil {
		t.Fatal(err)
	}
	if want := "pipeline p (version 0123456789ab), execution exec-1, step register\n"; !strings.Contains(b.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, b.String())
	}
}
