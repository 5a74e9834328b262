package job_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ferryml/ferry/internal/artifact"
)

// fakeObjects is an in-memory s3:// namespace for tests, until the object
// namespace (branch s3) lands: keys hold file contents; Import copies the
// object or prefix into the artifact store.
type fakeObjects struct {
	store artifact.Store
	mu    sync.Mutex
	objs  map[string][]byte
}

func newFakeObjects(store artifact.Store) *fakeObjects {
	return &fakeObjects{store: store, objs: make(map[string][]byte)}
}

func (f *fakeObjects) put(uri string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objs[uri] = body
}

func (f *fakeObjects) get(uri string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objs[uri]
	return b, ok
}

func (f *fakeObjects) Import(ctx context.Context, uri string) (artifact.Ref, error) {
	dir, err := os.MkdirTemp("", "fake-s3-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	f.mu.Lock()
	n := 0
	prefix := strings.TrimSuffix(uri, "/")
	for key, body := range f.objs {
		var rel string
		switch {
		case key == prefix:
			rel = key[strings.LastIndexByte(key, '/')+1:]
		case strings.HasPrefix(key, prefix+"/"):
			rel = strings.TrimPrefix(key, prefix+"/")
		default:
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			f.mu.Unlock()
			return "", err
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			f.mu.Unlock()
			return "", err
		}
		n++
	}
	f.mu.Unlock()
	if n == 0 {
		return "", fmt.Errorf("no object at %s", uri)
	}
	return f.store.PutDir(ctx, dir)
}

func (f *fakeObjects) Publish(_ context.Context, dir, uri string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f.put(strings.TrimSuffix(uri, "/")+"/"+filepath.ToSlash(rel), b)
		return nil
	})
}
