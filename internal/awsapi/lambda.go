package awsapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/auth"
)

// LambdaRunner keeps Lambda functions and runs their handlers locally with
// the Lambda contract (event, context). cmd/ferry adapts the functions
// `ferry lambda register` keeps (internal/sagemaker/lambda) to it, so a
// function created through the API is the one a Lambda step runs.
type LambdaRunner interface {
	// Put creates or replaces a function; a nil zip keeps its code.
	Put(ctx context.Context, fn LambdaFunction, zip []byte) error
	// Get returns a function; an error wrapping ErrNoFunction when it does
	// not exist.
	Get(ctx context.Context, name string) (LambdaFunction, error)
	Delete(ctx context.Context, name string) error
	// Invoke runs the handler with event (JSON) and returns what it
	// returned, as JSON; an exception it raised is a *LambdaError.
	Invoke(ctx context.Context, name string, event []byte) ([]byte, error)
}

// ErrNoFunction is a function that does not exist.
var ErrNoFunction = errors.New("function not found")

// LambdaError is an exception raised by a handler.
type LambdaError struct {
	Type, Message string
}

func (e *LambdaError) Error() string { return e.Type + ": " + e.Message }

// LambdaFunction is a function's configuration.
type LambdaFunction struct {
	Name         string            `json:"name"`
	Runtime      string            `json:"runtime"`
	Handler      string            `json:"handler"`
	Role         string            `json:"role"`
	Description  string            `json:"description,omitempty"`
	Timeout      int               `json:"timeout"`
	MemorySize   int               `json:"memory_size"`
	Environment  map[string]string `json:"environment,omitempty"`
	CodeSHA256   string            `json:"code_sha256"`
	CodeSize     int64             `json:"code_size"`
	LastModified time.Time         `json:"last_modified"`
}

// maxLambdaBody bounds a Lambda request (a base64 zip of 50 MB).
const maxLambdaBody = 70 << 20

const lambdaPrefix = "/2015-03-31/functions"

