package awsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/serving"
)

// fakeKeys knows one access key.
type fakeKeys struct{}

const (
	testKeyID  = "FKIATESTKEY0000000001"
	testSecret = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
	viewerKey  = "FKIATESTVIEWER0000001"
)

func (fakeKeys) AccessKey(_ context.Context, id string) (auth.Principal, string, error) {
	switch id {
	case testKeyID:
		return auth.Principal{Name: "ops", Role: auth.Operator}, testSecret, nil
	case viewerKey:
		return auth.Principal{Name: "look", Role: auth.Viewer}, testSecret, nil
	}
	return auth.Principal{}, "", auth.ErrUnauthenticated
}

var testNow = time.Date(2026, 12, 5, 2, 30, 0, 0, time.UTC)

// signed returns a request signed by aws-sdk-go-v2's signer.
func signed(t *testing.T, method, url, service string, body []byte, keyID, secret string, at time.Time, hdr map[string]string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, url, bytes.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		hash = h
	}
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		r, hash, service, "us-east-1", at, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerify(t *testing.T) {
	t.Parallel()
	v := &Verifier{Keys: fakeKeys{}, Now: func() time.Time { return testNow }}
	body := []byte(`{"PipelineName":"p"}`)
	smHdr := map[string]string{"X-Amz-Target": "SageMaker.DescribePipeline", "Content-Type": "application/x-amz-json-1.1"}
	tests := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		want   AuthFailure // 0: accepted
		reason string
	}{
		{"good", func(t *testing.T) *http.Request {
			return signed(t, "POST", "http://h:9/", "sagemaker", body, testKeyID, testSecret, testNow, smHdr)
		}, 0, ""},
		{"s3 path and query", func(t *testing.T) *http.Request {
			return signed(t, "GET", "http://h:9/bucket/a%20b/c.csv?list-type=2&prefix=x%2Fy", "s3", nil, testKeyID, testSecret, testNow,
				map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"})
		}, 0, ""},
		{"wrong secret", func(t *testing.T) *http.Request {
			return signed(t, "POST", "http://h:9/", "sagemaker", body, testKeyID, "x"+testSecret[1:], testNow, smHdr)
		}, BadSignature, "signature"},
		{"unknown key", func(t *testing.T) *http.Request {
			return signed(t, "POST", "http://h:9/", "sagemaker", body, "FKIANOSUCHKEY", testSecret, testNow, smHdr)
		}, UnknownKey, "FKIANOSUCHKEY"},
		{"date 20 minutes old", func(t *testing.T) *http.Request {
			return signed(t, "POST", "http://h:9/", "sagemaker", body, testKeyID, testSecret, testNow.Add(-20*time.Minute), smHdr)
		}, Skewed, "Signature expired"},
		{"date 20 minutes ahead", func(t *testing.T) *http.Request {
			return signed(t, "POST", "http://h:9/", "sagemaker", body, testKeyID, testSecret, testNow.Add(20*time.Minute), smHdr)
		}, Skewed, "Signature expired"},
		{"tampered body", func(t *testing.T) *http.Request {
			r := signed(t, "POST", "http://h:9/", "sagemaker", body, testKeyID, testSecret, testNow, smHdr)
			r.Body = io.NopCloser(strings.NewReader(`{"PipelineName":"q"}`))
			return r
		}, BadSignature, "signature"},
		{"tampered signed header", func(t *testing.T) *http.Request {
			r := signed(t, "POST", "http://h:9/", "sagemaker", body, testKeyID, testSecret, testNow, smHdr)
			r.Header.Set("X-Amz-Target", "SageMaker.DeletePipeline")
			return r
		}, BadSignature, "signature"},
		{"unsigned", func(t *testing.T) *http.Request {
			return httptest.NewRequest("POST", "http://h:9/", bytes.NewReader(body))
		}, Missing, "not signed"},
		{"malformed header", func(t *testing.T) *http.Request {
			r := httptest.NewRequest("POST", "http://h:9/", bytes.NewReader(body))
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			return r
		}, Malformed, "SignedHeaders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, _, err := v.Verify(tt.req(t))
			if tt.want == 0 {
				if err != nil || p.Name != "ops" {
					t.Fatalf("Verify = %v, %v; want ops", p, err)
				}
				return
			}
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Failure != tt.want || !strings.Contains(ae.Message, tt.reason) {
				t.Fatalf("Verify error = %v; want failure %d mentioning %q", err, tt.want, tt.reason)
			}
		})
	}
}

