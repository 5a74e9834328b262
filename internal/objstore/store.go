package objstore

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Store is the object namespace: blobs under a directory, metadata in a
// Meta. It is safe for concurrent use.
type Store struct {
	root string
	meta Meta
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// Open opens (creating if needed) a namespace whose blobs live under root.
func Open(root string, meta Meta) (*Store, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("opening object store: %w", err)
	}
	for _, sub := range []string{"blobs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o755); err != nil {
			return nil, fmt.Errorf("creating object store: %w", err)
		}
	}
	s := &Store{root: root, meta: meta, Now: time.Now}
	s.removeStaleTemps(time.Hour)
	return s, nil
}

// removeStaleTemps removes what a crashed writer left in tmp/. Another
// process may be writing there now, hence only entries older than age.
func (s *Store) removeStaleTemps(age time.Duration) {
	entries, err := os.ReadDir(filepath.Join(s.root, "tmp"))
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			os.RemoveAll(filepath.Join(s.root, "tmp", e.Name()))
		}
	}
}

// PutOptions are the optional attributes of a new object.
type PutOptions struct {
	ContentType string
	Metadata    map[string]string
}

// CreateBucket makes a bucket.
func (s *Store) CreateBucket(ctx context.Context, name string) error {
	if err := ValidateBucketName(name); err != nil {
		return err
	}
	if err := s.meta.CreateBucket(ctx, Bucket{Name: name, Created: s.Now().UTC()}); err != nil {
		return fmt.Errorf("creating bucket s3://%s: %w", name, err)
	}
	return nil
}

// DeleteBucket removes an empty bucket.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	if err := s.meta.DeleteBucket(ctx, name); err != nil {
		return fmt.Errorf("deleting bucket s3://%s: %w", name, err)
	}
	return nil
}

// Bucket returns a bucket, or an error wrapping ErrNoSuchBucket.
func (s *Store) Bucket(ctx context.Context, name string) (Bucket, error) {
	b, err := s.meta.Bucket(ctx, name)
	if err != nil {
		return Bucket{}, fmt.Errorf("s3://%s: %w", name, err)
	}
	return b, nil
}

// Buckets lists the buckets by name.
func (s *Store) Buckets(ctx context.Context) ([]Bucket, error) {
	bs, err := s.meta.Buckets(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing buckets: %w", err)
	}
	return bs, nil
}

// Put stores the bytes of r as bucket/key, replacing any object there.
func (s *Store) Put(ctx context.Context, bucket, key string, r io.Reader, opts PutOptions) (Object, error) {
	uri := URI{Bucket: bucket, Key: key}
	if err := ValidateKey(key); err != nil {
		return Object{}, fmt.Errorf("putting %s: %w", uri, err)
	}
	if _, err := s.meta.Bucket(ctx, bucket); err != nil {
		return Object{}, fmt.Errorf("putting %s: %w", uri, err)
	}
	blob, size, sum, err := s.writeBlob(ctx, r)
	if err != nil {
		return Object{}, fmt.Errorf("putting %s: %w", uri, err)
	}
	now := s.Now().UTC()
	o := Object{Bucket: bucket, Key: key, Blob: blob, Size: size, ETag: hex.EncodeToString(sum),
		ContentType: opts.ContentType, Metadata: opts.Metadata, Created: now, Modified: now}
	if err := s.commit(ctx, o); err != nil {
		return Object{}, fmt.Errorf("putting %s: %w", uri, err)
	}
	return o, nil
}

// commit points o's name at its (already written) blob and removes the
// blob it replaced; on failure it removes o's blob.
func (s *Store) commit(ctx context.Context, o Object) error {
	replaced, err := s.meta.PutObject(ctx, o)
	if err != nil {
		os.Remove(s.blobPath(o.Blob))
		return err
	}
	s.removeBlobs(ctx, replaced)
	return nil
}

