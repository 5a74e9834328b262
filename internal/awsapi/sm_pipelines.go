package awsapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sagemaker/callback"
)

type pipelineInput struct {
	PipelineName                 string
	PipelineDisplayName          string
	PipelineDefinition           string
	PipelineDefinitionS3Location *struct{ Bucket, ObjectKey, VersionId string }
	PipelineDescription          string
	RoleArn                      string
}

func (h *Handler) pipelineARN(name string) string { return h.arn("pipeline/" + name) }

func (h *Handler) putPipeline(r *http.Request, body []byte, create bool) (any, error) {
	var in pipelineInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.PipelineDefinitionS3Location != nil {
		return nil, unsupported("PipelineDefinitionS3Location", "a definition read from S3")
	}
	if create && in.PipelineDefinition == "" {
		return nil, validation("PipelineDefinition: required (PipelineDefinitionS3Location is not supported)")
	}
	p := app.NamedPipeline{Name: in.PipelineName, DisplayName: in.PipelineDisplayName, Description: in.PipelineDescription,
		RoleARN: in.RoleArn, Definition: in.PipelineDefinition, CreatedBy: principalName(r)}
	if !create && p.Definition == "" {
		old, err := h.cfg.App.NamedPipeline(r.Context(), in.PipelineName)
		if err != nil {
			return nil, pipelineNotFound(err)
		}
		p.Definition = old.Definition
	}
	if _, err := h.cfg.App.PutNamedPipeline(r.Context(), p, create); err != nil {
		var ip *app.InvalidPipelineError
		if errors.As(err, &ip) {
			return nil, validation("PipelineDefinition: %v", ip.Err)
		}
		if errors.Is(err, app.ErrConflict) {
			return nil, validation("Pipeline names must be unique within an AWS account and region. Pipeline with name (%s) already exists.", in.PipelineName)
		}
		return nil, pipelineNotFound(err)
	}
	return map[string]any{"PipelineArn": h.pipelineARN(in.PipelineName)}, nil
}

func pipelineNotFound(err error) error {
	if errors.Is(err, app.ErrNotFound) {
		return notFound("ResourceNotFound", "%v", err)
	}
	return err
}

func (h *Handler) createPipeline(r *http.Request, body []byte) (any, error) {
	return h.putPipeline(r, body, true)
}

func (h *Handler) updatePipeline(r *http.Request, body []byte) (any, error) {
	return h.putPipeline(r, body, false)
}

func (h *Handler) describePipeline(r *http.Request, body []byte) (any, error) {
	var in struct{ PipelineName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	p, err := h.cfg.App.NamedPipeline(r.Context(), nameFromARN(in.PipelineName, "pipeline"))
	if err != nil {
		return nil, pipelineNotFound(err)
	}
	out := map[string]any{
		"PipelineArn":         h.pipelineARN(p.Name),
		"PipelineName":        p.Name,
		"PipelineDisplayName": displayName(p),
		"PipelineDefinition":  p.Definition,
		"PipelineStatus":      "Active",
		"CreationTime":        epochOf(p.CreatedAt),
		"LastModifiedTime":    epochOf(p.UpdatedAt),
		"PipelineVersionId":   1,
	}
	if p.Description != "" {
		out["PipelineDescription"] = p.Description
	}
	if p.RoleARN != "" {
		out["RoleArn"] = p.RoleARN
	}
	if t := h.lastRun(r, p.Name); t != nil {
		out["LastRunTime"] = t
	}
	return out, nil
}

func displayName(p app.NamedPipeline) string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Name
}

// lastRun is the start of the pipeline's newest execution, if any.
func (h *Handler) lastRun(r *http.Request, name string) *epoch {
	pg, err := h.cfg.App.ListExecutions(r.Context(), app.ListOptions{Pipeline: name, Limit: 1})
	if err != nil || len(pg.Executions) == 0 {
		return nil
	}
	e := epochOf(pg.Executions[0].StartedAt)
	return &e
}

