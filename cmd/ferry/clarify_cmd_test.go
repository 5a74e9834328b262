package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/clarify"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/registry"
)

const (
	clarifyFixtures = "../../internal/clarify/testdata/clarify"
	fraudModelJSON  = "../../gbdt/testdata/xgboost/fraud_autoclaims/model.json"
)

func readAnyJSON(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// Every smclarify fixture through `ferry clarify` gives its
// expected_analysis.json (values within 1e-9).
func TestClarifyCommandFixtures(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob(filepath.Join(clarifyFixtures, "*", "analysis_config.json"))
	if err != nil || len(dirs) < 11 {
		t.Fatalf("found %d fixture cases (%v), want 11", len(dirs), err)
	}
	home := artifacttest.TempDir(t)
	for _, cfg := range dirs {
		dir := filepath.Dir(cfg)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			out := artifacttest.TempDir(t)
			r := ferry(t, t.Context(), home, "clarify", "--config", cfg, "--data", filepath.Join(dir, "data.csv"), "--output", out)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			want := readAnyJSON(t, filepath.Join(dir, "expected_analysis.json"))
			got := readAnyJSON(t, filepath.Join(out, "analysis.json"))
			if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("analysis.json (-want +got):\n%s", diff)
			}
		})
	}
}

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// headCSV writes the header and first n rows of the fraud fixture.
func headCSV(t *testing.T, n int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(clarifyFixtures, "fraud_autoclaims", "data.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfterN(string(b), "\n", n+2)
	return writeFile(t, filepath.Join(artifacttest.TempDir(t), "data.csv"), strings.Join(lines[:n+1], ""))
}

func TestClarifyCommandModels(t *testing.T) {
	t.Parallel()
	data := headCSV(t, 60)
	cfg := writeFile(t, filepath.Join(artifacttest.TempDir(t), "analysis_config.json"), `{"dataset_type":"text/csv","label":"fraud",
	  "label_values_or_threshold":[0],"facet":[{"name_or_index":"customer_gender_female","value_or_threshold":[1]}],
	  "excluded_columns":["predicted_fraud"],
	  "methods":{"post_training_bias":{"methods":["DPPL"]},"shap":{"baseline":[[`+strings.TrimSuffix(strings.Repeat("0,", 48), ",")+`]],"num_samples":30,"seed":1},
	  "pdp":{"top_k_features":2,"grid_resolution":4}},
	  "predictor":{"model_name":"fraud","probability":0}}`)

	mod, err := model.LoadFile(fraudModelJSON)
	if err != nil {
		t.Fatal(err)
	}
	// An endpoint serving the model as SageMaker's XGBoost container does:
	// header-less CSV in, one score per line out.
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if ct := r.Header.Get("Content-Type"); ct != "text/csv" {
			http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var x []float64
		rows := 0
		for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			for _, f := range strings.Split(line, ",") {
				v, _ := strconv.ParseFloat(f, 64)
				x = append(x, v)
			}
			rows++
		}
		out := make([]float64, rows)
		mod.Predict(out, x)
		for _, p := range out {
			io.WriteString(w, strconv.FormatFloat(p, 'g', -1, 64)+"\n")
		}
	}))
	defer srv.Close()

	tests := []struct {
		name, model string
		treeSHAP    bool
	}{
		{"xgboost model.json", fraudModelJSON, true},
		{"endpoint", srv.URL + "/invocations", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := artifacttest.TempDir(t)
			r := ferry(t, t.Context(), artifacttest.TempDir(t), "clarify", "--config", cfg, "--data", data, "--model", tc.model, "--output", out)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			a, err := clarify.ReadAnalysis(out)
			if err != nil {
				t.Fatal(err)
			}
			if a.PostTraining == nil || a.Explanations == nil || len(a.Explanations.KernelSHAP) != 1 || len(a.Explanations.PDP) != 2 {
				t.Fatalf("analysis lacks a section: %+v", a)
			}
			ev := a.Explanations.KernelSHAP[0].ExpectedValue
			// TreeSHAP reports margins (the bias term is negative for a rare
			// positive class); Kernel SHAP on the endpoint reports scores.
			if tc.treeSHAP != (ev < 0) {
				t.Errorf("expected value %v: want a margin for TreeSHAP, a probability otherwise", ev)
			}
			for _, f := range []string{"report.html", "explanations_shap/out.csv", "explanations_shap/baseline.csv"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Errorf("missing %s", f)
				}
			}
			if !strings.Contains(r.stdout, "report: ") {
				t.Errorf("stdout %q does not name the report", r.stdout)
			}
		})
	}
	if calls.Load() == 0 {
		t.Error("the endpoint was never called")
	}
}

