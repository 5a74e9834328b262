package s3api

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/ferryml/ferry/internal/objstore"
	"github.com/johannesboyne/gofakes3"
)

// backend adapts an objstore.Store to gofakes3's Backend and
// MultipartBackend. gofakes3 passes no context to its backends; a client
// that goes away ends the body read and so the put.
type backend struct {
	store *objstore.Store
}

var (
	_ gofakes3.Backend          = backend{}
	_ gofakes3.MultipartBackend = backend{}
)

// etagHeader carries an object's real ETag from the backend to the
// response writer: gofakes3 derives the ETag header from the MD5 bytes of
// Object.Hash, which cannot express a multipart ETag ("<md5>-<parts>").
const etagHeader = "X-Ferry-Etag"

// toS3Error translates namespace errors into the S3 errors gofakes3
// writes; others become InternalError.
func toS3Error(err error, resource string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, objstore.ErrNoSuchBucket):
		return gofakes3.ResourceError(gofakes3.ErrNoSuchBucket, resource)
	case errors.Is(err, objstore.ErrNoSuchKey):
		return gofakes3.ResourceError(gofakes3.ErrNoSuchKey, resource)
	case errors.Is(err, objstore.ErrNoSuchUpload):
		return gofakes3.ResourceError(gofakes3.ErrNoSuchUpload, resource)
	case errors.Is(err, objstore.ErrBucketExists):
		return gofakes3.ResourceError(gofakes3.ErrBucketAlreadyExists, resource)
	case errors.Is(err, objstore.ErrBucketNotEmpty):
		return gofakes3.ResourceError(gofakes3.ErrBucketNotEmpty, resource)
	case errors.Is(err, objstore.ErrInvalidPartSize):
		return gofakes3.ErrorMessage(gofakes3.ErrorCode("EntityTooSmall"), err.Error())
	case errors.Is(err, objstore.ErrInvalidPart):
		return gofakes3.ErrorMessage(gofakes3.ErrInvalidPart, err.Error())
	case errors.Is(err, objstore.ErrInvalid):
		return gofakes3.ErrorMessage(gofakes3.ErrInvalidArgument, err.Error())
	}
	return err
}

func (b backend) ListBuckets() ([]gofakes3.BucketInfo, error) {
	bs, err := b.store.Buckets(context.Background())
	if err != nil {
		return nil, err
	}
	out := make([]gofakes3.BucketInfo, len(bs))
	for i, bk := range bs {
		out[i] = gofakes3.BucketInfo{Name: bk.Name, CreationDate: gofakes3.NewContentTime(bk.Created)}
	}
	return out, nil
}

func quote(etag string) string { return `"` + etag + `"` }

func (b backend) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	opts := objstore.ListOptions{After: page.Marker, Max: int(page.MaxKeys)}
	if prefix != nil {
		opts.Prefix, opts.Delimiter = prefix.Prefix, prefix.Delimiter
	}
	res, err := b.store.List(context.Background(), name, opts)
	if err != nil {
		return nil, toS3Error(err, name)
	}
	list := gofakes3.NewObjectList()
	for _, o := range res.Objects {
		list.Add(&gofakes3.Content{Key: o.Key, LastModified: gofakes3.NewContentTime(o.Modified),
			ETag: quote(o.ETag), Size: o.Size})
	}
	for _, p := range res.CommonPrefixes {
		list.AddPrefix(p)
	}
	list.IsTruncated = res.Truncated
	if res.Truncated {
		list.NextMarker = res.Next
	}
	return list, nil
}

func (b backend) CreateBucket(name string) error {
	return toS3Error(b.store.CreateBucket(context.Background(), name), name)
}

func (b backend) BucketExists(name string) (bool, error) {
	_, err := b.store.Bucket(context.Background(), name)
	if errors.Is(err, objstore.ErrNoSuchBucket) {
		return false, nil
	}
	return err == nil, err
}

func (b backend) DeleteBucket(name string) error {
	return toS3Error(b.store.DeleteBucket(context.Background(), name), name)
}

func (b backend) ForceDeleteBucket(name string) error {
	ctx := context.Background()
	for {
		res, err := b.store.List(ctx, name, objstore.ListOptions{})
		if err != nil {
			return toS3Error(err, name)
		}
		for _, o := range res.Objects {
			if err := b.store.Delete(ctx, name, o.Key); err != nil && !errors.Is(err, objstore.ErrNoSuchKey) {
				return err
			}
		}
		if !res.Truncated {
			break
		}
	}
	return b.DeleteBucket(name)
}

// headers returns the response headers of an object, for gofakes3 to set.
func headers(o objstore.Object) map[string]string {
	h := map[string]string{
		"Last-Modified": o.Modified.UTC().Format(http.TimeFormat),
		etagHeader:      quote(o.ETag),
	}
	if o.ContentType != "" {
		h["Content-Type"] = o.ContentType
	}
	for k, v := range o.Metadata {
		if std, ok := strings.CutPrefix(k, "header:"); ok {
			h[std] = v
		} else {
			h["X-Amz-Meta-"+k] = v
		}
	}
	return h
}

