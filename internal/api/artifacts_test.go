package api_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/auth"
)

// TestArtifactFileSafety: no path leads outside the artifact, neither
// through ".." nor through a symbolic link stored inside it.
func TestArtifactFileSafety(t *testing.T) {
	t.Parallel()
	f := setup(t)
	dir, err := f.app.ArtifactPath(t.Context(), f.output)
	if err != nil {
		t.Fatal(err)
	}
	// Plant links in the (read-only) stored tree, as a tampered store
	// would hold them.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(f.home, "ferry.db")
	for name, target := range map[string]string{"escape": secret, "escape-rel": "../../../../ferry.db", "inside": "word.txt"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	base := "/api/v1/artifacts/" + f.output + "/files/"
	tests := []struct {
		name, path string
		want       int
	}{
		{"Plain", "word.txt", http.StatusOK},
		{"LinkInside", "inside", http.StatusOK},
		{"LinkOutsideAbsolute", "escape", http.StatusBadRequest},
		{"LinkOutsideRelative", "escape-rel", http.StatusBadRequest},
		{"DotDotEncoded", "..%2F..%2Fferry.db", http.StatusBadRequest},
		{"DotDotInside", "sub%2F..%2F..%2Fferry.db", http.StatusBadRequest},
		{"Absolute", "%2Fetc%2Fpasswd", http.StatusBadRequest},
		{"Backslash", "sub%5C..%5Cword.txt", http.StatusBadRequest},
		{"NUL", "word.txt%00", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := f.do(t, t.Context(), f.tokens[auth.Viewer], "GET", base+tt.path, "")
			if r.status != tt.want {
				t.Fatalf("GET %s: %d %s, want %d", tt.path, r.status, r.body, tt.want)
			}
			if strings.Contains(string(r.body), "SQLite") {
				t.Fatalf("GET %s leaked the database", tt.path)
			}
		})
	}
	// The listing leaves links out.
	r := f.do(t, t.Context(), f.tokens[auth.Viewer], "GET", "/api/v1/artifacts/"+f.output, "")
	if strings.Contains(string(r.body), "escape") {
		t.Errorf("listing names a link: %s", r.body)
	}
}
