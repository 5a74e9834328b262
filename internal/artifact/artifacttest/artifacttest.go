// Package artifacttest helps tests that store artifacts. Stored artifact
// trees are read-only (directories 0555, files 0444), which testing's own
// TempDir cleanup cannot remove for a user other than root.
package artifacttest

import (
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
)

// TempDir returns tb.TempDir() and arranges for everything below it,
// read-only artifact trees included, to be removed when the test ends.
func TempDir(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	// Cleanups run last-registered first: this one runs before TempDir's.
	tb.Cleanup(func() {
		if err := artifact.RemoveTree(dir); err != nil {
			tb.Errorf("removing %s: %v", dir, err)
		}
	})
	return dir
}