// putOptions keeps, from the request headers gofakes3 collected, the
// content type, the user metadata (x-amz-meta-NAME as "name") and the
// standard headers S3 stores (as "header:Name").
func putOptions(meta map[string]string) objstore.PutOptions {
	var opts objstore.PutOptions
	for k, v := range meta {
		switch {
		case k == "Content-Type":
			opts.ContentType = v
		case k == "Content-Encoding" || k == "Content-Disposition" || k == "Cache-Control" || k == "Content-Language" || k == "Expires":
			if opts.Metadata == nil {
				opts.Metadata = map[string]string{}
			}
			opts.Metadata["header:"+k] = v
		case strings.HasPrefix(k, "X-Amz-Meta-"):
			if opts.Metadata == nil {
				opts.Metadata = map[string]string{}
			}
			opts.Metadata[strings.ToLower(strings.TrimPrefix(k, "X-Amz-Meta-"))] = v
		}
	}
	return opts
}

func hashOf(etag string) []byte {
	sum, _ := hex.DecodeString(strings.SplitN(etag, "-", 2)[0])
	return sum
}

func (b backend) GetObject(bucket, key string, rangeRequest *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	o, f, err := b.store.Open(context.Background(), bucket, key)
	if err != nil {
		return nil, toS3Error(err, "/"+bucket+"/"+key)
	}
	rng, err := rangeRequest.Range(o.Size)
	if err != nil {
		f.Close()
		return nil, err
	}
	var body io.ReadCloser = f
	if rng != nil {
		body = sectionCloser{io.NewSectionReader(f, rng.Start, rng.Length), f}
	}
	return &gofakes3.Object{Name: key, Metadata: headers(o), Size: o.Size, Contents: body,
		Hash: hashOf(o.ETag), Range: rng}, nil
}

type sectionCloser struct {
	*io.SectionReader
	io.Closer
}

func (b backend) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	o, err := b.store.Head(context.Background(), bucket, key)
	if err != nil {
		return nil, toS3Error(err, "/"+bucket+"/"+key)
	}
	return &gofakes3.Object{Name: key, Metadata: headers(o), Size: o.Size,
		Contents: io.NopCloser(strings.NewReader("")), Hash: hashOf(o.ETag)}, nil
}

func (b backend) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	err := b.store.Delete(context.Background(), bucket, key)
	if errors.Is(err, objstore.ErrNoSuchKey) {
		// S3 answers 204 for a key that is not there, unless the bucket
		// is missing.
		if _, berr := b.store.Bucket(context.Background(), bucket); berr != nil {
			return gofakes3.ObjectDeleteResult{}, toS3Error(berr, bucket)
		}
		err = nil
	}
	return gofakes3.ObjectDeleteResult{}, toS3Error(err, "/"+bucket+"/"+key)
}

func (b backend) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, conditions *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	ctx := context.Background()
	if conditions != nil && (conditions.IfMatch != nil || conditions.IfNoneMatch != nil) {
		info := &gofakes3.ConditionalObjectInfo{}
		if o, err := b.store.Head(ctx, bucket, key); err == nil {
			info.Exists, info.Hash = true, hashOf(o.ETag)
		}
		if err := gofakes3.CheckPutConditions(conditions, info); err != nil {
			return gofakes3.PutObjectResult{}, err
		}
	}
	r := &countingReader{r: io.LimitReader(input, size)}
	if _, err := b.store.Put(ctx, bucket, key, r, putOptions(meta)); err != nil {
		return gofakes3.PutObjectResult{}, toS3Error(err, "/"+bucket+"/"+key)
	}
	if r.n != size {
		// The body ended early: remove what was stored.
		_ = b.store.Delete(ctx, bucket, key)
		return gofakes3.PutObjectResult{}, gofakes3.ErrIncompleteBody
	}
	return gofakes3.PutObjectResult{}, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (b backend) DeleteMulti(bucket string, objects ...string) (gofakes3.MultiDeleteResult, error) {
	var res gofakes3.MultiDeleteResult
	for _, key := range objects {
		if _, err := b.DeleteObject(bucket, key); err != nil {
			r := gofakes3.ErrorResultFromError(err)
			r.Key = key
			res.Error = append(res.Error, r)
			continue
		}
		res.Deleted = append(res.Deleted, gofakes3.ObjectID{Key: key})
	}
	return res, nil
}

