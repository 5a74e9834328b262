package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func TestS3Commands(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	home := t.TempDir()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "claims.csv"), "id,amount\n1,10\n")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	writeFile(t, filepath.Join(src, "sub", "customers.csv"), "id,name\n1,a\n")

	run := func(args ...string) ferryResult {
		t.Helper()
		res := ferry(t, ctx, home, args...)
		if res.code != 0 {
			t.Fatalf("ferry %s: exit %d: %s", strings.Join(args, " "), res.code, res.stderr)
		}
		return res
	}
	run("s3", "mb", "s3://claims")
	run("s3", "cp", filepath.Join(src, "claims.csv"), "s3://claims/raw/")
	run("s3", "cp", "--recursive", src, "s3://claims/all")
	if got := run("s3", "ls").stdout; !strings.HasSuffix(got, " claims\n") {
		t.Errorf("ls: %q, want the bucket", got)
	}
	got := run("s3", "ls", "s3://claims/").stdout
	if !strings.Contains(got, "PRE all/") || !strings.Contains(got, "PRE raw/") {
		t.Errorf("ls s3://claims/:\n%s\nwant prefixes all/ and raw/", got)
	}
	got = run("s3", "ls", "--recursive", "s3://claims/all").stdout
	for _, k := range []string{"all/claims.csv", "all/sub/customers.csv"} {
		if !strings.Contains(got, k) {
			t.Errorf("ls --recursive: %q lacks %s", got, k)
		}
	}

	dst := t.TempDir()
	run("s3", "cp", "s3://claims/raw/claims.csv", dst+"/")
	b, err := os.ReadFile(filepath.Join(dst, "claims.csv"))
	if err != nil || string(b) != "id,amount\n1,10\n" {
		t.Errorf("downloaded %q, %v", b, err)
	}
	if got := run("s3", "cp", "s3://claims/raw/claims.csv", "-").stdout; got != "id,amount\n1,10\n" {
		t.Errorf("cp to -: %q, want the object on stdout", got)
	}
	run("s3", "cp", "--recursive", "s3://claims/all/", filepath.Join(dst, "all"))
	b, err = os.ReadFile(filepath.Join(dst, "all", "sub", "customers.csv"))
	if err != nil || string(b) != "id,name\n1,a\n" {
		t.Errorf("recursive download: %q, %v", b, err)
	}
	run("s3", "cp", "s3://claims/raw/claims.csv", "s3://claims/copy/c.csv")
	run("s3", "rm", "--recursive", "s3://claims/all/")
	run("s3", "rm", "s3://claims/raw/claims.csv")
	got = run("s3", "ls", "--recursive", "s3://claims").stdout
	if !strings.HasSuffix(got, "copy/c.csv\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("after rm, ls: %q; want only copy/c.csv", got)
	}
}

func TestS3CommandErrors(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if res := ferry(t, t.Context(), home, "s3", "mb", "s3://claims"); res.code != 0 {
		t.Fatal(res.stderr)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"MissingObject", []string{"cp", "s3://claims/nope.csv", t.TempDir()}, 1, "s3://claims/nope.csv: no such object"},
		{"MissingObjectToStdout", []string{"cp", "s3://claims/nope.csv", "-"}, 1, "s3://claims/nope.csv: no such object"},
		{"MissingBucket", []string{"ls", "s3://other"}, 1, "s3://other/: no such bucket"},
		{"BadURI", []string{"mb", "s3://A_B"}, 1, `bucket name "A_B"`},
		{"NoS3Side", []string{"cp", "a", "b"}, 2, "must be an s3:// URI"},
		{"BucketExists", []string{"mb", "s3://claims"}, 1, "bucket already exists"},
		{"UnknownSub", []string{"mv"}, 2, `unknown subcommand "mv"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := ferry(t, t.Context(), home, append([]string{"s3"}, tc.args...)...)
			if diff := cmp.Diff(tc.code, res.code); diff != "" || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", res.code, res.stderr, tc.code, tc.want)
			}
		})
	}
}

// TestServerServesS3 checks that `ferry server` answers AWS-signed
// requests with the S3 API of the home's namespace, beside its own routes.
func TestServerServesS3(t *testing.T) {
	t.Parallel()
	home := artifacttest.TempDir(t)
	if res := ferry(t, t.Context(), home, "s3", "mb", "s3://shared"); res.code != 0 {
		t.Fatal(res.stderr)
	}
	base := startServer(t, home, "server", "--addr", "127.0.0.1:0", "--poll", "50ms")
	u, _ := url.Parse(base)
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4("k", "s", ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(t.Context(), "shared", "raw/claims.csv", strings.NewReader("a\n1\n"), 4, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	res := ferry(t, t.Context(), home, "s3", "ls", "--recursive", "s3://shared")
	if !strings.Contains(res.stdout, "raw/claims.csv") {
		t.Errorf("ferry s3 ls after a put through the server: %q", res.stdout)
	}
	resp, err := http.Get(base + "/ping") // unsigned: Ferry's own route
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /ping: %d", resp.StatusCode)
	}
}
