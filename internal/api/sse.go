package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// keepAlive is how often an idle event stream sends a comment line, so
// that proxies do not close it and a gone client is noticed.
const keepAlive = 15 * time.Second

// eventStream writes server-sent events: "event: NAME" and one "data:"
// line of JSON per event, flushed at once, and a comment line when idle.
type eventStream struct {
	mu   sync.Mutex
	w    http.ResponseWriter
	rc   *http.ResponseController
	stop chan struct{}
	done chan struct{}
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
	s := &eventStream{w: w, rc: rc, stop: make(chan struct{}), done: make(chan struct{})}
	go s.keepAlive()
	return s
}

func (s *eventStream) keepAlive() {
	defer close(s.done)
	t := time.NewTicker(keepAlive)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			_, err := io.WriteString(s.w, ": keep-alive\n\n")
			if err == nil {
				err = s.rc.Flush()
			}
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

func (s *eventStream) send(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding event: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", name, b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// end closes the stream with an "end" event, or an "error" event in the
// API's error shape when err is not nil (the status line is already sent).
func (s *eventStream) end(r *http.Request, logger *slog.Logger, err error) {
	close(s.stop)
	<-s.done // no write after the handler returns
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
