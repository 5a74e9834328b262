package awsapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/run"
)

// hostingErr maps the app's errors on models, configs and endpoints to
// SageMaker's: a missing or duplicate resource is a ValidationException.
func hostingErr(err error) error {
	switch {
	case errors.Is(err, app.ErrNotFound), errors.Is(err, registry.ErrNotFound):
		return validation("Could not find %v", err)
	case errors.Is(err, app.ErrConflict):
		return validation("Cannot create already existing %v", err)
	case errors.Is(err, app.ErrInvalid), errors.Is(err, registry.ErrInvalid), errors.Is(err, registry.ErrConflict):
		return validation("%v", err)
	}
	return err
}

type containerInput struct {
	Image            string
	ModelDataUrl     string
	ModelPackageName string
	Environment      map[string]string
	Mode             string
}

func (h *Handler) createModel(r *http.Request, body []byte) (any, error) {
	var in struct {
		ModelName        string
		PrimaryContainer *containerInput
		Containers       []containerInput
		ExecutionRoleArn string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c := in.PrimaryContainer
	switch {
	case c == nil && len(in.Containers) == 1:
		c = &in.Containers[0]
	case c == nil && len(in.Containers) > 1:
		return nil, unsupported("Containers", "an inference pipeline of several containers")
	case c == nil:
		return nil, validation("PrimaryContainer: required")
	}
	if c.Mode == "MultiModel" {
		return nil, unsupported("PrimaryContainer.Mode", "MultiModel")
	}
	m := app.SageMakerModel{Name: in.ModelName, Image: c.Image, ModelDataURL: c.ModelDataUrl, Environment: c.Environment, RoleARN: in.ExecutionRoleArn}
	if c.ModelPackageName != "" {
		ref, err := packageRef("PrimaryContainer.ModelPackageName", c.ModelPackageName)
		if err != nil {
			return nil, err
		}
		if _, err := h.cfg.App.Version(r.Context(), ref); err != nil {
			return nil, hostingErr(err)
		}
		m.Package = ref.String()
	}
	if _, err := h.cfg.App.CreateSageMakerModel(r.Context(), m); err != nil {
		return nil, hostingErr(err)
	}
	return map[string]any{"ModelArn": h.arn("model/" + strings.ToLower(m.Name))}, nil
}

func (h *Handler) modelOut(m app.SageMakerModel) map[string]any {
	c := map[string]any{}
	if m.Image != "" {
		c["Image"] = m.Image
	}
	if m.ModelDataURL != "" {
		c["ModelDataUrl"] = m.ModelDataURL
	}
	if m.Package != "" {
		ref, _ := registry.ParsePackageRef(m.Package)
		c["ModelPackageName"] = h.packageARN(ref)
	}
	if len(m.Environment) > 0 {
		c["Environment"] = m.Environment
	}
	out := map[string]any{
		"ModelName": m.Name, "ModelArn": h.arn("model/" + strings.ToLower(m.Name)),
		"PrimaryContainer": c, "CreationTime": epochOf(m.CreatedAt),
	}
	if m.RoleARN != "" {
		out["ExecutionRoleArn"] = m.RoleARN
	}
	return out
}

func (h *Handler) describeModel(r *http.Request, body []byte) (any, error) {
	var in struct{ ModelName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	m, err := h.cfg.App.SageMakerModel(r.Context(), in.ModelName)
	if err != nil {
		return nil, hostingErr(err)
	}
	return h.modelOut(m), nil
}

func (h *Handler) deleteModel(r *http.Request, body []byte) (any, error) {
	var in struct{ ModelName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := h.cfg.App.DeleteSageMakerModel(r.Context(), in.ModelName); err != nil {
		return nil, hostingErr(err)
	}
	return struct{}{}, nil
}

func (h *Handler) listModels(r *http.Request, body []byte) (any, error) {
	var in struct {
		NameContains string
		SortBy       string
		SortOrder    string
		NextToken    string
		MaxResults   int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ms, err := h.cfg.App.SageMakerModels(r.Context())
	if err != nil {
		return nil, err
	}
	ms = slices.DeleteFunc(ms, func(m app.SageMakerModel) bool { return !strings.Contains(m.Name, in.NameContains) })
	if in.SortBy != "Name" {
		slices.SortStableFunc(ms, func(a, b app.SageMakerModel) int { return b.CreatedAt.Compare(a.CreatedAt) })
	}
	if in.SortOrder == "Ascending" {
		slices.Reverse(ms)
	}
	return pageOut("Models", ms, in.NextToken, in.MaxResults, func(m app.SageMakerModel) map[string]any {
		return map[string]any{"ModelName": m.Name, "ModelArn": h.arn("model/" + strings.ToLower(m.Name)), "CreationTime": epochOf(m.CreatedAt)}
	})
}

func (h *Handler) createEndpointConfig(r *http.Request, body []byte) (any, error) {
	var in struct {
		EndpointConfigName string
		ProductionVariants []struct {
			VariantName          string
			ModelName            string
			InitialInstanceCount *int
			InitialVariantWeight *float64
			InstanceType         string
			ServerlessConfig     map[string]any
		}
		ShadowProductionVariants []any
		AsyncInferenceConfig     map[string]any
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.ShadowProductionVariants) > 0 {
		return nil, unsupported("ShadowProductionVariants", "shadow variants")
	}
	if in.AsyncInferenceConfig != nil {
		return nil, unsupported("AsyncInferenceConfig", "asynchronous inference")
	}
	c := app.SageMakerEndpointConfig{Name: in.EndpointConfigName}
	for i, v := range in.ProductionVariants {
		if v.VariantName == "" || v.ModelName == "" {
			return nil, validation("ProductionVariants[%d]: VariantName and ModelName are required", i)
		}
		cv := app.ConfigVariant{Name: v.VariantName, Model: v.ModelName, InstanceCount: 1, Weight: 1, InstanceType: v.InstanceType}
		if v.InitialInstanceCount != nil {
			cv.InstanceCount = *v.InitialInstanceCount
		}
		if v.InitialVariantWeight != nil {
			if *v.InitialVariantWeight < 0 {
				return nil, validation("ProductionVariants[%d].InitialVariantWeight: want >= 0", i)
			}
			cv.Weight = *v.InitialVariantWeight
		}
		c.Variants = append(c.Variants, cv)
	}
	if _, err := h.cfg.App.CreateEndpointConfig(r.Context(), c); err != nil {
		return nil, hostingErr(err)
	}
	return map[string]any{"EndpointConfigArn": h.arn("endpoint-config/" + strings.ToLower(c.Name))}, nil
}

func (h *Handler) describeEndpointConfig(r *http.Request, body []byte) (any, error) {
	var in struct{ EndpointConfigName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c, err := h.cfg.App.EndpointConfig(r.Context(), in.EndpointConfigName)
	if err != nil {
		return nil, hostingErr(err)
	}
	vs := []map[string]any{}
	for _, v := range c.Variants {
		m := map[string]any{"VariantName": v.Name, "ModelName": v.Model, "InitialInstanceCount": v.InstanceCount, "InitialVariantWeight": v.Weight}
		if v.InstanceType != "" {
			m["InstanceType"] = v.InstanceType
		}
		vs = append(vs, m)
	}
	return map[string]any{
		"EndpointConfigName": c.Name, "EndpointConfigArn": h.arn("endpoint-config/" + strings.ToLower(c.Name)),
		"ProductionVariants": vs, "CreationTime": epochOf(c.CreatedAt),
	}, nil
}

func (h *Handler) deleteEndpointConfig(r *http.Request, body []byte) (any, error) {
	var in struct{ EndpointConfigName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := h.cfg.App.DeleteEndpointConfig(r.Context(), in.EndpointConfigName); err != nil {
		return nil, hostingErr(err)
	}
	return struct{}{}, nil
}

func (h *Handler) putEndpoint(r *http.Request, body []byte, create bool) (any, error) {
	var in struct {
		EndpointName       string
		EndpointConfigName string
		DeploymentConfig   map[string]any
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.DeploymentConfig != nil {
		return nil, unsupported("DeploymentConfig", "blue/green and rolling deployment settings (Ferry switches variants at once)")
	}
	if err := h.cfg.App.DeployEndpointConfig(r.Context(), in.EndpointName, in.EndpointConfigName, create); err != nil {
		return nil, hostingErr(err)
	}
	return map[string]any{"EndpointArn": h.endpointARN(in.EndpointName)}, nil
}

func (h *Handler) createEndpoint(r *http.Request, body []byte) (any, error) {
	return h.putEndpoint(r, body, true)
}

func (h *Handler) updateEndpoint(r *http.Request, body []byte) (any, error) {
	return h.putEndpoint(r, body, false)
}

// jobStep parses a job name pipelines-EXECUTION-STEP (see jobName).
func (h *Handler) jobStep(r *http.Request, name string) (app.Execution, app.StepRun, error) {
	rest, ok := strings.CutPrefix(name, "pipelines-")
	// Execution ids are e-YYYYMMDD-HHMMSS-xxxxxx (24 characters).
	if !ok || len(rest) < 26 || rest[24] != '-' {
		return app.Execution{}, app.StepRun{}, validation("Could not find job %q: Ferry names the jobs of pipeline steps pipelines-EXECUTION-STEP", short(name))
	}
	ex, err := h.cfg.App.Execution(r.Context(), rest[:24])
	if err != nil {
		return ex, app.StepRun{}, validation("Could not find job %q: %v", short(name), err)
	}
	st, err := h.cfg.App.Step(r.Context(), ex.ID, rest[25:])
	if err != nil {
		return ex, st, validation("Could not find job %q: %v", short(name), err)
	}
	return ex, st, nil
}

// jobStatus maps a step's status to a job's (InProgress, Completed,
// Failed, Stopping, Stopped).
func jobStatus(s run.StepStatus) string {
	switch s {
	case run.StepSucceeded, run.StepCacheHit:
		return "Completed"
	case run.StepFailed:
		return "Failed"
	case run.StepStopped:
		return "Stopped"
	}
	return "InProgress"
}

// describeJob answers Describe{Processing,Training,Transform}Job for the
// job a pipeline step ran.
func describeJob(kind string) func(*Handler, *http.Request, []byte) (any, error) {
	return func(h *Handler, r *http.Request, body []byte) (any, error) {
		var in map[string]string
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		name := in[kind+"JobName"]
		ex, st, err := h.jobStep(r, name)
		if err != nil {
			return nil, err
		}
		arnType := map[string]string{"Processing": "processing-job", "Training": "training-job", "Transform": "transform-job"}[kind]
		out := map[string]any{
			kind + "JobName":   name,
			kind + "JobArn":    h.arn(arnType + "/" + name),
			kind + "JobStatus": jobStatus(st.Status),
			"CreationTime":     epochOf(ex.StartedAt),
		}
		if st.StartedAt != nil {
			out["CreationTime"] = epochPtr(st.StartedAt)
			out[map[string]string{"Processing": "ProcessingStartTime", "Training": "TrainingStartTime", "Transform": "TransformStartTime"}[kind]] = epochPtr(st.StartedAt)
		}
		if st.EndedAt != nil {
			out[map[string]string{"Processing": "ProcessingEndTime", "Training": "TrainingEndTime", "Transform": "TransformEndTime"}[kind]] = epochPtr(st.EndedAt)
			out["LastModifiedTime"] = epochPtr(st.EndedAt)
		}
		if st.FailureReason != "" {
			out["FailureReason"] = st.FailureReason
		}
		// The members boto3's parser needs and Ferry's step records hold.
		switch kind {
		case "Processing":
			out["ProcessingResources"] = map[string]any{"ClusterConfig": map[string]any{"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}}
			out["AppSpecification"] = map[string]any{"ImageUri": "ferry"}
		case "Training":
			out["AlgorithmSpecification"] = map[string]any{"TrainingInputMode": "File", "TrainingImage": "ferry"}
			out["ModelArtifacts"] = map[string]any{"S3ModelArtifacts": modelArtifacts(st.Properties)}
			out["ResourceConfig"] = map[string]any{"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}
			out["StoppingCondition"] = map[string]any{}
			out["SecondaryStatus"] = out["TrainingJobStatus"]
		case "Transform":
			out["ModelName"] = fmt.Sprint(st.Properties["ModelName"])
			out["TransformInput"] = map[string]any{"DataSource": map[string]any{"S3DataSource": map[string]any{"S3DataType": "S3Prefix", "S3Uri": ""}}}
			out["TransformResources"] = map[string]any{"InstanceType": "ml.m5.large", "InstanceCount": 1}
		}
		return out, nil
	}
}

// modelArtifacts is a training step's ModelArtifacts.S3ModelArtifacts
// property (the model.tar.gz URI); "" when it has none.
func modelArtifacts(props map[string]any) string {
	if m, ok := props["ModelArtifacts"].(map[string]any); ok {
		if s, ok := m["S3ModelArtifacts"].(string); ok {
			return s
		}
	}
	if s, ok := props["ModelArtifacts.S3ModelArtifacts"].(string); ok {
		return s
	}
	return ""
}
