package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/internal/awsapi"
	"github.com/ferryml/ferry/internal/objstore"
	"github.com/ferryml/ferry/internal/s3api"
	"github.com/ferryml/ferry/internal/sqlite"
)

const s3Usage = `s3 COMMAND ARGS

Commands on the object namespace (s3://bucket/key, kept under $FERRY_HOME):
  mb s3://BUCKET                        make a bucket
  ls [s3://BUCKET[/PREFIX]] [--recursive]  list buckets, or objects and prefixes
  cp SRC DST [--recursive]              copy between local paths and s3:// URIs
  rm s3://BUCKET/KEY [--recursive]      remove an object, or every object under a prefix`

// cmdS3 is `ferry s3`.
func cmdS3(ctx context.Context, m *Main, args []string) error {
	return runSubcommand(ctx, m, s3Usage, map[string]subcommand{
		"mb": s3MakeBucket,
		"ls": s3List,
		"cp": s3Copy,
		"rm": s3Remove,
	}, args)
}

// Objects opens the home's object namespace (FERRY_HOME/objects, metadata
// in the home's database).
func (m *Main) Objects(ctx context.Context) (*objstore.Store, error) {
	db, err := m.DB(ctx)
	if err != nil {
		return nil, err
	}
	return objstore.Open(filepath.Join(m.Home(), "objects"), sqlite.NewObjectMeta(db))
}

// S3Handler returns the S3 and STS handler of the home's namespace, with
// the account id from FERRY_AWS_ACCOUNT_ID (default s3api.DefaultAccountID).
func (m *Main) S3Handler(ctx context.Context) (*s3api.Handler, error) {
	ns, err := m.Objects(ctx)
	if err != nil {
		return nil, err
	}
	return s3api.New(ns, s3api.Options{AccountID: m.Getenv("FERRY_AWS_ACCOUNT_ID"), Logger: m.Logger})
}

func s3MakeBucket(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("s3 mb", "s3://BUCKET")
	pos, err := parseArgs(fs, args, nil, 1, usageLine("usage: ferry s3 mb s3://BUCKET"))
	if err != nil {
		return err
	}
	uri, err := objstore.ParseURI(pos[0])
	if err != nil {
		return err
	}
	if uri.Key != "" {
		return usageError("ferry s3 mb takes a bucket (s3://%s), not an object key", uri.Bucket)
	}
	ns, err := m.Objects(ctx)
	if err != nil {
		return err
	}
	if err := ns.CreateBucket(ctx, uri.Bucket); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "make_bucket: s3://%s\n", uri.Bucket)
	return nil
}

func s3List(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("s3 ls", "[s3://BUCKET[/PREFIX]] [--recursive]")
	recursive := fs.Bool("recursive", false, "list every object under the prefix, not prefixes")
	pos, err := parseArgs(fs, args, nil, -1, nil)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError("usage: ferry s3 ls [s3://BUCKET[/PREFIX]] [--recursive]")
	}
	ns, err := m.Objects(ctx)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		bs, err := ns.Buckets(ctx)
		if err != nil {
			return err
		}
		for _, b := range bs {
			fmt.Fprintf(m.Stdout, "%s %s\n", b.Created.Local().Format("2006-01-02 15:04:05"), b.Name)
		}
		return nil
	}
	uri, err := objstore.ParseURI(pos[0])
	if err != nil {
		return err
	}
	opts := objstore.ListOptions{Prefix: uri.Key}
	if !*recursive {
		opts.Delimiter = "/"
	}
	for {
		res, err := ns.List(ctx, uri.Bucket, opts)
		if err != nil {
			return err
		}
		for _, p := range res.CommonPrefixes {
			fmt.Fprintf(m.Stdout, "%30s %s\n", "PRE", p)
		}
		for _, o := range res.Objects {
			fmt.Fprintf(m.Stdout, "%s %10d %s\n", o.Modified.Local().Format("2006-01-02 15:04:05"), o.Size, o.Key)
		}
		if !res.Truncated {
			return nil
		}
		opts.After = res.Next
	}
}

