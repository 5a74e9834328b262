package awsapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/auth"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/run"
)

// APIError is an error with the code and status an AWS SDK reads.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// validation is a ValidationException naming what is wrong.
func validation(format string, args ...any) *APIError {
	return &APIError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...)}
}

// notFound is SageMaker's answer for a missing resource: a
// ValidationException (ResourceNotFound for some operations).
func notFound(code, format string, args ...any) *APIError {
	return &APIError{http.StatusBadRequest, code, fmt.Sprintf(format, args...)}
}

// unsupported names a field whose value Ferry does not support.
func unsupported(field, why string) *APIError {
	return validation("%s: %s is not supported by Ferry", field, why)
}

// apiError maps an application-layer error to an AWS error.
func apiError(err error) *APIError {
	var ae *APIError
	var fe *auth.ForbiddenError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &fe):
		return &APIError{http.StatusForbidden, "AccessDeniedException", fe.Error()}
	case errors.Is(err, app.ErrNotFound), errors.Is(err, run.ErrNotFound), errors.Is(err, run.ErrPipelineNotFound),
		errors.Is(err, registry.ErrNotFound):
		return &APIError{http.StatusBadRequest, "ResourceNotFound", err.Error()}
	case errors.Is(err, app.ErrConflict):
		return &APIError{http.StatusBadRequest, "ConflictException", err.Error()}
	case errors.Is(err, app.ErrInvalid):
		return &APIError{http.StatusBadRequest, "ValidationException", err.Error()}
	}
	return &APIError{http.StatusInternalServerError, "InternalFailure", err.Error()}
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeJSONError answers the JSON 1.1 and REST-JSON error shape: the code
// in x-amzn-ErrorType and in __type, the text in message.
func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", code)
	w.Header().Set("X-Amzn-Requestid", requestID())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func writeAPIError(w http.ResponseWriter, err error) {
	ae := apiError(err)
	writeJSONError(w, ae.Status, ae.Code, ae.Message)
}

// writeS3Error answers S3's XML error shape.
func writeS3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		RequestID string   `xml:"RequestId"`
	}{Code: code, Message: msg, RequestID: requestID()})
}

// writeSTSError answers the query protocol's XML error shape.
func writeSTSError(w http.ResponseWriter, status int, code, msg string) {
	type errBody struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type resp struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errBody  `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(resp{Xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
		Error: errBody{Type: "Sender", Code: code, Message: msg}, RequestID: requestID()})
}
