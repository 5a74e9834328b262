package job

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
)

// NamespaceObjects adapts an object namespace to Objects with SageMaker's
// S3Prefix meaning. SageMaker strips the whole prefix from each key: the
// objects under s3://b/prep/train (no trailing slash, as the SDK writes
// output locations) land in the job's directory without the "train/"
// level, so a training script finds $SM_CHANNEL_TRAIN/train.csv. An
// importer that keeps the keys relative to the URI's last "/"
// (objstore.Import does) gets such a prefix with a trailing "/" added,
// unless the URI names an object itself (which keeps its base name).
type NamespaceObjects struct {
	// ImportFunc stores the objects under uri as one artifact, each at its
	// key relative to the last "/" of uri.
	ImportFunc func(ctx context.Context, uri string) (artifact.Ref, error)
	// ObjectExistsFunc reports whether uri names an object exactly.
	ObjectExistsFunc func(ctx context.Context, uri string) (bool, error)
	// PublishFunc writes every file under dir to the prefix uri.
	PublishFunc func(ctx context.Context, dir, uri string) error
}

var _ Objects = NamespaceObjects{}

// Import implements Objects.
func (n NamespaceObjects) Import(ctx context.Context, uri string) (artifact.Ref, error) {
	if !strings.HasSuffix(uri, "/") {
		exact, err := n.ObjectExistsFunc(ctx, uri)
		if err != nil {
			return "", fmt.Errorf("looking up %s: %w", uri, err)
		}
		if !exact {
			uri += "/"
		}
	}
	return n.ImportFunc(ctx, uri)
}

// Publish implements Objects.
func (n NamespaceObjects) Publish(ctx context.Context, dir, uri string) error {
	return n.PublishFunc(ctx, dir, uri)
}
