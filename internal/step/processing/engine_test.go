package processing_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/frame"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/sqlite"
	"github.com/ferryml/ferry/internal/step/steptest"
)

// TestEngineRunsPrepareExample runs examples/fraud-detection/prepare.yaml
// through the real engine: local inputs imported, outputs stored,
// properties recorded.
func TestEngineRunsPrepareExample(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	b := steptest.New(t)
	db, err := sqlite.Open(ctx, filepath.Join(b.Dir, "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	path, err := filepath.Abs("../../../examples/fraud-detection/prepare.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kinds := registry(t)
	p, err := pipeline.Load(path, src, kinds)
	if err != nil {
		t.Fatal(err)
	}
	store := sqlite.NewExecutionStore(db)
	eng := &engine.Engine{Kinds: kinds, Store: store, Artifacts: b.Store, Home: b.Dir}
	ex, err := eng.Run(ctx, p, engine.RunOptions{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != run.Succeeded {
		t.Fatalf("execution %s: %s", ex.Status, ex.FailureReason)
	}
	runs, err := store.StepRuns(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Fatalf("%d step runs, want 1", len(runs))
	}
	sr := runs[0]
	for name, want := range map[string]float64{"train_rows": 4050, "validation_rows": 450, "test_rows": 500, "num_features": 48} {
		if got, _ := sr.Properties[name].(float64); got != want {
			t.Errorf("property %s = %v, want %v", name, sr.Properties[name], want)
		}
	}
	f, err := frame.ReadCSVFile(filepath.Join(b.Path(t, sr.Outputs["train"]), "train.csv"), frame.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 4050 || f.NumCols() != 49 || !strings.HasPrefix(strings.Join(f.Names(), ","), "fraud,num_vehicles_involved,") {
		t.Errorf("train.csv is %dx%d starting %v", f.NumRows(), f.NumCols(), f.Names()[:2])
	}
}
