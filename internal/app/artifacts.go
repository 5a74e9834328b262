package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
)

// File is one entry of an artifact's tree.
type File struct {
	// Path is slash-separated, relative to the artifact's root.
	Path string `json:"path"`
	Size int64  `json:"size"`
	// Type is "file" or "dir".
	Type string `json:"type"`
}

// File types.
const (
	FileRegular = "file"
	FileDir     = "dir"
)

// artifactDir returns the local directory of a stored artifact.
func (a *App) artifactDir(ctx context.Context, ref string) (string, error) {
	r, err := artifact.ParseRef(ref)
	if err != nil {
		return "", fmt.Errorf("%w: %w", err, ErrInvalid)
	}
	return a.cfg.Artifacts.Path(ctx, r)
}

// ArtifactFiles lists the files and directories of a stored artifact, in
// lexical order. Symbolic links are left out: they are not content.
func (a *App) ArtifactFiles(ctx context.Context, ref string) ([]File, error) {
	dir, err := a.artifactDir(ctx, ref)
	if err != nil {
		return nil, err
	}
	var out []File
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.IsDir():
			out = append(out, File{Path: filepath.ToSlash(rel), Type: FileDir})
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, File{Path: filepath.ToSlash(rel), Size: info.Size(), Type: FileRegular})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing artifact %s: %w", artifact.Ref(ref).Short(), err)
	}
	return out, nil
}

// CleanArtifactPath checks a slash-separated path inside an artifact: it
// must be relative, and stay inside (no "..", no absolute path, no NUL).
func CleanArtifactPath(p string) (string, error) {
	clean := path.Clean(strings.TrimPrefix(p, "./"))
	switch {
	case p == "" || clean == ".":
		return "", fmt.Errorf("no file named: %w", ErrInvalid)
	case strings.ContainsRune(p, 0) || strings.Contains(p, "\\"):
		return "", fmt.Errorf("file path %q: bad character: %w", quote(p), ErrInvalid)
	case !fs.ValidPath(clean) || !filepath.IsLocal(filepath.FromSlash(clean)):
		return "", fmt.Errorf("file path %q is not a path inside the artifact: %w", quote(p), ErrInvalid)
	}
	return clean, nil
}

// quote shortens a value for an error message.
func quote(s string) string {
	if r := []rune(s); len(r) > 100 {
		return string(r[:100]) + "…"
	}
	return s
}

// OpenArtifactFile opens one regular file of a stored artifact. The path
// is checked (CleanArtifactPath) and opened inside the artifact's root
// (os.Root), so neither ".." nor a symbolic link can reach outside it.
// The caller closes the file.
func (a *App) OpenArtifactFile(ctx context.Context, ref, name string) (*os.File, File, error) {
	clean, err := CleanArtifactPath(name)
	if err != nil {
		return nil, File{}, err
	}
	dir, err := a.artifactDir(ctx, ref)
	if err != nil {
		return nil, File{}, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, File{}, fmt.Errorf("opening artifact %s: %w", artifact.Ref(ref).Short(), err)
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(clean))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, File{}, fmt.Errorf("artifact %s has no file %q: %w", artifact.Ref(ref).Short(), clean, ErrNotFound)
	case err != nil:
		// os.Root refuses links that leave the root: not a file of ours.
		return nil, File{}, fmt.Errorf("artifact %s: file %q: not a file inside the artifact: %w", artifact.Ref(ref).Short(), clean, ErrInvalid)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, File{}, fmt.Errorf("reading artifact file %q: %w", clean, err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, File{}, fmt.Errorf("artifact %s: %q is a directory, not a file: %w", artifact.Ref(ref).Short(), clean, ErrInvalid)
	}
	return f, File{Path: clean, Size: info.Size(), Type: FileRegular}, nil
}

// ArtifactPath returns the local directory that holds a stored artifact
// (on the machine that runs the App), so reports are one `ls` away.
func (a *App) ArtifactPath(ctx context.Context, ref string) (string, error) {
	return a.artifactDir(ctx, ref)
}
