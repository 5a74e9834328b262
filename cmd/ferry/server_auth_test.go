package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
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
	assertNothingOpen(t, home, base, tok)
}

// TestServerClosesWhenATokenIsCreated: a server started without tokens
// serves the API and S3 openly (loopback), and once `ferry tokens create`
// runs beside it, it asks for tokens everywhere, as if started with them.
func TestServerClosesWhenATokenIsCreated(t *testing.T) {
	t.Parallel()
	home := artifacttest.TempDir(t)
	mustFerry(t, home, "s3", "mb", "s3://open-bucket")
	base := startServer(t, home, "server", "--addr", "127.0.0.1:0", "--poll", "50ms")
	for _, p := range []serverProbe{{"GET", "/api/v1/executions", ""}, {"GET", "/metrics", ""}, {"GET", "/open-bucket?list-type=2", ""}} {
		if code, body := p.do(t, base, p.sigv4IfS3()); code != http.StatusOK {
			t.Errorf("open server: %s %s: %d %s", p.method, p.path, code, body)
		}
	}
	tok := createToken(t, home, "viewer", "viewer")
	time.Sleep(1100 * time.Millisecond) // the server looks for tokens once a second
	assertNothingOpen(t, home, base, tok)
}

type serverProbe struct{ method, path, body string }

const fakeSigV4 = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261205/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"

// sigv4IfS3 is the Authorization header an S3 client would send for p.
func (p serverProbe) sigv4IfS3() string {
	if strings.HasPrefix(p.path, "/api/") || strings.HasPrefix(p.path, "/metrics") || strings.HasPrefix(p.path, "/endpoints/") {
		return ""
	}
	return fakeSigV4
}

func (p serverProbe) do(t *testing.T, base, authz string) (int, string) {
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
	if strings.HasPrefix(authz, "AWS4-") {
		req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp.StatusCode, string(b)
}

// assertNothingOpen checks that the server at base answers nothing but
// GET /ping and the OpenAPI document without a valid token, and lets a
// viewer's token (tok) read.
func assertNothingOpen(t *testing.T, home, base, tok string) {
	t.Helper()
	probes := []serverProbe{
		{"GET", "/metrics", ""},
		{"GET", "/api/models", ""}, {"GET", "/api/models/g", ""}, {"GET", "/api/models/g/1", ""},
		{"GET", "/api/endpoints", ""}, {"GET", "/api/endpoints/e", ""}, {"GET", "/api/events", ""},
		{"POST", "/endpoints/e/invocations", "1,2\n"},
	}
	repl := strings.NewReplacer("{path...}", "x", "{", "", "}", "")
	for _, rt := range api.Routes() {
		probes = append(probes, serverProbe{rt.Method, repl.Replace(rt.Pattern), "{}"})
	}
	s3 := []serverProbe{
		{"GET", "/", ""}, {"GET", "/open-bucket", ""}, {"GET", "/open-bucket?list-type=2", ""},
		{"PUT", "/open-bucket/k", "data"}, {"GET", "/open-bucket/k", ""}, {"PUT", "/new-bucket", ""},
		{"POST", "/", "Action=GetCallerIdentity&Version=2011-06-15"},
	}
	headers := map[string]string{
		"none":       "",
		"bad bearer": "Bearer ferry_notatoken",
		"basic":      "Basic dmlld2VyOnZpZXdlcg==",
		"sigv4":      fakeSigV4,
	}
	for name, authz := range headers {
		for _, p := range probes {
			code, body := p.do(t, base, authz)
			// A SigV4 request is answered by the AWS-compatible APIs: an
			// unknown access key is their 403.
			if code != http.StatusUnauthorized && (name != "sigv4" || code != http.StatusForbidden) {
				t.Errorf("%s %s with %s authorization: %d %s, want 401", p.method, p.path, name, code, body)
			}
		}
		// Not served as S3: no S3 answer (the path may belong to
		// another page, such as a console's sign-in at /), and nothing
		// written (checked below).
		for _, p := range s3 {
			code, body := p.do(t, base, authz)
			if strings.Contains(body, "<Error>") && code >= 400 {
				continue // an AWS error answer: refused
			}
			for _, s3word := range []string{"ListAllMyBucketsResult", "ListBucketResult", "GetCallerIdentity", "<Buckets>", "AccessKeyId"} {
				if strings.Contains(body, s3word) {
					t.Errorf("S3 %s %s with %s authorization: %d %s: an S3 answer", p.method, p.path, name, code, body)
				}
			}
			if code < 400 && p.method != "GET" {
				t.Errorf("S3 %s %s with %s authorization: %d %s, want a refusal", p.method, p.path, name, code, body)
			}
		}
	}
	// The console's pages ask for a sign-in.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/executions", "/models", "/endpoints", "/pipelines"} {
		resp, err := noFollow.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode < 400 && !strings.HasPrefix(loc, "/signin") {
			t.Errorf("console GET %s without a token: %d (Location %q), want a sign-in", path, resp.StatusCode, loc)
		}
	}
	if ls := mustFerry(t, home, "s3", "ls"); strings.Contains(ls, "new-bucket") {
		t.Errorf("a bucket was made without a token:\n%s", ls)
	}
	if ls := mustFerry(t, home, "s3", "ls", "s3://open-bucket/"); regexp.MustCompile(`(?m)(^|[\s/])k$`).MatchString(ls) {
		t.Errorf("an object was written without a token:\n%s", ls)
	}
	for _, path := range []string{"/ping", "/api/v1/openapi.json"} {
		if code, _ := (serverProbe{"GET", path, ""}).do(t, base, ""); code != http.StatusOK {
			t.Errorf("GET %s without a token: %d, want 200", path, code)
		}
	}
	if code, body := (serverProbe{"GET", "/metrics", ""}).do(t, base, "Bearer "+tok); code != http.StatusOK {
		t.Errorf("GET /metrics as a viewer: %d %s", code, body)
	}
}
