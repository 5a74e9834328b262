package definition

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/fail"
)

// fakeJob stands for a SageMaker kind: it records the arguments it was
// given and returns outputs and Describe*-shaped properties as the
// contract says.
type fakeJob struct {
	spec step.Spec
	run  func(ctx context.Context, env step.Env, req step.Request) (step.Result, error)
	got  *sync.Map
}

func (k fakeJob) Spec() step.Spec { return k.spec }

func (k fakeJob) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	k.got.Store(req.StepName, req.Args)
	return k.run(ctx, env, req)
}

// CacheArgs implements step.CacheArgser as the job kinds do.
func (k fakeJob) CacheArgs(args map[string]any) map[string]any { return CacheArgs(k.spec.Kind, args) }

func (k fakeJob) OutputNames(args map[string]any) ([]string, bool) {
	if k.spec.Kind != KindProcessing {
		return nil, false
	}
	return ProcessingOutputNames(args)
}

// putDir stores a directory holding the given files.
func putDir(ctx context.Context, env step.Env, name string, files map[string]string) (artifact.Ref, error) {
	dir := filepath.Join(env.WorkDir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for f, body := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
			return "", err
		}
	}
	return env.Store.PutDir(ctx, dir)
}

func fakeJobs(got *sync.Map) []step.Kind {
	spec := func(id string) step.Spec {
		s, _ := KindSpec(id)
		s.Version = "1"
		return s
	}
	job := func(id string, run func(ctx context.Context, env step.Env, req step.Request) (step.Result, error)) step.Kind {
		return fakeJob{spec: spec(id), run: run, got: got}
	}
	return []step.Kind{
		job(KindProcessing, func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			res := step.Result{Outputs: map[string]artifact.Ref{}}
			var outs []any
			cfg := req.Args["ProcessingOutputConfig"].(map[string]any)
			for _, o := range cfg["Outputs"].([]any) {
				name := o.(map[string]any)["OutputName"].(string)
				files := map[string]string{name + ".csv": req.StepName}
				if name == "evaluation" {
					files["evaluation.json"] = `{"regression_metrics": {"mse": {"value": 4.0}}}`
				}
				ref, err := putDir(ctx, env, name, files)
				if err != nil {
					return res, err
				}
				res.Outputs[name] = ref
				outs = append(outs, map[string]any{"OutputName": name, "S3Output": map[string]any{"S3Uri": "s3://published/" + name}})
			}
			res.Properties = map[string]any{"ProcessingJobStatus": "Completed", "ProcessingOutputConfig": map[string]any{"Outputs": outs}}
			return res, nil
		}),
		job(KindTraining, func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			model, err := putDir(ctx, env, "model", map[string]string{"model.tar.gz": "m"})
			if err != nil {
				return step.Result{}, err
			}
			out, err := putDir(ctx, env, "output", map[string]string{"output.tar.gz": "o"})
			if err != nil {
				return step.Result{}, err
			}
			return step.Result{Outputs: map[string]artifact.Ref{OutModel: model, OutOutput: out}, Properties: map[string]any{
				"ModelArtifacts":      map[string]any{"S3ModelArtifacts": "s3://published/model.tar.gz"},
				"FinalMetricDataList": []any{map[string]any{"MetricName": "validation:rmse", "Value": 2.5}},
			}}, nil
		}),
		job(KindModel, func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			model, err := putDir(ctx, env, "model", map[string]string{"xgboost-model": "m"})
			return step.Result{Outputs: map[string]artifact.Ref{OutModel: model}, Properties: map[string]any{"ModelName": "model-1"}}, err
		}),
		job(KindTransform, func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			out, err := putDir(ctx, env, "output", map[string]string{"test.csv.out": "0.5"})
			return step.Result{Outputs: map[string]artifact.Ref{OutOutput: out}, Properties: map[string]any{
				"TransformOutput": map[string]any{"S3OutputPath": "s3://published/transform"}}}, err
		}),
		job(KindRegisterModel, func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			return step.Result{Properties: map[string]any{"ModelPackageArn": "arn:aws:sagemaker:local:000000000000:model-package/abalone-group/1"}}, nil
		}),
		job(KindLambda, func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			return step.Result{Properties: map[string]any{"OutputParameters": map[string]any{"status": "deployed", "count": int64(3)}}}, nil
		}),
		job(KindCallback, func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			return step.Result{Properties: map[string]any{"OutputParameters": map[string]any{"approved": true}}}, nil
		}),
		job(KindJSONGet, func(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
			return step.Result{Properties: map[string]any{PropValue: true}}, nil
		}),
		fail.Kind{},
	}
}

