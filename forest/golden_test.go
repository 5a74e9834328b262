package forest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/table"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenModelFile pins the model file format and the training
// algorithm: a small seeded forest must serialise as
// testdata/golden_model.json (refresh with go test -update).
func TestGoldenModelFile(t *testing.T) {
	t.Parallel()
	x, y := synth(60, 3, false, 8)
	md, err := forest.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: 3}, forest.Params{NEstimators: 2, MaxDepth: 2, MaxFeatures: "log2", Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := md.Write(&buf); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/golden_model.json"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	// Numbers are compared to 1e-12 so that fused multiply-adds on other
	// architectures do not fail the test; everything else exactly.
	var gotDoc, wantDoc any
	if err := json.Unmarshal(buf.Bytes(), &gotDoc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantDoc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantDoc, gotDoc, cmpopts.EquateApprox(1e-12, 1e-12)); diff != "" {
		t.Errorf("model file differs from %s (-want +got):\n%s", golden, diff)
	}
	if _, err := forest.Read(bytes.NewReader(want)); err != nil {
		t.Errorf("reading %s: %v", golden, err)
	}
}
