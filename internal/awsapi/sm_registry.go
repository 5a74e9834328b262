package awsapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sagemaker/registrykind"
)

func (h *Handler) groupARN(name string) string { return h.arn("model-package-group/" + name) }

func (h *Handler) packageARN(ref registry.PackageRef) string {
	return h.arn(fmt.Sprintf("model-package/%s/%d", ref.Group, ref.Version))
}

// packageRef parses a model package ARN (…:model-package/GROUP/VERSION)
// or GROUP/VERSION.
func packageRef(member, s string) (registry.PackageRef, error) {
	rest := nameFromARN(s, "model-package")
	g, v, ok := strings.Cut(rest, "/")
	n, err := strconv.Atoi(v)
	if !ok || err != nil || n < 1 || g == "" {
		return registry.PackageRef{}, validation("%s %q: want arn:aws:sagemaker:REGION:ACCOUNT:model-package/GROUP/VERSION (Ferry's model packages are versioned)", member, short(s))
	}
	return registry.PackageRef{Group: g, Version: n}, nil
}

func registryNotFound(err error) error {
	if errors.Is(err, registry.ErrNotFound) {
		return notFound("ValidationException", "%v", err)
	}
	return err
}

func (h *Handler) groupOut(g registry.Group) map[string]any {
	out := map[string]any{
		"ModelPackageGroupName":   g.Name,
		"ModelPackageGroupArn":    h.groupARN(g.Name),
		"CreationTime":            epochOf(g.CreatedAt),
		"ModelPackageGroupStatus": "Completed",
	}
	if g.Description != "" {
		out["ModelPackageGroupDescription"] = g.Description
	}
	return out
}

