// Package objstore is Ferry's object namespace: buckets of objects named
// by s3://bucket/key URIs, the mutable names under which users keep their
// data (DESIGN.md §6, "Object namespace vs artifact store").
//
// A [Store] keeps each object's bytes in an immutable blob file under its
// root directory (FERRY_HOME/objects by default) and its metadata (bucket,
// key, size, ETag, content type, user metadata, times) in a [Meta], which
// the sqlite package implements. A put writes and syncs the blob first and
// then switches the name to it in one metadata transaction, so a reader
// sees the old object or the new one, never a mix.
//
// Steps exchange content-addressed artifacts, not names: [Import] turns an
// s3:// prefix into an artifact (so its digest keys the cache) and
// [Publish] writes an artifact's files under an s3:// destination.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors. Each is wrapped with the URI it concerns.
var (
	ErrNoSuchBucket    = errors.New("no such bucket")
	ErrNoSuchKey       = errors.New("no such object")
	ErrBucketExists    = errors.New("bucket already exists")
	ErrBucketNotEmpty  = errors.New("bucket is not empty")
	ErrNoSuchUpload    = errors.New("no such multipart upload")
	ErrInvalid         = errors.New("invalid")
	ErrInvalidPart     = errors.New("invalid part")
	ErrInvalidPartSize = errors.New("part too small")
)

// Bucket is a named container of objects.
type Bucket struct {
	Name    string
	Created time.Time
}

// Object is the metadata of a stored object.
type Object struct {
	Bucket, Key string
	// Blob names the immutable file holding the bytes (internal to Store
	// and Meta).
	Blob string
	Size int64
	// ETag is the hex MD5 of the bytes, or for a multipart upload the MD5
	// of the parts' MD5s followed by "-" and the number of parts, as S3
	// computes it. No quotes.
	ETag        string
	ContentType string
	// Metadata holds user metadata (x-amz-meta-*, lower-case names without
	// the prefix) and the stored standard headers (Content-Encoding,
	// Content-Disposition, Cache-Control) under their canonical names.
	Metadata map[string]string
	Created  time.Time
	Modified time.Time
}

// URI returns s3://bucket/key.
func (o Object) URI() URI { return URI{Bucket: o.Bucket, Key: o.Key} }

// Upload is a multipart upload in progress.
type Upload struct {
	ID          string
	Bucket, Key string
	ContentType string
	Metadata    map[string]string
	Created     time.Time
}

// Part is one uploaded part of a multipart upload.
type Part struct {
	UploadID string
	Number   int
	Blob     string
	Size     int64
	ETag     string
	Created  time.Time
}

// Meta stores the namespace's metadata. Implementations must be safe for
// concurrent use (and, for sqlite, across processes).
type Meta interface {
	// CreateBucket returns ErrBucketExists if the bucket exists.
	CreateBucket(ctx context.Context, b Bucket) error
	// DeleteBucket returns ErrNoSuchBucket or ErrBucketNotEmpty.
	DeleteBucket(ctx context.Context, name string) error
	// Bucket returns ErrNoSuchBucket.
	Bucket(ctx context.Context, name string) (Bucket, error)
	// Buckets lists every bucket by name.
	Buckets(ctx context.Context) ([]Bucket, error)
	// PutObject creates or replaces the object (keeping Created of a
	// replaced one) and returns the blob it replaced, "" if none. It
	// returns ErrNoSuchBucket.
	PutObject(ctx context.Context, o Object) (replaced string, err error)
	// Object returns ErrNoSuchKey.
	Object(ctx context.Context, bucket, key string) (Object, error)
	// DeleteObject returns the deleted object's blob, or ErrNoSuchKey.
	DeleteObject(ctx context.Context, bucket, key string) (blob string, err error)
	// ListObjects returns up to limit objects of bucket whose keys start
	// with prefix and sort after after (or equal it, when inclusive), in
	// byte order of their keys.
	ListObjects(ctx context.Context, bucket, prefix, after string, inclusive bool, limit int) ([]Object, error)
	// CreateUpload records a new multipart upload; ErrNoSuchBucket.
	CreateUpload(ctx context.Context, u Upload) error
	// Upload returns ErrNoSuchUpload.
	Upload(ctx context.Context, id string) (Upload, error)
	// Uploads lists the uploads in progress in bucket.
	Uploads(ctx context.Context, bucket string) ([]Upload, error)
	// PutPart records a part (replacing one with the same number) and
	// returns the blob it replaced; ErrNoSuchUpload.
	PutPart(ctx context.Context, p Part) (replaced string, err error)
	// Parts lists the parts of an upload by number.
	Parts(ctx context.Context, uploadID string) ([]Part, error)
	// DeleteUpload removes an upload and its parts and returns the parts'
	// blobs; ErrNoSuchUpload.
	DeleteUpload(ctx context.Context, id string) (blobs []string, err error)
	// Blobs reports which of the given blobs some object or part uses.
	Blobs(ctx context.Context, blobs []string) (map[string]bool, error)
}

