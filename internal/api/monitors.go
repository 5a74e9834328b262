package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/monitor"
)

// MonitorRequest is the body of POST /api/v1/monitors. Baselines are
// either stored artifacts (baseline: {"statistics": "sha256:...",
// "constraints": ..., "analysis": ...}) or the documents themselves
// (statistics, constraints, analysis); those left out come from the
// drift-check baselines of the model version the endpoint serves.
type MonitorRequest struct {
	Name        string                  `json:"name"`
	Endpoint    string                  `json:"endpoint"`
	Type        monitor.Type            `json:"type"`
	Schedule    string                  `json:"schedule,omitempty"`
	Baseline    map[string]artifact.Ref `json:"baseline,omitempty"`
	Config      monitor.Config          `json:"config"`
	Statistics  json.RawMessage         `json:"statistics,omitempty"`
	Constraints json.RawMessage         `json:"constraints,omitempty"`
	Analysis    json.RawMessage         `json:"analysis,omitempty"`
}

// MonitorRunRequest is the body of POST /api/v1/monitors/{name}/runs: the
// window of captured traffic to check (default: the hour before now).
type MonitorRunRequest struct {
	From *time.Time `json:"from,omitempty"`
	To   *time.Time `json:"to,omitempty"`
}

// GroundTruthResult answers POST /api/v1/monitors/{name}/ground-truth.
type GroundTruthResult struct {
	Monitor string `json:"monitor"`
	Labels  int    `json:"labels"`
}

// maxGroundTruth bounds an uploaded ground-truth body.
const maxGroundTruth = 64 << 20

func (s *Server) listMonitors(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.cfg.App.Monitors(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"monitors": nonNil(ms)})
	return nil
}

func (s *Server) getMonitor(w http.ResponseWriter, r *http.Request) error {
	n, err := queryInt(r, "runs", 10)
	if err != nil {
		return err
	}
	if n < 1 || n > 1000 {
		return badRequest("query parameter runs=%d: want 1 to 1000", n)
	}
	d, err := s.cfg.App.Monitor(r.Context(), r.PathValue("name"), int(n))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) createMonitor(w http.ResponseWriter, r *http.Request) error {
	var req MonitorRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	m, err := s.cfg.App.CreateMonitor(r.Context(), app.CreateMonitorRequest{
		Monitor: monitor.Monitor{Name: req.Name, Endpoint: req.Endpoint, Type: req.Type, Schedule: req.Schedule,
			Baseline: req.Baseline, Config: req.Config},
		Statistics: req.Statistics, Constraints: req.Constraints, Analysis: req.Analysis,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/monitors/"+url.PathEscape(m.Name))
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) deleteMonitor(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.App.DeleteMonitor(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// runMonitor runs a monitor now. A run that failed (no captured data in
// the window) is answered like any other: its status says Failed.
func (s *Server) runMonitor(w http.ResponseWriter, r *http.Request) error {
	var req MonitorRunRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	win := monitor.Window{To: time.Now().UTC()}
	if req.To != nil {
		win.To = *req.To
	}
	win.From = win.To.Add(-time.Hour)
	if req.From != nil {
		win.From = *req.From
	}
	res, err := s.cfg.App.RunMonitor(r.Context(), r.PathValue("name"), win)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// uploadGroundTruth stores labels: the body is JSON lines in SageMaker's
// ground-truth layout or CSV lines "ID,LABEL".
func (s *Server) uploadGroundTruth(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	n, err := s.cfg.App.UploadGroundTruth(r.Context(), name, http.MaxBytesReader(w, r.Body, maxGroundTruth))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, GroundTruthResult{Monitor: name, Labels: n})
	return nil
}
