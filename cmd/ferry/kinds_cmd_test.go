package main

import (
	"context"
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateKindsDoc = flag.Bool("update-kinds-doc", false, "rewrite docs/step-kinds.md from the kinds' specs")

// TestStepKindsDoc keeps docs/step-kinds.md equal to what `ferry kinds`
// generates from the registered kinds' specs (generate-and-diff).
func TestStepKindsDoc(t *testing.T) {
	t.Parallel()
	res := ferry(t, context.Background(), t.TempDir(), "kinds")
	if res.code != 0 {
		t.Fatalf("ferry kinds: exit %d: %s", res.code, res.stderr)
	}
	const path = "../../docs/step-kinds.md"
	if *updateKindsDoc {
		if err := os.WriteFile(path, []byte(res.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), res.stdout); diff != "" {
		t.Errorf("docs/step-kinds.md is stale; run go test ./cmd/ferry -run TestStepKindsDoc -update-kinds-doc (-file +generated):\n%s", diff)
	}
}

func TestKindsJSON(t *testing.T) {
	t.Parallel()
	res := ferry(t, context.Background(), t.TempDir(), "kinds", "--output", "json")
	if res.code != 0 || res.stdout[0] != '[' {
		t.Fatalf("ferry kinds --output json: exit %d: %.200s %s", res.code, res.stdout, res.stderr)
	}
	if res := ferry(t, context.Background(), t.TempDir(), "kinds", "--output", "yaml"); res.code != 2 {
		t.Errorf("--output yaml: exit %d, want 2", res.code)
	}
}
