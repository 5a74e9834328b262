package artifact_test

import (
	"context"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
)

func TestDirConformance(t *testing.T) {
	t.Parallel()
	artifacttest.Exercise(t, func(t *testing.T) (artifact.Store, artifact.Store) {
		root := artifacttest.TempDir(t)
		a, err := artifact.OpenDir(root)
		if err != nil {
			t.Fatal(err)
		}
		b, err := artifact.OpenDir(root)
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	})
}

func TestListingDigest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := t.TempDir()
	artifacttest.WriteTree(t, src, map[string]string{"b.csv": "2", "a/x.csv": "1", "c": ""})
	files, err := artifact.List(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	want, err := artifact.Digest(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := artifact.RefOf(files); got != want {
		t.Errorf("RefOf(List) = %s, Digest = %s", got, want)
	}
	store, err := artifact.OpenDir(artifacttest.TempDir(t))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := store.PutDir(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := store.Refs(ctx)
	if err != nil || len(refs) != 1 || refs[0] != ref {
		t.Errorf("Refs = %v, %v; want [%s]", refs, err, ref)
	}
}