// serveLambda answers the Lambda REST-JSON API under /2015-03-31/functions.
func (h *Handler) serveLambda(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), lambdaPrefix)
	if !ok {
		writeLambdaError(w, http.StatusNotFound, "UnknownOperationException",
			fmt.Sprintf("%s %s is not a Lambda operation Ferry serves", r.Method, short(r.URL.Path)))
		return
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	name := ""
	if len(parts) > 0 && parts[0] != "" {
		n, err := url.PathUnescape(parts[0])
		if err != nil {
			writeLambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", "FunctionName: not a valid path segment")
			return
		}
		name = functionName(n)
	}
	sub := ""
	if len(parts) > 1 {
		sub = strings.Join(parts[1:], "/")
	}
	type route struct {
		action auth.Action
		fn     func(*http.Request, string) (int, any, error)
	}
	var rt route
	switch {
	case name == "" && r.Method == http.MethodPost:
		rt = route{auth.Operate, h.createFunction}
	case name == "" && r.Method == http.MethodGet:
		rt = route{auth.Read, h.listFunctions}
	case name != "" && sub == "" && r.Method == http.MethodGet:
		rt = route{auth.Read, h.getFunction}
	case name != "" && sub == "" && r.Method == http.MethodDelete:
		rt = route{auth.Operate, h.deleteFunction}
	case name != "" && sub == "configuration" && r.Method == http.MethodGet:
		rt = route{auth.Read, h.getFunctionConfiguration}
	case name != "" && sub == "configuration" && r.Method == http.MethodPut:
		rt = route{auth.Operate, h.updateFunctionConfiguration}
	case name != "" && sub == "code" && r.Method == http.MethodPut:
		rt = route{auth.Operate, h.updateFunctionCode}
	case name != "" && sub == "invocations" && r.Method == http.MethodPost:
		if err := h.check(r, auth.Invoke); err != nil {
			h.writeAuthError(protoLambda, w, r, err)
			return
		}
		h.invokeFunction(w, r, name)
		return
	default:
		writeLambdaError(w, http.StatusNotFound, "UnknownOperationException",
			fmt.Sprintf("%s %s is not a Lambda operation Ferry serves (CreateFunction, GetFunction, GetFunctionConfiguration, UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, ListFunctions, Invoke)", r.Method, short(r.URL.Path)))
		return
	}
	if err := h.check(r, rt.action); err != nil {
		h.writeAuthError(protoLambda, w, r, err)
		return
	}
	if h.cfg.Lambda == nil {
		writeLambdaError(w, http.StatusNotImplemented, "ServiceException", "Lambda functions are not served on this listener")
		return
	}
	status, out, err := rt.fn(r, name)
	if err != nil {
		writeLambdaAPIError(w, h, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if out != nil {
		_ = json.NewEncoder(w).Encode(out)
	}
}

// functionName accepts a name, a function ARN or a partial ARN.
func functionName(s string) string {
	if i := strings.Index(s, ":function:"); i >= 0 {
		s = s[i+len(":function:"):]
	} else if i := strings.LastIndex(s, "function:"); i == 0 {
		s = s[len("function:"):]
	}
	s, _, _ = strings.Cut(s, ":")
	return s
}

func writeLambdaError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", code)
	w.Header().Set("X-Amzn-Requestid", requestID())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

func writeLambdaAPIError(w http.ResponseWriter, h *Handler, err error) {
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		writeLambdaError(w, ae.Status, ae.Code, ae.Message)
	case errors.Is(err, ErrNoFunction):
		writeLambdaError(w, http.StatusNotFound, "ResourceNotFoundException", err.Error())
	default:
		h.cfg.Logger.Error("lambda operation", "err", err)
		writeLambdaError(w, http.StatusInternalServerError, "ServiceException", err.Error())
	}
}

func lambdaInvalid(format string, args ...any) *APIError {
	return &APIError{http.StatusBadRequest, "InvalidParameterValueException", fmt.Sprintf(format, args...)}
}

func readLambdaBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxLambdaBody+1))
	if err != nil {
		return lambdaInvalid("reading the request body: %v", err)
	}
	if len(body) > maxLambdaBody {
		return &APIError{http.StatusRequestEntityTooLarge, "RequestTooLargeException", "the request is larger than the 70 MB Ferry accepts"}
	}
	if err := decode(body, v); err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			ae.Code = "InvalidParameterValueException"
		}
		return err
	}
	return nil
}

// functionConfig is Lambda's FunctionConfiguration.
func (h *Handler) functionConfig(f LambdaFunction) map[string]any {
	out := map[string]any{
		"FunctionName": f.Name, "FunctionArn": h.lambdaARN(f.Name), "Runtime": f.Runtime, "Role": f.Role,
		"Handler": f.Handler, "CodeSize": f.CodeSize, "Description": f.Description, "Timeout": f.Timeout,
		"MemorySize": f.MemorySize, "LastModified": f.LastModified.UTC().Format("2006-01-02T15:04:05.000-0700"),
		"CodeSha256": f.CodeSHA256, "Version": "$LATEST", "State": "Active", "LastUpdateStatus": "Successful",
		"PackageType": "Zip", "Architectures": []string{"x86_64"},
	}
	if len(f.Environment) > 0 {
		out["Environment"] = map[string]any{"Variables": f.Environment}
	}
	return out
}

type functionInput struct {
	FunctionName string
	Runtime      string
	Role         string
	Handler      string
	Description  *string
	Timeout      *int
	MemorySize   *int
	Environment  *struct{ Variables map[string]string }
	Code         *struct {
		ZipFile         []byte
		S3Bucket, S3Key string
		ImageUri        string
	}
	PackageType string
	Publish     bool
	Layers      []string
}

