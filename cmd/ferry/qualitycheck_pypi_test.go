//go:build pypi

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/pythontest"
	"github.com/ferryml/ferry/internal/registry"
)

// qualityData is a data set for the QualityCheck pipeline: amount shifted
// by shift, and with newKind half the kinds a value never seen; fraud is
// the label and score the model's prediction.
func qualityData(shift float64, newKind bool) string {
	var b strings.Builder
	b.WriteString("fraud,amount,kind,score\n")
	for i := range 400 {
		kind := []string{"a", "b", "c"}[i%3]
		if newKind && i%2 == 0 {
			kind = "z"
		}
		label := i % 5 / 4
		fmt.Fprintf(&b, "%d,%g,%s,%g\n", label, float64(i%100)+shift, kind, 0.1+0.8*float64(label))
	}
	return b.String()
}

// TestPyPIQualityCheckSteps runs on Ferry a definition that the SageMaker
// SDK builds with two QualityCheckSteps (data quality and model quality)
// whose baselines go to a RegisterModel step's model metrics and drift
// check baselines. The first run skips the checks and registers the new
// baselines with the version; once that version is approved, a run on
// drifted data with the data-quality check on fails with the violations.
func TestPyPIQualityCheckSteps(t *testing.T) {
	t.Parallel()
	py := pythontest.Venv(t, "sagemaker")
	ctx := t.Context()
	home, work := artifacttest.TempDir(t), artifacttest.TempDir(t)
	const bucket = "quality-demo"
	def := filepath.Join(work, "quality_check.json")
	sdk := exec.CommandContext(ctx, py, filepath.Join("..", "..", "internal", "sagemaker", "definition", "testdata", "sdk", "make_quality_check.py"),
		work, "--bucket", bucket)
	sdk.Env = append(os.Environ(), "SAGEMAKER_SUPPRESS_V2_WARNING=1")
	if out, err := sdk.CombinedOutput(); err != nil {
		t.Fatalf("make_quality_check.py: %v\n%s", err, out)
	}
	must := func(args ...string) string {
		t.Helper()
		res := ferry(t, ctx, home, args...)
		if res.code != 0 {
			t.Fatalf("ferry %s: exit %d\n%s%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
		}
		return res.stdout
	}
	put := func(name, text string) {
		t.Helper()
		must("s3", "cp", writeFile(t, filepath.Join(work, name), text), "s3://"+bucket+"/quality/data/"+name)
	}
	must("s3", "mb", "s3://"+bucket)
	put("train.csv", qualityData(0, false))
	put("predictions.csv", qualityData(0, false))
	must("s3", "cp", filepath.Join("..", "..", "internal", "sagemaker", "transformjob", "testdata", "model.tar.gz"),
		"s3://"+bucket+"/quality/data/model.tar.gz")

	// First run: the defaults skip both checks and register the new baselines.
	must("run", def)
	m := inspect(t, home)
	reg, err := m.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const group = "fraud-quality-model-group"
	v, err := reg.Version(ctx, registry.PackageRef{Group: group, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{monitor.KeyModelDataStatistics, monitor.KeyModelDataConstraints, registry.KeyModelStatistics, registry.KeyModelConstraints} {
		if v.DriftBaselines[key] == "" || v.Metrics[key] == "" {
			t.Errorf("version 1 has no %s drift-check baseline or metric: %v %v", key, v.DriftBaselines, v.Metrics)
		}
	}
	store, err := m.Store()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := store.Path(ctx, v.DriftBaselines[monitor.KeyModelDataStatistics])
	if err != nil {
		t.Fatal(err)
	}
	if st, err := monitor.ReadStatistics(filepath.Join(dir, monitor.StatisticsFile)); err != nil || st.Dataset.ItemCount != 400 {
		t.Errorf("registered data-quality statistics: %+v, %v", st, err)
	}
	must("models", "approve", group+"/1", "--reason", "first baseline")

	// Second run on the same data with the checks on: no violations, and
	// the approved version's baselines are the ones used.
	must("run", def, "-p", "SkipDataQualityCheck=false", "-p", "RegisterNewDataQualityBaseline=false",
		"-p", "SkipModelQualityCheck=false", "-p", "RegisterNewModelQualityBaseline=false")
	v2, err := reg.Version(ctx, registry.PackageRef{Group: group, Version: 2})
	if err != nil {
		t.Fatal(err)
	}
	if v2.DriftBaselines[monitor.KeyModelDataConstraints] != v.DriftBaselines[monitor.KeyModelDataConstraints] {
		t.Errorf("version 2's drift-check constraints %s, want version 1's %s (register_new_baseline is off)",
			v2.DriftBaselines[monitor.KeyModelDataConstraints], v.DriftBaselines[monitor.KeyModelDataConstraints])
	}

	// Third run on drifted data: the data-quality check fails the run.
	put("train.csv", qualityData(60, true))
	res := ferry(t, ctx, home, "run", def, "-p", "SkipDataQualityCheck=false", "-p", "RegisterNewDataQualityBaseline=false")
	out := res.stdout + res.stderr
	if res.code == 0 || !strings.Contains(out, "amount baseline_drift_check") || !strings.Contains(out, "kind categorical_values_check") {
		t.Errorf("run on drifted data: exit %d, want a failure naming the violations\n%s", res.code, out)
	}
}
