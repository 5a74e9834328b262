package api

import (
	"net/http"

	"github.com/ferryml/ferry/internal/auth"
)

// legacy adds the read-only registry routes of the first milestone
// (/api/models, /api/endpoints, /api/events), kept for existing clients;
// /api/v1 supersedes them.
func (s *Server) legacy(mux *http.ServeMux) {
	route := func(pattern string, h handlerFunc) {
		mux.Handle("GET "+pattern, s.authorize(auth.Read, s.handle(h)))
	}
	route("/api/models", s.listGroups)
	route("/api/models/{group}", s.getGroup)
	route("/api/models/{group}/{version}", s.getVersion)
	route("/api/endpoints", s.listEndpoints)
	route("/api/endpoints/{name}", s.getEndpoint)
	route("/api/events", func(w http.ResponseWriter, r *http.Request) error {
		since, err := queryInt(r, "since", 0)
		if err != nil {
			return err
		}
		var all []any
		for {
			page, err := s.cfg.App.Events(r.Context(), since, 1000)
			if err != nil {
				return err
			}
			for _, e := range page.Events {
				all = append(all, e)
			}
			if len(page.Events) < 1000 {
				break
			}
			since = page.NextSince
		}
		writeJSON(w, http.StatusOK, map[string]any{"events": nonNil(all)})
		return nil
	})
}