func (in functionInput) apply(f *LambdaFunction) error {
	if in.Runtime != "" {
		if !strings.HasPrefix(in.Runtime, "python") {
			return lambdaInvalid("Runtime: %s is not supported by Ferry (Python runtimes are)", short(in.Runtime))
		}
		f.Runtime = in.Runtime
	}
	if in.Role != "" {
		f.Role = in.Role
	}
	if in.Handler != "" {
		f.Handler = in.Handler
	}
	if in.Description != nil {
		f.Description = *in.Description
	}
	if in.Timeout != nil {
		if *in.Timeout < 1 || *in.Timeout > 900 {
			return lambdaInvalid("Timeout: want 1 to 900 seconds")
		}
		f.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		f.MemorySize = *in.MemorySize
	}
	if in.Environment != nil {
		f.Environment = in.Environment.Variables
	}
	if len(in.Layers) > 0 {
		return lambdaInvalid("Layers: layers are not supported by Ferry")
	}
	if in.PackageType == "Image" {
		return lambdaInvalid("PackageType: Image is not supported by Ferry (Zip is)")
	}
	return nil
}

func codeOf(in functionInput) ([]byte, error) {
	switch {
	case in.Code == nil:
		return nil, nil
	case in.Code.ImageUri != "":
		return nil, lambdaInvalid("Code.ImageUri: container images are not supported by Ferry (send Code.ZipFile)")
	case in.Code.S3Bucket != "" || in.Code.S3Key != "":
		return nil, lambdaInvalid("Code.S3Bucket: code from S3 is not supported by Ferry (send Code.ZipFile)")
	}
	return in.Code.ZipFile, nil
}

func (h *Handler) putFunction(r *http.Request, f LambdaFunction, zip []byte) (LambdaFunction, error) {
	if zip != nil {
		sum := sha256.Sum256(zip)
		f.CodeSHA256 = base64.StdEncoding.EncodeToString(sum[:])
		f.CodeSize = int64(len(zip))
	}
	f.LastModified = h.cfg.Now().UTC()
	if err := h.cfg.Lambda.Put(r.Context(), f, zip); err != nil {
		if errors.Is(err, ErrNoFunction) {
			return f, err
		}
		return f, lambdaInvalid("%v", err)
	}
	return f, nil
}

func (h *Handler) createFunction(r *http.Request, _ string) (int, any, error) {
	var in functionInput
	if err := readLambdaBody(r, &in); err != nil {
		return 0, nil, err
	}
	name := functionName(in.FunctionName)
	switch {
	case name == "":
		return 0, nil, lambdaInvalid("FunctionName: required")
	case in.Role == "" || in.Handler == "" || in.Runtime == "":
		return 0, nil, lambdaInvalid("Role, Handler and Runtime are required")
	case in.Code == nil || len(in.Code.ZipFile) == 0 && in.Code.S3Bucket == "" && in.Code.ImageUri == "":
		return 0, nil, lambdaInvalid("Code: required (Code.ZipFile)")
	}
	if _, err := h.cfg.Lambda.Get(r.Context(), name); err == nil {
		return 0, nil, &APIError{http.StatusConflict, "ResourceConflictException", "Function already exist: " + name}
	}
	f := LambdaFunction{Name: name, Timeout: 3, MemorySize: 128}
	if err := in.apply(&f); err != nil {
		return 0, nil, err
	}
	zip, err := codeOf(in)
	if err != nil {
		return 0, nil, err
	}
	if f, err = h.putFunction(r, f, zip); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, h.functionConfig(f), nil
}

