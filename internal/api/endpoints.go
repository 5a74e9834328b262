package api

import (
	"net/http"

	"github.com/ferryml/ferry/internal/registry"
)

func (s *Server) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	eps, err := s.cfg.App.Endpoints(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"endpoints": nonNil(eps)})
	return nil
}

func (s *Server) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	ep, err := s.cfg.App.Endpoint(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ep)
	return nil
}

// deploy creates the endpoint or updates one of its variants, idempotently.
func (s *Server) deploy(w http.ResponseWriter, r *http.Request) error {
	var req DeployRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	pkg, err := registry.ParsePackageRef(req.ModelPackage)
	if err != nil {
		return err
	}
	res, err := s.cfg.App.Deploy(r.Context(), registry.DeployRequest{Endpoint: r.PathValue("name"), Package: pkg,
		Variant: req.Variant, InstanceCount: req.InstanceCount, Weight: req.Weight})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) setWeights(w http.ResponseWriter, r *http.Request) error {
	var req WeightsRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	ep, err := s.cfg.App.SetWeights(r.Context(), r.PathValue("name"), req.Weights)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ep)
	return nil
}

func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.App.DeleteEndpoint(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
