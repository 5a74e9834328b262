package serving

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/quote"
)

// Content types.
const (
	ctCSV       = "text/csv"
	ctJSON      = "application/json"
	ctJSONLines = "application/jsonlines"
)

// contentTypeHeaders are the response Content-Type header values.
var contentTypeHeaders = map[string][]string{ctCSV: {ctCSV}, ctJSON: {ctJSON}, ctJSONLines: {ctJSONLines}}

// HTTP header names of the SageMaker runtime API.
const (
	HeaderTargetVariant   = "X-Amzn-Sagemaker-Target-Variant"
	HeaderInvokedVariant  = "X-Amzn-Invoked-Production-Variant"
	HeaderInferenceID     = "X-Amzn-Sagemaker-Inference-Id"
	HeaderCustomAttribute = "X-Amzn-Sagemaker-Custom-Attributes"
)

// Request is one invocation.
type Request struct {
	ContentType string // text/csv when empty
	Accept      string // follows the request type when empty or */*
	Body        []byte
	// TargetVariant pins a variant, bypassing the weights.
	TargetVariant string
	// InferenceID is copied into data capture (at most 64 characters).
	InferenceID string
	// Explain adds SHAP values per record (the response is JSON).
	Explain bool
}

// Response is an invocation's answer.
type Response struct {
	ContentType string
	Body        []byte
	// Variant is the production variant that answered.
	Variant string
	Records int

	variantHeader []string // []string{Variant}, shared by the variant's requests
}

// StatusError is an invocation failure with its HTTP status.
type StatusError struct {
	Status int
	Err    error
}

// Error implements error.
func (e *StatusError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *StatusError) Unwrap() error { return e.Err }

func statusErr(code int, format string, args ...any) *StatusError {
	return &StatusError{Status: code, Err: fmt.Errorf(format, args...)}
}

