package auth

import (
	"net/http"
	"strings"
)

// BearerToken returns the token of a request's "Authorization: Bearer
// TOKEN" header (the scheme is case-insensitive), and whether it had one.
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
