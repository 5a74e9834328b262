package api

import (
	"net/http"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/registry"
)

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) error {
	gs, err := s.cfg.App.Groups(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": nonNil(gs)})
	return nil
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.cfg.App.Group(r.Context(), r.PathValue("group"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) setGroupEndpoint(w http.ResponseWriter, r *http.Request) error {
	var req GroupEndpointRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if err := s.cfg.App.SetGroupEndpoint(r.Context(), r.PathValue("group"), req.Endpoint); err != nil {
		return err
	}
	g, err := s.cfg.App.Group(r.Context(), r.PathValue("group"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g.Group)
	return nil
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.cfg.App.Versions(r.Context(), r.PathValue("group"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": nonNil(vs)})
	return nil
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	ref, err := packageRef(r)
	if err != nil {
		return err
	}
	v, err := s.cfg.App.Version(r.Context(), ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) error {
	return s.decide(w, r, registry.Approved)
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request) error {
	return s.decide(w, r, registry.Rejected)
}

// decide records an approval decision; who decides is the token's name.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, st registry.ApprovalStatus) error {
	ref, err := packageRef(r)
	if err != nil {
		return err
	}
	var req ApprovalRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	res, err := s.cfg.App.SetApproval(r.Context(), app.ApprovalRequest{Ref: ref, Status: st, By: s.who(r, req.By), Reason: req.Reason})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) lineage(w http.ResponseWriter, r *http.Request) error {
	ref, err := packageRef(r)
	if err != nil {
		return err
	}
	l, err := s.cfg.App.Lineage(r.Context(), ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	ref, err := packageRef(r)
	if err != nil {
		return err
	}
	m, err := s.cfg.App.MetricValues(r.Context(), ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"metrics": m})
	return nil
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	since, err := queryInt(r, "since", 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 0)
	if err != nil {
		return err
	}
	if limit < 0 || limit > app.MaxPageSize {
		return badRequest("limit %d: want 1 to %d (0: %d)", limit, app.MaxPageSize, app.DefaultPageSize)
	}
	page, err := s.cfg.App.Events(r.Context(), since, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}