func TestVerifyS3PayloadHash(t *testing.T) {
	t.Parallel()
	v := &Verifier{Keys: fakeKeys{}, Now: func() time.Time { return testNow }}
	body := []byte("a,b\n1,2\n")
	sum := sha256.Sum256(body)
	r := signed(t, "PUT", "http://h:9/b/k.csv", "s3", body, testKeyID, testSecret, testNow,
		map[string]string{"X-Amz-Content-Sha256": hex.EncodeToString(sum[:])})
	r.Body = io.NopCloser(strings.NewReader("a,b\n1,3\n")) // same length, other bytes
	if _, _, err := v.Verify(r); err != nil {
		t.Fatalf("Verify = %v (the header is signed; the body is checked as read)", err)
	}
	_, err := io.ReadAll(r.Body)
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Failure != BadPayload {
		t.Fatalf("reading a tampered body = %v; want a BadPayload error", err)
	}
}

func TestVerifyPresigned(t *testing.T) {
	t.Parallel()
	v := &Verifier{Keys: fakeKeys{}, Now: func() time.Time { return testNow }}
	presign := func(at time.Time, secret string) *http.Request {
		r := httptest.NewRequest("GET", "http://h:9/b/k.csv?X-Amz-Expires=300", nil)
		uri, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: secret},
			r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", at, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		if err != nil {
			t.Fatal(err)
		}
		return httptest.NewRequest("GET", uri, nil)
	}
	if _, _, err := v.Verify(presign(testNow.Add(-time.Minute), testSecret)); err != nil {
		t.Errorf("fresh presigned URL: %v", err)
	}
	var ae *AuthError
	if _, _, err := v.Verify(presign(testNow.Add(-10*time.Minute), testSecret)); !errors.As(err, &ae) || ae.Failure != Skewed {
		t.Errorf("expired presigned URL: %v; want Skewed", err)
	}
	if _, _, err := v.Verify(presign(testNow, "wrong"+testSecret[5:])); !errors.As(err, &ae) || ae.Failure != BadSignature {
		t.Errorf("presigned with a wrong key: %v; want BadSignature", err)
	}
}

