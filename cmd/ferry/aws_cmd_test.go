package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// TestServerVerifiesS3Signatures: with a token in the home, `ferry server`
// serves S3 to its key pair (minio-go, which streams aws-chunked bodies
// with chunk signatures over plain HTTP) and refuses a wrong secret.
func TestServerVerifiesS3Signatures(t *testing.T) {
	t.Parallel()
	home := artifacttest.TempDir(t)
	out := mustFerry(t, home, "tokens", "create", "--name", "ops", "--role", "operator", "--output", "json")
	var keys struct {
		ID     string `json:"access_key_id"`
		Secret string `json:"secret_access_key"`
	}
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatal(err)
	}
	base := startServer(t, home, "server", "--addr", "127.0.0.1:0")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	client := func(secret string) *minio.Client {
		c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(keys.ID, secret, ""), Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	c := client(keys.Secret)
	if err := c.MakeBucket(ctx, "signed", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 6<<16) // 6 MiB: several signed chunks
	if _, err := c.PutObject(ctx, "signed", "blob.bin", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("a signed streaming upload: %v", err)
	}
	obj, err := c.GetObject(ctx, "signed", "blob.bin", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read back %d bytes (%v), want %d", len(got), err, len(body))
	}
	bad := client(strings.Repeat("x", 40))
	_, err = bad.PutObject(ctx, "signed", "other.bin", bytes.NewReader(body[:1000]), 1000, minio.PutObjectOptions{})
	if resp := minio.ToErrorResponse(err); resp.Code != "SignatureDoesNotMatch" {
		t.Errorf("a wrong secret: %v (code %q), want SignatureDoesNotMatch", err, resp.Code)
	}
}
