package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/run"
)

// TestExamplesValidate checks every example pipeline with `ferry validate`,
// as CI lints its own examples.
func TestExamplesValidate(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/*/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("example pipelines: %v, %v", files, err)
	}
	for _, f := range files {
		res := ferry(t, t.Context(), artifacttest.TempDir(t), "validate", f)
		if res.code != 0 {
			t.Errorf("ferry validate %s: exit %d\n%s%s", f, res.code, res.stdout, res.stderr)
		}
	}
}

// TestAbaloneClarify runs the Step Functions sample as a pipeline and
// checks that its SHAP ranking matches the sample's own run: Shell_weight
// or Shucked_weight first (seed-tutorial.md §2.5).
func TestAbaloneClarify(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end abalone pipeline: skipped with -short")
	}
	t.Parallel()
	ctx := t.Context()
	home := artifacttest.TempDir(t)
	res := ferry(t, ctx, home, "run", "../../examples/abalone-clarify/pipeline.yaml")
	if res.code != 0 {
		t.Fatalf("ferry run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	m := inspect(t, home)
	ex, steps := latestExecution(t, ctx, m)
	if ex.Status != run.Succeeded {
		t.Fatalf("execution %s", ex.Status)
	}
	store, err := m.Store()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := store.Path(ctx, steps["clarify"].Outputs["analysis"])
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"analysis.json", "report.html", "explanations_shap/out.csv", "explanations_shap/baseline.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("clarify output: %v", err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "analysis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Explanations struct {
			KernelSHAP map[string]struct {
				Global   map[string]float64 `json:"global_shap_values"`
				Expected float64            `json:"expected_value"`
			} `json:"kernel_shap"`
		} `json:"explanations"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	label0, ok := a.Explanations.KernelSHAP["label0"]
	if !ok || len(label0.Global) != 10 {
		t.Fatalf("kernel_shap.label0 = %+v, want 10 features", label0)
	}
	names := make([]string, 0, len(label0.Global))
	for n := range label0.Global {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return label0.Global[names[i]] > label0.Global[names[j]] })
	if names[0] != "Shell_weight" && names[0] != "Shucked_weight" {
		t.Errorf("top SHAP feature %s (ranking %v), want Shell_weight or Shucked_weight", names[0], names)
	}
	// The sample's run: expected value 10.37 rings (the mean prediction).
	if label0.Expected < 9 || label0.Expected > 11.5 {
		t.Errorf("expected_value %g, want about 10.4", label0.Expected)
	}
	if ep := steps["endpoint"]; ep == nil || ep.Status != run.StepSucceeded {
		t.Errorf("endpoint step: %+v", ep)
	}
}

// TestBatchTransform runs the batch-transform example: the transform kind
// scores the 500-row test split and joins each prediction to its row.
func TestBatchTransform(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline: skipped with -short")
	}
	t.Parallel()
	ctx := t.Context()
	home := artifacttest.TempDir(t)
	res := ferry(t, ctx, home, "run", "../../examples/fraud-detection/batch-transform.yaml")
	if res.code != 0 {
		t.Fatalf("ferry run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	m := inspect(t, home)
	_, steps := latestExecution(t, ctx, m)
	s := steps["score-test"]
	if s == nil || s.Status != run.StepSucceeded {
		t.Fatalf("score-test: %+v", s)
	}
	if rows, _ := s.Properties["rows"].(float64); rows != 500 {
		t.Errorf("rows = %v, want 500", s.Properties["rows"])
	}
	store, err := m.Store()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := store.Path(ctx, s.Outputs["predictions"])
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "predictions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 501 || !strings.HasPrefix(lines[0], "fraud,") || !strings.HasSuffix(lines[0], ",prediction") {
		t.Fatalf("predictions.csv: %d lines, header %.60s…", len(lines), lines[0])
	}
	for i, line := range lines[1:] {
		f := strings.Split(line, ",")
		p, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil || p < 0 || p > 1 || len(f) != 50 {
			t.Fatalf("row %d: %d fields, prediction %q", i+1, len(f), f[len(f)-1])
		}
	}
}
