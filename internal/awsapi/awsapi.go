// Package awsapi is Ferry's AWS-compatible listener: it verifies SigV4
// signatures with the access keys of `ferry tokens create`, routes each
// request by protocol (S3 and STS, SageMaker JSON 1.1, SageMaker runtime
// and Lambda REST-JSON) and performs every operation through the
// application layer (internal/app). Request and response shapes follow
// botocore's service models, so boto3, the aws CLI and the SageMaker SDK
// talk to Ferry unchanged (docs/aws-api.md).
package awsapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/serving"
)

// DefaultRegion is the region ARNs name when none is configured.
const DefaultRegion = "us-east-1"

// Config holds a Handler's dependencies.
type Config struct {
	// App performs the SageMaker, runtime and Lambda operations; nil
	// serves only S3 and STS.
	App *app.App
	// S3 serves S3 and STS (s3api.Handler); nil answers them NotImplemented.
	S3 http.Handler
	// Keys verifies signatures. Nil accepts unsigned requests and any key
	// (a loopback server without tokens).
	Keys KeySource
	// AccountID (12 digits, default 000000000000) and Region (default
	// us-east-1) are what ARNs name.
	AccountID string
	Region    string
	// Invoker answers InvokeEndpoint: the server's running serving layer
	// (*serving.Server), so the runtime API and the native invocations
	// share models, variants, capture and metrics. Nil uses App.Invoke.
	Invoker Invoker
	// Lambda runs Lambda functions; nil answers Invoke with an error that
	// says no runner is configured.
	Lambda LambdaRunner
	// Callbacks answers SendPipelineExecutionStep{Success,Failure}; nil
	// refuses them.
	Callbacks Callbacks
	Logger    *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Invoker invokes an endpoint; *serving.Server and *app.App implement it.
type Invoker interface {
	Invoke(ctx context.Context, endpoint string, req serving.Request) (serving.Response, error)
}

// Handler serves the AWS-compatible APIs.
type Handler struct {
	cfg      Config
	verifier *Verifier
}

// New returns a handler over cfg.
func New(cfg Config) (*Handler, error) {
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if len(cfg.AccountID) != 12 || strings.Trim(cfg.AccountID, "0123456789") != "" {
		return nil, fmt.Errorf("account id %q: want 12 digits", cfg.AccountID)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Invoker == nil && cfg.App != nil {
		cfg.Invoker = cfg.App
	}
	h := &Handler{cfg: cfg}
	if cfg.Keys != nil {
		h.verifier = &Verifier{Keys: cfg.Keys, Now: cfg.Now}
	}
	return h, nil
}

// protocol is one AWS wire protocol this handler speaks.
type protocol int

const (
	protoNone protocol = iota
	protoS3
	protoSTS
	protoSageMaker
	protoRuntime
	protoLambda
	protoOther // signed for a service Ferry does not serve
)

// IsAWSRequest reports whether r comes from an AWS SDK: SigV4 or SigV2
// signed, or carrying x-amz-* headers or presigned query parameters.
func IsAWSRequest(r *http.Request) bool {
	a := r.Header.Get("Authorization")
	if strings.HasPrefix(a, algorithm+" ") || strings.HasPrefix(a, "AWS ") {
		return true
	}
	if r.Header.Get("X-Amz-Date") != "" || r.Header.Get("X-Amz-Content-Sha256") != "" || r.Header.Get("X-Amz-Target") != "" {
		return true
	}
	q := r.URL.Query()
	return q.Get("X-Amz-Algorithm") != "" || q.Get("AWSAccessKeyId") != ""
}

// SigningService returns the service of r's SigV4 credential scope
// (header or presigned query); "" when it has none. It allocates nothing
// for a header signature (it runs on every request).
func SigningService(r *http.Request) string {
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, algorithm+" ") {
		if svc, ok := scopeService(a[len(algorithm)+1:]); ok {
			return svc
		}
	}
	if r.URL.RawQuery == "" {
		return ""
	}
	f := strings.Split(r.URL.Query().Get("X-Amz-Credential"), "/")
	if len(f) != 5 || f[4] != "aws4_request" {
		return ""
	}
	return f[3]
}

// scopeService returns the service of the Credential=KEY/DATE/REGION/
// SERVICE/aws4_request part of an Authorization header's parameters; ok
// is false when there is no Credential part.
func scopeService(params string) (string, bool) {
	for params != "" {
		var part string
		part, params, _ = strings.Cut(params, ",")
		cred, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential=")
		if !ok {
			continue
		}
		var f [5]string
		n := 0
		for n < 5 {
			var field string
			var more bool
			field, cred, more = strings.Cut(cred, "/")
			f[n] = field
			n++
			if !more {
				break
			}
		}
		if n != 5 || cred != "" || f[4] != "aws4_request" {
			return "", true // a malformed scope names no service
		}
		return f[3], true
	}
	return "", false
}

// classify returns the protocol of r; protoNone for a request that is not
// an AWS one (it goes to Ferry's own routes).
func classify(r *http.Request) protocol {
	if !IsAWSRequest(r) {
		return protoNone
	}
	target := r.Header.Get("X-Amz-Target")
	switch svc := SigningService(r); svc {
	case "s3":
		return protoS3
	case "sts":
		return protoSTS
	case "sagemaker":
		if strings.HasPrefix(r.URL.Path, "/endpoints/") && target == "" {
			return protoRuntime
		}
		return protoSageMaker
	case "lambda":
		return protoLambda
	case "":
		switch {
		case strings.HasPrefix(target, "SageMaker."):
			return protoSageMaker
		case r.Method == http.MethodPost && (r.URL.Path == "/" || r.URL.Path == "") && target == "":
			return protoSTS
		}
		return protoS3
	default:
		return protoOther
	}
}

// Route returns a handler that serves AWS requests and sends everything
// else (Ferry's own API, its native endpoint invocations) to other.
func (h *Handler) Route(other http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := classify(r)
		if p == protoNone {
			other.ServeHTTP(w, r)
			return
		}
		h.serve(p, w, r)
	})
}

