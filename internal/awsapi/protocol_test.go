package awsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/awsapi"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/fail"
)

// newApp returns an application layer over a fresh home.
func newApp(t testing.TB) *app.App {
	t.Helper()
	return newAppWith(t, nil)
}

// newAppWith returns an application layer over a fresh home whose
// SageMaker API models and S3 imports go through sm.
func newAppWith(t testing.TB, sm func(arts artifact.Store) app.SageMakerObjects) *app.App {
	t.Helper()
	home := artifacttest.TempDir(t)
	db, err := sqlite.Open(context.Background(), filepath.Join(home, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	arts, err := artifact.OpenDir(filepath.Join(home, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	kinds := step.NewRegistry()
	kinds.MustRegister(fail.Kind{})
	cfg := app.Config{Executions: sqlite.NewExecutionStore(db), Registry: registry.New(sqlite.NewRegistryStore(db), logger),
		Artifacts: arts, Kinds: kinds, Home: home, Logger: logger, PollInterval: 10 * time.Millisecond}
	if sm != nil {
		cfg.SageMaker = sm(arts)
	}
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// failingInvoker answers every invocation with a serving error.
type failingInvoker struct{ status int }

func (f failingInvoker) Invoke(_ context.Context, name string, _ serving.Request) (serving.Response, error) {
	if name == "ok" {
		return serving.Response{ContentType: "text/csv", Body: []byte("0.5\n"), Variant: "AllTraffic"}, nil
	}
	return serving.Response{}, &serving.StatusError{Status: f.status, Err: io.ErrUnexpectedEOF}
}

func newHandler(t testing.TB, inv awsapi.Invoker) *awsapi.Handler {
	t.Helper()
	h, err := awsapi.New(awsapi.Config{App: newApp(t), Invoker: inv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func smRequest(op, body string) *http.Request {
	r := httptest.NewRequest("POST", "http://h/", strings.NewReader(body))
	r.Header.Set("X-Amz-Target", "SageMaker."+op)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	return r
}

func signedFor(service string, r *http.Request) *http.Request {
	// An unverified scope: the handler under test has no keys.
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=FKIAX/20261205/us-east-1/"+service+"/aws4_request, SignedHeaders=host, Signature=00")
	r.Header.Set("X-Amz-Date", "20261205T000000Z")
	return r
}

// TestErrorShapes: each protocol's errors carry the code botocore reads
// (x-amzn-ErrorType and __type) and a message naming what is wrong.
func TestErrorShapes(t *testing.T) {
	t.Parallel()
	h := newHandler(t, failingInvoker{status: 500})
	bad := newHandler(t, failingInvoker{status: 400})
	tests := []struct {
		name    string
		h       *awsapi.Handler
		req     *http.Request
		status  int
		code    string
		mention string
	}{
		{"unknown operation", h, smRequest("CreateTrainingJob", "{}"), 400, "UnknownOperationException", "CreateTrainingJob"},
		{"no target", h, signedFor("sagemaker", httptest.NewRequest("POST", "http://h/", strings.NewReader("{}"))), 400, "UnknownOperationException", "X-Amz-Target"},
		{"unknown member", h, smRequest("ListPipelines", `{"Nope": 1}`), 400, "ValidationException", "Nope"},
		{"missing member", h, smRequest("DescribePipeline", `{}`), 400, "ValidationException", "PipelineName"},
		{"wrong type", h, smRequest("DescribePipeline", `{"PipelineName": 3}`), 400, "ValidationException", "PipelineName"},
		{"not json", h, smRequest("ListPipelines", `[1,`), 400, "ValidationException", "JSON"},
		{"unsupported value", h, smRequest("CreatePipeline", `{"PipelineName":"p","ClientRequestToken":"t","RoleArn":"r","PipelineDefinitionS3Location":{"Bucket":"b","ObjectKey":"k"}}`),
			400, "ValidationException", "PipelineDefinitionS3Location"},
		{"bad definition", h, smRequest("CreatePipeline", `{"PipelineName":"p","ClientRequestToken":"t","RoleArn":"r","PipelineDefinition":"{\"Version\":\"2020-12-01\",\"Steps\":[{\"Name\":\"s\",\"Type\":\"Nope\"}]}"}`),
			400, "ValidationException", "Nope"},
		{"missing pipeline", h, smRequest("DescribePipeline", `{"PipelineName":"nope"}`), 400, "ResourceNotFound", "nope"},
		{"bad execution arn", h, smRequest("DescribePipelineExecution", `{"PipelineExecutionArn":"x"}`), 400, "ValidationException", "PipelineExecutionArn"},
		{"unsupported endpoint field", h, smRequest("CreateEndpointConfig", `{"EndpointConfigName":"c","ProductionVariants":[],"AsyncInferenceConfig":{}}`),
			400, "ValidationException", "AsyncInferenceConfig"},
		{"runtime model error", h, signedFor("sagemaker", httptest.NewRequest("POST", "http://h/endpoints/e/invocations", strings.NewReader("1,2"))),
			424, "ModelError", "unexpected EOF"},
		{"runtime validation error", bad, signedFor("sagemaker", httptest.NewRequest("POST", "http://h/endpoints/e/invocations", strings.NewReader("1,2"))),
			400, "ValidationError", "unexpected EOF"},
		{"runtime other operation", h, signedFor("sagemaker", httptest.NewRequest("GET", "http://h/endpoints/e/async", nil)),
			404, "UnknownOperationException", "/endpoints/e/async"},
		{"lambda unknown operation", h, signedFor("lambda", httptest.NewRequest("GET", "http://h/2015-03-31/functions/f/policy", nil)),
			404, "UnknownOperationException", "policy"},
		{"lambda without runner", h, signedFor("lambda", httptest.NewRequest("GET", "http://h/2015-03-31/functions/f", nil)),
			501, "ServiceException", "not served"},
		{"other service", h, signedFor("iam", httptest.NewRequest("POST", "http://h/", nil)), 400, "UnknownOperationException", "iam"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			tt.h.ServeHTTP(w, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
				t.Fatalf("%v: %s", err, w.Body)
			}
			if got := w.Header().Get("X-Amzn-Errortype"); got != tt.code {
				t.Errorf("x-amzn-ErrorType %q, want %q", got, tt.code)
			}
			if !strings.Contains(e.Message, tt.mention) {
				t.Errorf("message %q does not mention %q", e.Message, tt.mention)
			}
		})
	}
}

// TestRuntimeInvoke: InvokeEndpoint passes the body and headers through and
// answers the variant and the custom attributes.
func TestRuntimeInvoke(t *testing.T) {
	t.Parallel()
	h := newHandler(t, failingInvoker{status: 500})
	r := signedFor("sagemaker", httptest.NewRequest("POST", "http://h/endpoints/ok/invocations", strings.NewReader("1,2")))
	r.Header.Set("X-Amzn-SageMaker-Custom-Attributes", "trace=1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || w.Body.String() != "0.5\n" || w.Header().Get("X-Amzn-Invoked-Production-Variant") != "AllTraffic" ||
		w.Header().Get("X-Amzn-SageMaker-Custom-Attributes") != "trace=1" {
		t.Fatalf("got %d %q %v", w.Code, w.Body, w.Header())
	}
}

// TestRoute: AWS requests go to the AWS APIs, the rest (the native
// invocations route included) to Ferry's own handler.
func TestRoute(t *testing.T) {
	t.Parallel()
	h := newHandler(t, failingInvoker{status: 500})
	native := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	rt := h.Route(native)
	for _, tt := range []struct {
		name   string
		req    *http.Request
		native bool
	}{
		{"native invocations", httptest.NewRequest("POST", "http://h/endpoints/ok/invocations", strings.NewReader("1")), true},
		{"native api", httptest.NewRequest("GET", "http://h/api/v1/executions", nil), true},
		{"runtime", signedFor("sagemaker", httptest.NewRequest("POST", "http://h/endpoints/ok/invocations", strings.NewReader("1"))), false},
		{"sagemaker", smRequest("ListPipelines", "{}"), false},
	} {
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, tt.req)
		if (w.Code == http.StatusTeapot) != tt.native {
			t.Errorf("%s: status %d; native %v", tt.name, w.Code, tt.native)
		}
	}
}

// FuzzSageMaker: arbitrary operations and bodies never panic and always
// answer JSON.
func FuzzSageMaker(f *testing.F) {
	h := newHandler(f, failingInvoker{status: 500})
	for _, s := range []struct{ op, body string }{
		{"ListPipelines", `{"MaxResults": 5, "NextToken": "3"}`},
		{"CreatePipeline", `{"PipelineName":"p","ClientRequestToken":"t","RoleArn":"r","PipelineDefinition":"{}"}`},
		{"StartPipelineExecution", `{"PipelineName":"p","PipelineParameters":[{"Name":"a","Value":"1"}]}`},
		{"ListPipelineExecutionSteps", `{"PipelineExecutionArn":"arn:aws:sagemaker:r:a:pipeline/p/execution/e-1"}`},
		{"UpdateModelPackage", `{"ModelPackageArn":"g/1","ModelApprovalStatus":"Approved"}`},
		{"CreateModel", `{"ModelName":"m","PrimaryContainer":{"ModelPackageName":"g/1"}}`},
		{"DescribeTrainingJob", `{"TrainingJobName":"pipelines-e-20261205-000000-abcdef-s"}`},
	} {
		f.Add(s.op, s.body)
	}
	f.Fuzz(func(t *testing.T, op, body string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, smRequest(op, body))
		if w.Code != 200 && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %q: status %d, body not JSON: %q", op, body, w.Code, w.Body)
		}
	})
}

// FuzzRESTJSON: arbitrary runtime and Lambda paths, methods and bodies
// never panic.
func FuzzRESTJSON(f *testing.F) {
	h := newHandler(f, failingInvoker{status: 500})
	f.Add("lambda", "POST", "/2015-03-31/functions", `{"FunctionName":"f","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}`)
	f.Add("lambda", "POST", "/2015-03-31/functions/f/invocations", `{}`)
	f.Add("sagemaker", "POST", "/endpoints/ok/invocations", "1,2")
	f.Add("sagemaker", "POST", "/endpoints/%zz/invocations", "")
	f.Fuzz(func(t *testing.T, service, method, path, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#?") || method == "" || strings.ContainsAny(method, " \t\r\n") {
			return
		}
		r, err := http.NewRequest(method, "http://h"+path, bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		h.ServeHTTP(httptest.NewRecorder(), signedFor(service, r))
	})
}

type fakeCallbacks struct{ got map[string]string }

func (f *fakeCallbacks) Succeed(token string, outs map[string]string) error {
	if token != "t1" {
		return io.EOF
	}
	f.got = outs
	return nil
}

func (f *fakeCallbacks) Fail(token, reason string) error { return io.EOF }

func TestSendStepSuccess(t *testing.T) {
	t.Parallel()
	cb := &fakeCallbacks{}
	h, err := awsapi.New(awsapi.Config{App: newApp(t), Callbacks: cb, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, smRequest("SendPipelineExecutionStepSuccess", `{"CallbackToken":"t1","OutputParameters":[{"Name":"ok","Value":"yes"}]}`))
	if w.Code != 200 || cb.got["ok"] != "yes" {
		t.Fatalf("status %d %s; outputs %v", w.Code, w.Body, cb.got)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, smRequest("SendPipelineExecutionStepFailure", `{"CallbackToken":"nope","FailureReason":"x"}`))
	if w.Code != 400 || w.Header().Get("X-Amzn-Errortype") != "ValidationException" {
		t.Fatalf("unknown token: status %d %s", w.Code, w.Body)
	}
}
