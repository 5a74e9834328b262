package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// File is one entry of an artifact's canonical listing.
type File struct {
	// Path is slash-separated and relative to the artifact's root.
	Path string `json:"path"`
	Size int64  `json:"size"`
	// SHA256 is the hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
}

// RefOf returns the reference of an artifact holding files, without
// reading any bytes: the SHA-256 of the canonical listing (sorted by
// path). A remote store checks a manifest against its reference with it.
func RefOf(files []File) Ref {
	sorted := make([]File, len(files))
	copy(sorted, files)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	h := sha256.New()
	for _, f := range sorted {
		io.WriteString(h, strconv.Quote(f.Path)+" "+strconv.FormatInt(f.Size, 10)+" "+f.SHA256+"\n")
	}
	return Ref(refPrefix + hex.EncodeToString(h.Sum(nil)))
}

// List returns the canonical listing of the tree at root (regular files
// only, sorted by path); RefOf(List(root)) equals Digest(root).
func List(ctx context.Context, root string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			if !e.IsDir() {
				return fmt.Errorf("%s: only regular files and directories can be stored", p)
			}
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		sum, size, err := fileDigest(p)
		if err != nil {
			return err
		}
		files = append(files, File{Path: filepath.ToSlash(rel), Size: size, SHA256: sum})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", root, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// Lister is implemented by stores that can enumerate what they hold (for
// `ferry artifacts migrate`).
type Lister interface {
	// Refs returns the references of every complete artifact.
	Refs(ctx context.Context) ([]Ref, error)
}

var _ Lister = (*Dir)(nil)

// Refs implements Lister.
func (d *Dir) Refs(ctx context.Context) ([]Ref, error) {
	entries, err := os.ReadDir(filepath.Join(d.root, "sha256"))
	if err != nil {
		return nil, fmt.Errorf("listing artifacts: %w", err)
	}
	var refs []Ref
	for _, e := range entries {
		r := Ref(refPrefix + e.Name())
		if e.IsDir() && r.Validate() == nil {
			refs = append(refs, r)
		}
	}
	return refs, nil
}

// TempDir returns a new empty directory inside the store (so on its file
// system), for a tree that Adopt will move in. The caller removes it
// after Adopt (or on failure).
func (d *Dir) TempDir() (string, error) {
	tmp, err := os.MkdirTemp(filepath.Join(d.root, "tmp"), "adopt-")
	if err != nil {
		return "", fmt.Errorf("making a temporary directory in the artifact store: %w", err)
	}
	return tmp, nil
}

// Adopt moves the tree at tmp (made by TempDir) into the store without
// copying it and returns its reference. Its files become read-only, as
// the store keeps them. A remote store's local read cache fills itself
// this way, and a tuning trial stores its model so.
func (d *Dir) Adopt(ctx context.Context, tmp string) (Ref, error) {
	err := filepath.WalkDir(tmp, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		return os.Chmod(p, 0o444)
	})
	if err != nil {
		return "", fmt.Errorf("storing %s: %w", tmp, err)
	}
	return d.commit(ctx, tmp)
}