func TestClarifyCommandErrors(t *testing.T) {
	t.Parallel()
	dir := artifacttest.TempDir(t)
	good := filepath.Join(clarifyFixtures, "edge_infinity")
	bad := writeFile(t, filepath.Join(dir, "bad.json"), `{"label":"y","methods":{"shap":{"agg_method":"max"}}}`)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing flags", []string{"clarify", "--config", bad}, 2, "missing --data, --output"},
		{"bad config value", []string{"clarify", "--config", bad, "--data", filepath.Join(good, "data.csv"), "--output", dir}, 1, `methods.shap.agg_method: "max" is not one of mean_abs, median, mean_sq`},
		{"missing data", []string{"clarify", "--config", filepath.Join(good, "analysis_config.json"), "--data", filepath.Join(dir, "nope.csv"), "--output", dir}, 1, "reading dataset"},
		{"unknown model", []string{"clarify", "--config", filepath.Join(good, "analysis_config.json"), "--data", filepath.Join(good, "data.csv"), "--model", "no such thing", "--output", dir}, 1, "--model no such thing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ferry(t, t.Context(), dir, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
}

// --model GROUP/VERSION resolves a registered version through the registry.
func TestClarifyCommandRegisteredModel(t *testing.T) {
	t.Parallel()
	home := artifacttest.TempDir(t)
	ctx := t.Context()
	modelDir := artifacttest.TempDir(t)
	mj, err := os.ReadFile(fraudModelJSON)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(modelDir, "model.json"), string(mj))
	writeFile(t, filepath.Join(modelDir, model.ManifestFile), `{"format_version":1,"flavor":"xgboost","model_file":"model.json","task":"binary_classification"}`)

	m := NewMain(strings.NewReader(""), io.Discard, io.Discard, func(k string) string {
		if k == "FERRY_HOME" {
			return home
		}
		return ""
	})
	store, err := m.Store()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := store.PutDir(ctx, modelDir)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := reg.Register(ctx, registry.RegisterRequest{Group: "fraud-models", Model: ref})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()

	cfg := writeFile(t, filepath.Join(artifacttest.TempDir(t), "analysis_config.json"), `{"label":"fraud","label_values_or_threshold":[0],
	  "facet":[{"name_or_index":"customer_gender_female","value_or_threshold":[1]}],"excluded_columns":["predicted_fraud"],
	  "methods":{"post_training_bias":{"methods":["DPPL","DI"]}}}`)
	out := artifacttest.TempDir(t)
	r := ferry(t, ctx, home, "clarify", "--config", cfg, "--data", headCSV(t, 200), "--model", v.Ref().String(), "--output", out)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	a, err := clarify.ReadAnalysis(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(a.PostTraining.Facets[0].Entries[0].Metrics); got != 2 {
		t.Errorf("%d metrics, want DI and DPPL", got)
	}
	r = ferry(t, ctx, home, "clarify", "--config", cfg, "--data", headCSV(t, 10), "--model", "fraud-models/9", "--output", out)
	if r.code == 0 || !strings.Contains(r.stderr, "fraud-models/9") {
		t.Errorf("unknown version: exit %d, stderr %q", r.code, r.stderr)
	}
}
