package registrykind_test

import (
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/sagemaker/registrykind"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
)

const image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1"

func TestModelAndRegister(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	reg := b.Registry(t)
	rt, _ := imagemap.New(nil)
	r := &job.Runner{Runtimes: rt}
	modelRef := b.PutFiles(t, map[string]string{"model.tar.gz": "not really gzip, never unpacked here"})
	bias := b.PutFiles(t, map[string]string{"analysis.json": `{"version": "1.0"}`})

	mk := &registrykind.Model{R: r, Reg: reg}
	res, err := b.Run(t, mk, step.Request{ExecutionID: "exec-123456789abcdef", StepName: "FraudDetModel", Args: map[string]any{
		"ExecutionRoleArn": "arn:aws:iam::1:role/r",
		"PrimaryContainer": map[string]any{"Image": image, "ModelDataUrl": string(modelRef), "Environment": map[string]any{}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Properties["ModelName"] != "pipelines-exec-1234567-FraudDetModel" {
		t.Errorf("ModelName = %v", res.Properties["ModelName"])
	}
	m, err := reg.Model(t.Context(), "pipelines-exec-1234567-FraudDetModel")
	if err != nil {
		t.Fatal(err)
	}
	man, ok, err := registrykind.ReadManifest(b.Path(t, m.Artifact))
	if err != nil || !ok || man.Image != image {
		t.Errorf("manifest %+v %v %v", man, ok, err)
	}

	rk := &registrykind.Register{R: r, Reg: reg}
	args := map[string]any{
		"ModelPackageGroupName": "fraud-detect-xgb-model-group",
		"ModelApprovalStatus":   "Approved",
		"InferenceSpecification": map[string]any{
			"Containers":            []any{map[string]any{"Image": image, "ModelDataUrl": string(modelRef)}},
			"SupportedContentTypes": []any{"text/csv"}, "SupportedResponseMIMETypes": []any{"text/csv"},
		},
		"ModelMetrics": map[string]any{
			"Bias":           map[string]any{"PostTrainingReport": map[string]any{"ContentType": "application/json", "S3Uri": string(bias)}},
			"Explainability": map[string]any{"Report": map[string]any{"ContentType": "application/json", "S3Uri": ""}},
		},
		"DriftCheckBaselines": map[string]any{
			"Bias": map[string]any{"PostTrainingConstraints": map[string]any{"ContentType": "application/json", "S3Uri": string(bias)}},
		},
	}
	if errs := rk.ValidateArgs(args); len(errs) > 0 {
		t.Fatal(errs)
	}
	req := step.Request{ExecutionID: "exec-1", StepName: "XGBRegisterModel-RegisterModel", Args: args}
	res, err = b.Run(t, rk, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Properties["ModelPackageArn"] != "arn:aws:sagemaker:local:000000000000:model-package/fraud-detect-xgb-model-group/1" || res.Properties["ModelApprovalStatus"] != "Approved" {
		t.Errorf("properties %v", res.Properties)
	}
	vs, err := reg.Store().Versions(t.Context(), "fraud-detect-xgb-model-group")
	if err != nil || len(vs) != 1 {
		t.Fatalf("versions %v %v", vs, err)
	}
	if vs[0].Metrics["bias_post_training"] != bias || vs[0].DriftBaselines["bias_post_training_constraints"] != bias || len(vs[0].Metrics) != 1 {
		t.Errorf("metrics %v drift %v", vs[0].Metrics, vs[0].DriftBaselines)
	}
	// A retry of the same step registers nothing new.
	if _, err := b.Run(t, rk, req); err != nil {
		t.Fatal(err)
	}
	if vs, _ := reg.Store().Versions(t.Context(), "fraud-detect-xgb-model-group"); len(vs) != 1 {
		t.Errorf("a retry registered again: %d versions", len(vs))
	}

	bad := map[string]any{"ModelApprovalStatus": "Yes", "InferenceSpecification": map[string]any{"Containers": []any{}}}
	if errs := rk.ValidateArgs(bad); len(errs) != 2 || !strings.Contains(errs[0].Error()+errs[1].Error(), "ModelApprovalStatus") {
		t.Errorf("ValidateArgs: %v", errs)
	}
}
