package linear_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ferryml/ferry/linear"
	"github.com/ferryml/ferry/table"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenModelFile pins the model file format: a logistic model fitted
// to the fixture must serialise as
// testdata/golden_model.json (refresh with go test -update).
func TestGoldenModelFile(t *testing.T) {
	t.Parallel()
	fx := readFixture(t)
	md, err := linear.Train(t.Context(), &table.Dataset{X: nanFloats(fx.X), Y: fx.YClassifier, NumFeature: fx.M}, linear.Params{PredictorType: linear.BinaryClassifier, L2: 0.01, L1: 0.001, Seed: 1})
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
	if _, err := linear.Read(bytes.NewReader(want)); err != nil {
		t.Errorf("reading %s: %v", golden, err)
	}
}
