package registrykind

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/step"
)

// RegisterID is the sagemaker_register_model kind's stable ID.
const RegisterID = "sagemaker_register_model"

// Register is the sagemaker_register_model kind: CreateModelPackage.
type Register struct {
	R   *job.Runner
	Reg *registry.Registry
}

var (
	_ step.Kind      = (*Register)(nil)
	_ step.Validator = (*Register)(nil)
)

// metricsSource is a MetricsSource or FileSource.
type metricsSource struct {
	ContentType string `json:"ContentType"`
	S3Uri       string `json:"S3Uri"`
}

type createModelPackage struct {
	ModelPackageGroupName   string `json:"ModelPackageGroupName"`
	ModelPackageDescription string `json:"ModelPackageDescription"`
	ModelApprovalStatus     string `json:"ModelApprovalStatus"`
	InferenceSpecification  *struct {
		Containers                 []Container `json:"Containers"`
		SupportedContentTypes      []string    `json:"SupportedContentTypes"`
		SupportedResponseMIMETypes []string    `json:"SupportedResponseMIMETypes"`
	} `json:"InferenceSpecification"`
	ModelMetrics               map[string]map[string]metricsSource `json:"ModelMetrics"`
	DriftCheckBaselines        map[string]map[string]metricsSource `json:"DriftCheckBaselines"`
	CustomerMetadataProperties map[string]string                   `json:"CustomerMetadataProperties"`
}

// metricKeys maps ModelMetrics and DriftCheckBaselines members to the
// registry's keys (the names the SageMaker SDK's ModelMetrics and
// DriftCheckBaselines arguments use).
var metricKeys = map[string]string{
	"ModelQuality.Statistics":            "model_statistics",
	"ModelQuality.Constraints":           "model_constraints",
	"ModelDataQuality.Statistics":        "model_data_statistics",
	"ModelDataQuality.Constraints":       "model_data_constraints",
	"Bias.Report":                        "bias",
	"Bias.PreTrainingReport":             "bias_pre_training",
	"Bias.PostTrainingReport":            "bias_post_training",
	"Explainability.Report":              "explainability",
	"drift:ModelQuality.Statistics":      "model_statistics",
	"drift:ModelQuality.Constraints":     "model_constraints",
	"drift:ModelDataQuality.Statistics":  "model_data_statistics",
	"drift:ModelDataQuality.Constraints": "model_data_constraints",
	"drift:Bias.ConfigFile":              "bias_config_file",
	"drift:Bias.PreTrainingConstraints":  "bias_pre_training_constraints",
	"drift:Bias.PostTrainingConstraints": "bias_post_training_constraints",
	"drift:Explainability.Constraints":   "explainability_constraints",
	"drift:Explainability.ConfigFile":    "explainability_config_file",
}

// MetricKey is the registry's key of a ModelMetrics (drift false) or
// DriftCheckBaselines (drift true) member, such as Bias.PostTrainingReport
// (group "Bias", member "PostTrainingReport"): the names the SageMaker
// SDK's ModelMetrics and DriftCheckBaselines arguments use.
func MetricKey(drift bool, group, member string) string {
	prefix := ""
	if drift {
		prefix = "drift:"
	}
	if key, ok := metricKeys[prefix+group+"."+member]; ok {
		return key
	}
	return strings.ToLower(group + "_" + member)
}

