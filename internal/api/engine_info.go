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
