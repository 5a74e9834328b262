package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/ferryml/ferry/internal/run"
)

// listTrials answers a tuning step's trials: each a step run of its own
// (STEP/trial-NNN) with hyperparameters, objective, status, time and
// whether it stopped early.
func (s *Server) listTrials(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.cfg.App.Trials(r.Context(), r.PathValue("id"), r.PathValue("step"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ts)
	return nil
}

// trialLog answers one trial's log as text.
func (s *Server) trialLog(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(r.PathValue("trial"))
	if err != nil || n < 1 {
		return badRequest("trial %q: want a trial number >= 1", r.PathValue("trial"))
	}
	id, step := r.PathValue("id"), r.PathValue("step")
	f, err := s.cfg.App.TrialLog(r.Context(), id, step, n)
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set(HeaderLogExecution, f.Execution)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if _, err := io.Copy(w, f); err != nil && !errors.Is(err, r.Context().Err()) {
		s.cfg.Logger.WarnContext(r.Context(), "sending a trial log", "execution", id, "step", step, "trial", n, "err", err)
	}
	return nil
}

// saveTrial takes a worker's record of a finished trial of a tuning step
// it runs (POST .../trials, body: the record).
func (s *Server) saveTrial(w http.ResponseWriter, r *http.Request) error {
	var t run.Trial
	if err := decode(w, r, &t, false); err != nil {
		return err
	}
	if err := s.cfg.App.SaveTrial(r.Context(), r.PathValue("id"), r.PathValue("step"), t); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxTrialLog bounds a trial log a worker sends.
const maxTrialLog = 8 << 20

// cachedTrial answers the trial cache's entry for a key: what a worker
// reuses instead of training a trial again.
func (s *Server) cachedTrial(w http.ResponseWriter, r *http.Request) error {
	t, err := s.cfg.App.CachedTrial(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// saveTrialLog takes the log of a trial a worker ran (PUT .../logs, body:
// the log as text).
func (s *Server) saveTrialLog(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(r.PathValue("trial"))
	if err != nil || n < 1 {
		return badRequest("trial %q: want a trial number >= 1", r.PathValue("trial"))
	}
	if err := s.cfg.App.SaveTrialLog(r.Context(), r.PathValue("id"), r.PathValue("step"), n, http.MaxBytesReader(w, r.Body, maxTrialLog)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