func (b backend) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	var opts *objstore.PutOptions
	if strings.EqualFold(meta["X-Amz-Metadata-Directive"], "REPLACE") {
		o := putOptions(meta)
		opts = &o
	}
	o, err := b.store.Copy(context.Background(), objstore.URI{Bucket: srcBucket, Key: srcKey},
		objstore.URI{Bucket: dstBucket, Key: dstKey}, opts)
	if err != nil {
		return gofakes3.CopyObjectResult{}, toS3Error(err, "/"+srcBucket+"/"+srcKey)
	}
	return gofakes3.CopyObjectResult{ETag: quote(o.ETag), LastModified: gofakes3.NewContentTime(o.Modified)}, nil
}

func (b backend) CreateMultipartUpload(bucket, key string, meta map[string]string) (gofakes3.UploadID, error) {
	id, err := b.store.CreateUpload(context.Background(), bucket, key, putOptions(meta))
	if err != nil {
		return "", toS3Error(err, "/"+bucket+"/"+key)
	}
	return gofakes3.UploadID(id), nil
}

func (b backend) upload(bucket, key string, id gofakes3.UploadID) error {
	u, err := b.store.Upload(context.Background(), string(id))
	if err != nil {
		return toS3Error(err, string(id))
	}
	if u.Bucket != bucket || u.Key != key {
		return gofakes3.ResourceError(gofakes3.ErrNoSuchUpload, string(id))
	}
	return nil
}

func (b backend) UploadPart(bucket, key string, id gofakes3.UploadID, partNumber int, contentLength int64, input io.Reader) (string, error) {
	if err := b.upload(bucket, key, id); err != nil {
		return "", err
	}
	r := &countingReader{r: io.LimitReader(input, contentLength)}
	p, err := b.store.UploadPart(context.Background(), string(id), partNumber, r)
	if err != nil {
		return "", toS3Error(err, string(id))
	}
	if r.n != contentLength {
		return "", gofakes3.ErrIncompleteBody
	}
	return quote(p.ETag), nil
}

func (b backend) ListMultipartUploads(bucket string, marker *gofakes3.UploadListMarker, prefix gofakes3.Prefix, limit int64) (*gofakes3.ListMultipartUploadsResult, error) {
	us, err := b.store.Uploads(context.Background(), bucket)
	if err != nil {
		return nil, toS3Error(err, bucket)
	}
	res := &gofakes3.ListMultipartUploadsResult{Bucket: bucket, Prefix: prefix.Prefix, MaxUploads: limit}
	for _, u := range us {
		if !strings.HasPrefix(u.Key, prefix.Prefix) {
			continue
		}
		if marker != nil && (u.Key < marker.Object || u.Key == marker.Object && u.ID <= string(marker.UploadID)) {
			continue
		}
		if limit > 0 && int64(len(res.Uploads)) == limit {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, gofakes3.ListMultipartUploadItem{Key: u.Key,
			UploadID: gofakes3.UploadID(u.ID), Initiated: gofakes3.NewContentTime(u.Created)})
		res.NextKeyMarker, res.NextUploadIDMarker = u.Key, gofakes3.UploadID(u.ID)
	}
	return res, nil
}

func (b backend) ListParts(bucket, key string, id gofakes3.UploadID, marker int, limit int64) (*gofakes3.ListMultipartUploadPartsResult, error) {
	if err := b.upload(bucket, key, id); err != nil {
		return nil, err
	}
	ps, err := b.store.Parts(context.Background(), string(id))
	if err != nil {
		return nil, toS3Error(err, string(id))
	}
	res := &gofakes3.ListMultipartUploadPartsResult{Bucket: bucket, Key: key, UploadID: id,
		PartNumberMarker: marker, MaxParts: limit}
	for _, p := range ps {
		if p.Number <= marker {
			continue
		}
		if limit > 0 && int64(len(res.Parts)) == limit {
			res.IsTruncated = true
			break
		}
		res.Parts = append(res.Parts, gofakes3.ListMultipartUploadPartItem{PartNumber: p.Number,
			LastModified: gofakes3.NewContentTime(p.Created), ETag: quote(p.ETag), Size: p.Size})
		res.NextPartNumberMarker = p.Number
	}
	return res, nil
}

func (b backend) AbortMultipartUpload(bucket, key string, id gofakes3.UploadID) error {
	if err := b.upload(bucket, key, id); err != nil {
		return err
	}
	return toS3Error(b.store.AbortUpload(context.Background(), string(id)), string(id))
}

func (b backend) CompleteMultipartUpload(bucket, key string, id gofakes3.UploadID, input *gofakes3.CompleteMultipartUploadRequest) (gofakes3.VersionID, string, error) {
	if err := b.upload(bucket, key, id); err != nil {
		return "", "", err
	}
	parts := make([]objstore.CompletedPart, len(input.Parts))
	for i, p := range input.Parts {
		parts[i] = objstore.CompletedPart{Number: p.PartNumber, ETag: p.ETag}
	}
	o, err := b.store.CompleteUpload(context.Background(), string(id), parts)
	if err != nil {
		return "", "", toS3Error(err, string(id))
	}
	return "", quote(o.ETag), nil
}
