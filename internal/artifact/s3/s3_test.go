package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	s3store "github.com/ferryml/ferry/internal/artifact/s3"
	"github.com/ferryml/ferry/internal/objstore"
	"github.com/ferryml/ferry/internal/s3api"
	"github.com/ferryml/ferry/internal/sqlite"
)

// server is a real S3-compatible server for the tests: Ferry's own S3
// API (gofakes3 over the object namespace) over TLS, behind an optional
// fault injector.
type server struct {
	*httptest.Server
	ns     *objstore.Store
	inner  http.Handler // the S3 API without faults
	faults atomic.Pointer[func(w http.ResponseWriter, r *http.Request) bool]
}

func newServer(t testing.TB) *server {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ns, err := objstore.Open(filepath.Join(dir, "objects"), sqlite.NewObjectMeta(db))
	if err != nil {
		t.Fatal(err)
	}
	h, err := s3api.New(ns, s3api.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ns: ns, inner: h}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := s.faults.Load(); f != nil && (*f)(w, r) {
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// open opens a store on the server's "artifacts" bucket with its own
// local cache.
func (s *server) open(t testing.TB) *s3store.Store {
	t.Helper()
	st, err := s3store.Open(context.Background(), s3store.Config{
		Endpoint: s.URL, Bucket: "artifacts", Prefix: "team/", AccessKey: "k", SecretKey: "s",
		Transport: s.Client().Transport, CacheDir: artifacttest.TempDir(t), CreateBucket: true,
		PartSize: 5 << 20, MinBackoff: 20 * time.Millisecond, MaxBackoff: 500 * time.Millisecond,
		Attempts: 12, AttemptTimeout: 20 * time.Second, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestConformance(t *testing.T) {
	t.Parallel()
	artifacttest.Exercise(t, func(t *testing.T) (artifact.Store, artifact.Store) {
		srv := newServer(t)
		return srv.open(t), srv.open(t)
	})
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := s3store.Open(t.Context(), s3store.Config{Endpoint: srv.URL, Bucket: "missing",
		Transport: srv.Client().Transport, CacheDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `bucket "missing" does not exist`) {
		t.Errorf("missing bucket: %v", err)
	}
	_, err = s3store.Open(t.Context(), s3store.Config{Endpoint: "ftp://x", Bucket: "b", CacheDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "want http(s)://host") {
		t.Errorf("bad endpoint: %v", err)
	}
}

func randomFile(t testing.TB, dir, name string, size int) string {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sameFile(t testing.TB, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s and %s differ (%d and %d bytes)", a, b, len(x), len(y))
	}
}

// TestMultipartOver64MiB stores a 65 MiB file: uploaded in parts, read
// back whole through another cache.
func TestMultipartOver64MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("65 MiB round trip; skipped with -short")
	}
	t.Parallel()
	srv := newServer(t)
	a, b := srv.open(t), srv.open(t)
	ctx := t.Context()
	src := randomFile(t, t.TempDir(), "big.bin", 65<<20)
	ref, err := a.PutFile(ctx, src, "")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := artifact.List(ctx, filepath.Dir(src))
	o, err := srv.ns.Head(ctx, "artifacts", "team/blobs/sha256/"+files[0].SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(o.ETag, "-13") { // 65 MiB in 5 MiB parts
		t.Errorf("blob ETag %s: want a 13-part multipart upload", o.ETag)
	}
	p, err := b.Path(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	sameFile(t, src, filepath.Join(p, "big.bin"))
}

// flaky returns a fault injector that, while on, makes two requests in
// three fail: alternately a 503 SlowDown, a dropped connection, and for
// GETs a body cut short.
func flaky(on *atomic.Bool, count *atomic.Int64) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !on.Load() {
			return false
		}
		n := count.Add(1)
		switch n % 3 {
		case 1:
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<Error><Code>SlowDown</Code><Message>injected</Message></Error>`)
			return true
		case 2:
			if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" {
				// Send the headers and a little of the body, then hang up.
				w.Header().Set("Content-Length", "1000000")
				w.WriteHeader(http.StatusOK)
				w.Write([]byte("partial"))
				w.(http.Flusher).Flush()
			}
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return true
		}
		return false
	}
}

// TestFaults runs round trips against a server that answers 503, drops
// connections and cuts bodies for a while: every artifact arrives whole.
func TestFaults(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a, b := srv.open(t), srv.open(t)
	ctx := t.Context()
	var on atomic.Bool
	var count atomic.Int64
	f := flaky(&on, &count)
	srv.faults.Store(&f)

	src := t.TempDir()
	randomFile(t, src, "data.bin", 12<<20) // three parts
	randomFile(t, src, "small.csv", 1000)
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	randomFile(t, src, "sub/x.bin", 300<<10)
	want, err := artifact.Digest(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	on.Store(true)
	timer := time.AfterFunc(2*time.Second, func() { on.Store(false) })
	defer timer.Stop()
	ref, err := a.PutDir(ctx, src)
	if err != nil {
		t.Fatalf("PutDir under faults: %v", err)
	}
	if ref != want {
		t.Fatalf("PutDir = %s, want %s", ref, want)
	}
	on.Store(true) // again for the download
	time.AfterFunc(2*time.Second, func() { on.Store(false) })
	p, err := b.Path(ctx, ref)
	if err != nil {
		t.Fatalf("Path under faults: %v", err)
	}
	for _, name := range []string{"data.bin", "small.csv", "sub/x.bin"} {
		sameFile(t, filepath.Join(src, name), filepath.Join(p, name))
	}
	if count.Load() < 6 {
		t.Errorf("only %d requests met the injector; the test injected too little", count.Load())
	}
	t.Logf("%d requests during fault windows", count.Load())
}

// TestNoHalfWrittenArtifact fails every manifest write: the blobs are
// there, but the artifact is visible nowhere.
func TestNoHalfWrittenArtifact(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a, b := srv.open(t), srv.open(t)
	ctx := t.Context()
	f := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/artifacts/sha256/") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	srv.faults.Store(&f)
	src := t.TempDir()
	randomFile(t, src, "model.bin", 100<<10)
	want, _ := artifact.Digest(ctx, src)
	quick, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := a.PutDir(quick, src); err == nil {
		t.Fatal("PutDir succeeded without its commit marker")
	}
	for name, s := range map[string]*s3store.Store{"writer": a, "reader": b} {
		if ok, err := s.Exists(ctx, want); ok || err != nil {
			t.Errorf("%s: Exists = %v, %v; want false", name, ok, err)
		}
		if _, err := s.Path(ctx, want); !errors.Is(err, artifact.ErrNotFound) {
			t.Errorf("%s: Path: %v, want ErrNotFound", name, err)
		}
	}
	blobs, err := srv.ns.List(ctx, "artifacts", objstore.ListOptions{Prefix: "team/blobs/"})
	if err != nil || len(blobs.Objects) != 1 {
		t.Errorf("blobs uploaded before the failed commit: %d, %v; want 1", len(blobs.Objects), err)
	}
	// Once the service recovers, the same put completes.
	srv.faults.Store(nil)
	if ref, err := a.PutDir(ctx, src); err != nil || ref != want {
		t.Fatalf("PutDir after recovery: %s, %v", ref, err)
	}
	if _, err := b.Path(ctx, want); err != nil {
		t.Error(err)
	}
}

// TestCorruptDownload flips a byte in the first blob downloads: the
// digest check catches it and the download is retried.
func TestCorruptDownload(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a, b := srv.open(t), srv.open(t)
	ctx := t.Context()
	src := t.TempDir()
	randomFile(t, src, "w.bin", 64<<10)
	ref, err := a.PutDir(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	var left atomic.Int64
	left.Store(2)
	f := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") || left.Add(-1) < 0 {
			return false
		}
		rec := httptest.NewRecorder()
		srv.inner.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) > 10 {
			body[10] ^= 0xff
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
		return true
	}
	srv.faults.Store(&f)
	p, err := b.Path(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	sameFile(t, filepath.Join(src, "w.bin"), filepath.Join(p, "w.bin"))
	if left.Load() > -1 {
		t.Errorf("the corrupting server corrupted %d downloads, want 2", 2-left.Load())
	}
}

// TestStalledRequestsRetried makes the server hang on the first requests
// of each kind: each try times out after AttemptTimeout and the next one
// succeeds.
func TestStalledRequestsRetried(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a := srv.open(t)
	ctx := t.Context()
	var stalled atomic.Int64
	f := func(w http.ResponseWriter, r *http.Request) bool {
		if stalled.Add(1) > 3 {
			return false
		}
		select { // hang until the client gives up
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return true
	}
	srv.faults.Store(&f)
	st, err := s3store.Open(ctx, s3store.Config{
		Endpoint: srv.URL, Bucket: "artifacts", Prefix: "team/", Transport: srv.Client().Transport,
		CacheDir: artifacttest.TempDir(t), AttemptTimeout: 300 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("Open with stalls: %v", err)
	}
	src := t.TempDir()
	randomFile(t, src, "x.bin", 10<<10)
	start := time.Now()
	ref, err := st.PutDir(ctx, src)
	if err != nil {
		t.Fatalf("PutDir with stalls: %v", err)
	}
	if ok, err := a.Exists(ctx, ref); !ok || err != nil {
		t.Errorf("Exists after a stalled put: %v, %v", ok, err)
	}
	if stalled.Load() < 3 {
		t.Errorf("the server stalled %d requests, want 3", stalled.Load())
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("took %v: the attempt timeout did not cut the stalls", d)
	}
}
