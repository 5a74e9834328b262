//go:build pypi

package definition

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/pythontest"
)

// TestPyPISDKDefinitions builds the definitions again with the SageMaker
// SDK (testdata/sdk/make_definitions.py) and checks that the committed
// copies, which the default tests read, are what the SDK emits.
func TestPyPISDKDefinitions(t *testing.T) {
	t.Parallel()
	py := pythontest.Venv(t, "sagemaker")
	out := t.TempDir()
	cmd := exec.CommandContext(t.Context(), py, filepath.Join("testdata", "sdk", "make_definitions.py"), out)
	cmd.Env = append(os.Environ(), "SAGEMAKER_SUPPRESS_V2_WARNING=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_definitions.py: %v\n%s", err, b)
	}
	for _, name := range append(sdkDefinitions, "uploads") {
		got, err := os.ReadFile(filepath.Join(out, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		// The SDK names uploaded code by a hash that covers the files' paths
		// too, so it differs from one checkout to another.
		if diff := cmp.Diff(normalizeSDK(t, name, want), normalizeSDK(t, name, got)); diff != "" {
			t.Errorf("%s.json differs from what the SDK builds now (-committed +sdk); rerun make_definitions.py:\n%s", name, diff)
		}
	}
}

// codeHash matches the content-hash folder of code the SDK uploads.
var codeHash = regexp.MustCompile(`/code/[0-9a-f]{64}/`)

// normalizeSDK replaces the code hashes of an SDK output; the uploads
// (a JSON object keyed by URI) become a map, whose order the hashes set.
func normalizeSDK(t *testing.T, name string, b []byte) any {
	t.Helper()
	s := codeHash.ReplaceAllString(string(b), "/code/HASH/")
	if name != "uploads" {
		return s
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%s.json: %v", name, err)
	}
	return m
}