// URI is a parsed s3://bucket/key. Key may be empty (a whole bucket) or a
// prefix.
type URI struct {
	Bucket, Key string
}

// String returns s3://bucket/key.
func (u URI) String() string { return "s3://" + u.Bucket + "/" + u.Key }

// Join returns the URI of rel under u, as a directory: "s3://b/out" and
// "a/b.csv" give "s3://b/out/a/b.csv".
func (u URI) Join(rel string) URI {
	if u.Key == "" || strings.HasSuffix(u.Key, "/") {
		return URI{Bucket: u.Bucket, Key: u.Key + rel}
	}
	return URI{Bucket: u.Bucket, Key: u.Key + "/" + rel}
}

// ParseURI parses s3://bucket[/key].
func ParseURI(s string) (URI, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return URI{}, fmt.Errorf("%q is not an s3:// URI: %w", s, ErrInvalid)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if err := ValidateBucketName(bucket); err != nil {
		return URI{}, fmt.Errorf("URI %q: %w", s, err)
	}
	if key != "" {
		if err := ValidateKey(key); err != nil {
			return URI{}, fmt.Errorf("URI %q: %w", s, err)
		}
	}
	return URI{Bucket: bucket, Key: key}, nil
}

// MaxKeyBytes is S3's limit on the length of a key.
const MaxKeyBytes = 1024

// ValidateBucketName applies S3's rules for bucket names: 3 to 63
// characters, lower-case letters, digits, dots and hyphens, starting and
// ending with a letter or digit.
func ValidateBucketName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return fmt.Errorf("bucket name %q: want 3 to 63 characters: %w", name, ErrInvalid)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if !alnum && c != '.' && c != '-' {
			return fmt.Errorf("bucket name %q: only lower-case letters, digits, '.' and '-' are allowed: %w", name, ErrInvalid)
		}
		if (i == 0 || i == len(name)-1) && !alnum {
			return fmt.Errorf("bucket name %q: must start and end with a letter or digit: %w", name, ErrInvalid)
		}
	}
	if strings.Contains(name, "..") {
		return fmt.Errorf("bucket name %q: two adjacent dots: %w", name, ErrInvalid)
	}
	return nil
}

// ValidateKey checks that key is a usable object key: non-empty, UTF-8, at
// most MaxKeyBytes bytes, without NUL.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("empty object key: %w", ErrInvalid)
	case len(key) > MaxKeyBytes:
		return fmt.Errorf("object key of %d bytes: the limit is %d: %w", len(key), MaxKeyBytes, ErrInvalid)
	case !utf8.ValidString(key):
		return fmt.Errorf("object key %q is not UTF-8: %w", key, ErrInvalid)
	case strings.ContainsRune(key, 0):
		return fmt.Errorf("object key %q contains NUL: %w", key, ErrInvalid)
	}
	return nil
}

// PrefixEnd returns the least string greater than every string that
// starts with p: p with its last character incremented (UTF-8 sorts as
// code points). It reports false when there is none: p is empty, ends in
// U+10FFFF or is not UTF-8.
func PrefixEnd(p string) (string, bool) {
	r, size := utf8.DecodeLastRuneInString(p)
	if r == utf8.RuneError || r >= unicode.MaxRune {
		return "", false
	}
	next := r + 1
	if next >= 0xD800 && next <= 0xDFFF { // skip the surrogates
		next = 0xE000
	}
	return p[:len(p)-size] + string(next), true
}
