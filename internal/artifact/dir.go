package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// Dir is a Store in a local directory: <root>/sha256/<hex>/ holds each
// artifact's files, <root>/tmp/ holds artifacts being written.
type Dir struct {
	root string
}

var _ Store = (*Dir)(nil)

// OpenDir opens (creating if needed) a local artifact store rooted at root.
// A relative root is made absolute, so the paths the store hands out stay
// valid whatever the working directory of their user. It removes the
// temporary directories that killed writers left in <root>/tmp (those no
// live Put holds a lock on, older than a minute).
func OpenDir(root string) (*Dir, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("opening artifact store: %w", err)
	}
	for _, sub := range []string{"sha256", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o755); err != nil {
			return nil, fmt.Errorf("creating artifact store: %w", err)
		}
	}
	d := &Dir{root: root}
	// Best effort: a temporary that cannot be removed only wastes space.
	_, _ = d.removeStaleTemps(time.Now())
	return d, nil
}

// Root returns the store's root directory.
func (d *Dir) Root() string { return d.root }

func (d *Dir) final(ref Ref) string { return filepath.Join(d.root, "sha256", ref.Hex()) }

// Path implements Store.
func (d *Dir) Path(ctx context.Context, ref Ref) (string, error) {
	if err := ref.Validate(); err != nil {
		return "", err
	}
	p := d.final(ref)
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("artifact %s: %w", ref.Short(), ErrNotFound)
		}
		return "", fmt.Errorf("artifact %s: %w", ref.Short(), err)
	}
	return p, nil
}

// Exists implements Store.
func (d *Dir) Exists(ctx context.Context, ref Ref) (bool, error) {
	_, err := d.Path(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// PutFile implements Store.
func (d *Dir) PutFile(ctx context.Context, path, name string) (Ref, error) {
	if name == "" {
		name = filepath.Base(path)
	}
	tmp, release, err := d.newTemp()
	if err != nil {
		return "", fmt.Errorf("storing %s: %w", path, err)
	}
	defer release()
	if err := copyFile(path, filepath.Join(tmp, name)); err != nil {
		return "", fmt.Errorf("storing %s: %w", path, err)
	}
	return d.commit(ctx, tmp)
}

// PutDir implements Store.
func (d *Dir) PutDir(ctx context.Context, path string) (Ref, error) {
	tmp, release, err := d.newTemp()
	if err != nil {
		return "", fmt.Errorf("storing %s: %w", path, err)
	}
	defer release()
	err = filepath.WalkDir(path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(path, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(tmp, rel)
		switch {
		case e.IsDir():
			return os.MkdirAll(dst, 0o755)
		case e.Type().IsRegular():
			return copyFile(p, dst)
		default:
			return fmt.Errorf("%s: only regular files and directories can be stored", p)
		}
	})
	if err != nil {
		return "", fmt.Errorf("storing %s: %w", path, err)
	}
	return d.commit(ctx, tmp)
}

// commit digests the tree at tmp and renames it into place. If the
// artifact already exists the copy is discarded.
func (d *Dir) commit(ctx context.Context, tmp string) (Ref, error) {
	ref, err := Digest(ctx, tmp)
	if err != nil {
		return "", err
	}
	final := d.final(ref)
	if _, err := os.Stat(final); err == nil {
		return ref, nil
	}
	if err := syncTree(tmp); err != nil {
		return "", fmt.Errorf("syncing artifact %s: %w", ref.Short(), err)
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(final); statErr == nil {
			return ref, nil // a concurrent writer stored the same content
		}
		return "", fmt.Errorf("committing artifact %s: %w", ref.Short(), err)
	}
	// Files are 0444 already; make the directories read-only too, so a
	// user of Path (a command step's inputs/<name>) cannot add, remove or
	// replace files. (Moving a directory to another parent needs write
	// permission on it, hence after the rename.)
	if err := readOnlyTree(final); err != nil {
		return "", fmt.Errorf("committing artifact %s: %w", ref.Short(), err)
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return "", fmt.Errorf("committing artifact %s: %w", ref.Short(), err)
	}
	return ref, nil
}

// Digest computes the reference of the directory tree at root without
// storing it.
func Digest(ctx context.Context, root string) (Ref, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("digesting %s: %w", root, err)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, rel := range files {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		sum, size, err := fileDigest(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return "", fmt.Errorf("digesting %s: %w", root, err)
		}
		io.WriteString(h, strconv.Quote(rel)+" "+strconv.FormatInt(size, 10)+" "+sum+"\n")
	}
	return Ref(refPrefix + hex.EncodeToString(h.Sum(nil))), nil
}

func fileDigest(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// readOnlyTree makes every directory of the tree at root 0555.
func readOnlyTree(root string) error {
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return os.Chmod(p, 0o555)
		}
		return nil
	})
}

// RemoveTree removes the tree at path like os.RemoveAll, first making its
// directories writable again, so it also removes a stored artifact or a
// whole store (whose directories are read-only).
func RemoveTree(path string) error {
	filepath.WalkDir(path, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(path)
}

func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
