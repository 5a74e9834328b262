package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/run"
)

// Headers of a step log's answer: the execution whose log it is, and a
// note when that is not the one asked for (a cache hit).
const (
	HeaderLogExecution = "X-Ferry-Log-Execution"
	HeaderLogNote      = "X-Ferry-Log-Note"
)

func (s *Server) listExecutions(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 0)
	if err != nil {
		return err
	}
	if limit < 0 || limit > app.MaxPageSize {
		return badRequest("limit %d: want 1 to %d (0: %d)", limit, app.MaxPageSize, app.DefaultPageSize)
	}
	q := r.URL.Query()
	page, err := s.cfg.App.ListExecutions(r.Context(), app.ListOptions{
		Pipeline: q.Get("pipeline"), Status: run.Status(q.Get("status")),
		Limit: int(limit), PageToken: q.Get("page_token"),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// params turns the JSON parameter values into the strings a command line
// would give: a JSON string as is, a number or boolean as written.
func params(in map[string]json.RawMessage) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(in))
	for k, raw := range in {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, badRequest("parameter %q: %s", shorten(k), err.Error())
		}
		switch v := v.(type) {
		case string:
			out[k] = v
		case float64, bool:
			out[k] = string(raw)
		default:
			return nil, badRequest("parameter %q: want a string, number or boolean", shorten(k))
		}
	}
	return out, nil
}

func (s *Server) startExecution(w http.ResponseWriter, r *http.Request) error {
	var req StartRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	ps, err := params(req.Parameters)
	if err != nil {
		return err
	}
	ex, err := s.cfg.App.Start(r.Context(), app.RunRequest{
		Name: req.Name, Source: []byte(req.Source), Digest: req.PipelineDigest, Params: ps,
		NoCache: req.NoCache, Parallelism: req.Parallelism, Steps: req.Steps, From: req.From,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/executions/"+url.PathEscape(ex.ID))
	writeJSON(w, http.StatusCreated, ex)
	return nil
}

func (s *Server) getExecution(w http.ResponseWriter, r *http.Request) error {
	ex, err := s.cfg.App.Execution(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ex)
	return nil
}

func (s *Server) stopExecution(w http.ResponseWriter, r *http.Request) error {
	var none struct{}
	if err := decode(w, r, &none, true); err != nil {
		return err
	}
	ex, err := s.cfg.App.Stop(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, ex)
	return nil
}

func (s *Server) resumeExecution(w http.ResponseWriter, r *http.Request) error {
	var req ResumeRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	ex, err := s.cfg.App.StartResume(r.Context(), r.PathValue("id"), app.ResumeRequest{NoCache: req.NoCache, Parallelism: req.Parallelism})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, ex)
	return nil
}

func (s *Server) executionEvents(w http.ResponseWriter, r *http.Request) error {
	// Check before the stream starts, so a bad ID is a plain 404.
	if _, err := s.cfg.App.Execution(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	sse := newEventStream(w)
	err := s.cfg.App.Watch(r.Context(), r.PathValue("id"), func(ev app.Event) error {
		name := "step"
		if ev.Step == "" {
			name = "execution"
		}
		return sse.send(name, ev)
	})
	sse.end(r, s.cfg.Logger, err)
	return nil
}

func (s *Server) listSteps(w http.ResponseWriter, r *http.Request) error {
	steps, err := s.cfg.App.Steps(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"steps": steps})
	return nil
}

func (s *Server) getStep(w http.ResponseWriter, r *http.Request) error {
	st, err := s.cfg.App.Step(r.Context(), r.PathValue("id"), r.PathValue("step"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// stepLog answers a step's log as text, or, with follow=true (or Accept:
// text/event-stream), as server-sent "log" events while it grows, then
// an "end" event.
func (s *Server) stepLog(w http.ResponseWriter, r *http.Request) error {
	follow, err := queryBool(r, "follow")
	if err != nil {
		return err
	}
	id, step := r.PathValue("id"), r.PathValue("step")
	if follow || r.Header.Get("Accept") == "text/event-stream" {
		offset, err := queryInt(r, "offset", 0)
		if err != nil {
			return err
		}
		if offset < 0 {
			return badRequest("offset %d: want >= 0", offset)
		}
		if _, err := s.cfg.App.Step(r.Context(), id, step); err != nil {
			return err
		}
		sse := newEventStream(w)
		err = s.cfg.App.TailLog(r.Context(), id, step, offset, func(b []byte) error {
			err := sse.send("log", LogChunk{Offset: offset, Text: string(b)})
			offset += int64(len(b))
			return err
		})
		sse.end(r, s.cfg.Logger, err)
		return nil
	}
	f, err := s.cfg.App.Log(r.Context(), id, step)
	if err != nil {
		return err
	}
	defer f.Close()
	if f.Note != "" {
		w.Header().Set(HeaderLogNote, f.Note)
	}
	w.Header().Set(HeaderLogExecution, f.Execution)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if _, err := io.Copy(w, f); err != nil && !errors.Is(err, r.Context().Err()) {
		s.cfg.Logger.WarnContext(r.Context(), "sending a log", "execution", id, "step", step, "err", err)
	}
	return nil
}