// ServeHTTP serves r as an AWS request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := classify(r)
	if p == protoNone {
		p = protoS3
	}
	h.serve(p, w, r)
}

func (h *Handler) serve(p protocol, w http.ResponseWriter, r *http.Request) {
	if h.verifier != nil {
		pr, _, err := h.verifier.Verify(r)
		if err != nil {
			h.writeAuthError(p, w, r, err)
			return
		}
		if p == protoRuntime {
			// An invocation needs only the role check: no copy of the
			// request with the principal in its context.
			h.serveRuntime(w, r, &pr)
			return
		}
		r = r.WithContext(auth.NewContext(r.Context(), pr))
	}
	switch p {
	case protoS3, protoSTS:
		action := auth.Read
		if p == protoS3 && r.Method != http.MethodGet && r.Method != http.MethodHead {
			action = auth.Operate
		}
		if err := h.check(r, action); err != nil {
			h.writeAuthError(p, w, r, err)
			return
		}
		if h.cfg.S3 == nil {
			writeS3Error(w, http.StatusNotImplemented, "NotImplemented", "S3 is not served here")
			return
		}
		h.cfg.S3.ServeHTTP(w, r)
	case protoSageMaker:
		h.serveSageMaker(w, r)
	case protoRuntime:
		h.serveRuntime(w, r, nil)
	case protoLambda:
		h.serveLambda(w, r)
	default:
		writeJSONError(w, http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("service %q is not served by Ferry (it serves s3, sts, sagemaker, sagemaker runtime and lambda)", short(SigningService(r))))
	}
}

// check returns nil when the request's principal may perform a (always,
// without keys).
func (h *Handler) check(r *http.Request, a auth.Action) error {
	if h.verifier == nil {
		return nil
	}
	return auth.Check(r.Context(), a)
}

// principalName is who the registry records for an approval.
func principalName(r *http.Request) string {
	if p, ok := auth.FromContext(r.Context()); ok {
		return p.Name
	}
	return "aws"
}

// writeAuthError answers a refused signature or role in the protocol's
// error shape, with the code its SDK expects.
func (h *Handler) writeAuthError(p protocol, w http.ResponseWriter, r *http.Request, err error) {
	var ae *AuthError
	var fe *auth.ForbiddenError
	var status int
	var code, msg string
	switch {
	case errors.As(err, &ae):
		msg = ae.Message
		status = http.StatusForbidden
		code = authCode(p, ae)
		if ae.Failure == Malformed || ae.Failure == BadPayload {
			status = http.StatusBadRequest
		}
	case errors.As(err, &fe):
		status = http.StatusForbidden
		msg = fmt.Sprintf("User: %s (role %s) is not authorized to %s", fe.Principal.Name, fe.Principal.Role, fe.Action)
		code = "AccessDeniedException"
		if p == protoS3 || p == protoSTS {
			code = "AccessDenied"
		}
	default:
		h.cfg.Logger.Error("verifying an AWS signature", "err", err, "path", r.URL.Path)
		status, code, msg = http.StatusInternalServerError, "InternalFailure", "verifying the signature: internal error"
		if p == protoS3 {
			code = "InternalError"
		}
	}
	switch p {
	case protoS3:
		writeS3Error(w, status, code, msg)
	case protoSTS:
		writeSTSError(w, status, code, msg)
	default:
		writeJSONError(w, status, code, msg)
	}
}

// authCode is the error code of a signature failure in protocol p.
func authCode(p protocol, ae *AuthError) string {
	type codes struct{ missing, malformed, unknown, bad, skewed, payload string }
	var c codes
	switch p {
	case protoS3:
		c = codes{"AccessDenied", "AuthorizationHeaderMalformed", "InvalidAccessKeyId", "SignatureDoesNotMatch", "RequestTimeTooSkewed", "XAmzContentSHA256Mismatch"}
		if ae.Failure == Skewed && strings.HasPrefix(ae.Message, "Request has expired") {
			return "AccessDenied"
		}
	case protoSTS:
		c = codes{"MissingAuthenticationToken", "IncompleteSignature", "InvalidClientTokenId", "SignatureDoesNotMatch", "SignatureDoesNotMatch", "InvalidRequest"}
	default:
		c = codes{"MissingAuthenticationTokenException", "IncompleteSignatureException", "UnrecognizedClientException", "InvalidSignatureException", "InvalidSignatureException", "InvalidSignatureException"}
	}
	switch ae.Failure {
	case Missing:
		return c.missing
	case Malformed:
		return c.malformed
	case UnknownKey:
		return c.unknown
	case BadSignature:
		return c.bad
	case Skewed:
		return c.skewed
	default:
		return c.payload
	}
}
