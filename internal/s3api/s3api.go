// Package s3api serves Ferry's object namespace (package objstore) over
// the S3 REST protocol, path-style (http://host/bucket/key), and answers
// STS GetCallerIdentity, so that boto3, the aws CLI, s3fs and the
// SageMaker SDK work against Ferry with AWS_ENDPOINT_URL.
//
// The S3 protocol itself (routing, XML, ranges, ListObjectsV2, copy,
// multipart, DeleteObjects, errors) is github.com/johannesboyne/gofakes3
// over a custom backend; this package adds the backend, STS, the decoding
// of aws-chunked bodies that gofakes3 leaves to its callers, and a
// loopback listener. It does not authenticate requests (see docs/s3.md).
package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/objstore"
	"github.com/johannesboyne/gofakes3"
)

// DefaultAccountID is the account STS reports when none is configured.
const DefaultAccountID = "000000000000"

// Options configure a Handler. Zero values are defaults.
type Options struct {
	// AccountID is the 12-digit account STS GetCallerIdentity reports
	// (the SageMaker SDK names its default bucket after it).
	AccountID string
	// Logger receives gofakes3's log at debug level.
	Logger *slog.Logger
}

// Handler serves S3 and STS.
type Handler struct {
	s3      http.Handler
	account string
	logger  *slog.Logger
}

// New returns a handler for the namespace s.
func New(s *objstore.Store, opts Options) (*Handler, error) {
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if err := ValidateAccountID(opts.AccountID); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	fake := gofakes3.New(backend{store: s},
		gofakes3.WithAutoBucket(false),
		gofakes3.WithoutVersioning(),
		gofakes3.WithLogger(slogLogger{opts.Logger}),
	)
	return &Handler{s3: fake.Server(), account: opts.AccountID, logger: opts.Logger}, nil
}

// ValidateAccountID checks that id is 12 decimal digits.
func ValidateAccountID(id string) error {
	if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
		return fmt.Errorf("account id %q: want 12 digits", id)
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && (r.URL.Path == "/" || r.URL.Path == "") {
		h.serveSTS(w, r)
		return
	}
	if err := decodeChunked(r); err != nil {
		writeS3Error(w, http.StatusBadRequest, "IncompleteBody", err.Error())
		return
	}
	ew := &etagWriter{ResponseWriter: w}
	h.s3.ServeHTTP(ew, r)
	ew.fix() // a HEAD writes no body: the headers go out after return
}

// decodeChunked replaces an aws-chunked body by its payload, as if the
// client had sent it plainly, before gofakes3 reads it.
func decodeChunked(r *http.Request) error {
	sha := r.Header.Get("X-Amz-Content-Sha256")
	if !strings.HasPrefix(sha, "STREAMING-") {
		return nil
	}
	n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("payload %s needs a numeric x-amz-decoded-content-length", sha)
	}
	r.Body = struct {
		*chunkedReader
		closer
	}{newChunkedReader(r.Body), closer{r.Body}}
	r.ContentLength = n
	r.Header.Set("Content-Length", strconv.FormatInt(n, 10))
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	r.Header.Del("X-Amz-Decoded-Content-Length")
	r.Header.Del("X-Amz-Trailer")
	var enc []string
	for _, e := range strings.Split(r.Header.Get("Content-Encoding"), ",") {
		if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "aws-chunked") {
			enc = append(enc, e)
		}
	}
	if len(enc) == 0 {
		r.Header.Del("Content-Encoding")
	} else {
		r.Header.Set("Content-Encoding", strings.Join(enc, ","))
	}
	return nil
}

type closer struct{ c interface{ Close() error } }

func (c closer) Close() error { return c.c.Close() }

// etagWriter replaces the ETag gofakes3 derived from MD5 bytes with the
// object's real one (see etagHeader) and writes metadata names as S3 does.
type etagWriter struct {
	http.ResponseWriter
	wrote bool
}

func (e *etagWriter) fix() {
	if e.wrote {
		return
	}
	e.wrote = true
	h := e.Header()
	if v := h.Get(etagHeader); v != "" {
		h.Set("ETag", v)
		h.Del(etagHeader)
	}
	// S3 sends user metadata names in lower case (x-amz-meta-source), and
	// clients keep them as sent; Header.Set canonicalized them.
	for k, v := range h {
		if rest, ok := strings.CutPrefix(k, "X-Amz-Meta-"); ok {
			delete(h, k)
			h["x-amz-meta-"+strings.ToLower(rest)] = v
		}
	}
}

func (e *etagWriter) WriteHeader(code int) { e.fix(); e.ResponseWriter.WriteHeader(code) }

func (e *etagWriter) Write(p []byte) (int, error) { e.fix(); return e.ResponseWriter.Write(p) }

// Unwrap lets http.ResponseController reach the underlying writer.
func (e *etagWriter) Unwrap() http.ResponseWriter { return e.ResponseWriter }

func writeS3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string   `xml:"Code"`
		Message string   `xml:"Message"`
	}{Code: code, Message: msg})
}

// IsAWSRequest reports whether r looks like a request from an AWS SDK
// (SigV4 or SigV2 signed, or carrying x-amz-* headers), so that a server
// can route it to this handler beside its own API.
func IsAWSRequest(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	if strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || strings.HasPrefix(auth, "AWS ") {
		return true
	}
	if r.Header.Get("X-Amz-Date") != "" || r.Header.Get("X-Amz-Content-Sha256") != "" {
		return true
	}
	q := r.URL.Query()
	return q.Get("X-Amz-Algorithm") != "" || q.Get("AWSAccessKeyId") != ""
}

// SigningService returns the service named in the SigV4 credential scope
// of r (Authorization header or presigned query), such as "s3", "sts" or
// "sagemaker"; "" when r carries none.
func SigningService(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
				cred = v
			}
		}
	}
	// KEY/DATE/REGION/SERVICE/aws4_request
	f := strings.Split(cred, "/")
	if len(f) != 5 || f[4] != "aws4_request" {
		return ""
	}
	return f[3]
}

// Route returns a handler that sends the AWS requests this package serves
// (IsAWSRequest, signed for "s3" or "sts" or with no SigV4 scope) to aws
// and everything else, requests for other AWS services included, to
// other.
func Route(aws, other http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsAWSRequest(r) {
			switch SigningService(r) {
			case "s3", "sts", "":
				aws.ServeHTTP(w, r)
				return
			}
		}
		other.ServeHTTP(w, r)
	})
}

// Server is a running loopback listener.
type Server struct {
	// URL is the listener's base URL (http://127.0.0.1:PORT), for
	// AWS_ENDPOINT_URL.
	URL string
	hs  *http.Server
	ln  net.Listener
	err chan error
}

// Start serves h on 127.0.0.1 at a free port until Close.
func Start(h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for S3: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln, err: make(chan error, 1),
		hs: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}}
	go func() { s.err <- s.hs.Serve(ln) }()
	return s, nil
}

// Close stops the listener, waiting a few seconds for requests in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.hs.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// A connection opened but never used counts as busy for its first
		// 5 s (net/http's StateNew rule): cut what is left.
		err = s.hs.Close()
	}
	if serr := <-s.err; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("closing S3 listener: %w", err)
	}
	return nil
}

// slogLogger adapts gofakes3's logger to slog at debug level.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Print(level gofakes3.LogLevel, v ...any) {
	s.l.Debug(strings.TrimSpace(fmt.Sprintln(v...)), "component", "s3", "level", string(level))
}