func s3Copy(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("s3 cp", "SRC DST [--recursive]")
	recursive := fs.Bool("recursive", false, "copy every file under a directory, or every object under a prefix")
	pos, err := parseArgs(fs, args, nil, 2, usageLine("usage: ferry s3 cp SRC DST [--recursive] (local paths and s3:// URIs)"))
	if err != nil {
		return err
	}
	src, dst := pos[0], pos[1]
	srcS3, dstS3 := strings.HasPrefix(src, "s3://"), strings.HasPrefix(dst, "s3://")
	if !srcS3 && !dstS3 {
		return usageError("ferry s3 cp: SRC or DST must be an s3:// URI")
	}
	ns, err := m.Objects(ctx)
	if err != nil {
		return err
	}
	switch {
	case !srcS3: // local -> s3
		to, err := objstore.ParseURI(dst)
		if err != nil {
			return err
		}
		if *recursive {
			objs, err := objstore.PublishDir(ctx, ns, src, to)
			if err != nil {
				return err
			}
			for _, o := range objs {
				fmt.Fprintf(m.Stdout, "upload: %s\n", o.URI())
			}
			return nil
		}
		if to.Key == "" || strings.HasSuffix(to.Key, "/") {
			to.Key += filepath.Base(src)
		}
		o, err := objstore.PutFile(ctx, ns, src, to)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "upload: %s to %s\n", src, o.URI())
		return nil
	case !dstS3: // s3 -> local
		from, err := objstore.ParseURI(src)
		if err != nil {
			return err
		}
		return s3Download(ctx, m, ns, from, dst, *recursive)
	default: // s3 -> s3
		from, err := objstore.ParseURI(src)
		if err != nil {
			return err
		}
		to, err := objstore.ParseURI(dst)
		if err != nil {
			return err
		}
		if *recursive {
			return ns.Walk(ctx, from.Bucket, from.Key, func(o objstore.Object) error {
				rel := strings.TrimPrefix(strings.TrimPrefix(o.Key, from.Key), "/")
				c, err := ns.Copy(ctx, o.URI(), to.Join(rel), nil)
				if err == nil {
					fmt.Fprintf(m.Stdout, "copy: %s to %s\n", o.URI(), c.URI())
				}
				return err
			})
		}
		if to.Key == "" || strings.HasSuffix(to.Key, "/") {
			to.Key += filepath.Base(from.Key)
		}
		c, err := ns.Copy(ctx, from, to, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "copy: %s to %s\n", from, c.URI())
		return nil
	}
}

func s3Download(ctx context.Context, m *Main, ns *objstore.Store, from objstore.URI, dst string, recursive bool) error {
	if !recursive {
		if from.Key == "" {
			return usageError("ferry s3 cp: %s is a bucket; add --recursive to copy its objects", from)
		}
		if dst == "-" { // to standard output, as the aws CLI does
			_, f, err := ns.Open(ctx, from.Bucket, from.Key)
			if err != nil {
				return fmt.Errorf("%s: %w", from, err)
			}
			defer f.Close()
			if _, err := io.Copy(m.Stdout, f); err != nil {
				return fmt.Errorf("reading %s: %w", from, err)
			}
			return nil
		}
		if st, err := os.Stat(dst); (err == nil && st.IsDir()) || strings.HasSuffix(dst, string(os.PathSeparator)) {
			dst = filepath.Join(dst, filepath.Base(from.Key))
		}
		if _, err := objstore.GetFile(ctx, ns, from, dst); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "download: %s to %s\n", from, dst)
		return nil
	}
	n := 0
	err := ns.Walk(ctx, from.Bucket, from.Key, func(o objstore.Object) error {
		rel := strings.TrimPrefix(strings.TrimPrefix(o.Key, from.Key), "/")
		if rel == "" || strings.HasSuffix(rel, "/") {
			return nil
		}
		local := filepath.FromSlash(rel)
		if !filepath.IsLocal(local) {
			return fmt.Errorf("object %s: key does not map to a path under %s", o.URI(), dst)
		}
		p := filepath.Join(dst, local)
		if _, err := objstore.GetFile(ctx, ns, o.URI(), p); err != nil {
			return err
		}
		n++
		fmt.Fprintf(m.Stdout, "download: %s to %s\n", o.URI(), p)
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: no object under this prefix: %w", from, objstore.ErrNoSuchKey)
	}
	return nil
}

func s3Remove(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("s3 rm", "s3://BUCKET/KEY [--recursive]")
	recursive := fs.Bool("recursive", false, "remove every object under the prefix")
	pos, err := parseArgs(fs, args, nil, 1, usageLine("usage: ferry s3 rm s3://BUCKET/KEY [--recursive]"))
	if err != nil {
		return err
	}
	uri, err := objstore.ParseURI(pos[0])
	if err != nil {
		return err
	}
	ns, err := m.Objects(ctx)
	if err != nil {
		return err
	}
	if !*recursive {
		if uri.Key == "" {
			return usageError("ferry s3 rm: %s is a bucket; add --recursive to remove its objects", uri)
		}
		if err := ns.Delete(ctx, uri.Bucket, uri.Key); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "delete: %s\n", uri)
		return nil
	}
	var keys []string
	if err := ns.Walk(ctx, uri.Bucket, uri.Key, func(o objstore.Object) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := ns.Delete(ctx, uri.Bucket, k); err != nil && !errors.Is(err, objstore.ErrNoSuchKey) {
			return err
		}
		fmt.Fprintf(m.Stdout, "delete: %s\n", objstore.URI{Bucket: uri.Bucket, Key: k})
	}
	return nil
}

// StartS3 starts the home's AWS-compatible APIs (S3 and STS, and with
// them SageMaker, its runtime and Lambda: docs/aws-api.md) on a loopback
// listener at a free port, for the jobs of one `ferry run`: they get its
// URL as AWS_ENDPOINT_URL. It checks no signature (127.0.0.1, this run's
// own jobs). The caller closes it when the run ends.
func (m *Main) StartS3(ctx context.Context) (*s3api.Server, error) {
	h, err := m.S3Handler(ctx)
	if err != nil {
		return nil, err
	}
	a, err := m.App(ctx)
	if err != nil {
		return nil, err
	}
	awsh, err := awsapi.New(m.awsConfig(a, h))
	if err != nil {
		return nil, err
	}
	return s3api.Start(awsh)
}
