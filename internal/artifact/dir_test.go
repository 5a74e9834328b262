package artifact

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// storeDir returns a temporary directory for a store, made removable
// again (its artifacts' directories are read-only) before the test's
// TempDir cleanup.
func storeDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() { RemoveTree(dir) })
	return dir
}

func writeTree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDirPutDir(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := OpenDir(storeDir(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"OneFile", map[string]string{"train.csv": "a,b\n1,2\n"}},
		{"Nested", map[string]string{"model.json": "{}", "sub/schema.json": `{"x":1}`}},
		{"Empty", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := t.TempDir()
			writeTree(t, src, tt.files)
			ref, err := store.PutDir(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			if err := ref.Validate(); err != nil {
				t.Fatal(err)
			}
			again, err := store.PutDir(ctx, src)
			if err != nil || again != ref {
				t.Fatalf("second put: got %s, %v; want %s", again, err, ref)
			}
			p, err := store.Path(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			for name, body := range tt.files {
				got, err := os.ReadFile(filepath.Join(p, filepath.FromSlash(name)))
				if err != nil || string(got) != body {
					t.Errorf("%s: got %q, %v; want %q", name, got, err, body)
				}
			}
			d, err := Digest(ctx, p)
			if err != nil || d != ref {
				t.Errorf("digest of stored copy: got %s, %v; want %s", d, err, ref)
			}
		})
	}
}

func TestDirContentAddressing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := OpenDir(storeDir(t))
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	writeTree(t, a, map[string]string{"x.csv": "1"})
	writeTree(t, b, map[string]string{"x.csv": "1"})
	writeTree(t, c, map[string]string{"y.csv": "1"}) // same bytes, other name
	ra, _ := store.PutDir(ctx, a)
	rb, _ := store.PutDir(ctx, b)
	rc, _ := store.PutDir(ctx, c)
	if ra != rb {
		t.Errorf("same content gave %s and %s", ra, rb)
	}
	if ra == rc {
		t.Errorf("different file names gave the same reference %s", ra)
	}
}

func TestDirPutFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := OpenDir(storeDir(t))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "claims.csv")
	writeTree(t, filepath.Dir(src), map[string]string{"claims.csv": "policy_id\n1\n"})
	ref, err := store.PutFile(ctx, src, "")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := store.Path(ctx, ref)
	if _, err := os.Stat(filepath.Join(p, "claims.csv")); err != nil {
		t.Errorf("stored file: %v", err)
	}
}

func TestDirNotFound(t *testing.T) {
	t.Parallel()
	store, err := OpenDir(storeDir(t))
	if err != nil {
		t.Fatal(err)
	}
	missing := Ref("sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	if _, err := store.Path(t.Context(), missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("Path of a missing artifact: got %v, want ErrNotFound", err)
	}
	ok, err := store.Exists(t.Context(), missing)
	if ok || err != nil {
		t.Errorf("Exists: got %v, %v; want false, nil", ok, err)
	}
}

func TestRefValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref  string
		good bool
	}{
		{"sha256:" + "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", true},
		{"sha256:abc", false},
		{"md5:" + "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", false},
		{"sha256:" + "AB0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := Ref(tt.ref).Validate(); (err == nil) != tt.good {
			t.Errorf("Validate(%q) = %v, want good=%v", tt.ref, err, tt.good)
		}
	}
}

// TestDirConcurrentPut stores the same content from many goroutines: every
// writer gets the same reference and the store holds one copy.
func TestDirConcurrentPut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := storeDir(t)
	store, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a": "same", "b/c": "bytes"})
	var wg sync.WaitGroup
	refs := make([]Ref, 8)
	for i := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := store.PutDir(ctx, src)
			if err != nil {
				t.Error(err)
			}
			refs[i] = r
		}()
	}
	wg.Wait()
	for _, r := range refs[1:] {
		if r != refs[0] {
			t.Fatalf("references differ: %s vs %s", r, refs[0])
		}
	}
	entries, _ := os.ReadDir(filepath.Join(root, "sha256"))
	if len(entries) != 1 {
		t.Errorf("store holds %d artifacts, want 1", len(entries))
	}
	tmp, _ := os.ReadDir(filepath.Join(root, "tmp"))
	if len(tmp) != 0 {
		t.Errorf("tmp holds %d leftovers, want 0", len(tmp))
	}
}

// TestDirReadOnlyAndAbsolute checks that a store opened with a relative
// root hands out absolute paths, that committed artifacts' directories and
// files are read-only, and that RemoveTree still removes them.
func TestDirReadOnlyAndAbsolute(t *testing.T) {
	ctx := context.Background()
	t.Chdir(storeDir(t))
	store, err := OpenDir("store")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(store.Root()) {
		t.Errorf("Root() = %q, want an absolute path", store.Root())
	}
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a": "x", "sub/b": "y"})
	ref, err := store.PutDir(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.Path(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(p) {
		t.Errorf("Path() = %q, want an absolute path", p)
	}
	for _, rel := range []string{".", "sub"} {
		fi, err := os.Stat(filepath.Join(p, rel))
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m&0o222 != 0 {
			t.Errorf("directory %s has mode %v, want read-only", rel, m)
		}
	}
	for _, rel := range []string{"a", "sub/b"} {
		fi, err := os.Stat(filepath.Join(p, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m&0o222 != 0 {
			t.Errorf("file %s has mode %v, want read-only", rel, m)
		}
	}
	if err := RemoveTree(store.Root()); err != nil {
		t.Fatalf("RemoveTree: %v", err)
	}
	if _, err := os.Stat(store.Root()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("store still exists after RemoveTree: %v", err)
	}
}

// TestDirAdopt: a tree written under TempDir is moved in, not copied: it
// has PutDir's reference, its files and directories become read-only,
// and the temporary directory is gone.
func TestDirAdopt(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := OpenDir(storeDir(t))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"model.json": "{}", "sub/manifest.json": "[]"}
	src := t.TempDir()
	writeTree(t, src, files)
	want, err := Digest(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := store.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, tmp, files)
	var ad Adopter = store
	ref, err := ad.Adopt(ctx, tmp)
	if err != nil {
		t.Fatal(err)
	}
	if ref != want {
		t.Errorf("Adopt: %s, want PutDir's %s", ref, want)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary directory after Adopt: %v, want it gone", err)
	}
	dir, err := store.Path(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"model.json", "sub/manifest.json", "sub", "."} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o444)
		if fi.IsDir() {
			want = 0o555
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
}