// Spec implements step.Kind.
func (*Register) Spec() step.Spec {
	return step.Spec{
		Kind: RegisterID,
		Description: "A SageMaker RegisterModel step (CreateModelPackage request): the first inference container's model.tar.gz becomes the next version of the model package group in Ferry's registry, " +
			"with ModelApprovalStatus, ModelMetrics and DriftCheckBaselines (each S3Uri imported as an artifact).",
		Version: "1",
		NoCache: true,
		Args: []step.Field{
			{Name: "ModelPackageGroupName", Type: step.String, Required: true, Description: "the group; created on first use"},
			{Name: "InferenceSpecification", Type: step.Object, Required: true, Description: "Containers[0].Image and ModelDataUrl; SupportedContentTypes, SupportedResponseMIMETypes"},
			{Name: "ModelApprovalStatus", Type: step.String, Description: "PendingManualApproval (default), Approved or Rejected"},
			{Name: "ModelMetrics", Type: step.Object, Description: "ModelQuality, ModelDataQuality, Bias, Explainability: MetricsSource S3Uri imported"},
			{Name: "DriftCheckBaselines", Type: step.Object, Description: "Bias, Explainability, ModelQuality, ModelDataQuality: MetricsSource/FileSource S3Uri imported"},
			{Name: "ModelPackageDescription", Type: step.String},
			{Name: "CustomerMetadataProperties", Type: step.StringMap},
			{Name: "MetadataProperties", Type: step.Any, Description: "accepted and ignored"},
			{Name: "Domain", Type: step.Any, Description: "accepted and ignored"},
			{Name: "Task", Type: step.Any, Description: "accepted and ignored"},
			{Name: "SamplePayloadUrl", Type: step.Any, Description: "accepted and ignored"},
			{Name: "CertifyForMarketplace", Type: step.Any, Description: "accepted and ignored"},
			{Name: "ModelPackageName", Type: step.Any, Description: "accepted and ignored (versions are numbered in their group)"},
			{Name: "Tags", Type: step.Any, Description: "accepted and ignored"},
			{Name: "SkipModelValidation", Type: step.Any, Description: "accepted and ignored"},
			{Name: "SourceUri", Type: step.Any, Description: "accepted and ignored"},
			{Name: "AdditionalInferenceSpecifications", Type: step.Any, Description: "accepted and ignored"},
			{Name: "ClientToken", Type: step.Any, Description: "accepted and ignored"},
			{Name: "ValidationSpecification", Type: step.Any, Description: "accepted and ignored"},
			{Name: "SourceAlgorithmSpecification", Type: step.Any, Description: "accepted and ignored"},
			{Name: "SecurityConfig", Type: step.Any, Description: "accepted and ignored"},
			{Name: "ModelCard", Type: step.Any, Description: "accepted and ignored"},
			{Name: "ModelLifeCycle", Type: step.Any, Description: "accepted and ignored"},
		},
		Properties: []step.Field{
			{Name: "ModelPackageArn", Type: step.String, Description: "arn:aws:sagemaker:local:000000000000:model-package/<group>/<version>"},
			{Name: "ModelPackageGroupName", Type: step.String},
			{Name: "ModelPackageVersion", Type: step.Integer},
			{Name: "ModelApprovalStatus", Type: step.String},
		},
		DynamicProperties: true,
	}
}

// ValidateArgs implements step.Validator.
func (k *Register) ValidateArgs(a map[string]any) []error {
	var errs []error
	if s, ok := a["ModelApprovalStatus"].(string); ok && !registry.ApprovalStatus(s).Valid() {
		errs = append(errs, &step.FieldError{Field: "ModelApprovalStatus", Msg: fmt.Sprintf("%q: want PendingManualApproval, Approved or Rejected", s)})
	}
	if spec, ok := a["InferenceSpecification"].(map[string]any); ok {
		if c, ok := spec["Containers"].([]any); !ok || len(c) == 0 {
			if _, ref := spec["Containers"].(*step.RefPlaceholder); !ref {
				errs = append(errs, &step.FieldError{Field: "InferenceSpecification.Containers", Msg: "required: at least one container"})
			}
		}
	}
	return errs
}