// Head returns an object's metadata, or an error wrapping ErrNoSuchKey
// (or ErrNoSuchBucket) that names the URI.
func (s *Store) Head(ctx context.Context, bucket, key string) (Object, error) {
	o, err := s.meta.Object(ctx, bucket, key)
	if err != nil {
		if errors.Is(err, ErrNoSuchKey) {
			if _, berr := s.meta.Bucket(ctx, bucket); berr != nil {
				err = berr
			}
		}
		return Object{}, fmt.Errorf("%s: %w", URI{bucket, key}, err)
	}
	return o, nil
}

// Open returns an object's metadata and its bytes. The caller closes the
// file. A concurrent replace or delete does not disturb an open file.
func (s *Store) Open(ctx context.Context, bucket, key string) (Object, *os.File, error) {
	for attempt := 0; ; attempt++ {
		o, err := s.Head(ctx, bucket, key)
		if err != nil {
			return Object{}, nil, err
		}
		f, err := os.Open(s.blobPath(o.Blob))
		if err == nil {
			return o, f, nil
		}
		// Replaced between the lookup and the open: look up again.
		if !errors.Is(err, fs.ErrNotExist) || attempt == 2 {
			return Object{}, nil, fmt.Errorf("opening %s: %w", URI{bucket, key}, err)
		}
	}
}

// Delete removes an object. Deleting a missing key is an error wrapping
// ErrNoSuchKey.
func (s *Store) Delete(ctx context.Context, bucket, key string) error {
	blob, err := s.meta.DeleteObject(ctx, bucket, key)
	if err != nil {
		return fmt.Errorf("deleting %s: %w", URI{bucket, key}, err)
	}
	s.removeBlobs(ctx, blob)
	return nil
}

