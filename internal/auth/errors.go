package auth

import (
	"errors"
	"fmt"
)

var (
	// ErrUnauthenticated means no credentials, or credentials that are not
	// valid (unknown, malformed or revoked). HTTP maps it to 401.
	ErrUnauthenticated = errors.New("unauthenticated: a valid token is required")
	// ErrTokenNotFound means no token has the given name or id (or it is
	// already revoked, for Revoke).
	ErrTokenNotFound = errors.New("token not found")
	// ErrTokenExists means an unrevoked token already has the name.
	ErrTokenExists = errors.New("a token with this name exists")
	// ErrInvalid means a malformed name or role.
	ErrInvalid = errors.New("invalid")
)

// ForbiddenError is returned when an authenticated principal's role may not
// perform an action. HTTP maps it to 403.
type ForbiddenError struct {
	Principal Principal
	Action    Action
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("forbidden: %s (role %s) may not %s", e.Principal.Name, e.Principal.Role, e.Action)
}

func isNotFound(err error) bool { return errors.Is(err, ErrTokenNotFound) }
