package awsapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/awsapi"
	"github.com/ferryml/ferry/internal/registry"
)

// fakeObjects stores each "model" and imported object as a small file
// naming its URI; URIs under s3://missing/ do not exist.
type fakeObjects struct{ arts artifact.Store }

func (f fakeObjects) put(ctx context.Context, what string) (artifact.Ref, error) {
	if strings.HasPrefix(what, "s3://missing/") || strings.Contains(what, " s3://missing/") {
		return "", fmt.Errorf("%s: no such object", what)
	}
	dir, err := os.MkdirTemp("", "fake-objects-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "object")
	if err := os.WriteFile(p, []byte(what), 0o644); err != nil {
		return "", err
	}
	return f.arts.PutFile(ctx, p, "object")
}

func (f fakeObjects) StoreModel(ctx context.Context, image, url string, _ map[string]string) (artifact.Ref, error) {
	return f.put(ctx, image+" "+url)
}

func (f fakeObjects) Import(ctx context.Context, uri string) (artifact.Ref, error) {
	return f.put(ctx, uri)
}

func (f fakeObjects) Container(ctx context.Context, model artifact.Ref) (string, string, bool) {
	dir, err := f.arts.Path(ctx, model)
	if err != nil {
		return "", "", false
	}
	b, err := os.ReadFile(filepath.Join(dir, "object"))
	image, url, ok := strings.Cut(string(b), " ")
	return image, url, err == nil && ok
}

// call sends one SageMaker operation and returns the status, the error
// code (x-amzn-ErrorType) and the decoded body.
func call(t *testing.T, h *awsapi.Handler, op, body string) (int, string, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, smRequest(op, body))
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: %v: %s", op, err, w.Body)
	}
	return w.Code, w.Header().Get("X-Amzn-Errortype"), out
}