// scratch holds a request's reusable buffers.
type scratch struct {
	x, out, contribs []float64
	body, resp       []byte
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Invoke runs one invocation of endpoint in process (no HTTP). The
// returned error is a *StatusError.
func (s *Server) Invoke(ctx context.Context, endpoint string, req Request) (Response, error) {
	le := s.endpoint(endpoint)
	if le == nil {
		return Response{}, statusErr(http.StatusNotFound, "endpoint %s not found", quote.Value(endpoint))
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	resp, err := s.invoke(ctx, le, req, sc)
	resp.Body = slices.Clone(resp.Body)
	return resp, err
}

// invoke predicts; the response body aliases sc.resp. It records metrics
// and data capture.
func (s *Server) invoke(ctx context.Context, le *liveEndpoint, req Request, sc *scratch) (Response, error) {
	start := s.opts.Now()
	v, err := s.pick(le, req.TargetVariant)
	if err != nil {
		s.metrics.variant(le.name, "").observe(http.StatusBadRequest, 0, 0)
		return Response{}, &StatusError{Status: http.StatusBadRequest, Err: err}
	}
	resp, err := s.predict(ctx, v.model, req, sc)
	resp.Variant = v.name
	resp.variantHeader = v.header
	code := http.StatusOK
	var se *StatusError
	if errors.As(err, &se) {
		code = se.Status
	} else if err != nil {
		code = http.StatusInternalServerError
	}
	end := s.opts.Now()
	v.obs.observe(code, end.Sub(start).Seconds(), resp.Records)
	if err == nil && le.capture.Enabled && s.random()*100 < le.capture.SamplingPercentage {
		id := req.InferenceID
		if len(id) > 64 {
			id = id[:64]
		}
		in := req.ContentType
		if in == "" {
			in = ctCSV
		}
		if cerr := s.capture.write(le.capture.Destination, le.name, v.name, id, end, in, req.Body, resp.ContentType, resp.Body); cerr != nil {
			s.logger.Warn("capturing an invocation", "endpoint", le.name, "variant", v.name, "error", cerr)
		}
	}
	return resp, err
}

func baseType(ct string) string {
	switch ct {
	case ctCSV, ctJSON, ctJSONLines:
		return ct // the common case, without parsing
	}
	t, _, err := mime.ParseMediaType(ct)
	if err != nil {
		t, _, _ = strings.Cut(ct, ";")
		t = strings.ToLower(strings.TrimSpace(t))
	}
	return t
}

func requestType(ct string) (string, error) {
	if strings.TrimSpace(ct) == "" {
		return ctCSV, nil
	}
	switch t := baseType(ct); t {
	case ctCSV, ctJSON:
		return t, nil
	case ctJSONLines, "application/jsonl", "application/x-jsonlines":
		return ctJSONLines, nil
	}
	return "", statusErr(http.StatusUnsupportedMediaType, "content type %s is not supported: use text/csv, application/json or application/jsonlines", quote.Value(ct))
}

// responseType picks the output type from Accept.
func responseType(accept, reqType string) (string, error) {
	if strings.TrimSpace(accept) == "" {
		return reqType, nil
	}
	for _, part := range strings.Split(accept, ",") {
		switch t := baseType(part); t {
		case "*/*":
			return reqType, nil
		case ctCSV, "text/*":
			return ctCSV, nil
		case ctJSON, "application/*":
			return ctJSON, nil
		case ctJSONLines, "application/jsonl", "application/x-jsonlines":
			return ctJSONLines, nil
		}
	}
	return "", statusErr(http.StatusNotAcceptable, "accept %s is not supported: use text/csv, application/json or application/jsonlines", quote.Value(accept))
}

func (s *Server) predict(ctx context.Context, m *Model, req Request, sc *scratch) (Response, error) {
	if m.Invoker != nil {
		return invokeRaw(ctx, m.Invoker, req)
	}
	inType, err := requestType(req.ContentType)
	if err != nil {
		return Response{}, err
	}
	outType, err := responseType(req.Accept, inType)
	if err != nil {
		return Response{}, err
	}
	var ex model.Explainer
	if req.Explain {
		var ok bool
		if ex, ok = m.Predictor.(model.Explainer); !ok {
			return Response{}, statusErr(http.StatusBadRequest, "explain=true: this model has no SHAP explainer")
		}
		outType = ctJSON
	}
	nf := m.Predictor.NumFeatures()
	var b Batch
	switch inType {
	case ctCSV:
		b.X, b.N, err = DecodeCSV(sc.x[:0], req.Body, nf, s.opts.MaxRecords)
	case ctJSON:
		b, err = DecodeJSON(sc.x[:0], req.Body, nf, s.opts.MaxRecords)
	case ctJSONLines:
		b, err = DecodeJSONLines(sc.x[:0], req.Body, nf, s.opts.MaxRecords)
	}
	if err == nil && b.Named != nil {
		b.X, err = m.encodeNamed(b.X[:0], b.Named)
		b.N = len(b.Named)
	}
	if cap(b.X) > cap(sc.x) {
		sc.x = b.X[:0]
	}
	if err != nil {
		if errors.Is(err, ErrTooManyRecords) {
			return Response{}, &StatusError{Status: http.StatusRequestEntityTooLarge, Err: err}
		}
		return Response{}, &StatusError{Status: http.StatusBadRequest, Err: err}
	}
	k := m.Predictor.NumOutputs()
	sc.out = slices.Grow(sc.out[:0], b.N*k)[:b.N*k]
	m.Predictor.Predict(sc.out, b.X[:b.N*nf])
	var contribs []float64
	if ex != nil {
		sc.contribs = slices.Grow(sc.contribs[:0], b.N*k*(nf+1))[:b.N*k*(nf+1)]
		ex.Contribs(sc.contribs, b.X[:b.N*nf])
		contribs = sc.contribs
	}
	sc.resp = encodeResponse(sc.resp[:0], outType, sc.out, b.N, k, contribs, nf, m.FeatureNames)
	return Response{ContentType: outType, Body: sc.resp, Records: b.N}, nil
}

// Routes adds the runtime API to mux: POST /endpoints/{name}/invocations
// and GET /ping.
func (s *Server) Routes(mux *http.ServeMux) {
	mux.HandleFunc("/endpoints/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			WriteError(w, http.StatusMethodNotAllowed, "use POST for invocations")
			return
		}
		name := r.PathValue("name")
		le := s.endpoint(name)
		if le == nil {
			WriteError(w, http.StatusNotFound, fmt.Sprintf("endpoint %s not found", quote.Value(name)))
			return
		}
		s.serveInvocation(w, r, le)
	})
	mux.HandleFunc("GET /ping", Ping)
}

