package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
)

func (s *Server) getArtifact(w http.ResponseWriter, r *http.Request) error {
	ref := r.PathValue("ref")
	files, err := s.cfg.App.ArtifactFiles(r.Context(), ref)
	if err != nil {
		return err
	}
	dir, err := s.cfg.App.ArtifactPath(r.Context(), ref)
	if err != nil {
		return err
	}
	out := ArtifactResponse{Ref: ref, Path: dir, Files: make([]FileInfo, 0, len(files))}
	for _, f := range files {
		out.Files = append(out.Files, FileInfo(f))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// artifactFile downloads one file of an artifact. The path is checked by
// the application layer (no "..", no absolute path) and opened inside the
// artifact's root, so no symbolic link leads outside it.
func (s *Server) artifactFile(w http.ResponseWriter, r *http.Request) error {
	f, info, err := s.cfg.App.OpenArtifactFile(r.Context(), r.PathValue("ref"), r.PathValue("path"))
	if err != nil {
		return err
	}
	defer f.Close()
	ct := mime.TypeByExtension(path.Ext(info.Path))
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	// Reports are HTML: never run them as this origin's pages.
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": path.Base(info.Path)}))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := io.Copy(w, f); err != nil && !errors.Is(err, r.Context().Err()) {
		s.cfg.Logger.WarnContext(r.Context(), "sending an artifact file", "path", info.Path, "err", err)
	}
	return nil
}
