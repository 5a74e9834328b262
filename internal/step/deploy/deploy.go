// Package deploy is the "deploy" step kind: it creates or updates an
// endpoint so that one of its variants serves a registered model version.
// It is idempotent: re-running it with the version already deployed
// changes nothing. A Rejected version is refused.
package deploy

import (
	"context"
	"fmt"

	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/step"
)

// ID is the kind's stable ID.
const ID = "deploy"

// Kind is the deploy step kind.
type Kind struct {
	reg *registry.Registry
	// DefaultCaptureDir is the capture destination used when data_capture
	// is enabled without one.
	DefaultCaptureDir string
}

var (
	_ step.Kind      = (*Kind)(nil)
	_ step.Validator = (*Kind)(nil)
)

// New returns the kind, deploying through reg.
func New(reg *registry.Registry, defaultCaptureDir string) *Kind {
	return &Kind{reg: reg, DefaultCaptureDir: defaultCaptureDir}
}

func ptr(f float64) *float64 { return &f }

// Spec implements step.Kind.
func (k *Kind) Spec() step.Spec {
	return step.Spec{
		Kind:        ID,
		Description: "Creates or updates an endpoint so that a variant serves a registered model version (idempotent; refuses a Rejected version).",
		Version:     "1",
		NoCache:     true,
		Args: []step.Field{
			{Name: "endpoint_name", Type: step.String, Required: true, Description: "The endpoint to create or update."},
			{Name: "model_package", Type: step.String, Required: true, Description: `The version, "group/version", usually ${{ steps.register.properties.model_package_arn }}.`},
			{Name: "variant_name", Type: step.String, Default: registry.DefaultVariant, Description: "The production variant to create or update."},
			{Name: "instance_count", Type: step.Integer, Default: int64(1), Min: ptr(1), Description: "Replicas of the variant."},
			{Name: "data_capture", Type: step.Object, Description: `Optional {"enabled": bool, "sampling_percentage": 0..100, "destination": dir}.`},
		},
		Properties: []step.Field{
			{Name: "endpoint_name", Type: step.String},
			{Name: "endpoint_status", Type: step.String, Description: "Creating, Updating, InService or Failed."},
		},
	}
}

type args struct {
	Endpoint      string                `json:"endpoint_name"`
	ModelPackage  string                `json:"model_package"`
	Variant       string                `json:"variant_name"`
	InstanceCount int                   `json:"instance_count"`
	DataCapture   *registry.DataCapture `json:"data_capture"`
}

// ValidateArgs implements step.Validator: literal names, package
// references and capture settings are checked before a run.
func (k *Kind) ValidateArgs(a map[string]any) []error {
	var errs []error
	for _, f := range []struct{ field, kind string }{{"endpoint_name", "endpoint"}, {"variant_name", "variant"}} {
		if s, ok := a[f.field].(string); ok {
			if err := registry.ValidateName(f.kind, s); err != nil {
				errs = append(errs, &step.FieldError{Field: f.field, Msg: err.Error()})
			}
		}
	}
	if s, ok := a["model_package"].(string); ok {
		if _, err := registry.ParsePackageRef(s); err != nil {
			errs = append(errs, &step.FieldError{Field: "model_package", Msg: err.Error()})
		}
	}
	if dc, ok := a["data_capture"].(map[string]any); ok {
		for key, v := range dc {
			switch key {
			case "enabled":
				if _, ok := v.(bool); !ok {
					if _, ref := v.(*step.RefPlaceholder); !ref {
						errs = append(errs, &step.FieldError{Field: "data_capture.enabled", Msg: "want a boolean"})
					}
				}
			case "sampling_percentage":
				if f, ok := number(v); ok && (f < 0 || f > 100) {
					errs = append(errs, &step.FieldError{Field: "data_capture.sampling_percentage", Msg: fmt.Sprintf("%v is outside 0..100", f)})
				}
			case "destination":
			default:
				errs = append(errs, &step.FieldError{Field: "data_capture." + key, Msg: "unknown field (want enabled, sampling_percentage, destination)"})
			}
		}
	}
	return errs
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

// Run implements step.Kind.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	a, err := step.Decode[args](req.Args)
	if err != nil {
		return step.Result{}, err
	}
	pkg, err := registry.ParsePackageRef(a.ModelPackage)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("model_package: %w", err))
	}
	if dc := a.DataCapture; dc != nil && dc.Enabled && dc.Destination == "" {
		dc.Destination = k.DefaultCaptureDir
	}
	ep, changed, err := k.reg.Deploy(ctx, registry.DeployRequest{
		Endpoint: a.Endpoint, Package: pkg, Variant: a.Variant, InstanceCount: a.InstanceCount, DataCapture: a.DataCapture,
	})
	if err != nil {
		if registry.IsInvalid(err) {
			return step.Result{}, step.Permanent(err)
		}
		return step.Result{}, err
	}
	if env.Log != nil {
		if changed {
			fmt.Fprintf(env.Log, "endpoint %s config %d serves %s (%s)\n", ep.Name, ep.ConfigVersion, pkg, ep.Status)
		} else {
			fmt.Fprintf(env.Log, "endpoint %s already serves %s: nothing to do\n", ep.Name, pkg)
		}
	}
	return step.Result{Properties: map[string]any{
		"endpoint_name":   ep.Name,
		"endpoint_status": string(ep.Status),
	}}, nil
}
