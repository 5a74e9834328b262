package awsapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/serving"
)

// maxInvokeBody is SageMaker's payload limit for InvokeEndpoint.
const maxInvokeBody = 6 << 20

// serveRuntime answers the SageMaker runtime's InvokeEndpoint (REST-JSON):
// POST /endpoints/{EndpointName}/invocations, signed for "sagemaker". p is
// the verified principal (nil when the handler checks no signatures).
func (h *Handler) serveRuntime(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	rest, _ := strings.CutPrefix(r.URL.EscapedPath(), "/endpoints/")
	enc, tail, _ := strings.Cut(rest, "/")
	name, err := url.PathUnescape(enc)
	if r.Method != http.MethodPost || tail != "invocations" || err != nil || name == "" {
		writeJSONError(w, http.StatusNotFound, "UnknownOperationException",
			fmt.Sprintf("%s %s is not a SageMaker runtime operation (Ferry serves POST /endpoints/NAME/invocations)", r.Method, short(r.URL.Path)))
		return
	}
	if p != nil && !p.Role.Can(auth.Invoke) {
		h.writeAuthError(protoRuntime, w, r, &auth.ForbiddenError{Principal: *p, Action: auth.Invoke})
		return
	}
	if h.cfg.Invoker == nil {
		writeJSONError(w, http.StatusNotImplemented, "ValidationError", "endpoints are not served on this listener")
		return
	}
	if r.Header.Get("X-Amzn-Sagemaker-Inference-Component") != "" {
		writeJSONError(w, http.StatusBadRequest, "ValidationError", "X-Amzn-SageMaker-Inference-Component: inference components are not supported by Ferry")
		return
	}
	body, err := bodyBytes(r, maxInvokeBody)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "ValidationError", "reading the request body: "+err.Error())
		return
	}
	if len(body) > maxInvokeBody {
		writeJSONError(w, http.StatusRequestEntityTooLarge, "ValidationError", fmt.Sprintf("the body is larger than %d bytes", maxInvokeBody))
		return
	}
	id := r.Header.Get("X-Amzn-Sagemaker-Inference-Id")
	if len(id) > 64 {
		writeJSONError(w, http.StatusBadRequest, "ValidationError", "X-Amzn-SageMaker-Inference-Id: at most 64 characters")
		return
	}
	resp, err := h.cfg.Invoker.Invoke(r.Context(), name, serving.Request{
		ContentType:   r.Header.Get("Content-Type"),
		Accept:        r.Header.Get("Accept"),
		Body:          body,
		TargetVariant: r.Header.Get("X-Amzn-Sagemaker-Target-Variant"),
		InferenceID:   id,
	})
	releaseBody(r) // serving copied what it keeps (data capture)
	if err != nil {
		h.writeInvokeError(w, name, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", resp.ContentType)
	hd.Set("X-Amzn-Invoked-Production-Variant", resp.Variant)
	if ca := r.Header.Get("X-Amzn-Sagemaker-Custom-Attributes"); ca != "" {
		hd.Set("X-Amzn-Sagemaker-Custom-Attributes", ca)
	}
	_, _ = w.Write(resp.Body)
}

// writeInvokeError answers as the runtime does: a request the endpoint
// cannot take is a ValidationError (400); a failure of the model a
// ModelError (424) with the original status and message.
func (h *Handler) writeInvokeError(w http.ResponseWriter, name string, err error) {
	var se *serving.StatusError
	if !errors.As(err, &se) {
		h.cfg.Logger.Error("invoking endpoint", "endpoint", name, "err", err)
		writeJSONError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
		return
	}
	switch {
	case se.Status == http.StatusNotFound:
		writeJSONError(w, http.StatusBadRequest, "ValidationError",
			fmt.Sprintf("Endpoint %s of account %s not found.", name, h.cfg.AccountID))
	case se.Status < 500:
		writeJSONError(w, http.StatusBadRequest, "ValidationError", se.Err.Error())
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "ModelError")
		w.WriteHeader(http.StatusFailedDependency)
		_, _ = fmt.Fprintf(w, `{"__type":"ModelError","message":%q,"OriginalStatusCode":%d,"OriginalMessage":%q}`,
			"Received server error ("+fmt.Sprint(se.Status)+") from primary with message \""+se.Err.Error()+"\".", se.Status, se.Err.Error())
	}
}
