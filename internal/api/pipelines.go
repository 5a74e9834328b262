package api

import (
	"errors"
	"net/http"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/pipeline"
)

func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.cfg.App.Pipelines(r.Context())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []app.Pipeline{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"pipelines": ps})
	return nil
}

// validatePipeline answers 200 with the problems of a definition: a
// definition with problems is a valid request.
func (s *Server) validatePipeline(w http.ResponseWriter, r *http.Request) error {
	var req ValidateRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	p, err := s.cfg.App.Validate(req.Name, []byte(req.Source))
	out := ValidateResponse{Valid: err == nil, Problems: []Problem{}}
	if p != nil {
		out.Name, out.Digest = p.Name, p.Digest
	}
	var ipe *app.InvalidPipelineError
	if errors.As(err, &ipe) {
		var ves *pipeline.ValidationErrors
		var ve *pipeline.ValidationError
		switch {
		case errors.As(ipe.Err, &ves):
			for _, e := range ves.Errs {
				out.Problems = append(out.Problems, problem(e))
			}
		case errors.As(ipe.Err, &ve):
			out.Problems = append(out.Problems, problem(ve))
		default:
			out.Problems = append(out.Problems, Problem{Message: ipe.Err.Error()})
		}
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func problem(e *pipeline.ValidationError) Problem {
	return Problem{Line: e.Pos.Line, Column: e.Pos.Column, Step: e.Step, Field: e.Field, Message: e.Msg}
}

func (s *Server) pipelineVersions(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.cfg.App.PipelineVersions(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
	return nil
}

func (s *Server) pipelineSource(w http.ResponseWriter, r *http.Request) error {
	src, err := s.cfg.App.PipelineSource(r.Context(), r.PathValue("name"), r.PathValue("digest"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/yaml; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(src)
	return nil
}

func (s *Server) pipelineGraph(w http.ResponseWriter, r *http.Request) error {
	g, err := s.cfg.App.PipelineGraph(r.Context(), r.PathValue("name"), r.PathValue("digest"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}
