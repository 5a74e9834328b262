package api

import "net/http"

// getEngine answers where the server's executions run their steps.
func (s *Server) getEngine(w http.ResponseWriter, r *http.Request) error {
	info, err := s.cfg.App.Engine(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// StepAttemptRequest is the body of POST
// /api/v1/executions/{id}/steps/{step}/attempts.
type StepAttemptRequest struct {
	Attempt int `json:"attempt"`
}

// reportAttempt takes a worker's report that it starts an attempt.
func (s *Server) reportAttempt(w http.ResponseWriter, r *http.Request) error {
	var req StepAttemptRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if err := s.cfg.App.ReportAttempt(r.Context(), r.PathValue("id"), r.PathValue("step"), req.Attempt); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
