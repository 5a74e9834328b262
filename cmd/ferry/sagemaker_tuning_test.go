package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/run"
)

// writeLabelFirstCSV writes a headerless, label-first binary
// classification CSV (what SageMaker's built-in XGBoost reads).
func writeLabelFirstCSV(t *testing.T, path string, rows int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for range rows {
		x := [4]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		y := 0
		if x[0]+0.8*x[1]*x[2]+0.7*rng.NormFloat64() > 0.3 {
			y = 1
		}
		fmt.Fprintf(&b, "%d,%.4f,%.4f,%.4f,%.4f\n", y, x[0], x[1], x[2], x[3])
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSageMakerTuningDefinition runs the definition the SageMaker SDK
// built for a TuningStep over the built-in XGBoost followed by a model of
// its top training job (TuningStep.get_top_model_s3_uri): six trials,
// two at a time, recorded as trials; the model step reads the best trial's
// model.tar.gz from the URI built from TrainingJobSummaries[0]; a run
// without the step cache reuses every trial.
func TestSageMakerTuningDefinition(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tuning definition: skipped with -short")
	}
	t.Parallel()
	runTuningDefinition(t, "../../internal/sagemaker/definition/testdata/tuning.json")
}

// runTuningDefinition runs testdata/sdk/make_definitions.py's tuning
// definition (def) on a new home with synthetic data and checks it.
func runTuningDefinition(t *testing.T, def string) {
	t.Helper()
	ctx := t.Context()
	home, dir := artifacttest.TempDir(t), artifacttest.TempDir(t)
	train, valid := filepath.Join(dir, "train.csv"), filepath.Join(dir, "validation.csv")
	writeLabelFirstCSV(t, train, 600, 1)
	writeLabelFirstCSV(t, valid, 300, 2)
	for _, args := range [][]string{
		{"s3", "mb", "s3://ferry-sdk-test"},
		{"s3", "cp", train, "s3://ferry-sdk-test/train/train.csv"},
		{"s3", "cp", valid, "s3://ferry-sdk-test/validation/validation.csv"},
	} {
		if r := ferry(t, ctx, home, args...); r.code != 0 {
			t.Fatalf("ferry %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	res := ferry(t, ctx, home, "run", def)
	if res.code != 0 {
		t.Fatalf("ferry run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	m := inspect(t, home)
	ex, steps := latestExecution(t, ctx, m)
	tune, model := steps["Tune"], steps["BestModel-CreateModel"]
	if ex.Status != run.Succeeded || tune.Status != run.StepSucceeded || model.Status != run.StepSucceeded {
		t.Fatalf("execution %s, Tune %s, model %s", ex.Status, tune.Status, model.Status)
	}
	sums, _ := tune.Properties["TrainingJobSummaries"].([]any)
	if len(sums) != 6 {
		t.Fatalf("TrainingJobSummaries: %d, want 6", len(sums))
	}
	prev := 2.0
	for i, s := range sums {
		obj, _ := s.(map[string]any)["FinalHyperParameterTuningJobObjectiveMetric"].(map[string]any)
		v, _ := obj["Value"].(float64)
		if v > prev {
			t.Errorf("summary %d: %v after %v; want best first", i, v, prev)
		}
		prev = v
	}
	best, _ := tune.Properties["BestTrainingJob"].(map[string]any)
	top := sums[0].(map[string]any)["TrainingJobName"]
	if best["TrainingJobName"] != top {
		t.Errorf("BestTrainingJob %v, TrainingJobSummaries[0] %v", best["TrainingJobName"], top)
	}
	url := fmt.Sprintf("s3://ferry-sdk-test/tune/%s/output/model.tar.gz", top)
	if pc, _ := json.Marshal(model.Properties["PrimaryContainer"]); !strings.Contains(string(pc), url) {
		t.Errorf("the model step's container %s does not name the top model %s", pc, url)
	}
	if ls := ferry(t, ctx, home, "s3", "ls", "--recursive", "s3://ferry-sdk-test/tune/"); strings.Count(ls.stdout, "model.tar.gz") != 6 {
		t.Errorf("s3 ls: want the 6 trials' models:\n%s%s", ls.stdout, ls.stderr)
	}
	js := ferry(t, ctx, home, "trials", ex.ID, "Tune", "--json")
	var recs []run.Trial
	if err := json.Unmarshal([]byte(js.stdout), &recs); err != nil || len(recs) != 6 {
		t.Fatalf("ferry trials --json: %d records, %v\n%s%s", len(recs), err, js.stdout, js.stderr)
	}
	again := ferry(t, ctx, home, "run", def, "--no-cache")
	if again.code != 0 {
		t.Fatalf("second run exited %d\n%s", again.code, again.stderr)
	}
	ex2, steps2 := latestExecution(t, ctx, m)
	if steps2["Tune"].Outputs["model"] != tune.Outputs["model"] {
		t.Errorf("second run's best model %s, first %s", steps2["Tune"].Outputs["model"], tune.Outputs["model"])
	}
	if out := ferry(t, ctx, home, "trials", ex2.ID, "Tune"); strings.Count(out.stdout, "(reused)") != 6 {
		t.Errorf("second run: want 6 reused trials:\n%s", out.stdout)
	}
}
