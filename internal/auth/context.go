package auth

import "context"

// Principal is an authenticated identity. Name is the token's name; it is
// what the registry records as who approved a model version.
type Principal struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// principalKey is the context key of the principal.
type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal ctx carries, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