// TestAuthErrorShapes: each protocol answers a refused signature with the
// code its SDK expects, in its own error shape, with a message.
func TestAuthErrorShapes(t *testing.T) {
	t.Parallel()
	s3 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	h, err := New(Config{Keys: fakeKeys{}, S3: s3, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	bad := "x" + testSecret[1:]
	json11 := map[string]string{"X-Amz-Target": "SageMaker.ListPipelines", "Content-Type": "application/x-amz-json-1.1"}
	tests := []struct {
		name     string
		req      *http.Request
		status   int
		code     string
		xmlShape bool
	}{
		{"s3 ok", signed(t, "GET", "http://h/b", "s3", nil, testKeyID, testSecret, testNow, map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}), 200, "", false},
		{"s3 wrong key", signed(t, "GET", "http://h/b", "s3", nil, testKeyID, bad, testNow, map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}), 403, "SignatureDoesNotMatch", true},
		{"s3 unknown key", signed(t, "GET", "http://h/b", "s3", nil, "FKIAX", bad, testNow, map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}), 403, "InvalidAccessKeyId", true},
		{"s3 skewed", signed(t, "GET", "http://h/b", "s3", nil, testKeyID, testSecret, testNow.Add(time.Hour), map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}), 403, "RequestTimeTooSkewed", true},
		{"s3 unsigned", func() *http.Request {
			r := httptest.NewRequest("GET", "http://h/b", nil)
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			return r
		}(), 403, "AccessDenied", true},
		{"s3 write as viewer", signed(t, "PUT", "http://h/b", "s3", nil, viewerKey, testSecret, testNow, map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}), 403, "AccessDenied", true},
		{"sts wrong key", signed(t, "POST", "http://h/", "sts", []byte("Action=GetCallerIdentity&Version=2011-06-15"), testKeyID, bad, testNow, nil), 403, "SignatureDoesNotMatch", true},
		{"sts unknown key", signed(t, "POST", "http://h/", "sts", []byte("Action=GetCallerIdentity&Version=2011-06-15"), "FKIAX", bad, testNow, nil), 403, "InvalidClientTokenId", true},
		{"sagemaker wrong key", signed(t, "POST", "http://h/", "sagemaker", []byte("{}"), testKeyID, bad, testNow, json11), 403, "InvalidSignatureException", false},
		{"sagemaker unknown key", signed(t, "POST", "http://h/", "sagemaker", []byte("{}"), "FKIAX", bad, testNow, json11), 403, "UnrecognizedClientException", false},
		{"sagemaker skewed", signed(t, "POST", "http://h/", "sagemaker", []byte("{}"), testKeyID, testSecret, testNow.Add(-time.Hour), json11), 403, "InvalidSignatureException", false},
		{"runtime wrong key", signed(t, "POST", "http://h/endpoints/e/invocations", "sagemaker", []byte("1,2"), testKeyID, bad, testNow, map[string]string{"Content-Type": "text/csv"}), 403, "InvalidSignatureException", false},
		{"lambda wrong key", signed(t, "GET", "http://h/2015-03-31/functions/f", "lambda", nil, testKeyID, bad, testNow, nil), 403, "InvalidSignatureException", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.code == "" {
				return
			}
			var code, msg string
			if tt.xmlShape {
				var e struct {
					Code    string `xml:"Code"`
					Message string `xml:"Message"`
					Error   struct {
						Code    string `xml:"Code"`
						Message string `xml:"Message"`
					} `xml:"Error"`
				}
				if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil {
					t.Fatalf("%v: %s", err, w.Body)
				}
				code, msg = e.Code+e.Error.Code, e.Message+e.Error.Message
			} else {
				var e struct {
					Type    string `json:"__type"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
					t.Fatalf("%v: %s", err, w.Body)
				}
				code, msg = e.Type, e.Message
				if got := w.Header().Get("X-Amzn-Errortype"); got != tt.code {
					t.Errorf("x-amzn-ErrorType %q, want %q", got, tt.code)
				}
			}
			if code != tt.code || msg == "" {
				t.Errorf("code %q message %q; want code %q and a message", code, msg, tt.code)
			}
		})
	}
}

// FuzzVerify: arbitrary Authorization headers, dates and presigned
// queries never panic and are never accepted without the secret.
func FuzzVerify(f *testing.F) {
	v := &Verifier{Keys: fakeKeys{}, Now: func() time.Time { return testNow }}
	f.Add("AWS4-HMAC-SHA256 Credential="+testKeyID+"/20261205/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "20261205T023000Z", "")
	f.Add("", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="+testKeyID+"%2F20261205%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261205T023000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request,SignedHeaders=,Signature=", "x", "")
	f.Fuzz(func(t *testing.T, authz, date, query string) {
		r := httptest.NewRequest("POST", "http://h:9/", strings.NewReader("{}"))
		r.URL.RawQuery = query
		r.Header.Set("Authorization", authz)
		r.Header.Set("X-Amz-Date", date)
		if p, _, err := v.Verify(r); err == nil {
			t.Fatalf("accepted %q %q %q as %v", authz, date, query, p)
		}
	})
}

// BenchmarkVerify: verifying one signed 1-record InvokeEndpoint.
func BenchmarkVerify(b *testing.B) {
	v := &Verifier{Keys: fakeKeys{}, Now: func() time.Time { return testNow }}
	body := []byte("1,0,0,0.0,125200,17109.79,142309.79,7,22,0,16,58,116,0,1,750,3000,2.0,3.0,2020,0,0,1,0,0,0,1,0,1,0,0,0,0,1,0,0,0,1,0,0,1,0,0,0,0,1,0,0")
	t := &testing.T{}
	r0 := signed(t, "POST", "http://127.0.0.1:18490/endpoints/fraud/invocations", "sagemaker", body, testKeyID, testSecret, testNow, map[string]string{"Content-Type": "text/csv"})
	b.ReportAllocs()
	for b.Loop() {
		r := r0.Clone(context.Background())
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
		releaseBody(r)
	}
}

type constInvoker struct{}

func (constInvoker) Invoke(context.Context, string, serving.Request) (serving.Response, error) {
	return serving.Response{ContentType: "text/csv", Body: []byte("0.5\n"), Variant: "AllTraffic"}, nil
}

// BenchmarkRuntimeOverhead: what the runtime API adds to an invocation
// (verification, routing, the response's headers) over a constant model,
// for 1 and 50 records a request (as bench/serving/runtime.sh sends).
func BenchmarkRuntimeOverhead(b *testing.B) {
	h, err := New(Config{Keys: fakeKeys{}, Invoker: constInvoker{}, Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	row := "1,0,0,0.0,125200,17109.79,142309.79,7,22,0,16,58,116,0,1,750,3000,2.0,3.0,2020,0,0,1,0,0,0,1,0,1,0,0,0,0,1,0,0,0,1,0,0,1,0,0,0,0,1,0,0\n"
	rt := h.Route(http.NotFoundHandler())
	for _, n := range []int{1, 50} {
		body := []byte(strings.Repeat(row, n))
		r0 := signed(&testing.T{}, "POST", "http://127.0.0.1:18490/endpoints/fraud/invocations", "sagemaker", body, testKeyID, testSecret, testNow, map[string]string{"Content-Type": "text/csv"})
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				r := r0.Clone(context.Background())
				r.Body = io.NopCloser(bytes.NewReader(body))
				w := httptest.NewRecorder()
				rt.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatal(w.Code, w.Body)
				}
			}
		})
	}
}

func TestJobKey(t *testing.T) {
	t.Parallel()
	k, err := NewJobKey()
	if err != nil {
		t.Fatal(err)
	}
	v := &Verifier{Keys: k.Over(fakeKeys{}), Now: func() time.Time { return testNow }}
	for _, tc := range []struct {
		id, secret string
		want       string
	}{{k.ID, k.Secret, "jobs"}, {testKeyID, testSecret, "ops"}} {
		p, _, err := v.Verify(signed(t, "POST", "http://h/", "sagemaker", []byte("{}"), tc.id, tc.secret, testNow, nil))
		if err != nil || p.Name != tc.want {
			t.Errorf("key %s: %v, %v; want %s", tc.id, p, err, tc.want)
		}
	}
	if _, _, err := v.Verify(signed(t, "POST", "http://h/", "sagemaker", []byte("{}"), k.ID, testSecret, testNow, nil)); err == nil {
		t.Error("the job key with a wrong secret was accepted")
	}
}

// TestCanonicalMatchesSDK: the verifier's own canonical request gives the
// signature aws-sdk-go-v2's signer gives, for paths, queries and headers
// that need escaping, folding or sorting.
func TestCanonicalMatchesSDK(t *testing.T) {
	t.Parallel()
	v := &Verifier{Keys: fakeKeys{}, Now: func() time.Time { return testNow }}
	tests := []struct {
		service, method, url string
		hdr                  map[string]string
		body                 string
	}{
		{"sagemaker", "POST", "http://h:9/", map[string]string{"X-Amz-Target": "SageMaker.ListPipelines", "Content-Type": "application/x-amz-json-1.1"}, "{}"},
		{"sagemaker", "POST", "http://127.0.0.1:18490/endpoints/my%20ep/invocations", map[string]string{"Content-Type": "text/csv", "X-Amzn-SageMaker-Custom-Attributes": "  a   b  "}, "1,2"},
		{"s3", "GET", "http://h/b/a%20b/c%2Bd.csv?list-type=2&prefix=x%2Fy&delimiter=%2F&uploads", map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}, ""},
		{"s3", "PUT", "http://h/b/k~x(1).csv", map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD", "X-Amz-Meta-Source": "a", "Content-Md5": "xyz"}, "abc"},
		{"lambda", "POST", "http://h/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations?Qualifier=%24LATEST", nil, `{"a":1}`},
		{"sts", "POST", "http://h/", map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, "Action=GetCallerIdentity&Version=2011-06-15"},
	}
	for _, tt := range tests {
		r := signed(t, tt.method, tt.url, tt.service, []byte(tt.body), testKeyID, testSecret, testNow, tt.hdr)
		if _, _, err := v.Verify(r); err != nil {
			t.Errorf("%s %s: %v", tt.method, tt.url, err)
		}
	}
}

// chunked builds an aws-chunked body of parts, signed with aws-sdk-go-v2's
// stream signer from seed (S3's chunk signature is the event-stream one
// with no headers).
func chunked(t *testing.T, seed string, parts ...string) []byte {
	t.Helper()
	raw, err := hex.DecodeString(seed)
	if err != nil {
		t.Fatal(err)
	}
	ss := v4.NewStreamSigner(aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, "s3", "us-east-1", raw)
	var b bytes.Buffer
	for _, p := range append(parts, "") {
		sig, err := ss.GetSignature(context.Background(), nil, []byte(p), testNow)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n%s\r\n", len(p), hex.EncodeToString(sig), p)
	}
	return b.Bytes()
}

func TestVerifyChunkSignatures(t *testing.T) {
	t.Parallel()
	v := &Verifier{Keys: fakeKeys{}, Now: func() time.Time { return testNow }}
	req := func(body func(seed string) []byte) (*http.Request, error) {
		r := signed(t, "PUT", "http://h/b/k", "s3", nil, testKeyID, testSecret, testNow,
			map[string]string{"X-Amz-Content-Sha256": streamingPayload, "Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "11"})
		ah, err := parseAuthHeader(r.Header.Get("Authorization"))
		if err != nil {
			t.Fatal(err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body(ah.signature)))
		if _, _, err := v.Verify(r); err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(r.Body)
		return r, err
	}
	if _, err := req(func(seed string) []byte { return chunked(t, seed, "hello ", "world") }); err != nil {
		t.Errorf("a well-signed stream: %v", err)
	}
	var ae *AuthError
	if _, err := req(func(seed string) []byte {
		return bytes.Replace(chunked(t, seed, "hello ", "world"), []byte("world"), []byte("w0rld"), 1)
	}); !errors.As(err, &ae) {
		t.Errorf("a tampered chunk: %v, want an AuthError", err)
	}
	if _, err := req(func(seed string) []byte { return chunked(t, strings.Repeat("0", 64), "hello ", "world") }); !errors.As(err, &ae) {
		t.Errorf("chunks chained from another seed: %v, want an AuthError", err)
	}
	if _, err := req(func(seed string) []byte {
		b := chunked(t, seed, "hello ", "world")
		return b[:bytes.LastIndex(b, []byte("0;chunk"))]
	}); !errors.As(err, &ae) {
		t.Errorf("a stream without its final chunk: %v, want an AuthError", err)
	}
}

func FuzzChunkVerifier(f *testing.F) {
	f.Add([]byte("5;chunk-signature=" + strings.Repeat("a", 64) + "\r\nhello\r\n0;chunk-signature=" + strings.Repeat("b", 64) + "\r\n\r\n"))
	f.Add([]byte("zz;chunk-signature=1\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := newChunkVerifier(io.NopCloser(bytes.NewReader(body)), []byte("k"), "20261205T000000Z", "s", "seed")
		if _, err := io.ReadAll(c); err == nil {
			t.Fatalf("an unsigned stream was accepted: %q", body)
		}
	})
}
