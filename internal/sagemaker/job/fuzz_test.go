package job_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/sagemaker/job"
)

// FuzzExtractTarGz: a model.tar.gz or sourcedir.tar.gz never panics the
// unpacker or writes outside its directory.
func FuzzExtractTarGz(f *testing.F) {
	f.Add(tarGz(f, map[string]string{"a.py": "print(1)", "d/b.txt": "x"}))
	f.Add(tarGz(f, map[string]string{"../evil": "x"}))
	f.Add([]byte("not gzip"))
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		src := filepath.Join(root, "in.tar.gz")
		if err := os.WriteFile(src, data, 0o644); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, "out")
		_ = job.ExtractTarGz(src, dst)
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			if e.Name() != "in.tar.gz" && e.Name() != "out" {
				t.Fatalf("wrote %s outside the directory", e.Name())
			}
		}
	})
}

func TestExtractRefusesEscapes(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "x.tar.gz")
	if err := os.WriteFile(src, tarGz(t, map[string]string{"../evil": "x"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := job.ExtractTarGz(src, t.TempDir()); err == nil || !strings.Contains(err.Error(), "leaves the directory") {
		t.Errorf("got %v", err)
	}
}
