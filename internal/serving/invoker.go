package serving

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Invoker is a model that answers raw request bodies itself, such as a
// SageMaker inference.py served by Python worker processes: the endpoint
// routes, metrics and data capture are the same as for a Predictor.
type Invoker interface {
	// Invoke answers one request body of contentType with a body of the
	// returned content type. A *StatusError sets the HTTP status; other
	// errors are 500s.
	Invoke(ctx context.Context, contentType, accept string, body []byte) (respType string, resp []byte, err error)
}

// invokeRaw answers req with inv; an explanation cannot be asked of it.
func invokeRaw(ctx context.Context, inv Invoker, req Request) (Response, error) {
	if req.Explain {
		return Response{}, statusErr(http.StatusBadRequest, "explain=true: this model has no SHAP explainer")
	}
	ct := req.ContentType
	if ct == "" {
		ct = ctCSV
	}
	accept := req.Accept
	if accept == "" || accept == "*/*" {
		accept = ct
	}
	typ, body, err := inv.Invoke(ctx, ct, accept, req.Body)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			return Response{}, se
		}
		return Response{}, &StatusError{Status: http.StatusInternalServerError, Err: err}
	}
	records := 1
	if baseType(ct) == ctCSV || baseType(ct) == ctJSONLines {
		records = 0
		for _, line := range strings.Split(string(req.Body), "\n") {
			if strings.TrimSpace(line) != "" {
				records++
			}
		}
	}
	return Response{ContentType: typ, Body: body, Records: records}, nil
}
