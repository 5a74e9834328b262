package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
)

func versionPath(ref registry.PackageRef, rest ...string) string {
	return path(append([]string{"models", ref.Group, "versions", strconv.Itoa(ref.Version)}, rest...)...)
}

// Groups lists the model groups.
func (c *Client) Groups(ctx context.Context) ([]registry.Group, error) {
	var out struct {
		Groups []registry.Group `json:"groups"`
	}
	err := c.call(ctx, http.MethodGet, path("models"), nil, nil, &out)
	return out.Groups, err
}

// Versions lists a group's versions.
func (c *Client) Versions(ctx context.Context, group string) ([]registry.Version, error) {
	var out struct {
		Versions []registry.Version `json:"versions"`
	}
	err := c.call(ctx, http.MethodGet, path("models", group, "versions"), nil, nil, &out)
	return out.Versions, err
}

// Version returns one model version.
func (c *Client) Version(ctx context.Context, ref registry.PackageRef) (registry.Version, error) {
	var v registry.Version
	err := c.call(ctx, http.MethodGet, versionPath(ref), nil, nil, &v)
	return v, err
}

// SetApproval approves or rejects a version.
func (c *Client) SetApproval(ctx context.Context, req app.ApprovalRequest) (app.ApprovalResult, error) {
	verb := "approve"
	if req.Status == registry.Rejected {
		verb = "reject"
	}
	var res app.ApprovalResult
	err := c.call(ctx, http.MethodPost, versionPath(req.Ref, verb), nil, api.ApprovalRequest{Reason: req.Reason, By: req.By}, &res)
	return res, err
}

// SetGroupEndpoint sets a group's auto-deploy endpoint.
func (c *Client) SetGroupEndpoint(ctx context.Context, group, endpoint string) error {
	return c.call(ctx, http.MethodPut, path("models", group, "endpoint"), nil, api.GroupEndpointRequest{Endpoint: endpoint}, nil)
}

// Events returns registry events after since.
func (c *Client) Events(ctx context.Context, since int64, limit int) (app.EventPage, error) {
	q := url.Values{"since": {strconv.FormatInt(since, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var page app.EventPage
	err := c.call(ctx, http.MethodGet, path("events"), q, nil, &page)
	return page, err
}

// Endpoints lists the endpoints.
func (c *Client) Endpoints(ctx context.Context) ([]registry.Endpoint, error) {
	var out struct {
		Endpoints []registry.Endpoint `json:"endpoints"`
	}
	err := c.call(ctx, http.MethodGet, path("endpoints"), nil, nil, &out)
	return out.Endpoints, err
}

// Endpoint returns one endpoint.
func (c *Client) Endpoint(ctx context.Context, name string) (registry.Endpoint, error) {
	var ep registry.Endpoint
	err := c.call(ctx, http.MethodGet, path("endpoints", name), nil, nil, &ep)
	return ep, err
}

// Deploy deploys a model version to an endpoint's variant.
func (c *Client) Deploy(ctx context.Context, req registry.DeployRequest) (app.DeployResult, error) {
	var res app.DeployResult
	body := api.DeployRequest{ModelPackage: req.Package.String(), Variant: req.Variant, InstanceCount: req.InstanceCount, Weight: req.Weight}
	err := c.call(ctx, http.MethodPut, path("endpoints", req.Endpoint), nil, body, &res)
	return res, err
}

// SetWeights changes an endpoint's variant weights.
func (c *Client) SetWeights(ctx context.Context, endpoint string, weights map[string]float64) (registry.Endpoint, error) {
	var ep registry.Endpoint
	err := c.call(ctx, http.MethodPut, path("endpoints", endpoint, "weights"), nil, api.WeightsRequest{Weights: weights}, &ep)
	return ep, err
}

// DeleteEndpoint deletes an endpoint.
func (c *Client) DeleteEndpoint(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, path("endpoints", name), nil, nil, nil)
}

// Invoke sends a request to an endpoint (POST /endpoints/{name}/invocations).
// A payload the endpoint refuses is a *serving.StatusError.
func (c *Client) Invoke(ctx context.Context, name string, req serving.Request) (serving.Response, error) {
	u := *c.base
	u.Path = u.Path + "/endpoints/" + url.PathEscape(name) + "/invocations"
	u.RawPath = ""
	if req.Explain {
		u.RawQuery = "explain=true"
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(req.Body))
	if err != nil {
		return serving.Response{}, err
	}
	hreq.Header.Set("Content-Type", req.ContentType)
	if req.Accept != "" {
		hreq.Header.Set("Accept", req.Accept)
	}
	if req.TargetVariant != "" {
		hreq.Header.Set("X-Amzn-SageMaker-Target-Variant", req.TargetVariant)
	}
	if c.token != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.send(hreq)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code != api.CodeUnauthenticated && e.Code != api.CodeForbidden {
			return serving.Response{}, &serving.StatusError{Status: e.Status, Err: errors.New(e.Message)}
		}
		return serving.Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return serving.Response{}, err
	}
	out := serving.Response{ContentType: resp.Header.Get("Content-Type"), Body: body,
		Variant: resp.Header.Get("X-Amzn-Invoked-Production-Variant")}
	out.Records = countRecords(out.ContentType, body)
	return out, nil
}

// countRecords counts the records of an invocation's answer.
func countRecords(contentType string, body []byte) int {
	if strings.HasPrefix(contentType, "application/json") && !strings.Contains(contentType, "lines") {
		var v struct {
			Predictions []json.RawMessage `json:"predictions"`
		}
		if json.Unmarshal(body, &v) == nil {
			return len(v.Predictions)
		}
		return 0
	}
	n := 0
	for _, line := range bytes.Split(body, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	return n
}
