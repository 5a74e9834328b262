package job_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/step/steptest"
)

// TestNamespaceObjectsPrefix: over an importer that keeps keys relative to
// the URI's last "/" (as objstore.Import does), a prefix without a
// trailing slash gives SageMaker's layout.
func TestNamespaceObjectsPrefix(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	keys := map[string]string{"s3://b/prep/train/train.csv": "1", "s3://b/prep/train/part/x.csv": "2", "s3://b/raw/claims.csv": "3"}
	lastSlash := func(ctx context.Context, uri string) (artifact.Ref, error) {
		dir := t.TempDir()
		base := uri[:strings.LastIndex(uri, "/")+1]
		n := 0
		for k, v := range keys {
			if !strings.HasPrefix(k, uri) {
				continue
			}
			p := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(k, base)))
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(v), 0o644)
			n++
		}
		if n == 0 {
			return "", fmt.Errorf("%s: no such key", uri)
		}
		return b.Store.PutDir(ctx, dir)
	}
	objs := job.NamespaceObjects{
		ImportFunc:       lastSlash,
		ObjectExistsFunc: func(_ context.Context, uri string) (bool, error) { _, ok := keys[uri]; return ok, nil },
		PublishFunc:      func(context.Context, string, string) error { return nil },
	}
	for uri, want := range map[string][]string{
		"s3://b/prep/train":     {"part/x.csv", "train.csv"},
		"s3://b/prep/train/":    {"part/x.csv", "train.csv"},
		"s3://b/raw/claims.csv": {"claims.csv"},
	} {
		ref, err := objs.Import(t.Context(), uri)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		root := b.Path(t, ref)
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(root, p)
				got = append(got, filepath.ToSlash(rel))
			}
			return err
		})
		sort.Strings(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", uri, diff)
		}
	}
}
