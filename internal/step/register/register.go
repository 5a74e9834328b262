// Package register is the "register_model" step kind: it adds a version to
// a model package group with its approval status, metrics, drift-check
// baselines, inference spec and lineage (SageMaker's RegisterModel).
package register

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/createmodel"
)

// ID is the kind's stable ID.
const ID = "register_model"

// Kind is the register_model step kind.
type Kind struct {
	reg *registry.Registry
}

var _ step.Kind = (*Kind)(nil)

// New returns the kind, registering into reg.
func New(reg *registry.Registry) *Kind { return &Kind{reg: reg} }

// Spec implements step.Kind.
func (k *Kind) Spec() step.Spec {
	return step.Spec{
		Kind:        ID,
		Description: "Registers a model artifact as the next version of a model package group, with approval status, metrics, drift-check baselines and lineage.",
		Version:     "1",
		NoCache:     true,
		Args: []step.Field{
			{Name: "model", Type: step.Artifact, Required: true, Description: "The model artifact."},
			{Name: "model_package_group_name", Type: step.String, Required: true, Description: "The group; created on first use."},
			{Name: "approval_status", Type: step.String, Default: string(registry.PendingManualApproval),
				Enum:        []string{string(registry.PendingManualApproval), string(registry.Approved), string(registry.Rejected)},
				Description: "The initial approval status."},
			{Name: "model_metrics", Type: step.ArtifactMap, Description: "Model metrics by key (evaluation, bias_pre_training, bias_post_training, explainability, ...)."},
			{Name: "drift_check_baselines", Type: step.ArtifactMap, Description: "Drift-check baselines by key (bias_post_training_constraints, explainability_constraints, explainability_config_file, ...)."},
			{Name: "content_types", Type: step.StringList, Description: "Request MIME types the model accepts."},
			{Name: "response_types", Type: step.StringList, Description: "Response MIME types the model returns."},
			{Name: "description", Type: step.String, Description: "The version's description."},
			{Name: "customer_metadata", Type: step.StringMap, Description: "Free-form string properties (at most 50)."},
			{Name: "auto_deploy_endpoint", Type: step.String, Description: "When set, the group's versions are deployed to this endpoint as soon as they are Approved."},
		},
		Properties: []step.Field{
			{Name: "model_package_group_name", Type: step.String},
			{Name: "model_package_version", Type: step.Integer},
			{Name: "model_package_arn", Type: step.String, Description: `"group/version", the reference deploy takes.`},
			{Name: "approval_status", Type: step.String},
		},
	}
}

type args struct {
	Model            artifact.Ref            `json:"model"`
	Group            string                  `json:"model_package_group_name"`
	ApprovalStatus   string                  `json:"approval_status"`
	Metrics          map[string]artifact.Ref `json:"model_metrics"`
	DriftBaselines   map[string]artifact.Ref `json:"drift_check_baselines"`
	ContentTypes     []string                `json:"content_types"`
	ResponseTypes    []string                `json:"response_types"`
	Description      string                  `json:"description"`
	CustomerMetadata map[string]string       `json:"customer_metadata"`
	Endpoint         string                  `json:"auto_deploy_endpoint"`
}

// Run implements step.Kind. A retried or resumed run of the same execution
// and step returns the version it registered before instead of adding one.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	a, err := step.Decode[args](req.Args)
	if err != nil {
		return step.Result{}, err
	}
	if err := createmodel.CheckModelArtifact(ctx, env.Store, a.Model); err != nil {
		return step.Result{}, err
	}
	if v, ok, err := k.previous(ctx, a.Group, req); err != nil {
		return step.Result{}, err
	} else if ok {
		if env.Log != nil {
			fmt.Fprintf(env.Log, "already registered by this execution as %s\n", v.Ref())
		}
		// The earlier run may have recorded the version as Approved and
		// then failed to auto-deploy it: deploy again (idempotent).
		if err := k.reg.EnsureAutoDeployed(ctx, v); err != nil {
			return properties(v), permanentIfInvalid(err)
		}
		return properties(v), nil
	}
	// A check step that was skipped may leave a reference empty: record
	// only the artifacts that exist.
	for _, m := range []map[string]artifact.Ref{a.Metrics, a.DriftBaselines} {
		maps.DeleteFunc(m, func(_ string, r artifact.Ref) bool { return r == "" })
	}
	inputs := map[string]artifact.Ref{"model": a.Model}
	for _, m := range []struct {
		prefix string
		refs   map[string]artifact.Ref
	}{{"model_metrics.", a.Metrics}, {"drift_check_baselines.", a.DriftBaselines}} {
		for _, key := range slices.Sorted(maps.Keys(m.refs)) {
			inputs[m.prefix+key] = m.refs[key]
		}
	}
	v, err := k.reg.Register(ctx, registry.RegisterRequest{
		Group:          a.Group,
		Model:          a.Model,
		Description:    a.Description,
		Status:         registry.ApprovalStatus(a.ApprovalStatus),
		By:             "pipeline " + req.PipelineName,
		Metrics:        a.Metrics,
		DriftBaselines: a.DriftBaselines,
		Inference:      registry.InferenceSpec{ContentTypes: a.ContentTypes, ResponseTypes: a.ResponseTypes},
		Metadata:       a.CustomerMetadata,
		Lineage: registry.Lineage{
			PipelineName: req.PipelineName, PipelineDigest: req.PipelineDigest,
			ExecutionID: req.ExecutionID, Step: req.StepName, Inputs: inputs,
		},
		Endpoint: a.Endpoint,
	})
	if err != nil {
		if v.Version > 0 {
			// Registered, but auto-deploy failed: report the version and
			// fail permanently so a retry does not register again.
			return properties(v), step.Permanent(err)
		}
		return step.Result{}, permanentIfInvalid(err)
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "registered %s (%s)\n", v.Ref(), v.Status)
	}
	return properties(v), nil
}

func (k *Kind) previous(ctx context.Context, group string, req step.Request) (registry.Version, bool, error) {
	if req.ExecutionID == "" {
		return registry.Version{}, false, nil
	}
	vs, err := k.reg.Store().Versions(ctx, group)
	if err != nil {
		return registry.Version{}, false, fmt.Errorf("looking for an earlier registration: %w", err)
	}
	for _, v := range slices.Backward(vs) {
		if v.Lineage.ExecutionID == req.ExecutionID && v.Lineage.Step == req.StepName {
			return v, true, nil
		}
	}
	return registry.Version{}, false, nil
}

func properties(v registry.Version) step.Result {
	return step.Result{Properties: map[string]any{
		"model_package_group_name": v.Group,
		"model_package_version":    int64(v.Version),
		"model_package_arn":        v.Ref().String(),
		"approval_status":          string(v.Status),
	}}
}

func permanentIfInvalid(err error) error {
	if registry.IsInvalid(err) {
		return step.Permanent(err)
	}
	return err
}