// TestEngineRunsSDKDefinition runs the SDK-built definition with every
// step type on the engine, with fake kinds that keep the contract: data
// flows as artifacts, property paths (['name'] into lists, property files,
// Lambda outputs) resolve, conditions pick branches.
func TestEngineRunsSDKDefinition(t *testing.T) {
	t.Parallel()
	home := artifacttest.TempDir(t)
	t.Cleanup(func() { artifact.RemoveTree(home) })
	db, err := sqlite.Open(t.Context(), filepath.Join(home, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	arts, err := artifact.OpenDir(filepath.Join(home, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	var got sync.Map
	reg := step.NewRegistry()
	for _, k := range fakeJobs(&got) {
		if err := reg.Register(k); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile("testdata/every_step.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load("testdata/every_step.json", src, reg)
	if err != nil {
		t.Fatal(err)
	}
	eng := &engine.Engine{Kinds: reg, Store: sqlite.NewExecutionStore(db), Artifacts: arts, Home: home, PollInterval: 10 * time.Millisecond}
	ex, err := eng.Run(t.Context(), p, engine.RunOptions{Source: src, Params: map[string]string{"NumRound": "20"}})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != run.Succeeded {
		t.Fatalf("execution %s: %s", ex.Status, ex.FailureReason)
	}
	runs, err := sqlite.NewExecutionStore(db).StepRuns(t.Context(), ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]run.StepStatus{}
	outputs := map[string]map[string]artifact.Ref{}
	for _, r := range runs {
		status[r.Step] = r.Status
		outputs[r.Step] = r.Outputs
	}
	wantStatus := map[string]run.StepStatus{
		"Prep": run.StepSucceeded, "TrainBuiltin": run.StepSucceeded, "CreateModel-CreateModel": run.StepSucceeded, "BatchScore": run.StepSucceeded,
		"Evaluate": run.StepSucceeded, "CheckMse": run.StepSucceeded, "CheckRegister": run.StepSucceeded, "Register-RegisterModel": run.StepSucceeded,
		"Notify": run.StepSucceeded, "Approve": run.StepSucceeded, "TooHigh": run.StepSkipped, "CheckSummary": run.StepSucceeded,
		"CheckSummary-JsonGet-1": run.StepSucceeded,
	}
	if diff := cmp.Diff(wantStatus, status); diff != "" {
		t.Errorf("step statuses (-want +got):\n%s", diff)
	}
	args := func(stepName string) map[string]any {
		v, ok := got.Load(stepName)
		if !ok {
			t.Fatalf("step %s did not run", stepName)
		}
		return v.(map[string]any)
	}
	dig := func(v any, path ...any) any {
		for _, p := range path {
			switch k := p.(type) {
			case string:
				v = v.(map[string]any)[k]
			case int:
				v = v.([]any)[k]
			}
		}
		return v
	}
	check := func(what string, got, want any) {
		t.Helper()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}
	prep := args("Prep")
	check("Prep environment", dig(prep, "Environment", "MODE"), "full")
	check("Prep arguments", dig(prep, "AppSpecification", "ContainerArguments"), []any{"--mode", "full", "--rounds", "20"})
	check("Prep test destination", dig(prep, "ProcessingOutputConfig", "Outputs", 1, "S3Output", "S3Uri"), "s3://ferry-sdk-test/"+ex.ID+"/test")
	check("training channel", dig(args("TrainBuiltin"), "InputDataConfig", 0, "DataSource", "S3DataSource", "S3Uri"), string(outputs["Prep"]["train"]))
	check("hyperparameter from a parameter", dig(args("TrainBuiltin"), "HyperParameters", "num_round"), "20")
	check("model data", dig(args("CreateModel-CreateModel"), "PrimaryContainer", "ModelDataUrl"), string(outputs["TrainBuiltin"][OutModel]))
	check("transform model", args("BatchScore")[ArgFerryModel], any(outputs["CreateModel-CreateModel"][OutModel]))
	check("transform model name", args("BatchScore")["ModelName"], "model-1")
	check("evaluation input", dig(args("Evaluate"), "ProcessingInputs", 1, "S3Input", "S3Uri"), string(outputs["BatchScore"][OutOutput]))
	check("approval status", args("Register-RegisterModel")["ModelApprovalStatus"], "PendingManualApproval")
	notify := args("Notify")[ArgArguments].(map[string]any)
	check("lambda package", notify["package"], "arn:aws:sagemaker:local:000000000000:model-package/abalone-group/1")
	check("lambda execution ARN", notify["execution"], "arn:aws:sagemaker:local:000000000000:pipeline/every_step/execution/"+ex.ID)
	if s, _ := notify["now"].(string); !strings.HasPrefix(s, "20") {
		t.Errorf("CurrentDateTime = %v", notify["now"])
	}
	check("callback input from a lambda output", dig(args("Approve"), ArgArguments, "status"), "deployed")
	check("json_get URI", args("CheckSummary-JsonGet-1")[ArgS3URI], "s3://ferry-sdk-test/"+ex.ID+"/summary.json")

	// Again: Prep publishes under a new execution ID, but its cache key
	// leaves output locations out, so the steps with CacheConfig hit.
	ex2, err := eng.Run(t.Context(), p, engine.RunOptions{Source: src, Params: map[string]string{"NumRound": "20"}})
	if err != nil {
		t.Fatal(err)
	}
	runs2, err := sqlite.NewExecutionStore(db).StepRuns(t.Context(), ex2.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs2 {
		want := map[string]run.StepStatus{"Prep": run.StepCacheHit, "TrainBuiltin": run.StepCacheHit, "Evaluate": run.StepSucceeded}[r.Step]
		if want != "" && r.Status != want {
			t.Errorf("second run: %s is %s, want %s (%s)", r.Step, r.Status, want, r.CacheNote)
		}
	}
}
