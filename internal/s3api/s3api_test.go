package s3api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/objstore"
	"github.com/ferryml/ferry/internal/s3api"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// setup starts a real S3 listener over a fresh namespace and returns its
// URL and the namespace.
func setup(t *testing.T) (string, *objstore.Store) {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ns, err := objstore.Open(filepath.Join(dir, "objects"), sqlite.NewObjectMeta(db))
	if err != nil {
		t.Fatal(err)
	}
	h, err := s3api.New(ns, s3api.Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := s3api.Start(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv.URL, ns
}

func client(t *testing.T, base string) *minio.Client {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4("ferry", "ferrysecret", ""),
		Secure:       false,
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestS3Protocol(t *testing.T) {
	t.Parallel()
	base, _ := setup(t)
	c := client(t, base)
	ctx := t.Context()

	if err := c.MakeBucket(ctx, "data", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	err := c.MakeBucket(ctx, "data", minio.MakeBucketOptions{})
	if got := minio.ToErrorResponse(err).Code; got != "BucketAlreadyExists" {
		t.Errorf("second MakeBucket: code %q, want BucketAlreadyExists (err %v)", got, err)
	}
	ok, err := c.BucketExists(ctx, "data")
	if err != nil || !ok {
		t.Fatalf("BucketExists = %v, %v", ok, err)
	}

	body := []byte("id,amount\n1,10\n2,20\n")
	info, err := c.PutObject(ctx, "data", "raw/claims.csv", bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{ContentType: "text/csv", UserMetadata: map[string]string{"source": "tutorial"}})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("GetHead", func(t *testing.T) {
		obj, err := c.GetObject(ctx, "data", "raw/claims.csv", minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, body) {
			t.Errorf("GetObject = %q, want %q", got, body)
		}
		st, err := c.StatObject(ctx, "data", "raw/claims.csv", minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st.ContentType != "text/csv" || st.Size != int64(len(body)) || st.ETag != info.ETag || st.UserMetadata["Source"] != "tutorial" {
			t.Errorf("StatObject = type %q size %d etag %q meta %v; want text/csv, %d, %q, source=tutorial",
				st.ContentType, st.Size, st.ETag, st.UserMetadata, len(body), info.ETag)
		}
	})

	t.Run("Range", func(t *testing.T) {
		opts := minio.GetObjectOptions{}
		if err := opts.SetRange(3, 8); err != nil {
			t.Fatal(err)
		}
		obj, err := c.GetObject(ctx, "data", "raw/claims.csv", opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj)
		if err != nil {
			t.Fatal(err)
		}
		if want := body[3:9]; !bytes.Equal(got, want) {
			t.Errorf("range 3-8 = %q, want %q", got, want)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		_, err := c.StatObject(ctx, "data", "nope.csv", minio.StatObjectOptions{})
		if got := minio.ToErrorResponse(err).Code; got != "NoSuchKey" {
			t.Errorf("StatObject of a missing key: code %q, want NoSuchKey", got)
		}
		_, err = c.StatObject(ctx, "nobucket", "x", minio.StatObjectOptions{})
		if got := minio.ToErrorResponse(err).StatusCode; got != http.StatusNotFound {
			t.Errorf("StatObject in a missing bucket: status %d, want 404", got)
		}
	})

	t.Run("CopyAndDelete", func(t *testing.T) {
		_, err := c.CopyObject(ctx, minio.CopyDestOptions{Bucket: "data", Object: "copy/claims.csv"},
			minio.CopySrcOptions{Bucket: "data", Object: "raw/claims.csv"})
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.StatObject(ctx, "data", "copy/claims.csv", minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st.ContentType != "text/csv" || st.Size != int64(len(body)) {
			t.Errorf("copy: type %q size %d", st.ContentType, st.Size)
		}
		if err := c.RemoveObject(ctx, "data", "copy/claims.csv", minio.RemoveObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.StatObject(ctx, "data", "copy/claims.csv", minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != "NoSuchKey" {
			t.Errorf("after delete: %v, want NoSuchKey", err)
		}
	})
}

func TestS3ListV2(t *testing.T) {
	t.Parallel()
	base, _ := setup(t)
	c := client(t, base)
	ctx := t.Context()
	if err := c.MakeBucket(ctx, "list", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	keys := []string{"a.txt", "dir/1.txt", "dir/2.txt", "dir/sub/3.txt", "dir2/4.txt", "e.txt"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, "list", k, strings.NewReader(k), int64(len(k)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(opts minio.ListObjectsOptions) []string {
		var out []string
		for o := range c.ListObjects(ctx, "list", opts) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			out = append(out, o.Key)
		}
		// A page lists its objects, then its common prefixes.
		sort.Strings(out)
		return out
	}
	tests := []struct {
		name string
		opts minio.ListObjectsOptions
		want []string
	}{
		{"Recursive", minio.ListObjectsOptions{Recursive: true}, keys},
		{"Delimiter", minio.ListObjectsOptions{}, []string{"a.txt", "dir/", "dir2/", "e.txt"}},
		{"PrefixDelimiter", minio.ListObjectsOptions{Prefix: "dir/"}, []string{"dir/1.txt", "dir/2.txt", "dir/sub/"}},
		{"PaginatedRecursive", minio.ListObjectsOptions{Recursive: true, MaxKeys: 2}, keys},
		{"PaginatedDelimiter", minio.ListObjectsOptions{MaxKeys: 1}, []string{"a.txt", "dir/", "dir2/", "e.txt"}},
		{"StartAfter", minio.ListObjectsOptions{Recursive: true, StartAfter: "dir/sub/3.txt"}, []string{"dir2/4.txt", "e.txt"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, list(tc.opts)); diff != "" {
				t.Errorf("ListObjectsV2 (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("RemoveObjects", func(t *testing.T) {
		ch := make(chan minio.ObjectInfo, 2)
		ch <- minio.ObjectInfo{Key: "a.txt"}
		ch <- minio.ObjectInfo{Key: "e.txt"}
		close(ch)
		for e := range c.RemoveObjects(ctx, "list", ch, minio.RemoveObjectsOptions{}) {
			t.Errorf("RemoveObjects: %v", e.Err)
		}
		if diff := cmp.Diff([]string{"dir/", "dir2/"}, list(minio.ListObjectsOptions{})); diff != "" {
			t.Errorf("after DeleteObjects (-want +got):\n%s", diff)
		}
	})
}

func TestS3Multipart(t *testing.T) {
	t.Parallel()
	base, ns := setup(t)
	c := client(t, base)
	ctx := t.Context()
	if err := c.MakeBucket(ctx, "big", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 11<<20+123)
	rand.Read(data)
	info, err := c.PutObject(ctx, "big", "blob.bin", bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{PartSize: 5 << 20, ContentType: "application/octet-stream"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(info.ETag, "-3") {
		t.Errorf("multipart ETag %q: want the -3 suffix of a 3-part upload", info.ETag)
	}
	st, err := c.StatObject(ctx, "big", "blob.bin", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.ETag != info.ETag || st.Size != int64(len(data)) {
		t.Errorf("StatObject: etag %q size %d, want %q %d", st.ETag, st.Size, info.ETag, len(data))
	}
	obj, err := c.GetObject(ctx, "big", "blob.bin", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("multipart object read back differs (%d bytes, want %d)", len(got), len(data))
	}
	us, err := ns.Uploads(ctx, "big")
	if err != nil || len(us) != 0 {
		t.Errorf("uploads left after completion: %v, %v", us, err)
	}
}

func TestSTSGetCallerIdentity(t *testing.T) {
	t.Parallel()
	base, _ := setup(t)
	form := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	resp, err := http.PostForm(base+"/", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<Account>123456789012</Account>") {
		t.Errorf("GetCallerIdentity: %d %s", resp.StatusCode, b)
	}
	resp2, err := http.PostForm(base+"/", url.Values{"Action": {"AssumeRole"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	b, _ = io.ReadAll(resp2.Body)
	if resp2.StatusCode != 400 || !strings.Contains(string(b), "InvalidAction") {
		t.Errorf("AssumeRole: %d %s, want 400 InvalidAction", resp2.StatusCode, b)
	}
}

func ExampleIsAWSRequest() {
	r, _ := http.NewRequestWithContext(context.Background(), "GET", "http://127.0.0.1/data/x", nil)
	fmt.Println(s3api.IsAWSRequest(r))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
	fmt.Println(s3api.IsAWSRequest(r))
	// Output:
	// false
	// true
}

func TestRoute(t *testing.T) {
	t.Parallel()
	aws := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "aws") })
	other := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other") })
	h := s3api.Route(aws, other)
	sig := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00"
	}
	tests := []struct {
		name, target string
		header       map[string]string
		want         string
	}{
		{"Plain", "/ping", nil, "other"},
		{"S3", "/bucket/key", map[string]string{"Authorization": sig("s3")}, "aws"},
		{"STS", "/", map[string]string{"Authorization": sig("sts")}, "aws"},
		{"SageMaker", "/", map[string]string{"Authorization": sig("sagemaker")}, "other"},
		{"AmzHeaderOnly", "/bucket", map[string]string{"X-Amz-Date": "20260101T000000Z"}, "aws"},
		{"Presigned", "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request", nil, "aws"},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", tc.target, nil)
		for k, v := range tc.header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := w.Body.String(); got != tc.want {
			t.Errorf("%s: routed to %s, want %s", tc.name, got, tc.want)
		}
	}
}
