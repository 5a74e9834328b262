package s3_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// benchSize is the artifact size of the throughput benchmarks.
const benchSize = 32 << 20

// BenchmarkTransfer measures artifact upload and download throughput to
// the test S3 server (Ferry's S3 API over TLS on 127.0.0.1), beside two
// references in the same run: minio-go's raw PutObject/GetObject of the
// same bytes to the same server (the floor the store's hashing, manifest
// and cache sit on), and the local artifact.Dir. docs/benchmarks.md
// reports the ratios.
func BenchmarkTransfer(b *testing.B) {
	srv := newServer(b)
	store := srv.open(b)
	ctx := context.Background()
	src := randomFile(b, b.TempDir(), "blob.bin", benchSize)
	f, err := os.OpenFile(src, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var n uint64
	// fresh changes the file's first bytes, so each put stores new content.
	fresh := func() {
		n++
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], n)
		if _, err := f.WriteAt(buf[:], 0); err != nil {
			b.Fatal(err)
		}
	}
	u, _ := url.Parse(srv.URL)
	raw, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4("k", "s", ""), Secure: true,
		Transport: srv.Client().Transport, Region: "us-east-1"})
	if err != nil {
		b.Fatal(err)
	}
	local, err := artifact.OpenDir(artifacttest.TempDir(b))
	if err != nil {
		b.Fatal(err)
	}

	b.Run("Upload/S3Store", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			b.StopTimer()
			fresh()
			b.StartTimer()
			if _, err := store.PutFile(ctx, src, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Upload/MinioRaw", func(b *testing.B) {
		b.SetBytes(benchSize)
		i := 0
		for b.Loop() {
			i++
			r, err := os.Open(src)
			if err != nil {
				b.Fatal(err)
			}
			_, err = raw.PutObject(ctx, "artifacts", "raw/"+strconv.Itoa(i), r, benchSize,
				minio.PutObjectOptions{PartSize: 5 << 20, NumThreads: 2})
			r.Close()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Upload/LocalDir", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			b.StopTimer()
			fresh()
			b.StartTimer()
			if _, err := local.PutFile(ctx, src, ""); err != nil {
				b.Fatal(err)
			}
		}
	})

	fresh()
	ref, err := store.PutFile(ctx, src, "")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := raw.PutObject(ctx, "artifacts", "raw/get", bytes.NewReader(make([]byte, benchSize)), benchSize,
		minio.PutObjectOptions{PartSize: 5 << 20}); err != nil {
		b.Fatal(err)
	}
	b.Run("Download/S3Store", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			b.StopTimer()
			// Empty the read cache, so each Path downloads.
			if p, err := store.Cache().Path(ctx, ref); err == nil {
				artifact.RemoveTree(p)
			}
			b.StartTimer()
			if _, err := store.Path(ctx, ref); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Download/MinioRaw", func(b *testing.B) {
		b.SetBytes(benchSize)
		dst := filepath.Join(b.TempDir(), "get.bin")
		for b.Loop() {
			obj, err := raw.GetObject(ctx, "artifacts", "raw/get", minio.GetObjectOptions{})
			if err != nil {
				b.Fatal(err)
			}
			out, err := os.Create(dst)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(out, obj); err != nil {
				b.Fatal(err)
			}
			out.Close()
			obj.Close()
		}
	})
	b.Run("Download/CacheHit", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			if _, err := store.Path(ctx, ref); err != nil {
				b.Fatal(err)
			}
		}
	})
}
