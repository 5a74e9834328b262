package main

import (
	"context"
	"fmt"
	"path/filepath"

	s3store "github.com/ferryml/ferry/internal/artifact/s3"
)

const artifactsUsage = `artifacts COMMAND

Commands:
  migrate --endpoint URL --bucket NAME [--prefix P]   copy the home's artifact store to S3-compatible storage`

// cmdArtifacts is `ferry artifacts`.
func cmdArtifacts(ctx context.Context, m *Main, args []string) error {
	return runSubcommand(ctx, m, artifactsUsage, map[string]subcommand{
		"migrate": artifactsMigrate,
	}, args)
}

// artifactsMigrate is `ferry artifacts migrate`: every artifact of the
// local store is uploaded (blobs, then its manifest) unless the target
// already has it, so an interrupted migration is resumed by running it
// again.
func artifactsMigrate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("artifacts migrate", "--endpoint URL --bucket NAME [--prefix P] [--region R] [--create-bucket]")
	endpoint := fs.String("endpoint", "", "S3-compatible service URL, https://host[:port] (default $AWS_ENDPOINT_URL)")
	bucket := fs.String("bucket", "", "bucket to hold the artifacts")
	prefix := fs.String("prefix", "", "key prefix inside the bucket")
	region := fs.String("region", "", "region (default $AWS_REGION, $AWS_DEFAULT_REGION or us-east-1)")
	create := fs.Bool("create-bucket", false, "make the bucket if it does not exist")
	if _, err := parseArgs(fs, args, nil, 0, unexpectedArg); err != nil {
		return err
	}
	if *endpoint == "" {
		*endpoint = m.Getenv("AWS_ENDPOINT_URL")
	}
	if *endpoint == "" || *bucket == "" {
		fs.Usage()
		return usageError("ferry artifacts migrate needs --endpoint (or AWS_ENDPOINT_URL) and --bucket")
	}
	if *region == "" {
		*region = m.Getenv("AWS_REGION")
	}
	if *region == "" {
		*region = m.Getenv("AWS_DEFAULT_REGION")
	}
	local, err := m.LocalStore()
	if err != nil {
		return err
	}
	remote, err := s3store.Open(ctx, s3store.Config{
		Endpoint: *endpoint, Bucket: *bucket, Prefix: *prefix, Region: *region,
		AccessKey: m.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: m.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken: m.Getenv("AWS_SESSION_TOKEN"),
		CacheDir:     filepath.Join(m.Home(), "cache", "s3-artifacts"), CreateBucket: *create,
		Logger: m.Logger,
	})
	if err != nil {
		return err
	}
	refs, err := local.Refs(ctx)
	if err != nil {
		return err
	}
	copied, had := 0, 0
	for _, ref := range refs {
		done, err := remote.PutStored(ctx, local, ref)
		if err != nil {
			return fmt.Errorf("migrating (%d of %d copied so far; run again to resume): %w", copied, len(refs), err)
		}
		if done {
			copied++
			fmt.Fprintf(m.Stdout, "copied %s\n", ref)
		} else {
			had++
		}
	}
	fmt.Fprintf(m.Stdout, "%d artifacts copied, %d already there (%s/%s%s)\n", copied, had, *endpoint, *bucket, prefixSuffix(*prefix))
	return nil
}

func prefixSuffix(p string) string {
	if p == "" {
		return ""
	}
	return "/" + p
}
