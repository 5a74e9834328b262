package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/serving"
)

// errBadRequest marks a request the API could not decode (body, query).
var errBadRequest = errors.New("bad request")

func badRequest(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, errBadRequest)...)
}

// routeError is an unknown route or method.
type routeError struct {
	status int
	msg    string
}

func (e *routeError) Error() string { return e.msg }

func errNoRoute(r *http.Request) error {
	return &routeError{http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)}
}

// status maps an error to an HTTP status and an error code. This is the
// one place that does.
func status(err error) (int, string) {
	var (
		re  *routeError
		se  *serving.StatusError
		fe  *auth.ForbiddenError
		ipe *app.InvalidPipelineError
		ue  *engine.UnselectedError
		ve  *pipeline.ValidationErrors
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &re):
		if re.status == http.StatusMethodNotAllowed {
			return re.status, CodeMethod
		}
		return re.status, CodeNotFound
	case errors.Is(err, auth.ErrUnauthenticated):
		return http.StatusUnauthorized, CodeUnauthenticated
	case errors.As(err, &fe):
		return http.StatusForbidden, CodeForbidden
	case errors.As(err, &ipe), errors.As(err, &ve):
		return http.StatusBadRequest, CodeInvalidPipeline
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, CodeTooLarge
	case errors.As(err, &se):
		switch se.Status {
		case http.StatusNotFound:
			return se.Status, CodeNotFound
		case http.StatusRequestEntityTooLarge:
			return se.Status, CodeTooLarge
		case http.StatusUnsupportedMediaType:
			return se.Status, CodeUnsupported
		case http.StatusNotAcceptable:
			return se.Status, CodeNotAcceptable
		}
		if se.Status >= 500 {
			return se.Status, CodeInternal
		}
		return se.Status, CodeInvalid
	case errors.Is(err, app.ErrNotFound), errors.Is(err, run.ErrNotFound), errors.Is(err, run.ErrPipelineNotFound),
		errors.Is(err, registry.ErrNotFound), errors.Is(err, artifact.ErrNotFound):
		return http.StatusNotFound, CodeNotFound
	case errors.Is(err, errBadRequest), errors.Is(err, app.ErrInvalid), errors.Is(err, registry.ErrInvalid),
		errors.As(err, &ue), errors.Is(err, engine.ErrSourceWithoutSelection):
		return http.StatusBadRequest, CodeInvalid
	case errors.Is(err, app.ErrConflict), errors.Is(err, registry.ErrConflict):
		return http.StatusConflict, CodeConflict
	}
	return http.StatusInternalServerError, CodeInternal
}

// writeError answers with err in the API's error shape. A 500's message is
// generic and the error is logged; a client that went away gets nothing.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	code, name := status(err)
	msg := err.Error()
	if code >= 500 {
		logger.ErrorContext(r.Context(), "serving an API request", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error"
	}
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ferry"`)
	}
	writeJSON(w, code, ErrorBody{Error: ErrorDetail{Code: name, Message: msg}})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}
