package artifact

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A killed `ferry run` leaves tmp/put-* behind; the next OpenDir removes
// those no live writer holds, and keeps fresh or locked ones.
func TestOpenDirRemovesStaleTemps(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * tempGrace)
	mk := func(name string, age time.Time) string {
		p := filepath.Join(root, "tmp", name)
		if err := os.MkdirAll(filepath.Join(p, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "sub", "f"), []byte("x"), 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(p, "sub"), 0o555); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, age, age); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := mk("put-stale", old)
	fresh := mk("put-fresh", time.Now())
	other := mk("keep-me", old)
	// A live writer's directory: old, but locked (as newTemp locks it).
	live, release, err := d.newTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := os.Chtimes(live, old, old); err != nil {
		t.Fatal(err)
	}

	if _, err := OpenDir(root); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{stale: false, fresh: true, other: true, live: true} {
		_, err := os.Stat(p)
		if got := err == nil; got != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(p), got, want)
		}
	}
	t.Cleanup(func() { _ = removeTree(fresh); _ = removeTree(other) })
}

// Once its writer is gone (the lock released, as at process death), an
// old temporary is removed.
func TestRemoveStaleTempsAfterTheWriterDies(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	p, err := os.MkdirTemp(filepath.Join(root, "tmp"), tempPrefix)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * tempGrace)
	if n, err := d.removeStaleTemps(later); err != nil || n != 0 {
		t.Fatalf("while locked: removed %d, %v", n, err)
	}
	f.Close() // the writer dies
	if n, err := d.removeStaleTemps(later); err != nil || n != 1 {
		t.Fatalf("after the writer died: removed %d, %v", n, err)
	}
}
