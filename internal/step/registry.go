package step

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
)

// Registry holds the kinds a Ferry process knows, by ID.
type Registry struct {
	kinds map[string]Kind
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{kinds: make(map[string]Kind)} }

var kindID = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Register adds a kind. It fails on a malformed or duplicate ID.
func (r *Registry) Register(k Kind) error {
	id := k.Spec().Kind
	if !kindID.MatchString(id) {
		return fmt.Errorf("registering step kind %q: ID must be snake_case", id)
	}
	if _, dup := r.kinds[id]; dup {
		return fmt.Errorf("registering step kind %q: already registered", id)
	}
	r.kinds[id] = k
	return nil
}

// MustRegister is Register for program start-up: it panics on error.
func (r *Registry) MustRegister(kinds ...Kind) {
	for _, k := range kinds {
		if err := r.Register(k); err != nil {
			panic(err)
		}
	}
}

// Lookup returns the kind with the given ID.
func (r *Registry) Lookup(id string) (Kind, bool) {
	k, ok := r.kinds[id]
	return k, ok
}

// IDs returns the registered kind IDs, sorted.
func (r *Registry) IDs() []string {
	ids := make([]string, 0, len(r.kinds))
	for id := range r.kinds {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not retryable: bad input data, a bad config, a
// model that does not load. Retry policies never retry it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// FailError is returned by a fail step: the execution ends Failed with
// Message.
type FailError struct{ Message string }

func (e *FailError) Error() string { return e.Message }
