package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
)

// inspect opens a home for reading what earlier commands did.
func inspect(t *testing.T, home string) *Main {
	t.Helper()
	m := NewMain(strings.NewReader(""), os.Stdout, os.Stderr, func(k string) string {
		if k == "FERRY_HOME" {
			return home
		}
		return ""
	})
	t.Cleanup(func() { m.Close() })
	return m
}

// latestExecution returns the newest execution of the home and its steps by name.
func latestExecution(t *testing.T, ctx context.Context, m *Main) (*run.Execution, map[string]*run.StepRun) {
	t.Helper()
	db, err := m.DB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	es := sqlite.NewExecutionStore(db)
	exs, err := es.Executions(ctx, 0)
	if err != nil || len(exs) == 0 {
		t.Fatalf("executions: %v, %d", err, len(exs))
	}
	ex := exs[0]
	for _, e := range exs {
		if e.StartedAt.After(ex.StartedAt) {
			ex = e
		}
	}
	steps, err := es.StepRuns(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	by := make(map[string]*run.StepRun)
	for _, s := range steps {
		by[s.Step] = s
	}
	return ex, by
}

func readArtifactJSON(t *testing.T, ctx context.Context, store artifact.Store, ref artifact.Ref, name string) map[string]any {
	t.Helper()
	dir, err := store.Path(ctx, ref)
	if err != nil {
		t.Fatalf("artifact %s: %v", ref, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

var predictionRow = regexp.MustCompile(`(?m)^\s+(\d)\s+([0-9.eE+-]+)\s+([01])\s*$`)

// TestQuickstart runs `ferry quickstart` twice in one home, as a new user
// would, and checks what the tutorial promises (issue: both reference
// workloads end to end).
func TestQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end quickstart: skipped with -short")
	}
	t.Parallel()
	ctx := t.Context()
	home := artifacttest.TempDir(t)

	// First run: checks skipped, new baselines registered.
	res := ferry(t, ctx, home, "quickstart")
	if res.code != 0 {
		t.Fatalf("quickstart exited %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	m := inspect(t, home)
	ex, steps := latestExecution(t, ctx, m)
	if ex.Status != run.Succeeded {
		t.Fatalf("execution %s: %s (%s)", ex.ID, ex.Status, ex.FailureReason)
	}
	wantStatus := map[string]run.StepStatus{
		"prepare": run.StepSucceeded, "train": run.StepSucceeded, "evaluate": run.StepSucceeded,
		"check-auc": run.StepSucceeded, "auc-too-low": run.StepSkipped, "create-model": run.StepSucceeded,
		"model-bias-check": run.StepSucceeded, "explainability-check": run.StepSucceeded,
		"register": run.StepSucceeded, "deploy": run.StepSucceeded,
	}
	for name, want := range wantStatus {
		if s := steps[name]; s == nil || s.Status != want {
			t.Errorf("step %s: got %v, want %s", name, s, want)
		}
	}
	store, err := m.Store()
	if err != nil {
		t.Fatal(err)
	}
	eval := readArtifactJSON(t, ctx, store, steps["evaluate"].Outputs["evaluation"], "evaluation.json")
	auc := eval["classification_metrics"].(map[string]any)["roc_auc"].(map[string]any)["value"].(float64)
	if auc < 0.7 {
		t.Errorf("roc_auc = %g, want >= 0.7", auc)
	}

	bias := readArtifactJSON(t, ctx, store, steps["model-bias-check"].Outputs["calculated_baseline_constraints"], "analysis.json")
	post, ok := bias["post_training_bias_metrics"].(map[string]any)
	if !ok || post["label"] != "fraud" || post["label_value_or_threshold"] != "0" {
		t.Errorf("bias analysis.json: post_training_bias_metrics = %v", bias["post_training_bias_metrics"])
	} else {
		facet := post["facets"].(map[string]any)["customer_gender_female"].([]any)[0].(map[string]any)
		metrics := facet["metrics"].([]any)
		if facet["value_or_threshold"] != "1" || len(metrics) != 1 || metrics[0].(map[string]any)["name"] != "DPPL" {
			t.Errorf("bias facet entry = %v", facet)
		}
	}
	expl := readArtifactJSON(t, ctx, store, steps["explainability-check"].Outputs["calculated_baseline_constraints"], "analysis.json")
	label0, ok := expl["explanations"].(map[string]any)["kernel_shap"].(map[string]any)["label0"].(map[string]any)
	if !ok || len(label0["global_shap_values"].(map[string]any)) != 48 {
		t.Errorf("explainability analysis.json: kernel_shap.label0 = %v", label0)
	}
	if _, ok := label0["expected_value"].(float64); !ok {
		t.Errorf("explainability analysis.json: no expected_value")
	}

	reg, err := m.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := reg.Version(ctx, registry.PackageRef{Group: quickstartGroup, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if v1.Status != registry.Approved {
		t.Errorf("version 1 status %s, want Approved", v1.Status)
	}
	for _, k := range []string{"bias_post_training", "explainability"} {
		if v1.Metrics[k] == "" {
			t.Errorf("version 1 has no %s metrics: %v", k, v1.Metrics)
		}
	}
	for _, k := range []string{"bias_post_training_constraints", "explainability_constraints"} {
		if v1.DriftBaselines[k] == "" {
			t.Errorf("version 1 has no %s baseline: %v", k, v1.DriftBaselines)
		}
	}
	checkEndpoint(t, ctx, reg, res.stdout, 1)

	// Second run: prepare, train and evaluate come from the cache; the
	// checks run against version 1's baselines and pass; version 2 is
	// registered and served.
	res = ferry(t, ctx, home, "quickstart")
	if res.code != 0 {
		t.Fatalf("second quickstart exited %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	for _, name := range []string{"prepare", "train", "evaluate"} {
		re := regexp.MustCompile(`(?m)^\S+\s+` + name + `\s+CacheHit\s+hit: \S.*$`)
		if !re.MatchString(res.stdout) {
			t.Errorf("second run: no cache hit with a reason for %s in:\n%s", name, res.stdout)
		}
	}
	m2 := inspect(t, home)
	ex2, steps2 := latestExecution(t, ctx, m2)
	if ex2.ID == ex.ID || ex2.Status != run.Succeeded {
		t.Fatalf("second execution %s: %s", ex2.ID, ex2.Status)
	}
	for check, key := range map[string]string{
		"model-bias-check":     "bias_post_training_constraints",
		"explainability-check": "explainability_constraints",
	} {
		s := steps2[check]
		if s.Status != run.StepSucceeded {
			t.Errorf("%s: %s (%s)", check, s.Status, s.FailureReason)
			continue
		}
		if skip, _ := s.Properties["skip_check"].(bool); skip {
			t.Errorf("%s: the second run skipped the check", check)
		}
		if got := s.Outputs["baseline_used_for_drift_check_constraints"]; got != v1.DriftBaselines[key] {
			t.Errorf("%s: drift baseline %s, want version 1's %s", check, got, v1.DriftBaselines[key])
		}
		if n, _ := s.Properties["violations"].(float64); n != 0 {
			t.Errorf("%s: %g violations, want 0", check, n)
		}
	}
	reg2, err := m2.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg2.Version(ctx, registry.PackageRef{Group: quickstartGroup, Version: 2}); err != nil {
		t.Errorf("version 2: %v", err)
	}
	checkEndpoint(t, ctx, reg2, res.stdout, 2)

	// The README's "What happened: looking around" walkthrough, command by
	// command, as written (rows.csv is the payload quickstart kept).
	rows := filepath.Join(home, quickstartRowsFile)
	if !strings.Contains(res.stdout, "--csv "+rows) || !strings.Contains(res.stdout, "@"+rows) {
		t.Errorf("the printed hints do not name %s:\n%s", rows, res.stdout)
	}
	for _, args := range [][]string{
		{"executions"},
		{"executions", "show", ex2.ID},
		{"steps", ex2.ID},
		{"logs", ex2.ID, "model-bias-check"},
		{"logs", ex2.ID, "train"}, // a cache hit: the first run's log
		{"models", "groups"},
		{"models", "list", quickstartGroup},
		{"models", "show", quickstartGroup + "/1"},
		{"models", "approve", quickstartGroup + "/2", "--reason", "reviewed"},
		{"models", "approve", quickstartGroup + "/2", "--reason", "reviewed"}, // again: still fine
		{"endpoints", "list"},
		{"endpoints", "invoke", quickstartEndpoint, "--csv", rows},
	} {
		r := ferry(t, ctx, home, args...)
		if r.code != 0 || strings.TrimSpace(r.stdout) == "" {
			t.Errorf("ferry %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		if args[0] == "logs" && args[2] == "train" && !strings.Contains(r.stderr, "log of execution "+ex.ID) {
			t.Errorf("logs of the cached train step does not point to %s: %s", ex.ID, r.stderr)
		}
	}

	// Raw named records go through the model's feature transform; a
	// misspelled field is a 400 naming it (not a prediction from missing
	// values), and the same cell reads alike as in batch transform.
	named := filepath.Join(t.TempDir(), "named.json")
	for _, tc := range []struct {
		body, want string
		code       int
	}{
		{`{"instances": [{"incident_severity": "Major", "customer_age": "NA", "num_injuries": 1}]}`, "", 0},
		{`{"instances": [{"incident_severty": "Major", "customer_age": 40}]}`, `400 record 1: unknown field "incident_severty" (did you mean "incident_severity"?)`, 1},
		{`{"instances": [{"customer_age": "forty"}]}`, `400 record 1: field "customer_age": value "forty" is not a number`, 1},
	} {
		if err := os.WriteFile(named, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		r := ferry(t, ctx, home, "endpoints", "invoke", quickstartEndpoint, "--json", named)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("invoke --json %s: exit %d, stderr %q; want %d and %q", tc.body, r.code, r.stderr, tc.code, tc.want)
		}
	}
}

// checkEndpoint checks that the endpoint is InService on the wanted
// version and that the printed table has 5 probabilities with labels.
func checkEndpoint(t *testing.T, ctx context.Context, reg *registry.Registry, stdout string, version int) {
	t.Helper()
	ep, err := reg.Endpoint(ctx, quickstartEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if ep.Status != registry.EndpointInService {
		t.Errorf("endpoint status %s, want InService", ep.Status)
	}
	if len(ep.Config.Variants) != 1 || ep.Config.Variants[0].Version != version {
		t.Errorf("endpoint variants %+v, want one serving version %d", ep.Config.Variants, version)
	}
	rows := predictionRow.FindAllStringSubmatch(stdout, -1)
	if len(rows) != quickstartRows {
		t.Fatalf("prediction table has %d rows, want %d:\n%s", len(rows), quickstartRows, stdout)
	}
	for _, r := range rows {
		p, err := strconv.ParseFloat(r[2], 64)
		if err != nil || p < 0 || p > 1 {
			t.Errorf("prediction %q is not a probability", r[2])
		}
	}
}