// Run implements step.Kind. A retried or resumed run of the same execution
// and step returns the version it registered before.
func (k *Register) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	if k.Reg == nil {
		return step.Result{}, step.Permanent(errors.New("sagemaker_register_model: no model registry (validation only)"))
	}
	a, err := decode[createModelPackage](req.Args)
	if err != nil {
		return step.Result{}, err
	}
	if a.InferenceSpecification == nil || len(a.InferenceSpecification.Containers) == 0 {
		return step.Result{}, step.Permanent(errors.New("InferenceSpecification.Containers: required"))
	}
	if v, ok, err := k.previous(ctx, a.ModelPackageGroupName, req); err != nil {
		return step.Result{}, err
	} else if ok {
		return packageProperties(v, req.Args), nil
	}
	c := a.InferenceSpecification.Containers[0]
	model, err := modelArtifact(ctx, env, k.R, c)
	if err != nil {
		return step.Result{}, fmt.Errorf("InferenceSpecification.Containers[0]: %w", err)
	}
	metrics, err := k.importSources(ctx, env.Store, "", a.ModelMetrics)
	if err != nil {
		return step.Result{}, fmt.Errorf("ModelMetrics: %w", err)
	}
	drift, err := k.importSources(ctx, env.Store, "drift:", a.DriftCheckBaselines)
	if err != nil {
		return step.Result{}, fmt.Errorf("DriftCheckBaselines: %w", err)
	}
	inputs := map[string]artifact.Ref{"model": model}
	for prefix, m := range map[string]map[string]artifact.Ref{"model_metrics.": metrics, "drift_check_baselines.": drift} {
		for _, key := range slices.Sorted(maps.Keys(m)) {
			inputs[prefix+key] = m[key]
		}
	}
	status := registry.ApprovalStatus(a.ModelApprovalStatus)
	v, err := k.Reg.Register(ctx, registry.RegisterRequest{
		Group: a.ModelPackageGroupName, Model: model, Description: a.ModelPackageDescription, Status: status,
		By: "pipeline " + req.PipelineName, Metrics: metrics, DriftBaselines: drift,
		Inference: registry.InferenceSpec{ContentTypes: a.InferenceSpecification.SupportedContentTypes, ResponseTypes: a.InferenceSpecification.SupportedResponseMIMETypes},
		Metadata:  a.CustomerMetadataProperties,
		Lineage: registry.Lineage{PipelineName: req.PipelineName, PipelineDigest: req.PipelineDigest,
			ExecutionID: req.ExecutionID, Step: req.StepName, Inputs: inputs},
	})
	if err != nil {
		if v.Version > 0 {
			return packageProperties(v, req.Args), step.Permanent(err)
		}
		if registry.IsInvalid(err) {
			return step.Result{}, step.Permanent(err)
		}
		return step.Result{}, err
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "registered %s (%s)\n", v.Ref(), v.Status)
	}
	return packageProperties(v, req.Args), nil
}

// importSources imports each MetricsSource's S3Uri; an empty S3Uri (a
// skipped check) is left out.
func (k *Register) importSources(ctx context.Context, store artifact.Store, prefix string, groups map[string]map[string]metricsSource) (map[string]artifact.Ref, error) {
	out := map[string]artifact.Ref{}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		for _, member := range slices.Sorted(maps.Keys(groups[g])) {
			src := groups[g][member]
			if strings.TrimSpace(src.S3Uri) == "" {
				continue
			}
			key := MetricKey(prefix != "", g, member)
			ref, err := k.R.Resolve(ctx, store, src.S3Uri)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", g, member, err)
			}
			out[key] = ref
		}
	}
	return out, nil
}

func (k *Register) previous(ctx context.Context, group string, req step.Request) (registry.Version, bool, error) {
	if req.ExecutionID == "" {
		return registry.Version{}, false, nil
	}
	vs, err := k.Reg.Store().Versions(ctx, group)
	if err != nil {
		if errors.Is(err, registry.ErrNotFound) {
			return registry.Version{}, false, nil
		}
		return registry.Version{}, false, fmt.Errorf("looking for an earlier registration: %w", err)
	}
	for _, v := range slices.Backward(vs) {
		if v.Lineage.ExecutionID == req.ExecutionID && v.Lineage.Step == req.StepName {
			return v, true, nil
		}
	}
	return registry.Version{}, false, nil
}

// packageProperties is the DescribeModelPackage shape: the version's
// identity and status, and the request's own fields.
func packageProperties(v registry.Version, args map[string]any) step.Result {
	props := map[string]any{
		"ModelPackageArn":       fmt.Sprintf("arn:aws:sagemaker:local:000000000000:model-package/%s/%d", v.Group, v.Version),
		"ModelPackageName":      v.Group,
		"ModelPackageGroupName": v.Group,
		"ModelPackageVersion":   int64(v.Version),
		"ModelApprovalStatus":   string(v.Status),
		"ModelPackageStatus":    "Completed",
		"CreationTime":          v.CreatedAt.UTC().Format(time.RFC3339Nano),
	}
	for _, k := range []string{"ModelPackageDescription", "InferenceSpecification", "ModelMetrics", "DriftCheckBaselines", "CustomerMetadataProperties", "MetadataProperties"} {
		if val, ok := args[k]; ok {
			props[k] = val
		}
	}
	return step.Result{Properties: props}
}
