// Package artifact is Ferry's immutable, content-addressed artifact store.
//
// An artifact is a directory tree (a file is stored as a one-file directory).
// Its reference is "sha256:<hex>", the SHA-256 of a canonical listing of the
// tree: for each regular file, in sorted path order, its slash-separated
// relative path, its size and the SHA-256 of its bytes. Two trees with the
// same files have the same reference, wherever they were built.
//
// Steps exchange references, never in-memory data. The local implementation,
// [Dir], writes each artifact into a temporary directory and renames it into
// place, so a reader never sees a half-written artifact, even after kill -9.
package artifact

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Ref is a content reference, "sha256:" followed by 64 hex digits.
type Ref string

// ErrNotFound is returned when a reference names no stored artifact.
var ErrNotFound = errors.New("artifact not found")

const refPrefix = "sha256:"

// Hex returns the hexadecimal digest of the reference.
func (r Ref) Hex() string { return strings.TrimPrefix(string(r), refPrefix) }

// Short returns the first 12 hex digits, for display.
func (r Ref) Short() string {
	h := r.Hex()
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// Validate reports whether r is well formed.
func (r Ref) Validate() error {
	h, ok := strings.CutPrefix(string(r), refPrefix)
	if !ok || len(h) != 64 {
		return fmt.Errorf("artifact reference %q: want sha256:<64 hex digits>", string(r))
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("artifact reference %q: want lowercase hex digits", string(r))
		}
	}
	return nil
}

// ParseRef parses and validates a reference.
func ParseRef(s string) (Ref, error) {
	r := Ref(s)
	return r, r.Validate()
}

// Adopter is a Store on the local file system that can take a tree
// without copying it ([Dir]): a tree written under TempDir is moved in by
// Adopt, which returns its reference. The caller removes the temporary
// directory afterwards (gone after a successful Adopt) or on failure.
type Adopter interface {
	TempDir() (string, error)
	Adopt(ctx context.Context, tmp string) (Ref, error)
}

// Store is the artifact store contract. Implementations must be safe for
// concurrent use.
type Store interface {
	// PutDir stores a copy of the directory tree at path and returns its
	// reference. Storing the same content twice returns the same reference
	// and is cheap.
	PutDir(ctx context.Context, path string) (Ref, error)
	// PutFile stores a single file as an artifact holding that one file
	// under the given name.
	PutFile(ctx context.Context, path, name string) (Ref, error)
	// Path returns the local, read-only directory holding the artifact.
	// It returns an error wrapping ErrNotFound when it is not stored.
	Path(ctx context.Context, ref Ref) (string, error)
	// Exists reports whether the artifact is stored and complete.
	Exists(ctx context.Context, ref Ref) (bool, error)
}
