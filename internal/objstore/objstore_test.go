package objstore_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/objstore"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/google/go-cmp/cmp"
)

func setup(t *testing.T) *objstore.Store {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := objstore.Open(filepath.Join(dir, "objects"), sqlite.NewObjectMeta(db))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func put(t *testing.T, s *objstore.Store, bucket string, kv map[string]string) {
	t.Helper()
	for k, v := range kv {
		if _, err := s.Put(t.Context(), bucket, k, strings.NewReader(v), objstore.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParseURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    objstore.URI
		wantErr string
	}{
		{"s3://bucket/a/b.csv", objstore.URI{Bucket: "bucket", Key: "a/b.csv"}, ""},
		{"s3://bucket", objstore.URI{Bucket: "bucket"}, ""},
		{"s3://bucket/", objstore.URI{Bucket: "bucket"}, ""},
		{"s3://sagemaker-us-east-1-000000000000/x", objstore.URI{Bucket: "sagemaker-us-east-1-000000000000", Key: "x"}, ""},
		{"http://bucket/a", objstore.URI{}, "not an s3:// URI"},
		{"s3://ab/a", objstore.URI{}, "3 to 63"},
		{"s3://Bucket/a", objstore.URI{}, "lower-case"},
		{"s3://-bucket/a", objstore.URI{}, "start and end"},
		{"s3://a..b/a", objstore.URI{}, "adjacent dots"},
		{"s3://bucket/\xff", objstore.URI{}, "not UTF-8"},
	}
	for _, tc := range tests {
		got, err := objstore.ParseURI(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, objstore.ErrInvalid) {
				t.Errorf("ParseURI(%q) error %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseURI(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"s3://bucket/key", "s3://b", "s3://bucket/a/../b", "s3:///x", "s3://a.b-c/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := objstore.ParseURI(s)
		if err != nil {
			return
		}
		// A parsed URI prints back to an equivalent one.
		again, err := objstore.ParseURI(u.String())
		if err != nil || again != u {
			t.Errorf("ParseURI(%q) = %+v; reparsing %q gives %+v, %v", s, u, u.String(), again, err)
		}
	})
}

func TestPutGetReplaceDelete(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "data"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "nobucket", "k", strings.NewReader("x"), objstore.PutOptions{}); !errors.Is(err, objstore.ErrNoSuchBucket) {
		t.Errorf("put into a missing bucket: %v, want ErrNoSuchBucket", err)
	}
	o1, err := s.Put(ctx, "data", "k", strings.NewReader("one"), objstore.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if o1.ETag != "f97c5d29941bfb1b2fdab0874906ab82" { // md5("one")
		t.Errorf("ETag %s, want md5 of the bytes", o1.ETag)
	}
	if _, err := s.Put(ctx, "data", "k", strings.NewReader("two!"), objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	o, f, err := s.Open(ctx, "data", "k")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(f)
	f.Close()
	if buf.String() != "two!" || o.Size != 4 || o.ContentType != "" || !o.Created.Equal(o1.Created) {
		t.Errorf("after replace: %q %+v", buf.String(), o)
	}
	blobs, _ := filepath.Glob(filepath.Join(filepath.Dir(f.Name()), "..", "*", "*"))
	if len(blobs) != 1 {
		t.Errorf("%d blob files after a replace, want 1 (the old one removed)", len(blobs))
	}
	if err := s.Delete(ctx, "data", "k"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Head(ctx, "data", "k")
	if !errors.Is(err, objstore.ErrNoSuchKey) || !strings.Contains(err.Error(), "s3://data/k") {
		t.Errorf("Head after delete: %v; want ErrNoSuchKey naming s3://data/k", err)
	}
	if err := s.DeleteBucket(ctx, "data"); err != nil {
		t.Errorf("deleting the emptied bucket: %v", err)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	keys := []string{"a", "d/1", "d/2", "d/e/3", "d2/4", "z"}
	kv := map[string]string{}
	for _, k := range keys {
		kv[k] = k
	}
	put(t, s, "bkt", kv)
	// Page through with every page size: the concatenation is the same.
	for _, delim := range []string{"", "/"} {
		var want []string
		for max := 1; max <= 7; max++ {
			var got []string
			after := ""
			for {
				res, err := s.List(ctx, "bkt", objstore.ListOptions{Delimiter: delim, After: after, Max: max})
				if err != nil {
					t.Fatal(err)
				}
				if n := len(res.Objects) + len(res.CommonPrefixes); n > max {
					t.Fatalf("page of %d entries, max %d", n, max)
				}
				for _, o := range res.Objects {
					got = append(got, o.Key)
				}
				got = append(got, res.CommonPrefixes...)
				if !res.Truncated {
					break
				}
				after = res.Next
			}
			sort.Strings(got)
			if want == nil {
				want = got
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("delimiter %q, max %d (-first +got):\n%s", delim, max, diff)
			}
		}
		wantAll := keys
		if delim == "/" {
			wantAll = []string{"a", "d/", "d2/", "z"}
		}
		if diff := cmp.Diff(wantAll, want); diff != "" {
			t.Errorf("delimiter %q (-want +got):\n%s", delim, diff)
		}
	}
}

func TestMultipart(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateUpload(ctx, "bkt", "big", objstore.PutOptions{ContentType: "application/x-tar"})
	if err != nil {
		t.Fatal(err)
	}
	p1 := bytes.Repeat([]byte("a"), objstore.MinPartSize)
	part1, err := s.UploadPart(ctx, id, 1, bytes.NewReader(p1))
	if err != nil {
		t.Fatal(err)
	}
	part2, err := s.UploadPart(ctx, id, 2, strings.NewReader("tail"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteUpload(ctx, id, []objstore.CompletedPart{{2, part2.ETag}, {1, part1.ETag}}); !errors.Is(err, objstore.ErrInvalidPart) {
		t.Errorf("parts out of order: %v, want ErrInvalidPart", err)
	}
	if _, err := s.CompleteUpload(ctx, id, []objstore.CompletedPart{{1, "bad"}}); !errors.Is(err, objstore.ErrInvalidPart) {
		t.Errorf("wrong ETag: %v, want ErrInvalidPart", err)
	}
	o, err := s.CompleteUpload(ctx, id, []objstore.CompletedPart{{1, `"` + part1.ETag + `"`}, {2, part2.ETag}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Size != int64(len(p1))+4 || !strings.HasSuffix(o.ETag, "-2") || o.ContentType != "application/x-tar" {
		t.Errorf("completed object %+v", o)
	}
	if _, err := s.Upload(ctx, id); !errors.Is(err, objstore.ErrNoSuchUpload) {
		t.Errorf("upload after completion: %v, want ErrNoSuchUpload", err)
	}
	// Small parts other than the last are refused.
	id2, _ := s.CreateUpload(ctx, "bkt", "small", objstore.PutOptions{})
	a, _ := s.UploadPart(ctx, id2, 1, strings.NewReader("x"))
	b, _ := s.UploadPart(ctx, id2, 2, strings.NewReader("y"))
	if _, err := s.CompleteUpload(ctx, id2, []objstore.CompletedPart{{1, a.ETag}, {2, b.ETag}}); !errors.Is(err, objstore.ErrInvalidPartSize) {
		t.Errorf("small first part: %v, want ErrInvalidPartSize", err)
	}
	if err := s.AbortUpload(ctx, id2); err != nil {
		t.Fatal(err)
	}
}

func TestImportPublish(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	arts, err := artifact.OpenDir(filepath.Join(artifacttest.TempDir(t), "arts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	put(t, s, "bkt", map[string]string{"in/claims.csv": "c", "in/x/customers.csv": "u", "input2/no.csv": "n", "in/": ""})

	tests := []struct {
		uri  string
		want map[string]string
	}{
		{"s3://bkt/in/", map[string]string{"claims.csv": "c", "x/customers.csv": "u"}},
		{"s3://bkt/in/claims.csv", map[string]string{"claims.csv": "c"}},
		{"s3://bkt/in", map[string]string{"in/claims.csv": "c", "in/x/customers.csv": "u", "input2/no.csv": "n"}},
	}
	for _, tc := range tests {
		uri, _ := objstore.ParseURI(tc.uri)
		ref, err := objstore.Import(ctx, s, arts, uri)
		if err != nil {
			t.Fatalf("Import(%s): %v", tc.uri, err)
		}
		dir, _ := arts.Path(ctx, ref)
		got := map[string]string{}
		filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
			if e.Type().IsRegular() {
				b, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(dir, p)
				got[filepath.ToSlash(rel)] = string(b)
			}
			return nil
		})
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Import(%s) (-want +got):\n%s", tc.uri, diff)
		}
	}
	// A local store takes hard links to the blobs: no bytes copied.
	refLinked, _ := objstore.Import(ctx, s, arts, objstore.URI{Bucket: "bkt", Key: "in/claims.csv"})
	dir, _ := arts.Path(ctx, refLinked)
	if st, err := os.Stat(filepath.Join(dir, "claims.csv")); err != nil || st.Sys().(*syscall.Stat_t).Nlink < 2 {
		t.Errorf("imported file: %v; want a hard link to the object's blob", err)
	}

	// Same content, same digest: the cache key does not depend on the name.
	r1, _ := objstore.Import(ctx, s, arts, objstore.URI{Bucket: "bkt", Key: "in/"})
	objs, err := objstore.Publish(ctx, s, arts, r1, objstore.URI{Bucket: "bkt", Key: "out"})
	if err != nil || len(objs) != 2 {
		t.Fatalf("Publish: %d objects, %v", len(objs), err)
	}
	r2, err := objstore.Import(ctx, s, arts, objstore.URI{Bucket: "bkt", Key: "out/"})
	if err != nil || r2 != r1 {
		t.Errorf("re-import of the published copy: %s, %v; want %s", r2, err, r1)
	}

	_, err = objstore.Import(ctx, s, arts, objstore.URI{Bucket: "bkt", Key: "missing/"})
	if !errors.Is(err, objstore.ErrNoSuchKey) || !strings.Contains(err.Error(), "s3://bkt/missing/") {
		t.Errorf("Import of nothing: %v; want ErrNoSuchKey naming the URI", err)
	}
	_, err = objstore.Import(ctx, s, arts, objstore.URI{Bucket: "nob", Key: "x"})
	if !errors.Is(err, objstore.ErrNoSuchBucket) || !strings.Contains(err.Error(), "s3://nob/x") {
		t.Errorf("Import from a missing bucket: %v; want ErrNoSuchBucket naming the URI", err)
	}
}

// TestListModel compares List with a direct computation over random keys,
// prefixes, delimiters and page sizes (a fixed seed: the same cases each
// run).
func TestListModel(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := t.Context()
	if err := s.CreateBucket(ctx, "model"); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "/", "é", "\U0010FFFF", "z"}
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	keys := map[string]bool{}
	for len(keys) < 60 {
		keys[word(1+rng.IntN(5))] = true
	}
	// Keys that continue past a common prefix with the greatest code point.
	keys["a/"+strings.Repeat("\U0010FFFF", 6)+"z"] = true
	keys["\U0010FFFF/\U0010FFFF"] = true
	kv := map[string]string{}
	for k := range keys {
		kv[k] = "x"
	}
	put(t, s, "model", kv)
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)

	for i := range 200 {
		prefix, delim := word(rng.IntN(3)), []string{"", "/", "a", "\U0010FFFF"}[rng.IntN(4)]
		max := 1 + rng.IntN(8)
		// The model: filter, group, in order.
		var want []string
		for _, k := range sorted {
			if !strings.HasPrefix(k, prefix) {
				continue
			}
			name := k
			if j := strings.Index(k[len(prefix):], delim); delim != "" && j >= 0 {
				name = k[:len(prefix)+j+len(delim)]
			}
			if len(want) == 0 || want[len(want)-1] != name {
				want = append(want, name)
			}
		}
		var got []string
		after := ""
		for page := 0; ; page++ {
			res, err := s.List(ctx, "model", objstore.ListOptions{Prefix: prefix, Delimiter: delim, After: after, Max: max})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range res.Objects {
				names = append(names, o.Key)
			}
			names = append(names, res.CommonPrefixes...)
			sort.Strings(names)
			got = append(got, names...)
			if !res.Truncated || page > 100 {
				break
			}
			after = res.Next
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("case %d: prefix %q delimiter %q max %d (-want +got):\n%s", i, prefix, delim, max, diff)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"a/", "a0", true},
		{"data/x", "data/y", true},
		{"é", "ê", true},
		{"a\uD7FF", "a\uE000", true},
		{"a\U0010FFFF", "", false},
		{"", "", false},
		{"\xff", "", false},
	}
	for _, tc := range tests {
		got, ok := objstore.PrefixEnd(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PrefixEnd(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && !(tc.in < got && strings.HasPrefix(tc.in+"\U0010FFFF", tc.in) && tc.in+"\U0010FFFF" < got) {
			t.Errorf("PrefixEnd(%q) = %q does not bound the keys with the prefix", tc.in, got)
		}
	}
}
