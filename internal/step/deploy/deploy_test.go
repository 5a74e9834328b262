package deploy_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/createmodel"
	"github.com/ferryml/ferry/internal/step/deploy"
	"github.com/ferryml/ferry/internal/step/register"
	"github.com/ferryml/ferry/internal/step/steptest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// bundle is a store holding a model directory and a registry.
type bundle struct {
	*steptest.Bundle
	reg   *registry.Registry
	model artifact.Ref
}

func setup(t *testing.T) bundle {
	t.Helper()
	b := steptest.New(t)
	return bundle{Bundle: b, reg: b.Registry(t), model: b.PutFiles(t, map[string]string{model.ManifestFile: `{"flavor":"xgboost"}`})}
}

func (b bundle) run(t *testing.T, k step.Kind, args map[string]any) (step.Result, error) {
	t.Helper()
	return b.Run(t, k, step.Request{ExecutionID: "exec-1", PipelineName: "fraud", StepName: k.Spec().Kind, Attempt: 1, Args: args})
}

func TestCreateRegisterDeploy(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cm, err := b.run(t, createmodel.New(b.reg), map[string]any{"model": b.model, "model_name": "fraud-detect-xgb-pipeline"})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Properties["model_name"] != "fraud-detect-xgb-pipeline" {
		t.Errorf("create_model properties %v", cm.Properties)
	}
	if m, err := b.reg.Model(t.Context(), "fraud-detect-xgb-pipeline"); err != nil || m.Artifact != b.model {
		t.Errorf("recorded model %+v, %v", m, err)
	}

	regArgs := map[string]any{
		"model": b.model, "model_package_group_name": "fraud-group", "approval_status": "Approved",
		"model_metrics":         map[string]any{"explainability": b.model},
		"drift_check_baselines": map[string]any{"explainability_constraints": b.model},
		"content_types":         []any{"text/csv"}, "response_types": []any{"text/csv"},
		"customer_metadata": map[string]any{"owner": "fraud-team"},
	}
	res, err := b.run(t, register.New(b.reg), regArgs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"model_package_group_name": "fraud-group", "model_package_version": int64(1),
		"model_package_arn": "fraud-group/1", "approval_status": "Approved"}
	if diff := cmp.Diff(want, res.Properties); diff != "" {
		t.Errorf("register properties (-want +got):\n%s", diff)
	}
	// A retry of the same execution's step returns the same version.
	again, err := b.run(t, register.New(b.reg), regArgs)
	if err != nil || again.Properties["model_package_version"] != int64(1) {
		t.Errorf("retried register: %v %v, want version 1 again", again.Properties, err)
	}
	v, err := b.reg.Version(t.Context(), registry.PackageRef{Group: "fraud-group", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if v.Lineage.ExecutionID != "exec-1" || v.Lineage.Step != "register_model" || v.Lineage.Inputs["drift_check_baselines.explainability_constraints"] != b.model ||
		v.Inference.ContentTypes[0] != "text/csv" || v.Metadata["owner"] != "fraud-team" {
		t.Errorf("stored version %+v", v)
	}

	dk := deploy.New(b.reg, filepath.Join(artifacttest.TempDir(t), "capture"))
	depArgs := map[string]any{"endpoint_name": "fraud-ep", "model_package": "fraud-group/1", "instance_count": int64(2),
		"data_capture": map[string]any{"enabled": true, "sampling_percentage": 50.0}}
	res, err = b.run(t, dk, depArgs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Properties["endpoint_name"] != "fraud-ep" || res.Properties["endpoint_status"] != "Creating" {
		t.Errorf("deploy properties %v", res.Properties)
	}
	ep, err := b.reg.Endpoint(t.Context(), "fraud-ep")
	if err != nil {
		t.Fatal(err)
	}
	if ep.Config.Variants[0].Name != "AllTraffic" || ep.Config.Variants[0].InstanceCount != 2 || !ep.Config.DataCapture.Enabled ||
		ep.Config.DataCapture.Destination == "" {
		t.Errorf("endpoint %+v", ep)
	}
	// Idempotent: re-running changes nothing.
	if _, err := b.run(t, dk, depArgs); err != nil {
		t.Fatal(err)
	}
	if ep2, _ := b.reg.Endpoint(t.Context(), "fraud-ep"); ep2.ConfigVersion != ep.ConfigVersion {
		t.Errorf("re-run deploy moved config %d -> %d", ep.ConfigVersion, ep2.ConfigVersion)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.reg.Register(t.Context(), registry.RegisterRequest{Group: "g", Model: b.model, Status: registry.Rejected}); err != nil {
		t.Fatal(err)
	}
	missing := artifact.Ref("sha256:" + strings.Repeat("0", 64))
	tests := []struct {
		name    string
		kind    step.Kind
		args    map[string]any
		wantErr string
	}{
		{"deploy rejected", deploy.New(b.reg, ""), map[string]any{"endpoint_name": "ep", "model_package": "g/1"}, "Rejected"},
		{"deploy missing version", deploy.New(b.reg, ""), map[string]any{"endpoint_name": "ep", "model_package": "g/7"}, "not found"},
		{"deploy bad package", deploy.New(b.reg, ""), map[string]any{"endpoint_name": "ep", "model_package": "g"}, "want GROUP/VERSION"},
		{"deploy bad capture", deploy.New(b.reg, ""), map[string]any{"endpoint_name": "ep", "model_package": "g/1",
			"data_capture": map[string]any{"enabled": true, "sampling_percentage": 50.0, "extra": 1}}, "unknown field"},
		{"register missing artifact", register.New(b.reg), map[string]any{"model": missing, "model_package_group_name": "g"}, "not found"},
		{"register bad group", register.New(b.reg), map[string]any{"model": b.model, "model_package_group_name": "a b"}, "model group name"},
		{"register bad status", register.New(b.reg), map[string]any{"model": b.model, "model_package_group_name": "g", "approval_status": "Yes"}, "approval status"},
		{"create_model bad name", createmodel.New(b.reg), map[string]any{"model": b.model, "model_name": ""}, "model name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.Run(t, tt.kind, step.Request{PipelineName: "p", StepName: tt.name, Args: tt.args})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if !step.IsPermanent(err) {
				t.Errorf("err %v is retryable, want permanent", err)
			}
		})
	}
}

func TestValidateArgs(t *testing.T) {
	t.Parallel()
	k := deploy.New(nil, "")
	tests := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"OK literal", map[string]any{"endpoint_name": "ep", "model_package": "g/1"}, nil},
		{"OK reference", map[string]any{"endpoint_name": "ep", "model_package": &step.RefPlaceholder{Expr: "steps.r.properties.model_package_arn"}}, nil},
		{"bad names and package", map[string]any{"endpoint_name": "e p", "variant_name": "", "model_package": "g/0"},
			[]string{"endpoint_name", "variant_name", "model_package"}},
		{"bad capture", map[string]any{"data_capture": map[string]any{"enabled": "yes", "sampling_percentage": 120.0}},
			[]string{"data_capture.enabled", "data_capture.sampling_percentage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, err := range k.ValidateArgs(tt.args) {
				var fe *step.FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v is not a *step.FieldError", err)
				}
				got = append(got, fe.Field)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}