func (h *Handler) deletePipeline(r *http.Request, body []byte) (any, error) {
	var in struct{ PipelineName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name := nameFromARN(in.PipelineName, "pipeline")
	if err := h.cfg.App.DeleteNamedPipeline(r.Context(), name); err != nil {
		return nil, pipelineNotFound(err)
	}
	return map[string]any{"PipelineArn": h.pipelineARN(name)}, nil
}

func (h *Handler) listPipelines(r *http.Request, body []byte) (any, error) {
	var in struct {
		PipelineNamePrefix string
		SortBy, SortOrder  string
		NextToken          string
		MaxResults         int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.SortBy != "" && in.SortBy != "Name" && in.SortBy != "CreationTime" {
		return nil, validation("SortBy: want Name or CreationTime, got %q", short(in.SortBy))
	}
	ps, err := h.cfg.App.NamedPipelines(r.Context())
	if err != nil {
		return nil, err
	}
	ps = slices.DeleteFunc(ps, func(p app.NamedPipeline) bool { return !strings.HasPrefix(p.Name, in.PipelineNamePrefix) })
	if in.SortBy != "Name" { // SageMaker's default: newest first
		slices.SortStableFunc(ps, func(a, b app.NamedPipeline) int { return b.CreatedAt.Compare(a.CreatedAt) })
	}
	if in.SortOrder == "Ascending" {
		slices.Reverse(ps)
	}
	return pageOut("PipelineSummaries", ps, in.NextToken, in.MaxResults, func(p app.NamedPipeline) map[string]any {
		s := map[string]any{
			"PipelineArn": h.pipelineARN(p.Name), "PipelineName": p.Name, "PipelineDisplayName": displayName(p),
			"CreationTime": epochOf(p.CreatedAt), "LastModifiedTime": epochOf(p.UpdatedAt),
		}
		if p.Description != "" {
			s["PipelineDescription"] = p.Description
		}
		if p.RoleARN != "" {
			s["RoleArn"] = p.RoleARN
		}
		if t := h.lastRun(r, p.Name); t != nil {
			s["LastExecutionTime"] = t
		}
		return s
	})
}

// executionARN is arn:...:pipeline/NAME/execution/ID.
func (h *Handler) executionARN(pipeline, id string) string {
	return h.pipelineARN(pipeline) + "/execution/" + id
}

// executionID returns the execution id of an execution ARN.
func executionID(arn string) (string, error) {
	_, id, ok := strings.Cut(arn, "/execution/")
	if !strings.HasPrefix(arn, "arn:") || !ok || id == "" {
		return "", validation("PipelineExecutionArn %q: want arn:aws:sagemaker:REGION:ACCOUNT:pipeline/NAME/execution/ID", short(arn))
	}
	return id, nil
}

func executionNotFound(err error) error {
	if errors.Is(err, run.ErrNotFound) || errors.Is(err, app.ErrNotFound) {
		return notFound("ResourceNotFound", "%v", err)
	}
	return err
}

func (h *Handler) startPipelineExecution(r *http.Request, body []byte) (any, error) {
	var in struct {
		PipelineName                 string
		PipelineExecutionDisplayName string
		PipelineParameters           []struct{ Name, Value string }
		ParallelismConfiguration     *struct{ MaxParallelExecutionSteps int }
		SelectiveExecutionConfig     *struct {
			SourcePipelineExecutionArn string
			SelectedSteps              []struct{ StepName string }
		}
		PipelineVersionId *int64
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.PipelineVersionId != nil && *in.PipelineVersionId != 1 {
		return nil, unsupported("PipelineVersionId", "a version other than the latest (1)")
	}
	name := nameFromARN(in.PipelineName, "pipeline")
	p, err := h.cfg.App.NamedPipeline(r.Context(), name)
	if err != nil {
		return nil, pipelineNotFound(err)
	}
	req := app.RunRequest{Name: p.Name + ".json", Source: []byte(p.Definition), Params: map[string]string{}}
	for i, pp := range in.PipelineParameters {
		if pp.Name == "" {
			return nil, validation("PipelineParameters[%d].Name: required", i)
		}
		req.Params[pp.Name] = pp.Value
	}
	if in.ParallelismConfiguration != nil {
		if in.ParallelismConfiguration.MaxParallelExecutionSteps < 1 {
			return nil, validation("ParallelismConfiguration.MaxParallelExecutionSteps: want at least 1")
		}
		req.Parallelism = in.ParallelismConfiguration.MaxParallelExecutionSteps
	}
	if sc := in.SelectiveExecutionConfig; sc != nil {
		if sc.SourcePipelineExecutionArn != "" {
			id, err := executionID(sc.SourcePipelineExecutionArn)
			if err != nil {
				return nil, err
			}
			req.From = id
		}
		for _, s := range sc.SelectedSteps {
			req.Steps = append(req.Steps, s.StepName)
		}
	}
	ex, err := h.cfg.App.Start(r.Context(), req)
	if err != nil {
		var ip *app.InvalidPipelineError
		if errors.As(err, &ip) {
			return nil, validation("pipeline %s: %v", name, ip.Err)
		}
		return nil, executionNotFound(err)
	}
	return map[string]any{"PipelineExecutionArn": h.executionARN(name, ex.ID)}, nil
}

func (h *Handler) execution(r *http.Request, body []byte) (app.Execution, error) {
	var in struct{ PipelineExecutionArn string }
	if err := decode(body, &in); err != nil {
		return app.Execution{}, err
	}
	id, err := executionID(in.PipelineExecutionArn)
	if err != nil {
		return app.Execution{}, err
	}
	ex, err := h.cfg.App.Execution(r.Context(), id)
	if err != nil {
		return ex, executionNotFound(err)
	}
	return ex, nil
}

// executionStatus maps Ferry's statuses to SageMaker's
// (Executing|Stopping|Stopped|Failed|Succeeded).
func executionStatus(s run.Status) string {
	if s == run.Interrupted {
		return string(run.Failed)
	}
	return string(s)
}

func (h *Handler) stopPipelineExecution(r *http.Request, body []byte) (any, error) {
	ex, err := h.execution(r, body)
	if err != nil {
		return nil, err
	}
	if _, err := h.cfg.App.Stop(r.Context(), ex.ID); err != nil {
		return nil, executionNotFound(err)
	}
	return map[string]any{"PipelineExecutionArn": h.executionARN(ex.Pipeline, ex.ID)}, nil
}

func (h *Handler) retryPipelineExecution(r *http.Request, body []byte) (any, error) {
	var in struct {
		PipelineExecutionArn     string
		ParallelismConfiguration *struct{ MaxParallelExecutionSteps int }
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ex, err := h.execution(r, body)
	if err != nil {
		return nil, err
	}
	req := app.ResumeRequest{}
	if in.ParallelismConfiguration != nil {
		req.Parallelism = in.ParallelismConfiguration.MaxParallelExecutionSteps
	}
	if _, err := h.cfg.App.StartResume(r.Context(), ex.ID, req); err != nil {
		if errors.Is(err, app.ErrConflict) || errors.Is(err, app.ErrInvalid) {
			return nil, validation("%v", err)
		}
		return nil, executionNotFound(err)
	}
	return map[string]any{"PipelineExecutionArn": h.executionARN(ex.Pipeline, ex.ID)}, nil
}

func (h *Handler) describePipelineExecution(r *http.Request, body []byte) (any, error) {
	ex, err := h.execution(r, body)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"PipelineArn":                  h.pipelineARN(ex.Pipeline),
		"PipelineExecutionArn":         h.executionARN(ex.Pipeline, ex.ID),
		"PipelineExecutionDisplayName": ex.ID,
		"PipelineExecutionStatus":      executionStatus(ex.Status),
		"CreationTime":                 epochOf(ex.StartedAt),
		"LastModifiedTime":             epochOf(lastModified(ex)),
		"PipelineVersionId":            1,
	}
	if ex.FailureReason != "" {
		out["FailureReason"] = ex.FailureReason
	}
	return out, nil
}

func lastModified(ex app.Execution) time.Time {
	t := ex.StartedAt
	if ex.EndedAt != nil {
		t = *ex.EndedAt
	}
	return t
}

func (h *Handler) listPipelineExecutions(r *http.Request, body []byte) (any, error) {
	var in struct {
		PipelineName string
		SortOrder    string
		NextToken    string
		MaxResults   int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name := nameFromARN(in.PipelineName, "pipeline")
	if _, err := h.cfg.App.NamedPipeline(r.Context(), name); err != nil {
		if _, verr := h.cfg.App.PipelineVersions(r.Context(), name); verr != nil {
			return nil, pipelineNotFound(err)
		}
	}
	var all []app.Execution
	tok := ""
	for {
		pg, err := h.cfg.App.ListExecutions(r.Context(), app.ListOptions{Pipeline: name, Limit: app.MaxPageSize, PageToken: tok})
		if err != nil {
			return nil, err
		}
		all = append(all, pg.Executions...)
		if tok = pg.NextPageToken; tok == "" {
			break
		}
	}
	if in.SortOrder == "Ascending" {
		slices.Reverse(all)
	}
	return pageOut("PipelineExecutionSummaries", all, in.NextToken, in.MaxResults, func(ex app.Execution) map[string]any {
		s := map[string]any{
			"PipelineExecutionArn":         h.executionARN(name, ex.ID),
			"StartTime":                    epochOf(ex.StartedAt),
			"PipelineExecutionStatus":      executionStatus(ex.Status),
			"PipelineExecutionDisplayName": ex.ID,
		}
		if ex.FailureReason != "" {
			s["PipelineExecutionFailureReason"] = ex.FailureReason
		}
		return s
	})
}

func (h *Handler) listPipelineExecutionSteps(r *http.Request, body []byte) (any, error) {
	var in struct {
		PipelineExecutionArn string
		SortOrder            string
		NextToken            string
		MaxResults           int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ex, err := h.execution(r, body)
	if err != nil {
		return nil, err
	}
	steps, err := h.cfg.App.Steps(r.Context(), ex.ID)
	if err != nil {
		return nil, executionNotFound(err)
	}
	// Steps that ran, newest first (SageMaker's default order).
	steps = slices.DeleteFunc(steps, func(s app.StepRun) bool {
		return s.StartedAt == nil || s.Status == run.StepPending || s.Status == run.StepSkipped
	})
	slices.SortStableFunc(steps, func(a, b app.StepRun) int { return b.StartedAt.Compare(*a.StartedAt) })
	if in.SortOrder == "Ascending" {
		slices.Reverse(steps)
	}
	return pageOut("PipelineExecutionSteps", steps, in.NextToken, in.MaxResults, func(s app.StepRun) map[string]any {
		st := map[string]any{
			"StepName":     s.Name,
			"StepStatus":   stepStatus(s.Status),
			"StartTime":    epochPtr(s.StartedAt),
			"AttemptCount": s.Attempts,
			"Metadata":     h.stepMetadata(ex, s),
		}
		if s.EndedAt != nil {
			st["EndTime"] = epochPtr(s.EndedAt)
		}
		if s.FailureReason != "" {
			st["FailureReason"] = s.FailureReason
		}
		if s.Status == run.StepCacheHit && s.SourceExecution != "" {
			st["CacheHitResult"] = map[string]string{"SourcePipelineExecutionArn": h.executionARN(ex.Pipeline, s.SourceExecution)}
		}
		return st
	})
}

// stepStatus maps a step run's status to SageMaker's StepStatus.
func stepStatus(s run.StepStatus) string {
	switch s {
	case run.StepCacheHit:
		return "Succeeded"
	case run.StepPending:
		return "Starting"
	}
	return string(s)
}

// jobName is the name of the job a step ran, as Describe*Job accepts it:
// pipelines-EXECUTION-STEP.
func jobName(ex app.Execution, step string) string {
	return "pipelines-" + ex.ID + "-" + step
}

// stepMetadata is the Metadata of a step: the ARN of what it ran or
// made, by kind.
func (h *Handler) stepMetadata(ex app.Execution, s app.StepRun) map[string]any {
	switch s.Kind {
	case "processing", "sagemaker_processing", "clarify_check", "command":
		if s.Kind == "clarify_check" {
			return map[string]any{"ClarifyCheck": map[string]any{"CheckType": "ClarifyCheck"}}
		}
		return map[string]any{"ProcessingJob": map[string]string{"Arn": h.arn("processing-job/" + jobName(ex, s.Name))}}
	case "training", "sagemaker_training":
		return map[string]any{"TrainingJob": map[string]string{"Arn": h.arn("training-job/" + jobName(ex, s.Name))}}
	case "transform", "sagemaker_transform":
		return map[string]any{"TransformJob": map[string]string{"Arn": h.arn("transform-job/" + jobName(ex, s.Name))}}
	case "createmodel", "create_model", "sagemaker_model":
		return map[string]any{"Model": map[string]string{"Arn": h.arn("model/" + jobName(ex, s.Name))}}
	case "register", "register_model", "sagemaker_register_model":
		if arn, ok := s.Properties["ModelPackageArn"].(string); ok {
			if ref, err := packageRef("ModelPackageArn", arn); err == nil {
				return map[string]any{"RegisterModel": map[string]string{"Arn": h.packageARN(ref)}}
			}
		}
		if g, ok := s.Properties["ModelPackageGroupName"].(string); ok {
			if v, ok := s.Properties["ModelPackageVersion"].(float64); ok {
				return map[string]any{"RegisterModel": map[string]string{"Arn": h.arn(fmt.Sprintf("model-package/%s/%d", g, int(v)))}}
			}
		}
		return map[string]any{"RegisterModel": map[string]string{"Arn": h.arn("model-package/" + jobName(ex, s.Name))}}
	case "condition":
		out := map[string]any{}
		if o, ok := s.Properties["Outcome"].(string); ok {
			out["Outcome"] = o
		} else if o, ok := s.Properties["outcome"].(bool); ok {
			out["Outcome"] = fmt.Sprint(o)
		}
		return map[string]any{"Condition": out}
	case "fail":
		return map[string]any{"Fail": map[string]string{"ErrorMessage": s.FailureReason}}
	case "lambda", "sagemaker_lambda":
		if arn, ok := s.Properties["FunctionArn"].(string); ok {
			return map[string]any{"Lambda": map[string]string{"Arn": h.lambdaARN(functionName(arn))}}
		}
		return map[string]any{"Lambda": map[string]string{"Arn": h.lambdaARN(s.Name)}}
	case "sagemaker_callback":
		return map[string]any{"Callback": map[string]string{"CallbackToken": callback.Token(ex.ID, s.Name)}}
	}
	return map[string]any{}
}

func (h *Handler) describePipelineDefinitionForExecution(r *http.Request, body []byte) (any, error) {
	ex, err := h.execution(r, body)
	if err != nil {
		return nil, err
	}
	src, err := h.cfg.App.PipelineSource(r.Context(), ex.Pipeline, ex.PipelineDigest)
	if err != nil {
		return nil, executionNotFound(err)
	}
	return map[string]any{"PipelineDefinition": string(src), "CreationTime": epochOf(ex.StartedAt)}, nil
}

func (h *Handler) lambdaARN(name string) string {
	return "arn:aws:lambda:" + h.cfg.Region + ":" + h.cfg.AccountID + ":function:" + name
}
