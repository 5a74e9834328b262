package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// eventStream writes server-sent events: "event: NAME" and one "data:"
// line of JSON per event, flushed at once.
type eventStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// newEventStream starts a stream. It lifts the server's write timeout:
// a stream lasts as long as what it follows.
func newEventStream(w http.ResponseWriter) *eventStream {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	return &eventStream{w: w, rc: rc}
}

func (s *eventStream) send(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding event: %w", err)
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", name, b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// end closes the stream with an "end" event, or an "error" event in the
// API's error shape when err is not nil (the status line is already sent).
func (s *eventStream) end(r *http.Request, logger *slog.Logger, err error) {
	if err == nil {
		_ = s.send("end", struct{}{})
		return
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	code, name := status(err)
	msg := err.Error()
	if code >= 500 {
		logger.ErrorContext(r.Context(), "streaming events", "path", r.URL.Path, "err", err)
		msg = "internal error"
	}
	_ = s.send("error", ErrorBody{Error: ErrorDetail{Code: name, Message: msg}})
}
