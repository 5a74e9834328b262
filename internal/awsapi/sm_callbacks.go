package awsapi

import (
	"net/http"
	"strings"
)

// Callbacks answers the Callback steps that wait for a token;
// *callback.Dir (the directory `ferry callback` answers) implements it.
type Callbacks interface {
	Succeed(token string, outputs map[string]string) error
	Fail(token, reason string) error
}

func (h *Handler) sendStepSuccess(r *http.Request, body []byte) (any, error) {
	var in struct {
		CallbackToken    string
		OutputParameters []struct{ Name, Value string }
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if h.cfg.Callbacks == nil {
		return nil, validation("no Callback steps are served here")
	}
	outs := map[string]string{}
	for i, o := range in.OutputParameters {
		if o.Name == "" {
			return nil, validation("OutputParameters[%d].Name: required", i)
		}
		outs[o.Name] = o.Value
	}
	if err := h.cfg.Callbacks.Succeed(strings.TrimSpace(in.CallbackToken), outs); err != nil {
		return nil, validation("CallbackToken: %v", err)
	}
	return struct{}{}, nil
}

func (h *Handler) sendStepFailure(r *http.Request, body []byte) (any, error) {
	var in struct {
		CallbackToken string
		FailureReason string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if h.cfg.Callbacks == nil {
		return nil, validation("no Callback steps are served here")
	}
	reason := in.FailureReason
	if strings.TrimSpace(reason) == "" {
		reason = "SendPipelineExecutionStepFailure without a FailureReason"
	}
	if err := h.cfg.Callbacks.Fail(strings.TrimSpace(in.CallbackToken), reason); err != nil {
		return nil, validation("CallbackToken: %v", err)
	}
	return struct{}{}, nil
}