// NotFound answers any other route with a JSON 404.
func NotFound(w http.ResponseWriter, r *http.Request) {
	WriteError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
}

// Ping answers 200 with an empty body (the container health check).
func Ping(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

func (s *Server) serveInvocation(w http.ResponseWriter, r *http.Request, le *liveEndpoint) {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	if r.ContentLength > s.opts.MaxBodyBytes {
		WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes is over the %d-byte limit", r.ContentLength, s.opts.MaxBodyBytes))
		return
	}
	var src io.Reader = r.Body
	if r.ContentLength < 0 {
		// A known length was checked above and bounds the body already.
		src = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	}
	body, err := readBody(sc.body[:0], src)
	sc.body = body[:0]
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is over the %d-byte limit", s.opts.MaxBodyBytes))
			return
		}
		WriteError(w, http.StatusBadRequest, "reading request body: "+err.Error())
		return
	}
	req := Request{
		ContentType:   r.Header.Get("Content-Type"),
		Accept:        r.Header.Get("Accept"),
		Body:          body,
		TargetVariant: r.Header.Get(HeaderTargetVariant),
		InferenceID:   r.Header.Get(HeaderInferenceID),
		Explain:       r.URL.RawQuery != "" && r.URL.Query().Get("explain") == "true",
	}
	resp, err := s.invoke(r.Context(), le, req, sc)
	h := w.Header()
	// Shared, never-modified header values save an allocation each.
	if resp.variantHeader != nil {
		h[HeaderInvokedVariant] = resp.variantHeader
	} else if resp.Variant != "" {
		h.Set(HeaderInvokedVariant, resp.Variant)
	}
	if ca := r.Header.Get(HeaderCustomAttribute); ca != "" {
		h.Set(HeaderCustomAttribute, ca)
	}
	if err != nil {
		code := http.StatusInternalServerError
		msg := "internal error"
		var se *StatusError
		if errors.As(err, &se) {
			code, msg = se.Status, se.Error()
		} else {
			s.logger.Error("invocation", "endpoint", le.name, "error", err)
		}
		WriteError(w, code, msg)
		return
	}
	if v, ok := contentTypeHeaders[resp.ContentType]; ok {
		h["Content-Type"] = v
	} else {
		h.Set("Content-Type", resp.ContentType)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp.Body)
	if cap(resp.Body) > cap(sc.resp) {
		sc.resp = resp.Body[:0]
	}
}

func readBody(dst []byte, r io.Reader) ([]byte, error) {
	if cap(dst) < 512 {
		dst = make([]byte, 0, 4096)
	}
	for {
		if len(dst) == cap(dst) {
			dst = slices.Grow(dst, cap(dst))
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err != nil {
			if err == io.EOF {
				return dst, nil
			}
			return dst, err
		}
	}
}

// WriteError writes {"error": msg} with the status.
func WriteError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", ctJSON)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	b := appendJSONString([]byte(`{"error":`), msg)
	b = append(b, "}\n"...)
	_, _ = w.Write(b)
}

// Recover turns a panic in h into a 500 JSON error, logging it, so the
// server never crashes on a request.
func Recover(h http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.Error("panic serving a request", "path", r.URL.Path, "panic", fmt.Sprint(v))
				WriteError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// Handler returns the runtime API with panic recovery.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Routes(mux)
	mux.HandleFunc("/", NotFound)
	return Recover(mux, s.logger)
}

// NewModelHandler serves one model with the SageMaker container contract:
// GET /ping and POST /invocations.
func NewModelHandler(m *Model, opts Options) (http.Handler, *Server, error) {
	s, err := NewServer(nil, opts)
	if err != nil {
		return nil, nil, err
	}
	const name = "model"
	s.SetModel(name, m)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ping", Ping)
	mux.HandleFunc("/invocations", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			WriteError(w, http.StatusMethodNotAllowed, "use POST for invocations")
			return
		}
		s.serveInvocation(w, r, s.endpoint(name))
	})
	mux.HandleFunc("/", NotFound)
	return Recover(mux, s.logger), s, nil
}
