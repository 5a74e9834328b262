package objstore

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// S3's multipart limits.
const (
	MaxParts = 10000
	// MinPartSize is the smallest size of every part but the last.
	MinPartSize = 5 << 20
)

// CreateUpload starts a multipart upload and returns its id.
func (s *Store) CreateUpload(ctx context.Context, bucket, key string, opts PutOptions) (string, error) {
	uri := URI{bucket, key}
	if err := ValidateKey(key); err != nil {
		return "", fmt.Errorf("starting upload of %s: %w", uri, err)
	}
	u := Upload{ID: newBlobID(), Bucket: bucket, Key: key, ContentType: opts.ContentType,
		Metadata: opts.Metadata, Created: s.Now().UTC()}
	if err := s.meta.CreateUpload(ctx, u); err != nil {
		return "", fmt.Errorf("starting upload of %s: %w", uri, err)
	}
	return u.ID, nil
}

// Upload returns an upload in progress.
func (s *Store) Upload(ctx context.Context, id string) (Upload, error) {
	u, err := s.meta.Upload(ctx, id)
	if err != nil {
		return Upload{}, fmt.Errorf("upload %q: %w", id, err)
	}
	return u, nil
}

// Uploads lists the uploads in progress in a bucket.
func (s *Store) Uploads(ctx context.Context, bucket string) ([]Upload, error) {
	if _, err := s.meta.Bucket(ctx, bucket); err != nil {
		return nil, fmt.Errorf("listing uploads of s3://%s: %w", bucket, err)
	}
	us, err := s.meta.Uploads(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("listing uploads of s3://%s: %w", bucket, err)
	}
	return us, nil
}

// UploadPart stores part number n (1 to MaxParts) of an upload and
// returns its ETag (hex MD5, no quotes).
func (s *Store) UploadPart(ctx context.Context, id string, n int, r io.Reader) (Part, error) {
	if n < 1 || n > MaxParts {
		return Part{}, fmt.Errorf("part number %d: want 1 to %d: %w", n, MaxParts, ErrInvalid)
	}
	u, err := s.Upload(ctx, id)
	if err != nil {
		return Part{}, err
	}
	blob, size, sum, err := s.writeBlob(ctx, r)
	if err != nil {
		return Part{}, fmt.Errorf("uploading part %d of %s: %w", n, URI{u.Bucket, u.Key}, err)
	}
	p := Part{UploadID: id, Number: n, Blob: blob, Size: size, ETag: hex.EncodeToString(sum), Created: s.Now().UTC()}
	replaced, err := s.meta.PutPart(ctx, p)
	if err != nil {
		os.Remove(s.blobPath(blob))
		return Part{}, fmt.Errorf("uploading part %d of %s: %w", n, URI{u.Bucket, u.Key}, err)
	}
	s.removeBlobs(ctx, replaced)
	return p, nil
}

// Parts lists the parts of an upload.
func (s *Store) Parts(ctx context.Context, id string) ([]Part, error) {
	if _, err := s.Upload(ctx, id); err != nil {
		return nil, err
	}
	ps, err := s.meta.Parts(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("listing parts of upload %q: %w", id, err)
	}
	return ps, nil
}

// CompletedPart names a part to assemble, as the client lists it.
type CompletedPart struct {
	Number int
	ETag   string
}

// CompleteUpload assembles the listed parts (ascending numbers, every one
// but the last at least MinPartSize) into the upload's object.
func (s *Store) CompleteUpload(ctx context.Context, id string, parts []CompletedPart) (Object, error) {
	u, err := s.Upload(ctx, id)
	if err != nil {
		return Object{}, err
	}
	uri := URI{u.Bucket, u.Key}
	stored, err := s.meta.Parts(ctx, id)
	if err != nil {
		return Object{}, fmt.Errorf("completing upload of %s: %w", uri, err)
	}
	byNum := make(map[int]Part, len(stored))
	for _, p := range stored {
		byNum[p.Number] = p
	}
	if len(parts) == 0 {
		return Object{}, fmt.Errorf("completing upload of %s: no parts listed: %w", uri, ErrInvalidPart)
	}
	var use []Part
	for i := 1; i < len(parts); i++ {
		if parts[i].Number <= parts[i-1].Number {
			return Object{}, fmt.Errorf("completing upload of %s: parts must be listed in ascending order: %w", uri, ErrInvalidPart)
		}
	}
	for i, cp := range parts {
		p, ok := byNum[cp.Number]
		if !ok || strings.Trim(cp.ETag, `"`) != p.ETag {
			return Object{}, fmt.Errorf("completing upload of %s: part %d with ETag %s was not uploaded: %w", uri, cp.Number, cp.ETag, ErrInvalidPart)
		}
		if i < len(parts)-1 && p.Size < MinPartSize {
			return Object{}, fmt.Errorf("completing upload of %s: part %d has %d bytes, fewer than %d: %w", uri, cp.Number, p.Size, MinPartSize, ErrInvalidPartSize)
		}
		use = append(use, p)
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "blob-")
	if err != nil {
		return Object{}, fmt.Errorf("completing upload of %s: %w", uri, err)
	}
	defer os.Remove(tmp.Name())
	sums := md5.New()
	var size int64
	for _, p := range use {
		raw, _ := hex.DecodeString(p.ETag)
		sums.Write(raw)
		n, err := s.appendBlob(ctx, tmp, p.Blob)
		if err != nil {
			tmp.Close()
			return Object{}, fmt.Errorf("completing upload of %s: part %d: %w", uri, p.Number, err)
		}
		size += n
	}
	err = tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Object{}, fmt.Errorf("completing upload of %s: %w", uri, err)
	}
	blob := newBlobID()
	if err := s.placeBlob(tmp.Name(), blob); err != nil {
		return Object{}, fmt.Errorf("completing upload of %s: %w", uri, err)
	}
	now := s.Now().UTC()
	o := Object{Bucket: u.Bucket, Key: u.Key, Blob: blob, Size: size,
		ETag:        hex.EncodeToString(sums.Sum(nil)) + "-" + strconv.Itoa(len(use)),
		ContentType: u.ContentType, Metadata: u.Metadata, Created: now, Modified: now}
	if err := s.commit(ctx, o); err != nil {
		return Object{}, fmt.Errorf("completing upload of %s: %w", uri, err)
	}
	if blobs, err := s.meta.DeleteUpload(ctx, id); err == nil {
		s.removeBlobs(ctx, blobs...)
	}
	return o, nil
}

func (s *Store) appendBlob(ctx context.Context, dst *os.File, blob string) (int64, error) {
	f, err := os.Open(s.blobPath(blob))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(dst, ctxReader{ctx, f})
}

// AbortUpload discards an upload and its parts.
func (s *Store) AbortUpload(ctx context.Context, id string) error {
	blobs, err := s.meta.DeleteUpload(ctx, id)
	if err != nil {
		return fmt.Errorf("aborting upload %q: %w", id, err)
	}
	s.removeBlobs(ctx, blobs...)
	return nil
}