// Copy copies an object. With opts nil the copy keeps the source's content
// type and metadata. The bytes are shared through a hard link where the
// file system allows it.
func (s *Store) Copy(ctx context.Context, src, dst URI, opts *PutOptions) (Object, error) {
	if err := ValidateKey(dst.Key); err != nil {
		return Object{}, fmt.Errorf("copying to %s: %w", dst, err)
	}
	if _, err := s.meta.Bucket(ctx, dst.Bucket); err != nil {
		return Object{}, fmt.Errorf("copying to %s: %w", dst, err)
	}
	o, f, err := s.Open(ctx, src.Bucket, src.Key)
	if err != nil {
		return Object{}, fmt.Errorf("copying: %w", err)
	}
	defer f.Close()
	blob := newBlobID()
	if err := s.linkBlob(o.Blob, blob, f); err != nil {
		return Object{}, fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	now := s.Now().UTC()
	o.Bucket, o.Key, o.Blob, o.Created, o.Modified = dst.Bucket, dst.Key, blob, now, now
	if opts != nil {
		o.ContentType, o.Metadata = opts.ContentType, opts.Metadata
	}
	if err := s.commit(ctx, o); err != nil {
		return Object{}, fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	return o, nil
}

// ListOptions select objects of a bucket.
type ListOptions struct {
	Prefix string
	// Delimiter groups keys that contain it after Prefix into common
	// prefixes (S3's "directories").
	Delimiter string
	// After skips keys (and common prefixes) up to and including it.
	After string
	// Max bounds the number of objects plus common prefixes (0: 1000).
	Max int
}

// ListResult is one page of a listing.
type ListResult struct {
	Objects        []Object
	CommonPrefixes []string
	// Truncated is set when more remain; Next is then the After of the
	// next page (the last key or common prefix returned).
	Truncated bool
	Next      string
}

// List lists one page of a bucket's objects.
func (s *Store) List(ctx context.Context, bucket string, opts ListOptions) (ListResult, error) {
	if _, err := s.meta.Bucket(ctx, bucket); err != nil {
		return ListResult{}, fmt.Errorf("listing s3://%s/%s: %w", bucket, opts.Prefix, err)
	}
	limit := opts.Max
	if limit <= 0 {
		limit = 1000
	}
	var res ListResult
	after := opts.After
	// A page boundary at a common prefix P resumes after every key
	// under P.
	inclusiveStart := false
	if opts.Delimiter != "" && strings.HasPrefix(after, opts.Prefix) && strings.HasSuffix(after, opts.Delimiter) &&
		strings.Contains(after[len(opts.Prefix):], opts.Delimiter) {
		after, inclusiveStart = skipPrefix(after)
	}
	count := 0
	inclusive := inclusiveStart
	for {
		batch, err := s.meta.ListObjects(ctx, bucket, opts.Prefix, after, inclusive, 1000)
		if err != nil {
			return ListResult{}, fmt.Errorf("listing s3://%s/%s: %w", bucket, opts.Prefix, err)
		}
		if len(batch) == 0 {
			return res, nil
		}
		inclusive = false
		for i := 0; i < len(batch); i++ {
			o := batch[i]
			name := o.Key
			isPrefix := false
			if opts.Delimiter != "" {
				if j := strings.Index(o.Key[len(opts.Prefix):], opts.Delimiter); j >= 0 {
					name = o.Key[:len(opts.Prefix)+j+len(opts.Delimiter)]
					isPrefix = true
				}
			}
			if count == limit {
				res.Truncated = true
				return res, nil
			}
			count++
			res.Next = name
			if isPrefix {
				res.CommonPrefixes = append(res.CommonPrefixes, name)
				after, inclusive = skipPrefix(name)
				break // query again from past the prefix
			}
			res.Objects = append(res.Objects, o)
			after = o.Key
		}
	}
}

// skipPrefix returns where a listing resumes past every key starting
// with p: from PrefixEnd(p) inclusive, or (when p has no end) after p
// followed by the greatest code points.
func skipPrefix(p string) (after string, inclusive bool) {
	if end, ok := PrefixEnd(p); ok {
		return end, true
	}
	return p + strings.Repeat("\U0010FFFF", 64), false
}

// Walk calls f for each object whose key starts with prefix, in key order.
func (s *Store) Walk(ctx context.Context, bucket, prefix string, f func(Object) error) error {
	after := ""
	for {
		res, err := s.List(ctx, bucket, ListOptions{Prefix: prefix, After: after})
		if err != nil {
			return err
		}
		for _, o := range res.Objects {
			if err := f(o); err != nil {
				return err
			}
		}
		if !res.Truncated {
			return nil
		}
		after = res.Next
	}
}

func newBlobID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

func (s *Store) blobPath(id string) string {
	if len(id) < 2 {
		return filepath.Join(s.root, "blobs", "_", id)
	}
	return filepath.Join(s.root, "blobs", id[:2], id)
}

// writeBlob writes r to a new blob and returns its id, size and MD5.
func (s *Store) writeBlob(ctx context.Context, r io.Reader) (string, int64, []byte, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "blob-")
	if err != nil {
		return "", 0, nil, err
	}
	defer os.Remove(tmp.Name())
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, nil, err
	}
	id := newBlobID()
	if err := s.placeBlob(tmp.Name(), id); err != nil {
		return "", 0, nil, err
	}
	return id, n, h.Sum(nil), nil
}

func (s *Store) placeBlob(tmp, id string) error {
	p := s.blobPath(id)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// linkBlob makes dst a copy of blob src (open as f).
func (s *Store) linkBlob(src, dst string, f *os.File) error {
	p := s.blobPath(dst)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.Link(s.blobPath(src), p); err == nil {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "blob-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, f)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return s.placeBlob(tmp.Name(), dst)
}

// removeBlobs removes blobs that no object or part uses any more.
func (s *Store) removeBlobs(ctx context.Context, blobs ...string) {
	var ids []string
	for _, b := range blobs {
		if b != "" {
			ids = append(ids, b)
		}
	}
	if len(ids) == 0 {
		return
	}
	used, err := s.meta.Blobs(ctx, ids)
	if err != nil {
		return // leave them: an unused blob wastes space, a missing one loses data
	}
	for _, id := range ids {
		if !used[id] {
			os.Remove(s.blobPath(id))
		}
	}
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
