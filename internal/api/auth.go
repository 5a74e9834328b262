package api

import (
	"net/http"

	"github.com/ferryml/ferry/internal/auth"
)

// authorize lets a request through to h when its bearer token's role may
// perform action, with the principal in its context; else it answers 401
// (no or bad token) or 403 (a role that may not). Without an
// Authenticator, h serves every request unchanged; with an UntilTokens,
// it does so while the home has no tokens.
func (s *Server) authorize(action auth.Action, h http.Handler) http.Handler {
	authn := s.authenticator()
	if authn == nil {
		return h
	}
	op, _ := authn.(opener)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if op != nil && op.Open(r.Context()) {
			h.ServeHTTP(w, r)
			return
		}
		token, ok := auth.BearerToken(r)
		if !ok {
			writeError(w, r, s.cfg.Logger, auth.ErrUnauthenticated)
			return
		}
		p, err := authn.Authenticate(r.Context(), token)
		if err != nil {
			writeError(w, r, s.cfg.Logger, err)
			return
		}
		if !p.Role.Can(action) {
			writeError(w, r, s.cfg.Logger, &auth.ForbiddenError{Principal: p, Action: action})
			return
		}
		h.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
	})
}

// who names the principal of a request for the records (an approval's
// "by"): the token's name, or, without authentication, the name the
// request gives (default "anonymous").
func (s *Server) who(r *http.Request, given string) string {
	if p, ok := auth.FromContext(r.Context()); ok && s.authenticator() != nil {
		return p.Name
	}
	if given != "" {
		return given
	}
	return "anonymous"
}

// authenticator is what checks a request's token: Auth, else
// UntilTokens, else nothing (every request is served).
func (s *Server) authenticator() Authenticator {
	switch {
	case s.cfg.Auth != nil:
		return s.cfg.Auth
	case s.cfg.UntilTokens != nil:
		return s.cfg.UntilTokens
	}
	return nil
}
