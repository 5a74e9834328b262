package s3api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/objstore"
	"github.com/ferryml/ferry/internal/s3api"
	"github.com/ferryml/ferry/internal/sqlite"
)

// FuzzHandler sends arbitrary requests to the S3 and STS handler: it
// never panics and answers every one with a status code.
func FuzzHandler(f *testing.F) {
	dir := f.TempDir()
	db, err := sqlite.Open(f.Context(), filepath.Join(dir, "ferry.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	ns, err := objstore.Open(filepath.Join(dir, "objects"), sqlite.NewObjectMeta(db))
	if err != nil {
		f.Fatal(err)
	}
	if err := ns.CreateBucket(f.Context(), "data"); err != nil {
		f.Fatal(err)
	}
	if _, err := ns.Put(f.Context(), "data", "a/b.csv", strings.NewReader("x,y\n1,2\n"), objstore.PutOptions{}); err != nil {
		f.Fatal(err)
	}
	h, err := s3api.New(ns, s3api.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	seeds := []struct{ method, target, header, body string }{
		{"GET", "/data/a/b.csv", "Range: bytes=2-", ""},
		{"GET", "/data?list-type=2&prefix=a/&delimiter=/&max-keys=1", "", ""},
		{"PUT", "/data/new", "X-Amz-Content-Sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\nX-Amz-Decoded-Content-Length: 3", "3\r\nabc\r\n0\r\n\r\n"},
		{"PUT", "/data/copy", "X-Amz-Copy-Source: /data/a%2Fb.csv", ""},
		{"POST", "/data?delete", "", "<Delete><Object><Key>a/b.csv</Key></Object></Delete>"},
		{"POST", "/data/big?uploads", "", ""},
		{"POST", "/data/big?uploadId=zzz", "", "<CompleteMultipartUpload></CompleteMultipartUpload>"},
		{"POST", "/", "Content-Type: application/x-www-form-urlencoded", "Action=GetCallerIdentity"},
		{"GET", "/data?continuation-token=!!!", "", ""},
		{"HEAD", "/data/a/b.csv", "Range: bytes=-0", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.header, s.body)
	}
	f.Fuzz(func(t *testing.T, method, target, header, body string) {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		r, err := http.NewRequest(method, "http://127.0.0.1"+u.RequestURI(), strings.NewReader(body))
		if err != nil {
			return
		}
		for _, line := range strings.Split(header, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && k != "" {
				r.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		if r.Header.Get("Content-Length") == "" {
			r.Header.Set("Content-Length", "0")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code < 100 || w.Code > 599 {
			t.Errorf("%s %s: status %d", method, target, w.Code)
		}
	})
}
