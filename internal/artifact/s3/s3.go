// Package s3 is an artifact.Store on any S3-compatible service (AWS S3,
// MinIO, versitygw, Ceph, Ferry's own S3 listener), through minio-go.
//
// # Layout
//
// Under the configured bucket and prefix:
//
//	blobs/sha256/<file sha256>          a file's bytes, content-addressed
//	artifacts/sha256/<artifact sha256>  the artifact's manifest (JSON): its files
//	                                    (path, size, sha256); the commit marker
//
// A put uploads every blob first and the manifest last, so an artifact
// exists exactly when its manifest does: no reader ever sees a
// half-written artifact, whatever fails in between. Blobs are shared by
// every artifact that holds the same bytes, and a blob already present is
// not uploaded again. A reader checks the manifest against the reference
// (artifact.RefOf) and each downloaded file against its SHA-256.
//
// # Local read cache
//
// Path downloads an artifact once into a local artifact.Dir keyed by its
// digest (each worker has its own) and serves it from there afterwards.
// PutDir stages the tree in the same cache, so a step's outputs are read
// back locally on the machine that made them.
//
// # Failures
//
// minio-go retries each request a few times; on top of that every
// operation (a blob upload, a download, a manifest write) is retried with
// exponential backoff and jitter on 5xx answers, throttling, dropped
// connections, timeouts and corrupt downloads, each attempt bounded by
// AttemptTimeout. 4xx answers other than 408 and 429 are final.
package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config configures a Store. Zero values are defaults where one is
// documented.
type Config struct {
	// Endpoint is the service's base URL: https://host[:port] (or http://
	// for a loopback test server).
	Endpoint string
	// Bucket holds the artifacts; Prefix (optional) is prepended to every
	// key, so several stores can share a bucket.
	Bucket, Prefix string
	// Region defaults to us-east-1.
	Region string
	// Static credentials; empty means anonymous requests.
	AccessKey, SecretKey, SessionToken string
	// Transport overrides the HTTP transport (custom CAs in tests).
	Transport http.RoundTripper
	// CacheDir is the local read cache (an artifact.Dir). Required.
	CacheDir string
	// CreateBucket makes the bucket when it does not exist.
	CreateBucket bool
	// PartSize is the multipart part size (default 16 MiB); files larger
	// than it are uploaded in parts.
	PartSize uint64
	// Attempts bounds the tries of each operation (default 8).
	Attempts int
	// MinBackoff and MaxBackoff bound the wait between tries (defaults
	// 100ms and 5s); the wait doubles from MinBackoff, with jitter.
	MinBackoff, MaxBackoff time.Duration
	// AttemptTimeout bounds one try of one operation (default 10m).
	AttemptTimeout time.Duration
	// Parallel is the number of files transferred at once (default 4).
	Parallel int
	// Logger receives retries at debug level (default slog.Default()).
	Logger *slog.Logger
}

// DefaultPartSize is the multipart part size when Config.PartSize is 0.
const DefaultPartSize = 16 << 20

