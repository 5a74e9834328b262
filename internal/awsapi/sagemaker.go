package awsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/auth"
)

// maxJSONBody bounds a SageMaker request body (a pipeline definition is
// at most 1 MB in SageMaker).
const maxJSONBody = 8 << 20

// smOp is one served SageMaker operation.
type smOp struct {
	action auth.Action
	run    func(h *Handler, r *http.Request, body []byte) (any, error)
}

// sageMakerOps are the served operations, by name.
func sageMakerOps() map[string]smOp {
	return map[string]smOp{
		"CreatePipeline":                         {auth.Operate, (*Handler).createPipeline},
		"UpdatePipeline":                         {auth.Operate, (*Handler).updatePipeline},
		"DescribePipeline":                       {auth.Read, (*Handler).describePipeline},
		"DeletePipeline":                         {auth.Operate, (*Handler).deletePipeline},
		"ListPipelines":                          {auth.Read, (*Handler).listPipelines},
		"StartPipelineExecution":                 {auth.Operate, (*Handler).startPipelineExecution},
		"StopPipelineExecution":                  {auth.Operate, (*Handler).stopPipelineExecution},
		"RetryPipelineExecution":                 {auth.Operate, (*Handler).retryPipelineExecution},
		"DescribePipelineExecution":              {auth.Read, (*Handler).describePipelineExecution},
		"ListPipelineExecutions":                 {auth.Read, (*Handler).listPipelineExecutions},
		"ListPipelineExecutionSteps":             {auth.Read, (*Handler).listPipelineExecutionSteps},
		"DescribePipelineDefinitionForExecution": {auth.Read, (*Handler).describePipelineDefinitionForExecution},
		"CreateModelPackageGroup":                {auth.Operate, (*Handler).createModelPackageGroup},
		"DescribeModelPackageGroup":              {auth.Read, (*Handler).describeModelPackageGroup},
		"ListModelPackageGroups":                 {auth.Read, (*Handler).listModelPackageGroups},
		"DeleteModelPackageGroup":                {auth.Operate, (*Handler).deleteModelPackageGroup},
		"CreateModelPackage":                     {auth.Operate, (*Handler).createModelPackage},
		"DeleteModelPackage":                     {auth.Operate, (*Handler).deleteModelPackage},
		"DescribeModelPackage":                   {auth.Read, (*Handler).describeModelPackage},
		"ListModelPackages":                      {auth.Read, (*Handler).listModelPackages},
		"UpdateModelPackage":                     {auth.Approve, (*Handler).updateModelPackage},
		"DescribeEndpoint":                       {auth.Read, (*Handler).describeEndpoint},
		"ListEndpoints":                          {auth.Read, (*Handler).listEndpoints},
		"DeleteEndpoint":                         {auth.Operate, (*Handler).deleteEndpoint},
		"CreateEndpoint":                         {auth.Operate, (*Handler).createEndpoint},
		"UpdateEndpoint":                         {auth.Operate, (*Handler).updateEndpoint},
		"CreateModel":                            {auth.Operate, (*Handler).createModel},
		"DescribeModel":                          {auth.Read, (*Handler).describeModel},
		"DeleteModel":                            {auth.Operate, (*Handler).deleteModel},
		"ListModels":                             {auth.Read, (*Handler).listModels},
		"CreateEndpointConfig":                   {auth.Operate, (*Handler).createEndpointConfig},
		"DescribeEndpointConfig":                 {auth.Read, (*Handler).describeEndpointConfig},
		"DeleteEndpointConfig":                   {auth.Operate, (*Handler).deleteEndpointConfig},
		"DescribeProcessingJob":                  {auth.Read, describeJob("Processing")},
		"DescribeTrainingJob":                    {auth.Read, describeJob("Training")},
		"DescribeTransformJob":                   {auth.Read, describeJob("Transform")},
		"SendPipelineExecutionStepSuccess":       {auth.Operate, (*Handler).sendStepSuccess},
		"SendPipelineExecutionStepFailure":       {auth.Operate, (*Handler).sendStepFailure},
	}
}

