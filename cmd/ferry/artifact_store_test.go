package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/objstore"
	"github.com/ferryml/ferry/internal/s3api"
	"github.com/ferryml/ferry/internal/sqlite"
)

// testS3 is an S3-compatible server for the tests (Ferry's S3 API over
// the object namespace) over TLS on 127.0.0.1, with a bucket "artifacts".
// env holds what a process needs to reach it: the endpoint, the CA
// bundle and credentials.
type testS3 struct {
	srv *httptest.Server
	ns  *objstore.Store
	env map[string]string
}

// testS3Secret is the secret key of the tests' S3 credentials: it must
// appear in no log and no file of a home.
const testS3Secret = "s3cr3t-never-logged"

func startTestS3(t *testing.T) *testS3 {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "s3.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ns, err := objstore.Open(filepath.Join(dir, "objects"), sqlite.NewObjectMeta(db))
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.CreateBucket(context.Background(), "artifacts"); err != nil {
		t.Fatal(err)
	}
	h, err := s3api.New(ns, s3api.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return &testS3{srv: srv, ns: ns, env: map[string]string{
		"AWS_ENDPOINT_URL": srv.URL, "AWS_CA_BUNDLE": ca, "AWS_REGION": "eu-west-1",
		"AWS_ACCESS_KEY_ID": "ferry-test", "AWS_SECRET_ACCESS_KEY": testS3Secret,
	}}
}

// manifests lists the artifacts committed under prefix.
func (s *testS3) manifests(t *testing.T, prefix string) []string {
	t.Helper()
	l, err := s.ns.List(context.Background(), "artifacts", objstore.ListOptions{Prefix: prefix + "/artifacts/sha256/"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range l.Objects {
		out = append(out, "sha256:"+filepath.Base(o.Key))
	}
	return out
}

// ferryIn runs the real wiring with FERRY_HOME=home (debug logs on)
// and env.
func ferryIn(t *testing.T, ctx context.Context, home string, env map[string]string, args ...string) ferryResult {
	t.Helper()
	all := map[string]string{"FERRY_HOME": home, "FERRY_DEBUG": "1"}
	for k, v := range env {
		all[k] = v
	}
	return ferryEnv(t, ctx, all, args...)
}

// noSecretIn fails when the tests' S3 secret is in a home's files or in
// the output.
func noSecretIn(t *testing.T, home string, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		if strings.Contains(o, testS3Secret) {
			t.Errorf("the S3 secret key is in the output:\n%s", o)
		}
	}
	filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(testS3Secret)) {
			t.Errorf("the S3 secret key is stored in %s", p)
		}
		return nil
	})
}

