package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/api"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
)

// TestServerWithTokensServesNothingOpenly: a `ferry server` with tokens
// (the real wiring) answers nothing but GET /ping and the OpenAPI
// document without a valid token: not /metrics, the first milestone's
// /api/* routes, endpoint invocations, any /api/v1 route, nor S3 (not
// mounted on a server with tokens: it does not check signatures yet),
// whatever the request's Authorization header says.
func TestServerWithTokensServesNothingOpenly(t *testing.T) {
	t.Parallel()
	home := artifacttest.TempDir(t)
	tok := createToken(t, home, "viewer", "viewer")
	mustFerry(t, home, "s3", "mb", "s3://open-bucket")
	base := startServer(t, home, "server", "--addr", "127.0.0.1:0", "--poll", "50ms")

	type probe struct{ method, path, body string }
	probes := []probe{
		{"GET", "/metrics", ""},
		{"GET", "/api/models", ""}, {"GET", "/api/models/g", ""}, {"GET", "/api/models/g/1", ""},
		{"GET", "/api/endpoints", ""}, {"GET", "/api/endpoints/e", ""}, {"GET", "/api/events", ""},
		{"POST", "/endpoints/e/invocations", "1,2\n"},
	}
	repl := strings.NewReplacer("{path...}", "x", "{", "", "}", "")
	for _, rt := range api.Routes() {
		probes = append(probes, probe{rt.Method, repl.Replace(rt.Pattern), "{}"})
	}
	s3 := []probe{
		{"GET", "/", ""}, {"GET", "/open-bucket", ""}, {"GET", "/open-bucket?list-type=2", ""},
		{"PUT", "/open-bucket/k", "data"}, {"GET", "/open-bucket/k", ""}, {"PUT", "/new-bucket", ""},
		{"POST", "/", "Action=GetCallerIdentity&Version=2011-06-15"},
	}
	headers := map[string]string{
		"none":       "",
		"bad bearer": "Bearer ferry_notatoken",
		"basic":      "Basic dmlld2VyOnZpZXdlcg==",
		"sigv4":      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261205/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64),
	}
	do := func(p probe, authz string) (int, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, p.method, base+p.path, strings.NewReader(p.body))
		if err != nil {
			t.Fatal(err)
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		req.Header.Set("X-Amz-Date", "20261205T000000Z")
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return resp.StatusCode, string(b)
	}
	for name, authz := range headers {
		for _, p := range probes {
			if code, body := do(p, authz); code != http.StatusUnauthorized {
				t.Errorf("%s %s with %s authorization: %d %s, want 401", p.method, p.path, name, code, body)
			}
		}
		for _, p := range s3 {
			if code, body := do(p, authz); code < 400 {
				t.Errorf("S3 %s %s with %s authorization: %d %s, want a refusal", p.method, p.path, name, code, body)
			}
		}
	}
	for _, path := range []string{"/ping", "/api/v1/openapi.json"} {
		if code, _ := do(probe{"GET", path, ""}, ""); code != http.StatusOK {
			t.Errorf("GET %s without a token: %d, want 200", path, code)
		}
	}
	// The same requests with a token are let through (a viewer reads).
	if code, body := do(probe{"GET", "/metrics", ""}, "Bearer "+tok); code != http.StatusOK {
		t.Errorf("GET /metrics as a viewer: %d %s", code, body)
	}
}
