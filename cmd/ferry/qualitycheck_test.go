package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
)

// qualityPipeline prepares the fraud data, trains, computes a data-quality
// baseline of the training split with quality_check and registers it
// with the model version, then deploys it with data capture.
const qualityPipeline = `
version: 1
name: dq-baseline
steps:
  - name: prepare
    kind: processing
    processor: tabular_prepare
    inputs: {claims: data/claims.csv, customers: data/customers.csv}
    config:
      join: [{left: claims, right: customers, on: [policy_id], how: left}]
      normalize_column_names: true
      drop: [customer_zip]
      one_hot: {columns: auto, fill_missing: na, unseen: ignore}
      lowercase_columns: true
      drop_after: [policy_id]
      label: fraud
      split: {test: 0.1, validation: 0.1, seed: 42, stratify: false}
      format: csv
      header: true
    outputs: [train, validation, test, full, schema]
  - name: train
    kind: training
    algorithm: xgboost
    inputs:
      train: ${{ steps.prepare.outputs.train }}
      validation: ${{ steps.prepare.outputs.validation }}
      schema: ${{ steps.prepare.outputs.schema }}
    hyperparameters:
      objective: binary:logistic
      num_round: 5
      max_depth: 3
      eta: 0.5
      seed: 1
  - name: data-quality
    kind: quality_check
    check_type: data_quality
    data: ${{ steps.prepare.outputs.train }}
    config: {exclude: [fraud]}
    skip_check: true
    register_new_baseline: true
    model_package_group_name: dq-group
  - name: register
    kind: register_model
    model: ${{ steps.train.outputs.model }}
    model_package_group_name: dq-group
    approval_status: Approved
    drift_check_baselines:
      model_data_statistics: ${{ steps.data-quality.outputs.baseline_used_for_drift_check_statistics }}
      model_data_constraints: ${{ steps.data-quality.outputs.baseline_used_for_drift_check_constraints }}
  - name: deploy
    kind: deploy
    endpoint_name: dq-ep
    model_package: ${{ steps.register.properties.model_package_arn }}
    data_capture: {enabled: true, sampling_percentage: 100}
`

// TestQualityCheckBaselineMonitorsEndpoint registers a data-quality
// baseline through a pipeline and monitors the endpoint with it: the
// monitor takes the served version's baseline when given none, and the
// test split's rows sent as CSV break no constraint; the second run of
// the pipeline checks against the registered baseline.
func TestQualityCheckBaselineMonitorsEndpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("pipeline end to end: skipped with -short")
	}
	t.Parallel()
	ctx := t.Context()
	home, dir := artifacttest.TempDir(t), t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"claims.csv", "customers.csv"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "fraud-detection", "data", f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "data", f), string(b))
	}
	pipeline := writePipeline(t, dir, qualityPipeline)
	mustFerry(t, home, "run", pipeline)
	mustFerry(t, home, "monitors", "create", "dq", "--endpoint", "dq-ep", "--type", "data_quality")
	show := mustFerry(t, home, "monitors", "show", "dq")
	if !strings.Contains(show, "Baseline:  constraints") || !strings.Contains(show, "Baseline:  statistics") {
		t.Errorf("monitor without baseline flags did not take the registered one:\n%s", show)
	}

	// 60 test rows as the tutorial sends them: CSV, features only.
	m := inspect(t, home)
	_, steps := latestExecution(t, ctx, m)
	store, err := m.Store()
	if err != nil {
		t.Fatal(err)
	}
	testDir, err := store.Path(ctx, steps["prepare"].Outputs["test"])
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(testDir, "test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:61] {
		_, features, _ := strings.Cut(line, ",") // drop the label
		rows = append(rows, features)
	}
	for i := 0; i < len(rows); i += 10 {
		mustFerry(t, home, "endpoints", "invoke", "dq-ep", "--csv", writeFile(t, filepath.Join(dir, "rows.csv"), strings.Join(rows[i:i+10], "\n")+"\n"))
	}
	out := mustFerry(t, home, "monitors", "run", "dq", "--from", "-1h", "--to", "now")
	if !strings.Contains(out, ": Completed, 60 records, 0 violations") {
		t.Errorf("monitors run on the test split:\n%s", out)
	}

	// The second run checks the new training split against the
	// registered baseline (the same data: no violation).
	second := strings.Replace(qualityPipeline, "    skip_check: true\n    register_new_baseline: true\n", "", 1)
	mustFerry(t, home, "run", writePipeline(t, dir, second))
}