// `ferry run --artifacts s3://BUCKET/PREFIX` keeps the execution's
// artifacts on the S3-compatible service (none in the home), and later
// commands find them there through $FERRY_ARTIFACTS.
func TestRunArtifactsOnS3(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s3 := startTestS3(t)
	home := artifacttest.TempDir(t)
	path := writePipeline(t, t.TempDir(), cliPipeline)
	res := ferryIn(t, ctx, home, s3.env, "run", "--artifacts", "s3://artifacts/team-a", path)
	if res.code != 0 {
		t.Fatalf("run exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	noSecretIn(t, home, res.stdout, res.stderr)
	m := inspect(t, home)
	_, steps := latestExecution(t, ctx, m)
	ref := steps["write"].Outputs["text"]
	if got := s3.manifests(t, "team-a"); !slices.Contains(got, string(ref)) {
		t.Errorf("artifacts on S3 = %v, want the write step's output %s among them", got, ref)
	}
	if local, err := m.LocalStore(); err != nil {
		t.Fatal(err)
	} else if ok, _ := local.Exists(ctx, ref); ok {
		t.Errorf("%s is in the home's artifact directory too", ref)
	}
	// The home remembers its store (no credentials in the record): a
	// second run told nothing finds the cached result on S3.
	if b, err := os.ReadFile(filepath.Join(home, storeRecord)); err != nil || !strings.Contains(string(b), `"bucket": "artifacts"`) {
		t.Errorf("%s = %q (%v), want the S3 location", storeRecord, b, err)
	}
	res = ferryIn(t, ctx, home, s3.env, "run", path)
	if _, steps := latestExecution(t, ctx, inspect(t, home)); res.code != 0 || steps["write"].Status != "CacheHit" {
		t.Errorf("second run: exit %d, write %s, want CacheHit (its output is on S3)\n%s", res.code, steps["write"].Status, res.stderr)
	}
	// --artifacts local overrides the record: the output is not in the
	// directory, so the step runs again there.
	res = ferryIn(t, ctx, home, s3.env, "run", "--artifacts", "local", path)
	if _, steps := latestExecution(t, ctx, inspect(t, home)); res.code != 0 || steps["write"].Status != "Succeeded" {
		t.Errorf("run on the local store: exit %d, write %s, want a fresh run\n%s", res.code, steps["write"].Status, res.stderr)
	}
	// FERRY_ARTIFACTS names another prefix, which holds nothing yet.
	env := map[string]string{artifactsEnv: "s3://artifacts/team-b"}
	for k, v := range s3.env {
		env[k] = v
	}
	res = ferryIn(t, ctx, home, env, "run", path)
	if _, steps := latestExecution(t, ctx, inspect(t, home)); res.code != 0 || steps["write"].Status != "Succeeded" {
		t.Errorf("run on another prefix: exit %d, write %s, want a fresh run\n%s", res.code, steps["write"].Status, res.stderr)
	}
	if a, b := s3.manifests(t, "team-a"), s3.manifests(t, "team-b"); !cmp.Equal(a, b) {
		t.Errorf("team-b holds %v, want what team-a holds: %v", b, a)
	}
	noSecretIn(t, home)
}

func TestArtifactsFlagErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := writePipeline(t, t.TempDir(), cliPipeline)
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"run", "--artifacts", "ftp://x", path}, nil, "want local or s3://BUCKET[/PREFIX]"},
		{[]string{"run", "--artifacts", "s3://", path}, nil, "no bucket"},
		{[]string{"run", "--artifacts-endpoint", "https://x", path}, nil, "--artifacts-endpoint needs --artifacts s3://"},
		{[]string{"run", "--instance-queues", "ml.p3.*=gpu", path}, nil, "--instance-queues applies to --engine temporal"},
		{[]string{"run", "--engine", "temporal", "--instance-queues", "ml.p3.*", path}, nil, "want PATTERN=QUEUE"},
		{[]string{"worker", "--artifacts", "s3://", "--temporal-address", "127.0.0.1:1"}, nil, "no bucket"},
		{[]string{"worker", "--artifacts-endpoint", "https://x", "--temporal-address", "127.0.0.1:1"}, nil, "--artifacts-endpoint needs --artifacts s3://"},
		{[]string{"run", path}, map[string]string{artifactsEnv: "gs://x"}, "want local or s3://BUCKET[/PREFIX]"},
	} {
		res := ferryIn(t, ctx, artifacttest.TempDir(t), tc.env, tc.args...)
		if res.code == 0 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error with %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
}

func TestParseArtifactsURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want s3Location
		ok   bool
	}{
		{"", s3Location{}, false},
		{"local", s3Location{}, false},
		{"s3://b", s3Location{Bucket: "b"}, true},
		{"s3://b/", s3Location{Bucket: "b"}, true},
		{"s3://b/team/a/", s3Location{Bucket: "b", Prefix: "team/a"}, true},
	} {
		got, ok, err := parseArtifactsURL(tc.in)
		if err != nil || ok != tc.ok || got != tc.want {
			t.Errorf("%q: %+v %v %v, want %+v %v", tc.in, got, ok, err, tc.want, tc.ok)
		}
	}
}