// serveSageMaker answers the SageMaker JSON 1.1 protocol: POST / with
// X-Amz-Target: SageMaker.<Operation>.
func (h *Handler) serveSageMaker(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "SageMaker.")
	if r.Method != http.MethodPost || !ok || op == "" {
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("want POST with X-Amz-Target: SageMaker.<Operation>, got %s with X-Amz-Target %q", r.Method, short(target)))
		return
	}
	spec, ok := sageMakerOps()[op]
	if !ok {
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("operation %s is not supported by Ferry (docs/aws-api.md lists the supported ones)", short(op)))
		return
	}
	if err := h.check(r, spec.action); err != nil {
		h.writeAuthError(protoSageMaker, w, r, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "ValidationException", "reading the request body: "+err.Error())
		return
	}
	if len(body) > maxJSONBody {
		writeJSONError(w, http.StatusRequestEntityTooLarge, "ValidationException", fmt.Sprintf("the request body is larger than %d bytes", maxJSONBody))
		return
	}
	if err := checkMembers(op, body); err != nil {
		writeAPIError(w, err)
		return
	}
	if h.cfg.App == nil {
		writeJSONError(w, http.StatusNotImplemented, "UnknownOperationException", "SageMaker operations are not served on this listener")
		return
	}
	out, err := spec.run(h, r, body)
	if err != nil {
		ae := apiError(err)
		if ae.Status >= 500 {
			h.cfg.Logger.Error("sagemaker operation", "op", op, "err", err)
		}
		writeJSONError(w, ae.Status, ae.Code, ae.Message)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", requestID())
	if out == nil {
		out = struct{}{}
	}
	_ = json.NewEncoder(w).Encode(out)
}

// checkMembers refuses a body that is not a JSON object, names a member
// the operation's model does not have, or lacks a required one.
func checkMembers(op string, body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return validation("%s: the request body is not a JSON object: %v", op, err)
	}
	members := sageMakerMembers[op]
	for k := range m {
		if !slices.Contains(members, k) && !slices.Contains(members, k+"!") {
			return validation("%s: unknown member %q in the input", op, short(k))
		}
	}
	for _, mem := range members {
		if name, ok := strings.CutSuffix(mem, "!"); ok {
			if _, present := m[name]; !present {
				return validation("%s: missing required member %s", op, name)
			}
		}
	}
	return nil
}

// decode reads body into v; a member of the wrong type is a
// ValidationException naming it.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return validation("member %s: want %s, got a JSON %s", te.Field, jsonType(te.Type.Kind().String()), te.Value)
		}
		return validation("reading the request: %v", err)
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "map", "struct":
		return "a structure"
	case "bool":
		return "a boolean"
	}
	return "a number"
}

// epoch is a timestamp as the JSON protocols send it: seconds since the
// epoch.
type epoch float64

func epochOf(t time.Time) epoch { return epoch(float64(t.UnixMilli()) / 1000) }

func epochPtr(t *time.Time) *epoch {
	if t == nil || t.IsZero() {
		return nil
	}
	e := epochOf(*t)
	return &e
}

// arn returns a SageMaker ARN of the resource "type/name".
func (h *Handler) arn(resource string) string {
	return "arn:aws:sagemaker:" + h.cfg.Region + ":" + h.cfg.AccountID + ":" + resource
}

// nameFromARN returns the name in a SageMaker ARN of the resource type
// typ ("pipeline", "endpoint", ...), or s itself when it is not an ARN.
func nameFromARN(s, typ string) string {
	if !strings.HasPrefix(s, "arn:") {
		return s
	}
	f := strings.SplitN(s, ":", 6)
	if len(f) < 6 {
		return s
	}
	rest, ok := strings.CutPrefix(f[5], typ+"/")
	if !ok {
		return s
	}
	return rest
}

// pageOut is a List operation's answer: one page of items, each as
// summary gives it, under key, with the NextToken of the next page.
func pageOut[T any](key string, items []T, token string, max int, summary func(T) map[string]any) (map[string]any, error) {
	items, next, err := page(items, token, max)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, 0, len(items))
	for _, it := range items {
		list = append(list, summary(it))
	}
	out := map[string]any{key: list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// page returns the items of one page and the next token: tokens are
// decimal offsets.
func page[T any](items []T, token string, max int) ([]T, string, error) {
	off := 0
	if token != "" {
		if _, err := fmt.Sscanf(token, "%d", &off); err != nil || off < 0 || off > len(items) {
			return nil, "", validation("NextToken %q is not one this server issued", short(token))
		}
	}
	if max <= 0 || max > 100 {
		max = 100
	}
	end := min(off+max, len(items))
	next := ""
	if end < len(items) {
		next = fmt.Sprint(end)
	}
	return items[off:end], next, nil
}