func (h *Handler) getFunction(r *http.Request, name string) (int, any, error) {
	f, err := h.cfg.Lambda.Get(r.Context(), name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{
		"Configuration": h.functionConfig(f),
		"Code":          map[string]any{"RepositoryType": "Ferry", "Location": "ferry://lambda/" + f.Name},
	}, nil
}

func (h *Handler) getFunctionConfiguration(r *http.Request, name string) (int, any, error) {
	f, err := h.cfg.Lambda.Get(r.Context(), name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h.functionConfig(f), nil
}

func (h *Handler) listFunctions(r *http.Request, _ string) (int, any, error) {
	return 0, nil, lambdaInvalid("ListFunctions is not supported by Ferry; use GetFunction with a name")
}

func (h *Handler) deleteFunction(r *http.Request, name string) (int, any, error) {
	if _, err := h.cfg.Lambda.Get(r.Context(), name); err != nil {
		return 0, nil, err
	}
	if err := h.cfg.Lambda.Delete(r.Context(), name); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (h *Handler) updateFunctionConfiguration(r *http.Request, name string) (int, any, error) {
	var in functionInput
	if err := readLambdaBody(r, &in); err != nil {
		return 0, nil, err
	}
	f, err := h.cfg.Lambda.Get(r.Context(), name)
	if err != nil {
		return 0, nil, err
	}
	if err := in.apply(&f); err != nil {
		return 0, nil, err
	}
	if f, err = h.putFunction(r, f, nil); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h.functionConfig(f), nil
}

func (h *Handler) updateFunctionCode(r *http.Request, name string) (int, any, error) {
	var in struct {
		ZipFile         []byte
		S3Bucket, S3Key string
		ImageUri        string
		Publish         bool
		DryRun          bool
		Architectures   []string
	}
	if err := readLambdaBody(r, &in); err != nil {
		return 0, nil, err
	}
	f, err := h.cfg.Lambda.Get(r.Context(), name)
	if err != nil {
		return 0, nil, err
	}
	var fi functionInput
	fi.Code = &struct {
		ZipFile         []byte
		S3Bucket, S3Key string
		ImageUri        string
	}{in.ZipFile, in.S3Bucket, in.S3Key, in.ImageUri}
	zip, err := codeOf(fi)
	if err != nil {
		return 0, nil, err
	}
	if len(zip) == 0 {
		return 0, nil, lambdaInvalid("ZipFile: required")
	}
	if !in.DryRun {
		if f, err = h.putFunction(r, f, zip); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, h.functionConfig(f), nil
}

// invokeFunction answers Invoke: the handler's result as the payload, an
// exception as X-Amz-Function-Error: Unhandled with Lambda's error
// payload.
func (h *Handler) invokeFunction(w http.ResponseWriter, r *http.Request, name string) {
	if h.cfg.Lambda == nil {
		writeLambdaError(w, http.StatusNotImplemented, "ServiceException", "Lambda functions are not served on this listener")
		return
	}
	switch t := r.Header.Get("X-Amz-Invocation-Type"); t {
	case "", "RequestResponse", "Event", "DryRun":
	default:
		writeLambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", fmt.Sprintf("InvocationType %q: want RequestResponse, Event or DryRun", short(t)))
		return
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" && q != "$LATEST" {
		writeLambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", "Qualifier: only $LATEST is supported by Ferry (no versions or aliases)")
		return
	}
	event, err := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
	if err != nil || len(event) > 6<<20 {
		writeLambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "the payload is larger than 6 MB")
		return
	}
	if len(event) == 0 {
		event = []byte("{}")
	}
	if !json.Valid(event) {
		writeLambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: the payload is not JSON")
		return
	}
	if _, err := h.cfg.Lambda.Get(r.Context(), name); err != nil {
		writeLambdaAPIError(w, h, err)
		return
	}
	switch r.Header.Get("X-Amz-Invocation-Type") {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		go func() {
			if _, err := h.cfg.Lambda.Invoke(context.WithoutCancel(r.Context()), name, event); err != nil {
				h.cfg.Logger.Warn("asynchronous lambda invocation failed", "function", name, "err", err)
			}
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	out, err := h.cfg.Lambda.Invoke(r.Context(), name, event)
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	var le *LambdaError
	if errors.As(err, &le) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(map[string]any{"errorMessage": le.Message, "errorType": le.Type, "stackTrace": []string{}})
		return
	}
	if err != nil {
		writeLambdaAPIError(w, h, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}
