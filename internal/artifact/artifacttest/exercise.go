package artifacttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
)

// NewFunc returns two handles on one new, empty store: what one stores,
// the other must find (a local store opened twice on one directory; a
// remote store with two separate read caches, as on two workers).
type NewFunc func(t *testing.T) (a, b artifact.Store)

// Exercise is the artifact store conformance suite: every implementation
// of artifact.Store runs it (river's riverdrivertest idea), so the
// contract is one set of tests, not a document.
func Exercise(t *testing.T, newStores NewFunc) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		a, b := newStores(t)
		ctx := t.Context()
		tests := []struct {
			name  string
			files map[string]string
		}{
			{"OneFile", map[string]string{"train.csv": "a,b\n1,2\n"}},
			{"Nested", map[string]string{"model.json": "{}", "sub/schema.json": `{"x":1}`, "sub/deeper/x.txt": "x"}},
			{"EmptyFile", map[string]string{"empty": ""}},
			{"NoFiles", map[string]string{}},
			{"OddNames", map[string]string{"with space.csv": "1", "ünïcode/名前.txt": "2", "quote\"d": "3"}},
		}
		for _, tc := range tests {
			src := t.TempDir()
			WriteTree(t, src, tc.files)
			ref, err := a.PutDir(ctx, src)
			if err != nil {
				t.Fatalf("%s: PutDir: %v", tc.name, err)
			}
			want, err := artifact.Digest(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			if ref != want {
				t.Errorf("%s: PutDir = %s, want the content digest %s", tc.name, ref, want)
			}
			for _, s := range []artifact.Store{a, b} {
				checkTree(t, ctx, s, ref, tc.files)
			}
		}
	})

	t.Run("PutFile", func(t *testing.T) {
		t.Parallel()
		a, b := newStores(t)
		ctx := t.Context()
		src := filepath.Join(t.TempDir(), "model.bin")
		if err := os.WriteFile(src, []byte("weights"), 0o644); err != nil {
			t.Fatal(err)
		}
		ref, err := a.PutFile(ctx, src, "xgboost-model")
		if err != nil {
			t.Fatal(err)
		}
		checkTree(t, ctx, b, ref, map[string]string{"xgboost-model": "weights"})
		ref2, err := a.PutFile(ctx, src, "")
		if err != nil {
			t.Fatal(err)
		}
		checkTree(t, ctx, b, ref2, map[string]string{"model.bin": "weights"})
	})

	t.Run("ContentAddressed", func(t *testing.T) {
		t.Parallel()
		a, b := newStores(t)
		ctx := t.Context()
		files := map[string]string{"x.csv": "1\n", "y/z.csv": "2\n"}
		s1, s2 := t.TempDir(), t.TempDir()
		WriteTree(t, s1, files)
		WriteTree(t, s2, files)
		r1, err := a.PutDir(ctx, s1)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := b.PutDir(ctx, s2)
		if err != nil {
			t.Fatal(err)
		}
		if r1 != r2 {
			t.Errorf("same content stored twice: %s and %s", r1, r2)
		}
		WriteTree(t, s2, map[string]string{"x.csv": "changed\n"})
		r3, err := a.PutDir(ctx, s2)
		if err != nil {
			t.Fatal(err)
		}
		if r3 == r1 {
			t.Errorf("changed content kept reference %s", r1)
		}
	})

	t.Run("Lister", func(t *testing.T) {
		t.Parallel()
		a, b := newStores(t)
		l, ok := b.(artifact.Lister)
		if !ok {
			t.Skip("the store does not implement artifact.Lister")
		}
		ctx := t.Context()
		want := map[artifact.Ref]bool{}
		for _, body := range []string{"1", "2", "3"} {
			src := t.TempDir()
			WriteTree(t, src, map[string]string{"f": body})
			ref, err := a.PutDir(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			want[ref] = true
		}
		refs, err := l.Refs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range refs {
			delete(want, r)
		}
		if len(refs) != 3 || len(want) != 0 {
			t.Errorf("Refs = %v; missing %v", refs, want)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		a, _ := newStores(t)
		ctx := t.Context()
		missing := artifact.Ref("sha256:" + strings.Repeat("ab", 32))
		if _, err := a.Path(ctx, missing); !errors.Is(err, artifact.ErrNotFound) {
			t.Errorf("Path of a missing artifact: %v, want ErrNotFound", err)
		}
		ok, err := a.Exists(ctx, missing)
		if ok || err != nil {
			t.Errorf("Exists of a missing artifact = %v, %v; want false, nil", ok, err)
		}
		for _, bad := range []artifact.Ref{"", "sha256:xyz", "md5:" + artifact.Ref(strings.Repeat("a", 64))} {
			if _, err := a.Path(ctx, bad); err == nil || errors.Is(err, artifact.ErrNotFound) {
				t.Errorf("Path(%q): %v, want a validation error", bad, err)
			}
		}
	})

	t.Run("ReadOnly", func(t *testing.T) {
		t.Parallel()
		a, b := newStores(t)
		ctx := t.Context()
		src := t.TempDir()
		WriteTree(t, src, map[string]string{"f.txt": "keep"})
		ref, err := a.PutDir(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		// Changing the source after a put does not change the artifact.
		WriteTree(t, src, map[string]string{"f.txt": "changed"})
		for _, s := range []artifact.Store{a, b} {
			p, err := s.Path(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			if !filepath.IsAbs(p) {
				t.Errorf("Path = %q, want an absolute path", p)
			}
			if os.Geteuid() != 0 {
				if err := os.WriteFile(filepath.Join(p, "f.txt"), []byte("x"), 0o644); err == nil {
					t.Errorf("a stored file is writable")
				}
			}
			checkTree(t, ctx, s, ref, map[string]string{"f.txt": "keep"})
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		a, b := newStores(t)
		ctx := t.Context()
		body := make([]byte, 256<<10)
		rand.Read(body)
		src := t.TempDir()
		WriteTree(t, src, map[string]string{"data.bin": string(body), "meta.json": "{}"})
		want, err := artifact.Digest(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 8 {
			wg.Add(2)
			s := []artifact.Store{a, b}[i%2]
			go func() {
				defer wg.Done()
				ref, err := s.PutDir(ctx, src)
				if err == nil && ref != want {
					err = errors.New("PutDir returned " + string(ref))
				}
				errs <- err
			}()
			go func() {
				defer wg.Done()
				// A reader sees the artifact whole or not at all.
				p, err := s.Path(ctx, want)
				switch {
				case errors.Is(err, artifact.ErrNotFound):
					err = nil
				case err == nil:
					got, rerr := os.ReadFile(filepath.Join(p, "data.bin"))
					if rerr != nil || !bytes.Equal(got, body) {
						err = errors.New("a visible artifact has a partial or wrong data.bin")
					}
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		checkTree(t, ctx, b, want, map[string]string{"data.bin": string(body), "meta.json": "{}"})
	})
}

// checkTree checks that artifact ref in s holds exactly files.
func checkTree(t *testing.T, ctx context.Context, s artifact.Store, ref artifact.Ref, files map[string]string) {
	t.Helper()
	ok, err := s.Exists(ctx, ref)
	if err != nil || !ok {
		t.Fatalf("Exists(%s) = %v, %v; want true", ref.Short(), ok, err)
	}
	p, err := s.Path(ctx, ref)
	if err != nil {
		t.Fatalf("Path(%s): %v", ref.Short(), err)
	}
	got := map[string]string{}
	err = filepath.WalkDir(p, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p, path)
		got[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(files) {
		t.Errorf("artifact %s has %d files, want %d", ref.Short(), len(got), len(files))
	}
	for name, body := range files {
		if got[name] != body {
			t.Errorf("artifact %s: %s = %.40q, want %.40q", ref.Short(), name, got[name], body)
		}
	}
	if d, err := artifact.Digest(ctx, p); err != nil || d != ref {
		t.Errorf("the tree at Path(%s) digests to %s, %v", ref.Short(), d, err)
	}
}

// WriteTree writes files (slash-separated names) under root.
func WriteTree(tb testing.TB, root string, files map[string]string) {
	tb.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		os.Chmod(p, 0o644)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}