// TestModelPackageRegistry: CreateModelPackage registers the next version
// of an existing group in the same registry (metrics, metadata, approval
// history); DeleteModelPackageGroup deletes only an empty group;
// DeleteModelPackage is refused with a reason.
func TestModelPackageRegistry(t *testing.T) {
	t.Parallel()
	a := newAppWith(t, func(arts artifact.Store) app.SageMakerObjects { return fakeObjects{arts} })
	h, err := awsapi.New(awsapi.Config{App: a, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	pkg := func(group, extra string) string {
		return `{"ModelPackageGroupName":"` + group + `","InferenceSpecification":{"Containers":[{"Image":"xgb:1.3-1","ModelDataUrl":"s3://b/model.tar.gz"}],` +
			`"SupportedContentTypes":["text/csv"],"SupportedResponseMIMETypes":["text/csv"],"SupportedRealtimeInferenceInstanceTypes":["ml.m4.xlarge"]}` + extra + `}`
	}
	errs := []struct {
		name, op, body, code, mention string
	}{
		{"missing group", "CreateModelPackage", pkg("nope", ""), "ValidationException", "model-package-group/nope does not exist"},
		{"no group", "CreateModelPackage", `{"ModelPackageName":"x","InferenceSpecification":{"Containers":[{"Image":"i","ModelDataUrl":"s3://b/m"}]}}`, "ValidationException", "ModelPackageName"},
		{"no containers", "CreateModelPackage", `{"ModelPackageGroupName":"g","InferenceSpecification":{"Containers":[]}}`, "ValidationException", "Containers"},
		{"two containers", "CreateModelPackage", `{"ModelPackageGroupName":"g","InferenceSpecification":{"Containers":[{"Image":"i","ModelDataUrl":"s3://b/m"},{"Image":"i","ModelDataUrl":"s3://b/m"}]}}`, "ValidationException", "not supported"},
		{"no model data", "CreateModelPackage", `{"ModelPackageGroupName":"g","InferenceSpecification":{"Containers":[{"Image":"i"}]}}`, "ValidationException", "ModelDataUrl"},
		{"bad status", "CreateModelPackage", pkg("g", `,"ModelApprovalStatus":"Maybe"`), "ValidationException", "Maybe"},
		{"bad metric uri", "CreateModelPackage", pkg("g", `,"ModelMetrics":{"Bias":{"PostTrainingReport":{"ContentType":"application/json","S3Uri":"/tmp/x"}}}`), "ValidationException", "ModelMetrics.Bias.PostTrainingReport.S3Uri"},
		{"missing model object", "CreateModelPackage", `{"ModelPackageGroupName":"g","InferenceSpecification":{"Containers":[{"Image":"i","ModelDataUrl":"s3://missing/m"}]}}`, "ValidationException", "s3://missing/m"},
		{"delete missing group", "DeleteModelPackageGroup", `{"ModelPackageGroupName":"nope"}`, "ValidationException", "does not exist"},
	}
	if code, _, out := call(t, h, "CreateModelPackageGroup", `{"ModelPackageGroupName":"g"}`); code != 200 {
		t.Fatalf("CreateModelPackageGroup: %d %v", code, out)
	}
	for _, tt := range errs {
		code, typ, out := call(t, h, tt.op, tt.body)
		if code != 400 || typ != tt.code || !strings.Contains(fmt.Sprint(out["message"]), tt.mention) {
			t.Errorf("%s: %d %s %v, want 400 %s mentioning %q", tt.name, code, typ, out, tt.code, tt.mention)
		}
	}

	body := pkg("g", `,"ModelApprovalStatus":"PendingManualApproval","ModelPackageDescription":"from the SDK",`+
		`"CustomerMetadataProperties":{"team":"fraud"},`+
		`"ModelMetrics":{"Bias":{"PostTrainingReport":{"ContentType":"application/json","S3Uri":"s3://b/bias.json"}},"Explainability":{"Report":{"ContentType":"application/json","S3Uri":"s3://b/expl.json"}}},`+
		`"DriftCheckBaselines":{"Bias":{"PostTrainingConstraints":{"ContentType":"application/json","S3Uri":"s3://b/bias.json"}},"Explainability":{"ConfigFile":{"ContentType":"application/json","S3Uri":""}}}`)
	code, _, out := call(t, h, "CreateModelPackage", body)
	if code != 200 || out["ModelPackageArn"] != "arn:aws:sagemaker:us-east-1:000000000000:model-package/g/1" {
		t.Fatalf("CreateModelPackage: %d %v", code, out)
	}
	if _, _, out := call(t, h, "CreateModelPackage", pkg("arn:aws:sagemaker:us-east-1:000000000000:model-package-group/g", "")); out["ModelPackageArn"] != "arn:aws:sagemaker:us-east-1:000000000000:model-package/g/2" {
		t.Fatalf("CreateModelPackage by group ARN: %v", out)
	}
	v, err := a.Version(t.Context(), registry.PackageRef{Group: "g", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{"status": string(v.Status), "description": v.Description, "metadata": v.Metadata, "by": v.History[0].By,
		"metrics": len(v.Metrics), "bias": v.Metrics["bias_post_training"] != "", "expl": v.Metrics["explainability"] != "",
		"drift": len(v.DriftBaselines), "drift_bias": v.DriftBaselines["bias_post_training_constraints"] != "", "types": v.Inference.ContentTypes}
	want := map[string]any{"status": "PendingManualApproval", "description": "from the SDK", "metadata": map[string]string{"team": "fraud"}, "by": "aws",
		"metrics": 2, "bias": true, "expl": true, "drift": 1, "drift_bias": true, "types": []string{"text/csv"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("registered version (-want +got):\n%s", d)
	}
	_, _, desc := call(t, h, "DescribeModelPackage", `{"ModelPackageName":"arn:aws:sagemaker:us-east-1:000000000000:model-package/g/1"}`)
	if desc["ModelApprovalStatus"] != "PendingManualApproval" || desc["ModelPackageVersion"] != 1.0 {
		t.Errorf("DescribeModelPackage: %v", desc)
	}
	wantSpec := map[string]any{"Containers": []any{map[string]any{"Image": "xgb:1.3-1", "ModelDataUrl": "s3://b/model.tar.gz"}},
		"SupportedContentTypes": []any{"text/csv"}, "SupportedResponseMIMETypes": []any{"text/csv"}}
	if d := cmp.Diff(wantSpec, desc["InferenceSpecification"]); d != "" {
		t.Errorf("DescribeModelPackage's InferenceSpecification (-want +got):\n%s", d)
	}

	// Versions are kept: their group stays, and deleting one is refused.
	if code, typ, out := call(t, h, "DeleteModelPackageGroup", `{"ModelPackageGroupName":"g"}`); code != 400 || typ != "ConflictException" || !strings.Contains(fmt.Sprint(out["message"]), "contains model packages") {
		t.Errorf("DeleteModelPackageGroup of a group with versions: %d %s %v", code, typ, out)
	}
	if code, typ, out := call(t, h, "DeleteModelPackage", `{"ModelPackageName":"arn:aws:sagemaker:us-east-1:000000000000:model-package/g/1"}`); code != 400 || typ != "ValidationException" || !strings.Contains(fmt.Sprint(out["message"]), "not supported") {
		t.Errorf("DeleteModelPackage: %d %s %v", code, typ, out)
	}
	if code, typ, _ := call(t, h, "DeleteModelPackage", `{"ModelPackageName":"arn:aws:sagemaker:us-east-1:000000000000:model-package/g/9"}`); code != 400 || typ != "ValidationException" {
		t.Errorf("DeleteModelPackage of a missing version: %d %s", code, typ)
	}
	// An empty group goes, and is gone.
	call(t, h, "CreateModelPackageGroup", `{"ModelPackageGroupName":"empty"}`)
	if code, typ, out := call(t, h, "DeleteModelPackageGroup", `{"ModelPackageGroupName":"arn:aws:sagemaker:us-east-1:000000000000:model-package-group/empty"}`); code != 200 {
		t.Fatalf("DeleteModelPackageGroup: %d %s %v", code, typ, out)
	}
	if code, typ, _ := call(t, h, "DescribeModelPackageGroup", `{"ModelPackageGroupName":"empty"}`); code != 400 || typ != "ValidationException" {
		t.Errorf("DescribeModelPackageGroup after delete: %d %s", code, typ)
	}
}

// TestModelDataUrlEndpoint: a model whose container has only an Image and
// a ModelDataUrl is stored once at CreateModel and served through the
// registry's endpoints (a variant naming the stored model, no version).
func TestModelDataUrlEndpoint(t *testing.T) {
	t.Parallel()
	a := newAppWith(t, func(arts artifact.Store) app.SageMakerObjects { return fakeObjects{arts} })
	h, err := awsapi.New(awsapi.Config{App: a, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, body, mention string }{
		{"no model data", `{"ModelName":"m0","PrimaryContainer":{"Image":"xgb"}}`, "ModelDataUrl"},
		{"missing object", `{"ModelName":"m0","PrimaryContainer":{"Image":"xgb","ModelDataUrl":"s3://missing/model.tar.gz"}}`, "s3://missing/model.tar.gz"},
	} {
		if code, typ, out := call(t, h, "CreateModel", tt.body); code != 400 || typ != "ValidationException" || !strings.Contains(fmt.Sprint(out["message"]), tt.mention) {
			t.Errorf("%s: %d %s %v", tt.name, code, typ, out)
		}
	}
	steps := []struct{ op, body string }{
		{"CreateModel", `{"ModelName":"m1","ExecutionRoleArn":"arn:aws:iam::000000000000:role/r","PrimaryContainer":{"Image":"xgb:1.3-1","ModelDataUrl":"s3://b/model.tar.gz"}}`},
		{"CreateEndpointConfig", `{"EndpointConfigName":"c1","ProductionVariants":[{"VariantName":"Alltraffic","ModelName":"m1","InitialInstanceCount":1,"InstanceType":"ml.m4.xlarge","InitialVariantWeight":1}]}`},
		{"CreateEndpoint", `{"EndpointName":"e1","EndpointConfigName":"c1"}`},
	}
	for _, s := range steps {
		if code, typ, out := call(t, h, s.op, s.body); code != 200 {
			t.Fatalf("%s: %d %s %v", s.op, code, typ, out)
		}
	}
	m, err := a.SageMakerModel(t.Context(), "m1")
	if err != nil || m.Artifact == "" {
		t.Fatalf("model m1: %+v %v", m, err)
	}
	ep, err := a.Endpoint(t.Context(), "e1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ep.Config.Variants) != 1 || ep.Config.Variants[0].Model != m.Artifact || ep.Config.Variants[0].Group != "" || ep.Config.Variants[0].Name != "Alltraffic" {
		t.Errorf("endpoint variants %+v, want Alltraffic serving %s", ep.Config.Variants, m.Artifact)
	}
	_, _, desc := call(t, h, "DescribeModel", `{"ModelName":"m1"}`)
	if c, _ := desc["PrimaryContainer"].(map[string]any); c["ModelDataUrl"] != "s3://b/model.tar.gz" || c["Image"] != "xgb:1.3-1" {
		t.Errorf("DescribeModel: %v", desc)
	}
}
