package objstore

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
)

// Import stores the objects under uri as one artifact and returns its
// reference, so that a step reading s3:// data is keyed by the content's
// digest, not by its mutable name.
//
// uri names an object or a prefix, as SageMaker's S3Prefix inputs do.
// Each object whose key starts with uri's key is stored at its key
// relative to the prefix's last "/": s3://b/data/ with data/a.csv and
// data/x/b.csv gives a.csv and x/b.csv; s3://b/data/claims.csv gives
// claims.csv. Nothing under uri is an error wrapping ErrNoSuchKey that
// names the URI.
func Import(ctx context.Context, s *Store, arts artifact.Store, uri URI) (artifact.Ref, error) {
	// A local store on the same file system takes hard links to the
	// (immutable) blobs: importing a large prefix copies no bytes.
	ad, link := arts.(artifact.Adopter)
	var tmp string
	var err error
	if link {
		tmp, err = ad.TempDir()
	} else {
		tmp, err = os.MkdirTemp(filepath.Join(s.root, "tmp"), "import-")
	}
	if err != nil {
		return "", fmt.Errorf("importing %s: %w", uri, err)
	}
	defer artifact.RemoveTree(tmp)
	base := uri.Key[:strings.LastIndex(uri.Key, "/")+1]
	n := 0
	err = s.Walk(ctx, uri.Bucket, uri.Key, func(o Object) error {
		rel := strings.TrimPrefix(o.Key, base)
		if (rel == "" || strings.HasSuffix(rel, "/")) && o.Size == 0 {
			return nil // a "folder" marker made by consoles
		}
		if !filepath.IsLocal(filepath.FromSlash(rel)) || path.Clean(rel) != rel {
			return fmt.Errorf("object %s: key %q does not map to a file path", o.URI(), rel)
		}
		dst := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		n++
		if link && os.Link(s.blobPath(o.Blob), dst) == nil {
			return nil // Adopt makes it read-only, as the store keeps its files
		}
		return s.download(ctx, o, dst)
	})
	if err != nil {
		return "", fmt.Errorf("importing %s: %w", uri, err)
	}
	if n == 0 {
		return "", fmt.Errorf("importing %s: no object has this key or prefix: %w", uri, ErrNoSuchKey)
	}
	var ref artifact.Ref
	if link {
		ref, err = ad.Adopt(ctx, tmp)
	} else {
		ref, err = arts.PutDir(ctx, tmp)
	}
	if err != nil {
		return "", fmt.Errorf("importing %s: %w", uri, err)
	}
	return ref, nil
}

// download copies object o into the new file dst.
func (s *Store) download(ctx context.Context, o Object, dst string) error {
	_, f, err := s.Open(ctx, o.Bucket, o.Key)
	if err != nil {
		return err
	}
	defer f.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
	if err != nil {
		return fmt.Errorf("object %s: %w", o.URI(), err)
	}
	if _, err := io.Copy(out, ctxReader{ctx, f}); err != nil {
		out.Close()
		return fmt.Errorf("object %s: %w", o.URI(), err)
	}
	return out.Close()
}

// Publish writes every file of the artifact ref under dest, as SageMaker
// writes a job's output under its S3Uri: file a/b.csv of the artifact
// becomes dest/a/b.csv. It returns the objects written.
func Publish(ctx context.Context, s *Store, arts artifact.Store, ref artifact.Ref, dest URI) ([]Object, error) {
	dir, err := arts.Path(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("publishing %s to %s: %w", ref.Short(), dest, err)
	}
	objs, err := PublishDir(ctx, s, dir, dest)
	if err != nil {
		return nil, fmt.Errorf("publishing %s: %w", ref.Short(), err)
	}
	return objs, nil
}

// PublishDir writes every regular file under dir to dest joined with its
// slash-separated relative path.
func PublishDir(ctx context.Context, s *Store, dir string, dest URI) ([]Object, error) {
	var objs []Object
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		o, err := PutFile(ctx, s, p, dest.Join(filepath.ToSlash(rel)))
		if err != nil {
			return err
		}
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("publishing %s to %s: %w", dir, dest, err)
	}
	return objs, nil
}

// PutFile stores the local file at p as uri, with a content type guessed
// from its extension.
func PutFile(ctx context.Context, s *Store, p string, uri URI) (Object, error) {
	f, err := os.Open(p)
	if err != nil {
		return Object{}, fmt.Errorf("putting %s: %w", uri, err)
	}
	defer f.Close()
	ct := mime.TypeByExtension(path.Ext(p))
	if ct == "" {
		ct = "binary/octet-stream"
	}
	return s.Put(ctx, uri.Bucket, uri.Key, f, PutOptions{ContentType: ct})
}

// GetFile writes object uri to the local file p (replacing it).
func GetFile(ctx context.Context, s *Store, uri URI, p string) (Object, error) {
	o, f, err := s.Open(ctx, uri.Bucket, uri.Key)
	if err != nil {
		return Object{}, err
	}
	defer f.Close()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return Object{}, fmt.Errorf("getting %s: %w", uri, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".ferry-get-")
	if err != nil {
		return Object{}, fmt.Errorf("getting %s: %w", uri, err)
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, ctxReader{ctx, f})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		return Object{}, fmt.Errorf("getting %s to %s: %w", uri, p, err)
	}
	return o, nil
}
