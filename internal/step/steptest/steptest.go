// Package steptest runs one step kind in isolation against a temp
// artifact dir: a store, a scratch [step.Env] per run and, for the kinds
// that act on the model registry, a registry on a real SQLite file.
//
// It is for tests only; no non-test code may import it.
package steptest

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step"
)

// Bundle is an artifact store in a temp dir that is removed, read-only
// stored trees included, when the test ends.
type Bundle struct {
	// Dir is the temp dir that holds the store (Dir/artifacts) and the
	// registry database (Dir/ferry.db).
	Dir   string
	Store *artifact.Dir
}

// New opens an empty store in a new temp dir.
func New(tb testing.TB) *Bundle {
	tb.Helper()
	dir := artifacttest.TempDir(tb)
	store, err := artifact.OpenDir(filepath.Join(dir, "artifacts"))
	if err != nil {
		tb.Fatal(err)
	}
	return &Bundle{Dir: dir, Store: store}
}

// Env returns what the engine gives one attempt: the store, an empty
// WorkDir of its own, and a Logger and Log that discard.
func (b *Bundle) Env(tb testing.TB) step.Env {
	tb.Helper()
	return step.Env{Store: b.Store, WorkDir: artifacttest.TempDir(tb), Logger: slog.New(slog.DiscardHandler), Log: io.Discard}
}

// Run runs k once with req in a fresh [Bundle.Env].
func (b *Bundle) Run(tb testing.TB, k step.Kind, req step.Request) (step.Result, error) {
	tb.Helper()
	return k.Run(tb.Context(), b.Env(tb), req)
}

// PutDir stores the directory dir.
func (b *Bundle) PutDir(tb testing.TB, dir string) artifact.Ref {
	tb.Helper()
	ref, err := b.Store.PutDir(tb.Context(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	return ref
}

// PutFiles stores a directory holding files (name → content).
func (b *Bundle) PutFiles(tb testing.TB, files map[string]string) artifact.Ref {
	tb.Helper()
	dir := artifacttest.TempDir(tb)
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return b.PutDir(tb, dir)
}

// PutFile stores the file at path as an artifact named name.
func (b *Bundle) PutFile(tb testing.TB, path, name string) artifact.Ref {
	tb.Helper()
	ref, err := b.Store.PutFile(tb.Context(), path, name)
	if err != nil {
		tb.Fatal(err)
	}
	return ref
}

// Path returns the directory of the stored artifact ref.
func (b *Bundle) Path(tb testing.TB, ref artifact.Ref) string {
	tb.Helper()
	dir, err := b.Store.Path(tb.Context(), ref)
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// Registry opens a model registry on a SQLite file in b.Dir (one per
// Bundle), closed when the test ends.
func (b *Bundle) Registry(tb testing.TB) *registry.Registry {
	tb.Helper()
	db, err := sqlite.Open(tb.Context(), filepath.Join(b.Dir, "ferry.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return registry.New(sqlite.NewRegistryStore(db), slog.New(slog.DiscardHandler))
}
