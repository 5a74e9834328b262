package main

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	s3store "github.com/ferryml/ferry/internal/artifact/s3"
	"github.com/ferryml/ferry/internal/objstore"
	"github.com/ferryml/ferry/internal/s3api"
	"github.com/ferryml/ferry/internal/sqlite"
)

func TestArtifactsMigrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// A home with three artifacts.
	home := artifacttest.TempDir(t)
	m := NewMain(strings.NewReader(""), &strings.Builder{}, &strings.Builder{}, func(k string) string {
		return map[string]string{"FERRY_HOME": home}[k]
	})
	local, err := m.Store()
	if err != nil {
		t.Fatal(err)
	}
	var refs []artifact.Ref
	for i, files := range []map[string]string{{"a.csv": "1"}, {"b/c.csv": "2", "d": "3"}, {"a.csv": "1", "e": ""}} {
		src := filepath.Join(t.TempDir(), "src", string(rune('a'+i)))
		artifacttest.WriteTree(t, src, files)
		ref, err := local.PutDir(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	m.Close()

	// The target: an S3-compatible server on 127.0.0.1.
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "s3.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ns, err := objstore.Open(filepath.Join(dir, "objects"), sqlite.NewObjectMeta(db))
	if err != nil {
		t.Fatal(err)
	}
	h, err := s3api.New(ns, s3api.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := s3api.Start(h)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	args := []string{"artifacts", "migrate", "--endpoint", srv.URL, "--bucket", "ferry-artifacts", "--prefix", "prod", "--create-bucket"}
	res := ferry(t, ctx, home, args...)
	if res.code != 0 || !strings.Contains(res.stdout, "3 artifacts copied, 0 already there") {
		t.Fatalf("migrate: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = ferry(t, ctx, home, args...)
	if res.code != 0 || !strings.Contains(res.stdout, "0 artifacts copied, 3 already there") {
		t.Fatalf("second migrate: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	remote, err := s3store.Open(ctx, s3store.Config{Endpoint: srv.URL, Bucket: "ferry-artifacts", Prefix: "prod",
		CacheDir: artifacttest.TempDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		p, err := remote.Path(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := artifact.Digest(ctx, p); d != ref {
			t.Errorf("migrated %s reads back as %s", ref, d)
		}
	}
	blobs, _ := ns.List(ctx, "ferry-artifacts", objstore.ListOptions{Prefix: "prod/blobs/"})
	if len(blobs.Objects) != 4 { // "1", "2", "3", "" stored once each
		t.Errorf("%d blobs, want 4 (content shared between artifacts)", len(blobs.Objects))
	}

	if res := ferry(t, ctx, home, "artifacts", "migrate", "--bucket", "x"); res.code != 2 {
		t.Errorf("migrate without an endpoint: exit %d, want 2", res.code)
	}
}