func (c *Config) defaults() {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.Attempts <= 0 {
		c.Attempts = 8
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 10 * time.Minute
	}
	if c.Parallel <= 0 {
		c.Parallel = 4
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Prefix != "" && !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
}

// Store is an artifact.Store on an S3-compatible service.
type Store struct {
	cfg    Config
	client *minio.Client
	cache  *artifact.Dir
}

var (
	_ artifact.Store  = (*Store)(nil)
	_ artifact.Lister = (*Store)(nil)
)

// Open connects to the service and checks (or makes) the bucket.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.defaults()
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("S3 endpoint %q: want http(s)://host[:port]", cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("S3 artifact store: no bucket configured")
	}
	if cfg.CacheDir == "" {
		return nil, errors.New("S3 artifact store: no local cache directory configured")
	}
	cache, err := artifact.OpenDir(cfg.CacheDir)
	if err != nil {
		return nil, err
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken),
		Secure:    u.Scheme == "https",
		Transport: cfg.Transport,
		Region:    cfg.Region,
		// No retries inside minio-go: its retry of a multipart part seeks
		// the part's reader while the failed request's transport may still
		// be reading it (a data race the race detector caught). Whole
		// operations are retried here instead, each with a fresh reader.
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 endpoint %s: %w", cfg.Endpoint, err)
	}
	s := &Store{cfg: cfg, client: client, cache: cache}
	var exists bool
	err = s.retry(ctx, "checking bucket "+cfg.Bucket, func(ctx context.Context) error {
		var err error
		exists, err = client.BucketExists(ctx, cfg.Bucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opening S3 artifact store %s/%s: %w", cfg.Endpoint, cfg.Bucket, err)
	}
	if !exists {
		if !cfg.CreateBucket {
			return nil, fmt.Errorf("opening S3 artifact store: bucket %q does not exist at %s", cfg.Bucket, cfg.Endpoint)
		}
		err = s.retry(ctx, "making bucket "+cfg.Bucket, func(ctx context.Context) error {
			err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
			if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
				return nil
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("opening S3 artifact store: %w", err)
		}
	}
	return s, nil
}

// Cache returns the local read cache.
func (s *Store) Cache() *artifact.Dir { return s.cache }

func (s *Store) blobKey(sum string) string { return s.cfg.Prefix + "blobs/sha256/" + sum }

func (s *Store) manifestKey(ref artifact.Ref) string {
	return s.cfg.Prefix + "artifacts/sha256/" + ref.Hex()
}

// manifest is the commit marker of an artifact.
type manifest struct {
	Ref   artifact.Ref    `json:"ref"`
	Files []artifact.File `json:"files"`
}

// PutDir implements artifact.Store: it stages a copy of the tree in the
// local cache (a snapshot: later changes to path do not matter), then
// uploads it.
func (s *Store) PutDir(ctx context.Context, path string) (artifact.Ref, error) {
	ref, err := s.cache.PutDir(ctx, path)
	if err != nil {
		return "", err
	}
	return s.uploadStaged(ctx, ref)
}

// uploadStaged uploads an artifact staged in the cache. If that fails,
// the staged copy is dropped, so that the cache holds only artifacts the
// service has committed.
func (s *Store) uploadStaged(ctx context.Context, ref artifact.Ref) (artifact.Ref, error) {
	if err := s.upload(ctx, ref, s.cache); err != nil {
		if p, perr := s.cache.Path(ctx, ref); perr == nil {
			artifact.RemoveTree(p)
		}
		return "", err
	}
	return ref, nil
}

// PutFile implements artifact.Store.
func (s *Store) PutFile(ctx context.Context, path, name string) (artifact.Ref, error) {
	ref, err := s.cache.PutFile(ctx, path, name)
	if err != nil {
		return "", err
	}
	return s.uploadStaged(ctx, ref)
}

// PutStored uploads artifact ref from another (local) store, without
// caching it: `ferry artifacts migrate`. It returns false when the
// artifact was already there.
func (s *Store) PutStored(ctx context.Context, src artifact.Store, ref artifact.Ref) (bool, error) {
	if ok, err := s.committed(ctx, ref); err != nil || ok {
		return false, err
	}
	return true, s.upload(ctx, ref, src)
}

// upload copies artifact ref from src (whose Path holds it, immutable)
// to the service: blobs, then the manifest.
func (s *Store) upload(ctx context.Context, ref artifact.Ref, src artifact.Store) error {
	if ok, err := s.committed(ctx, ref); err != nil || ok {
		return err
	}
	dir, err := src.Path(ctx, ref)
	if err != nil {
		return err
	}
	files, err := artifact.List(ctx, dir)
	if err != nil {
		return err
	}
	if got := artifact.RefOf(files); got != ref {
		return fmt.Errorf("uploading artifact %s: the source holds %s", ref.Short(), got.Short())
	}
	err = s.each(ctx, files, func(ctx context.Context, f artifact.File) error {
		return s.putBlob(ctx, filepath.Join(dir, filepath.FromSlash(f.Path)), f)
	})
	if err != nil {
		return fmt.Errorf("uploading artifact %s: %w", ref.Short(), err)
	}
	body, err := json.Marshal(manifest{Ref: ref, Files: files})
	if err != nil {
		return err
	}
	// The commit marker, last.
	err = s.retry(ctx, "committing artifact "+ref.Short(), func(ctx context.Context) error {
		_, err := s.client.PutObject(ctx, s.cfg.Bucket, s.manifestKey(ref), bytes.NewReader(body), int64(len(body)),
			minio.PutObjectOptions{ContentType: "application/json"})
		return err
	})
	if err != nil {
		return fmt.Errorf("uploading artifact %s: %w", ref.Short(), err)
	}
	return nil
}

// each runs f on every file, cfg.Parallel at a time, and returns the
// first error.
func (s *Store) each(ctx context.Context, files []artifact.File, f func(context.Context, artifact.File) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, s.cfg.Parallel)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	seen := map[string]bool{}
	for _, file := range files {
		if seen[file.SHA256+file.Path] {
			continue
		}
		seen[file.SHA256+file.Path] = true
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(ctx, file); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// putBlob uploads one file unless a blob of that digest and size exists.
func (s *Store) putBlob(ctx context.Context, p string, f artifact.File) error {
	key := s.blobKey(f.SHA256)
	return s.retry(ctx, "uploading "+f.Path, func(ctx context.Context) error {
		st, err := s.client.StatObject(ctx, s.cfg.Bucket, key, minio.StatObjectOptions{})
		if err == nil && st.Size == f.Size {
			return nil
		}
		if err != nil && minio.ToErrorResponse(err).Code != "NoSuchKey" {
			return err
		}
		file, err := os.Open(p)
		if err != nil {
			return permanent{err}
		}
		defer file.Close()
		_, err = s.client.PutObject(ctx, s.cfg.Bucket, key, file, f.Size, minio.PutObjectOptions{
			PartSize: s.cfg.PartSize, ContentType: "application/octet-stream",
			NumThreads: 2,
		})
		return err
	})
}

// committed reports whether artifact ref's manifest exists.
func (s *Store) committed(ctx context.Context, ref artifact.Ref) (bool, error) {
	var ok bool
	err := s.retry(ctx, "checking artifact "+ref.Short(), func(ctx context.Context) error {
		_, err := s.client.StatObject(ctx, s.cfg.Bucket, s.manifestKey(ref), minio.StatObjectOptions{})
		if err == nil {
			ok = true
			return nil
		}
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			ok = false
			return nil
		}
		return err
	})
	return ok, err
}

// Exists implements artifact.Store. It asks the service (one HEAD of
// the manifest): what counts is what every worker can read.
func (s *Store) Exists(ctx context.Context, ref artifact.Ref) (bool, error) {
	if err := ref.Validate(); err != nil {
		return false, err
	}
	return s.committed(ctx, ref)
}

// Path implements artifact.Store: the artifact's directory in the local
// read cache, downloaded first if needed.
func (s *Store) Path(ctx context.Context, ref artifact.Ref) (string, error) {
	if err := ref.Validate(); err != nil {
		return "", err
	}
	if p, err := s.cache.Path(ctx, ref); err == nil {
		return p, nil
	}
	m, err := s.readManifest(ctx, ref)
	if err != nil {
		return "", err
	}
	tmp, err := s.cache.TempDir()
	if err != nil {
		return "", err
	}
	defer artifact.RemoveTree(tmp)
	err = s.each(ctx, m.Files, func(ctx context.Context, f artifact.File) error {
		return s.getBlob(ctx, f, filepath.Join(tmp, filepath.FromSlash(f.Path)))
	})
	if err != nil {
		return "", fmt.Errorf("downloading artifact %s: %w", ref.Short(), err)
	}
	got, err := s.cache.Adopt(ctx, tmp)
	if err != nil {
		return "", fmt.Errorf("caching artifact %s: %w", ref.Short(), err)
	}
	if got != ref {
		return "", fmt.Errorf("downloading artifact %s: the files digest to %s", ref.Short(), got.Short())
	}
	return s.cache.Path(ctx, ref)
}

// readManifest fetches and checks artifact ref's manifest; a missing one
// is artifact.ErrNotFound.
func (s *Store) readManifest(ctx context.Context, ref artifact.Ref) (manifest, error) {
	var m manifest
	err := s.retry(ctx, "reading artifact "+ref.Short(), func(ctx context.Context) error {
		obj, err := s.client.GetObject(ctx, s.cfg.Bucket, s.manifestKey(ref), minio.GetObjectOptions{})
		if err != nil {
			return err
		}
		defer obj.Close()
		body, err := io.ReadAll(io.LimitReader(obj, 64<<20))
		if err != nil {
			if minio.ToErrorResponse(err).Code == "NoSuchKey" {
				return permanent{artifact.ErrNotFound}
			}
			return err
		}
		m = manifest{}
		if err := json.Unmarshal(body, &m); err != nil {
			return corrupt{fmt.Errorf("manifest of %s: %w", ref.Short(), err)}
		}
		if m.Ref != ref || artifact.RefOf(m.Files) != ref {
			return corrupt{fmt.Errorf("manifest of %s lists another artifact", ref.Short())}
		}
		return nil
	})
	return m, err
}

// getBlob downloads one file to dst (read-only), checking its digest.
func (s *Store) getBlob(ctx context.Context, f artifact.File, dst string) error {
	if err := checkRelPath(f.Path); err != nil {
		return permanent{err}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return s.retry(ctx, "downloading "+f.Path, func(ctx context.Context) error {
		os.Remove(dst)
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
		if err != nil {
			return permanent{err}
		}
		defer out.Close()
		obj, err := s.client.GetObject(ctx, s.cfg.Bucket, s.blobKey(f.SHA256), minio.GetObjectOptions{})
		if err != nil {
			return err
		}
		defer obj.Close()
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(out, h), obj)
		if err != nil {
			return err
		}
		if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
			return corrupt{fmt.Errorf("%s: got %d bytes with another digest, want %d bytes", f.Path, n, f.Size)}
		}
		return out.Close()
	})
}

// checkRelPath refuses manifest paths that would leave the artifact's
// directory.
func checkRelPath(p string) error {
	if p == "" || path.Clean(p) != p || !filepath.IsLocal(filepath.FromSlash(p)) {
		return fmt.Errorf("manifest path %q is not a relative file path", p)
	}
	return nil
}

// Refs implements artifact.Lister.
func (s *Store) Refs(ctx context.Context) ([]artifact.Ref, error) {
	var refs []artifact.Ref
	prefix := s.cfg.Prefix + "artifacts/sha256/"
	err := s.retry(ctx, "listing artifacts", func(ctx context.Context) error {
		refs = refs[:0]
		for o := range s.client.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
			if o.Err != nil {
				return o.Err
			}
			r := artifact.Ref("sha256:" + strings.TrimPrefix(o.Key, prefix))
			if r.Validate() == nil {
				refs = append(refs, r)
			}
		}
		return nil
	})
	return refs, err
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// corrupt marks a download that arrived damaged (retried).
type corrupt struct{ error }

func (c corrupt) Unwrap() error { return c.error }

// retryable reports whether err may go away on another try.
func retryable(err error) bool {
	var p permanent
	if errors.As(err, &p) {
		return false
	}
	if errors.Is(err, artifact.ErrNotFound) {
		return false
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests:
		return true
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return false
	}
	switch resp.Code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "NoSuchBucket", "InvalidBucketName":
		return false
	}
	return true
}

// retry runs op until it succeeds, fails permanently, runs out of
// attempts or ctx ends, each attempt bounded by AttemptTimeout.
func (s *Store) retry(ctx context.Context, what string, op func(ctx context.Context) error) error {
	wait := s.cfg.MinBackoff
	var err error
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, s.cfg.AttemptTimeout)
		err = op(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
		if !retryable(err) || attempt >= s.cfg.Attempts {
			break
		}
		// Jitter: a random wait from half to one and a half backoffs.
		d := time.Duration(rand.Int64N(int64(wait))) + wait/2
		s.cfg.Logger.Debug("retrying", "op", what, "attempt", attempt, "wait", d, "err", err)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
		wait = min(2*wait, s.cfg.MaxBackoff)
	}
	var p permanent
	if errors.As(err, &p) {
		err = p.error
	}
	return fmt.Errorf("%s: %w", what, err)
}