func (h *Handler) describeModelPackageGroup(r *http.Request, body []byte) (any, error) {
	var in struct{ ModelPackageGroupName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	d, err := h.cfg.App.Group(r.Context(), nameFromARN(in.ModelPackageGroupName, "model-package-group"))
	if err != nil {
		return nil, registryNotFound(err)
	}
	out := h.groupOut(d.Group)
	out["CreatedBy"] = map[string]any{}
	return out, nil
}

func (h *Handler) listModelPackageGroups(r *http.Request, body []byte) (any, error) {
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
	gs, err := h.cfg.App.Groups(r.Context())
	if err != nil {
		return nil, err
	}
	gs = slices.DeleteFunc(gs, func(g registry.Group) bool { return !strings.Contains(g.Name, in.NameContains) })
	if in.SortBy == "Name" {
		slices.SortFunc(gs, func(a, b registry.Group) int { return strings.Compare(a.Name, b.Name) })
	} else {
		slices.SortStableFunc(gs, func(a, b registry.Group) int { return b.CreatedAt.Compare(a.CreatedAt) })
	}
	if in.SortOrder == "Ascending" {
		slices.Reverse(gs)
	}
	return pageOut("ModelPackageGroupSummaryList", gs, in.NextToken, in.MaxResults, h.groupOut)
}

func (h *Handler) packageSummary(v registry.Version) map[string]any {
	out := map[string]any{
		"ModelPackageGroupName": v.Group,
		"ModelPackageVersion":   v.Version,
		"ModelPackageArn":       h.packageARN(v.Ref()),
		"CreationTime":          epochOf(v.CreatedAt),
		"ModelPackageStatus":    "Completed",
		"ModelApprovalStatus":   string(v.Status),
	}
	if v.Description != "" {
		out["ModelPackageDescription"] = v.Description
	}
	return out
}

func (h *Handler) describeModelPackage(r *http.Request, body []byte) (any, error) {
	var in struct{ ModelPackageName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ref, err := packageRef("ModelPackageName", in.ModelPackageName)
	if err != nil {
		return nil, err
	}
	v, err := h.cfg.App.Version(r.Context(), ref)
	if err != nil {
		return nil, registryNotFound(err)
	}
	out := h.packageSummary(v)
	out["ModelPackageName"] = v.Group
	out["LastModifiedTime"] = epochOf(v.UpdatedAt)
	out["ModelPackageStatusDetails"] = map[string]any{"ValidationStatuses": []any{}, "ImageScanStatuses": []any{}}
	out["CertifyForMarketplace"] = false
	if len(v.History) > 0 {
		last := v.History[len(v.History)-1]
		if last.Reason != "" {
			out["ApprovalDescription"] = last.Reason
		}
		out["LastModifiedBy"] = map[string]any{"UserProfileName": last.By}
	}
	if len(v.Metadata) > 0 {
		out["CustomerMetadataProperties"] = v.Metadata
	}
	ct := v.Inference.ContentTypes
	rt := v.Inference.ResponseTypes
	if len(ct) == 0 {
		ct = []string{"text/csv"}
	}
	if len(rt) == 0 {
		rt = []string{"text/csv"}
	}
	container := map[string]any{"Image": "ferry", "ModelDataUrl": "ferry-artifact://" + string(v.Model)}
	if image, url, ok := h.cfg.App.PackageContainer(r.Context(), v); ok {
		container = map[string]any{"Image": image, "ModelDataUrl": url}
	}
	out["InferenceSpecification"] = map[string]any{
		"Containers":                 []map[string]any{container},
		"SupportedContentTypes":      ct,
		"SupportedResponseMIMETypes": rt,
	}
	return out, nil
}

func (h *Handler) listModelPackages(r *http.Request, body []byte) (any, error) {
	var in struct {
		ModelPackageGroupName string
		ModelApprovalStatus   string
		ModelPackageType      string
		NameContains          string
		SortBy                string
		SortOrder             string
		NextToken             string
		MaxResults            int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.ModelPackageType == "Unversioned" {
		return nil, unsupported("ModelPackageType", "Unversioned (every Ferry model package is versioned)")
	}
	var vs []registry.Version
	if in.ModelPackageGroupName != "" {
		var err error
		if vs, err = h.cfg.App.Versions(r.Context(), nameFromARN(in.ModelPackageGroupName, "model-package-group")); err != nil {
			return nil, registryNotFound(err)
		}
	} else {
		gs, err := h.cfg.App.Groups(r.Context())
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			gv, err := h.cfg.App.Versions(r.Context(), g.Name)
			if err != nil {
				return nil, err
			}
			vs = append(vs, gv...)
		}
	}
	vs = slices.DeleteFunc(vs, func(v registry.Version) bool {
		return in.ModelApprovalStatus != "" && string(v.Status) != in.ModelApprovalStatus || !strings.Contains(v.Group, in.NameContains)
	})
	slices.SortStableFunc(vs, func(a, b registry.Version) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if in.SortOrder == "Ascending" {
		slices.Reverse(vs)
	}
	return pageOut("ModelPackageSummaryList", vs, in.NextToken, in.MaxResults, h.packageSummary)
}

func (h *Handler) updateModelPackage(r *http.Request, body []byte) (any, error) {
	var in struct {
		ModelPackageArn     string
		ModelApprovalStatus string
		ApprovalDescription string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ref, err := packageRef("ModelPackageArn", in.ModelPackageArn)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	_ = decode(body, &m)
	for k := range m {
		if k != "ModelPackageArn" && k != "ModelApprovalStatus" && k != "ApprovalDescription" {
			return nil, unsupported(k, "changing "+k+" (UpdateModelPackage changes the approval status)")
		}
	}
	st := registry.ApprovalStatus(in.ModelApprovalStatus)
	if st != registry.Approved && st != registry.Rejected {
		return nil, validation("ModelApprovalStatus: want Approved or Rejected, got %q", short(in.ModelApprovalStatus))
	}
	reason := in.ApprovalDescription
	if strings.TrimSpace(reason) == "" {
		reason = "UpdateModelPackage through the SageMaker API"
	}
	if _, err := h.cfg.App.SetApproval(r.Context(), app.ApprovalRequest{Ref: ref, Status: st, By: principalName(r), Reason: reason}); err != nil {
		return nil, registryNotFound(err)
	}
	return map[string]any{"ModelPackageArn": h.packageARN(ref)}, nil
}

// endpointStatus maps the registry's endpoint status to SageMaker's.
func endpointStatus(s registry.EndpointStatus) string { return string(s) }

// configServer is an Invoker that tells which config of an endpoint it
// serves (*serving.Server).
type configServer interface {
	ServedConfig(name string) (configVersion int, ok bool)
}

// servingStatus is the endpoint's status as a client sees it: an endpoint
// the registry has InService but whose current config the server's
// serving layer has not loaded yet is still Creating (or Updating, while
// an earlier config serves), so that the endpoint_in_service waiter
// returns only once InvokeEndpoint reaches the new config.
func (h *Handler) servingStatus(ep registry.Endpoint) string {
	cs, ok := h.cfg.Invoker.(configServer)
	if !ok || ep.Status != registry.EndpointInService {
		return endpointStatus(ep.Status)
	}
	v, serving := cs.ServedConfig(ep.Name)
	switch {
	case serving && v == ep.ConfigVersion:
		return endpointStatus(ep.Status)
	case serving:
		return string(registry.EndpointUpdating)
	}
	return string(registry.EndpointCreating)
}

func (h *Handler) endpointARN(name string) string { return h.arn("endpoint/" + strings.ToLower(name)) }

func (h *Handler) describeEndpoint(r *http.Request, body []byte) (any, error) {
	var in struct{ EndpointName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ep, err := h.cfg.App.Endpoint(r.Context(), in.EndpointName)
	if err != nil {
		if errors.Is(err, registry.ErrNotFound) || errors.Is(err, app.ErrNotFound) {
			return nil, validation("Could not find endpoint %q.", in.EndpointName)
		}
		return nil, err
	}
	variants := []map[string]any{}
	for _, v := range ep.Config.Variants {
		variants = append(variants, map[string]any{
			"VariantName": v.Name, "CurrentWeight": v.Weight, "DesiredWeight": v.Weight,
			"CurrentInstanceCount": v.InstanceCount, "DesiredInstanceCount": v.InstanceCount,
		})
	}
	out := map[string]any{
		"EndpointName":       ep.Name,
		"EndpointArn":        h.endpointARN(ep.Name),
		"EndpointConfigName": h.endpointConfigName(r, ep),
		"ProductionVariants": variants,
		"EndpointStatus":     h.servingStatus(ep),
		"CreationTime":       epochOf(ep.CreatedAt),
		"LastModifiedTime":   epochOf(ep.UpdatedAt),
	}
	if ep.FailureReason != "" {
		out["FailureReason"] = ep.FailureReason
	}
	if dc := ep.Config.DataCapture; dc.Enabled {
		out["DataCaptureConfig"] = map[string]any{"EnableCapture": true, "CaptureStatus": "Enabled",
			"CurrentSamplingPercentage": int(dc.SamplingPercentage), "DestinationS3Uri": dc.Destination}
	}
	return out, nil
}

func (h *Handler) listEndpoints(r *http.Request, body []byte) (any, error) {
	var in struct {
		NameContains string
		StatusEquals string
		SortBy       string
		SortOrder    string
		NextToken    string
		MaxResults   int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	eps, err := h.cfg.App.Endpoints(r.Context())
	if err != nil {
		return nil, err
	}
	eps = slices.DeleteFunc(eps, func(e registry.Endpoint) bool {
		return !strings.Contains(e.Name, in.NameContains) || in.StatusEquals != "" && h.servingStatus(e) != in.StatusEquals
	})
	if in.SortBy == "Name" {
		slices.SortFunc(eps, func(a, b registry.Endpoint) int { return strings.Compare(a.Name, b.Name) })
	} else {
		slices.SortStableFunc(eps, func(a, b registry.Endpoint) int { return b.CreatedAt.Compare(a.CreatedAt) })
	}
	if in.SortOrder == "Ascending" {
		slices.Reverse(eps)
	}
	return pageOut("Endpoints", eps, in.NextToken, in.MaxResults, func(e registry.Endpoint) map[string]any {
		return map[string]any{
			"EndpointName": e.Name, "EndpointArn": h.endpointARN(e.Name), "EndpointStatus": h.servingStatus(e),
			"CreationTime": epochOf(e.CreatedAt), "LastModifiedTime": epochOf(e.UpdatedAt),
		}
	})
}

func (h *Handler) deleteEndpoint(r *http.Request, body []byte) (any, error) {
	var in struct{ EndpointName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := h.cfg.App.DeleteEndpoint(r.Context(), in.EndpointName); err != nil {
		if errors.Is(err, registry.ErrNotFound) || errors.Is(err, app.ErrNotFound) {
			return nil, validation("Could not find endpoint %q.", in.EndpointName)
		}
		return nil, err
	}
	return struct{}{}, nil
}

// endpointConfigName is the config an endpoint was created or updated
// with through the SageMaker API, or NAME-config-N for one deployed by
// Ferry's own commands.
func (h *Handler) endpointConfigName(r *http.Request, ep registry.Endpoint) string {
	if c := h.cfg.App.EndpointConfigOf(r.Context(), ep.Name); c != "" {
		return c
	}
	return fmt.Sprintf("%s-config-%d", ep.Name, ep.ConfigVersion)
}

func (h *Handler) createModelPackageGroup(r *http.Request, body []byte) (any, error) {
	var in struct {
		ModelPackageGroupName        string
		ModelPackageGroupDescription string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	g, err := h.cfg.App.CreateGroup(r.Context(), in.ModelPackageGroupName, in.ModelPackageGroupDescription)
	if errors.Is(err, app.ErrConflict) {
		return nil, validation("Model Package Group already exists: %s", h.groupARN(in.ModelPackageGroupName))
	}
	if err != nil {
		return nil, hostingErr(err)
	}
	return map[string]any{"ModelPackageGroupArn": h.groupARN(g.Name)}, nil
}

// metricsSource is a MetricsSource or FileSource of ModelMetrics and
// DriftCheckBaselines.
type metricsSource struct {
	ContentType string
	S3Uri       string
}

// createModelPackage registers the next version of an existing group, as
// the SDK's ModelPackage.register and RegisterModel send it.
func (h *Handler) createModelPackage(r *http.Request, body []byte) (any, error) {
	var in struct {
		ModelPackageName        string
		ModelPackageGroupName   string
		ModelPackageDescription string
		ModelApprovalStatus     string
		InferenceSpecification  *struct {
			Containers []struct {
				Image             string
				ModelDataUrl      string
				Environment       map[string]string
				ModelPackageName  string
				ContainerHostname string
				Framework         string
				FrameworkVersion  string
				NearestModelName  string
			}
			SupportedContentTypes                   []string
			SupportedResponseMIMETypes              []string
			SupportedRealtimeInferenceInstanceTypes []string
			SupportedTransformInstanceTypes         []string
		}
		ModelMetrics                 map[string]map[string]metricsSource
		DriftCheckBaselines          map[string]map[string]metricsSource
		CustomerMetadataProperties   map[string]string
		SourceAlgorithmSpecification map[string]any
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	switch {
	case in.ModelPackageGroupName == "" && in.ModelPackageName != "":
		return nil, unsupported("ModelPackageName", "an unversioned model package (give ModelPackageGroupName: every Ferry model package is a version in a group)")
	case in.ModelPackageGroupName == "":
		return nil, validation("CreateModelPackage: ModelPackageGroupName is required (Ferry's model packages are versions in a group)")
	case in.SourceAlgorithmSpecification != nil:
		return nil, unsupported("SourceAlgorithmSpecification", "a model package from an algorithm resource")
	case in.InferenceSpecification == nil || len(in.InferenceSpecification.Containers) == 0:
		return nil, validation("InferenceSpecification.Containers: at least one container is required")
	case len(in.InferenceSpecification.Containers) > 1:
		return nil, unsupported("InferenceSpecification.Containers", "more than one container (an inference pipeline)")
	}
	c := in.InferenceSpecification.Containers[0]
	if c.ModelPackageName != "" {
		return nil, unsupported("InferenceSpecification.Containers[0].ModelPackageName", "a container from another model package")
	}
	if c.ModelDataUrl == "" {
		return nil, validation("InferenceSpecification.Containers[0].ModelDataUrl: required (Ferry registers a model.tar.gz)")
	}
	if !strings.HasPrefix(c.ModelDataUrl, "s3://") {
		return nil, validation("InferenceSpecification.Containers[0].ModelDataUrl %q: want an s3:// URI", short(c.ModelDataUrl))
	}
	st := registry.ApprovalStatus(in.ModelApprovalStatus)
	if st != "" && !st.Valid() {
		return nil, validation("ModelApprovalStatus: want PendingManualApproval, Approved or Rejected, got %q", short(in.ModelApprovalStatus))
	}
	keys := func(member string, groups map[string]map[string]metricsSource, drift bool) (map[string]string, error) {
		out := map[string]string{}
		for g, ms := range groups {
			for m, src := range ms {
				if src.S3Uri != "" && !strings.HasPrefix(src.S3Uri, "s3://") {
					return nil, validation("%s.%s.%s.S3Uri %q: want an s3:// URI", member, g, m, short(src.S3Uri))
				}
				out[registrykind.MetricKey(drift, g, m)] = src.S3Uri
			}
		}
		return out, nil
	}
	metrics, err := keys("ModelMetrics", in.ModelMetrics, false)
	if err != nil {
		return nil, err
	}
	drift, err := keys("DriftCheckBaselines", in.DriftCheckBaselines, true)
	if err != nil {
		return nil, err
	}
	group := nameFromARN(in.ModelPackageGroupName, "model-package-group")
	v, err := h.cfg.App.CreateModelPackage(r.Context(), app.PackageRequest{
		Group: group, Description: in.ModelPackageDescription, Status: st,
		Image: c.Image, ModelDataURL: c.ModelDataUrl, Environment: c.Environment,
		ContentTypes: in.InferenceSpecification.SupportedContentTypes, ResponseTypes: in.InferenceSpecification.SupportedResponseMIMETypes,
		Metrics: metrics, DriftBaselines: drift, Metadata: in.CustomerMetadataProperties, By: principalName(r),
	})
	if err != nil {
		if v.Version > 0 { // registered; the auto-deploy failed
			h.cfg.Logger.Warn("CreateModelPackage: the registered version was not deployed", "package", v.Ref(), "err", err)
			return map[string]any{"ModelPackageArn": h.packageARN(v.Ref())}, nil
		}
		if errors.Is(err, registry.ErrNotFound) {
			return nil, validation("Model Package Group %s does not exist.", h.groupARN(group))
		}
		return nil, hostingErr(err)
	}
	return map[string]any{"ModelPackageArn": h.packageARN(v.Ref())}, nil
}

// deleteModelPackageGroup deletes a group with no model packages; one
// with packages answers ConflictException (Ferry never deletes a version:
// its approval history is the audit trail).
func (h *Handler) deleteModelPackageGroup(r *http.Request, body []byte) (any, error) {
	var in struct{ ModelPackageGroupName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name := nameFromARN(in.ModelPackageGroupName, "model-package-group")
	err := h.cfg.App.DeleteGroup(r.Context(), name)
	switch {
	case err == nil:
		return struct{}{}, nil
	case errors.Is(err, registry.ErrNotFound):
		return nil, validation("Model Package Group %s does not exist.", h.groupARN(name))
	case errors.Is(err, registry.ErrConflict):
		return nil, &APIError{http.StatusBadRequest, "ConflictException",
			fmt.Sprintf("Model Package Group %s cannot be deleted: it contains model packages, which Ferry keeps for their audit history (reject them with UpdateModelPackage instead)", h.groupARN(name))}
	}
	return nil, err
}

// deleteModelPackage answers that versions are kept: Ferry's registry
// numbers versions without gaps and keeps their approval history.
func (h *Handler) deleteModelPackage(r *http.Request, body []byte) (any, error) {
	var in struct{ ModelPackageName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	ref, err := packageRef("ModelPackageName", in.ModelPackageName)
	if err != nil {
		return nil, err
	}
	if _, err := h.cfg.App.Version(r.Context(), ref); err != nil {
		return nil, registryNotFound(err)
	}
	return nil, unsupported("ModelPackageName", "deleting a model package (Ferry keeps every version with its approval history; reject it with UpdateModelPackage instead)")
}
