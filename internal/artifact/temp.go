package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// tempGrace is how old an unlocked temporary directory must be before
// OpenDir removes it: a writer creates its directory, then locks it, and
// must not lose it in between.
const tempGrace = time.Minute

// tempPrefix names the temporary directories of Put calls.
const tempPrefix = "put-"

// newTemp creates a temporary directory for a Put under <root>/tmp and
// holds an exclusive flock(2) on it until release is called. A process
// that dies mid-Put (kill -9) leaves its directory behind unlocked, which
// is how removeStaleTemps tells it from one still being written.
func (d *Dir) newTemp() (dir string, release func(), err error) {
	dir, err = os.MkdirTemp(filepath.Join(d.root, "tmp"), tempPrefix)
	if err != nil {
		return "", nil, err
	}
	f, err := os.Open(dir)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return dir, func() {
		os.RemoveAll(dir) // gone already when it was committed
		f.Close()
	}, nil
}

// removeStaleTemps removes the temporary directories that no Put holds
// any more (left by a killed process), once older than tempGrace. It
// returns the number removed; a directory it cannot inspect is left.
func (d *Dir) removeStaleTemps(now time.Time) (int, error) {
	tmp := filepath.Join(d.root, "tmp")
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return 0, fmt.Errorf("listing %s: %w", tmp, err)
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		p := filepath.Join(tmp, e.Name())
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < tempGrace {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close() // a live Put holds it
			continue
		}
		err = removeTree(p)
		f.Close()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// removeTree removes p, first making its directories writable.
func removeTree(p string) error {
	_ = filepath.WalkDir(p, func(q string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			_ = os.Chmod(q, 0o755)
		}
		return nil
	})
	if err := os.RemoveAll(p); err != nil {
		return fmt.Errorf("removing stale temporary %s: %w", p, err)
	}
	return nil
}
