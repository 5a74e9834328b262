package register_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/register"
	"github.com/ferryml/ferry/internal/step/steptest"
	"github.com/google/go-cmp/cmp"
)

func TestRegisterRecordsLineageAndAutoDeploy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	b := steptest.New(t)
	ref := b.PutFiles(t, map[string]string{model.ManifestFile: `{"flavor":"xgboost"}`})
	reg := b.Registry(t)
	k := register.New(reg)
	req := step.Request{ExecutionID: "exec-9", PipelineName: "FraudDetectXGBPipeline", PipelineDigest: "3f2a9c", StepName: "register", Attempt: 1,
		Args: map[string]any{
			"model": ref, "model_package_group_name": "fraud", "approval_status": "Approved",
			"model_metrics":         map[string]any{"evaluation": ref},
			"drift_check_baselines": map[string]any{"explainability_constraints": ref, "bias_post_training_constraints": nil},
			"auto_deploy_endpoint":  "fraud-ep",
		}}
	res, err := b.Run(t, k, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Properties["model_package_arn"] != "fraud/1" {
		t.Fatalf("properties %v", res.Properties)
	}
	v, err := reg.Version(ctx, registry.PackageRef{Group: "fraud", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantLineage := registry.Lineage{PipelineName: "FraudDetectXGBPipeline", PipelineDigest: "3f2a9c", ExecutionID: "exec-9", Step: "register",
		Inputs: map[string]artifact.Ref{"model": ref, "model_metrics.evaluation": ref, "drift_check_baselines.explainability_constraints": ref}}
	if diff := cmp.Diff(wantLineage, v.Lineage); diff != "" {
		t.Errorf("lineage (-want +got):\n%s", diff)
	}
	if _, ok := v.DriftBaselines["bias_post_training_constraints"]; ok {
		t.Error("an empty baseline reference was recorded")
	}
	if v.History[0].By != "pipeline FraudDetectXGBPipeline" {
		t.Errorf("registered by %q", v.History[0].By)
	}
	ep, err := reg.Endpoint(ctx, "fraud-ep")
	if err != nil || ep.Config.Variants[0].Version != 1 {
		t.Errorf("auto-deploy: %+v %v, want fraud/1 deployed", ep, err)
	}
	// A second execution adds version 2 and moves the endpoint to it.
	req.ExecutionID = "exec-10"
	if res, err := b.Run(t, k, req); err != nil || res.Properties["model_package_version"] != int64(2) {
		t.Fatalf("second execution: %v %v", res.Properties, err)
	}
	if ep, _ := reg.Endpoint(ctx, "fraud-ep"); ep.Config.Variants[0].Version != 2 {
		t.Errorf("endpoint serves version %d, want 2", ep.Config.Variants[0].Version)
	}
}

// A run that recorded the version as Approved but failed to auto-deploy
// it deploys it when resumed, instead of returning success.
func TestResumeDeploysApprovedVersionWhoseAutoDeployFailed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	b := steptest.New(t)
	ref := b.PutFiles(t, map[string]string{model.ManifestFile: `{"flavor":"xgboost"}`})
	reg := b.Registry(t)
	reg.CheckModel = func(context.Context, artifact.Ref) error { return errors.New("model server unavailable") }
	k := register.New(reg)
	req := step.Request{ExecutionID: "exec-1", PipelineName: "p", StepName: "register", Attempt: 1,
		Args: map[string]any{"model": ref, "model_package_group_name": "fraud", "approval_status": "Approved", "auto_deploy_endpoint": "fraud-ep"}}
	if _, err := b.Run(t, k, req); err == nil {
		t.Fatal("first run: want the auto-deploy error")
	}
	reg.CheckModel = nil
	req.Attempt = 2
	res, err := b.Run(t, k, req)
	if err != nil || res.Properties["model_package_arn"] != "fraud/1" {
		t.Fatalf("resume: %v %v, want fraud/1", res.Properties, err)
	}
	ep, err := reg.Endpoint(ctx, "fraud-ep")
	if err != nil || ep.Status == registry.EndpointFailed || len(ep.Config.Variants) != 1 || ep.Config.Variants[0].Version != 1 {
		t.Errorf("endpoint after resume: %+v, %v; want fraud/1 deployed", ep, err)
	}
	if vs, _ := reg.Versions(ctx, "fraud"); len(vs) != 1 {
		t.Errorf("%d versions, want 1 (no second registration)", len(vs))
	}
}
