package training

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/model"
)

// TestSharedDataSharesBins: runs on data loaded once (tuning's trials)
// share the training set's bins per max_bin, concurrently, and train the
// models that runs reading the files themselves train, byte for byte.
func TestSharedDataSharesBins(t *testing.T) {
	t.Parallel()
	dir := artifacttest.TempDir(t)
	rng := rand.New(rand.NewPCG(1, 1))
	var b bytes.Buffer
	b.WriteString("y,a,b,c\n")
	for range 400 {
		a, bb, c := rng.NormFloat64(), rng.NormFloat64(), float64(rng.IntN(4))
		y := 0
		if a+0.5*bb+0.2*c+rng.NormFloat64()*0.5 > 0 {
			y = 1
		}
		fmt.Fprintf(&b, "%d,%.4f,%.4f,%g\n", y, a, bb, c)
	}
	train := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(train, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	job := func(maxBin, depth int, out string) Job {
		return Job{Algorithm: AlgorithmXGBoost, Train: train, Validation: train, OutputDir: filepath.Join(dir, out),
			Hyperparameters: map[string]any{"objective": "binary:logistic", "num_round": 8, "max_bin": maxBin,
				"max_depth": depth, "subsample": 0.8, "eval_metric": "auc", "nthread": 1}}
	}
	data, err := Load(job(0, 0, ""))
	if err != nil {
		t.Fatal(err)
	}
	type run struct{ maxBin, depth int }
	runs := []run{{256, 3}, {256, 6}, {16, 3}, {16, 6}, {256, 2}}
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Go(func() {
			j := job(r.maxBin, r.depth, fmt.Sprintf("shared-%d", i))
			j.Data = data
			if _, err := Run(t.Context(), j); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(data.bins.m) != 2 {
		t.Errorf("%d bin sets for max_bin 256 and 16, want 2", len(data.bins.m))
	}
	for i, r := range runs {
		if _, err := Run(t.Context(), job(r.maxBin, r.depth, fmt.Sprintf("alone-%d", i))); err != nil {
			t.Fatal(err)
		}
		shared, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("shared-%d", i), model.XGBoostModelFile))
		if err != nil {
			t.Fatal(err)
		}
		alone, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("alone-%d", i), model.XGBoostModelFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(shared, alone) {
			t.Errorf("run %+v: the model on shared bins differs from the model trained alone", r)
		}
	}
}

// TestTrainedBeforeModelFiles: Job.Trained is called once, after the
// training and before the model's files are written.
func TestTrainedBeforeModelFiles(t *testing.T) {
	t.Parallel()
	dir := artifacttest.TempDir(t)
	var b bytes.Buffer
	b.WriteString("y,a\n")
	for i := range 200 {
		fmt.Fprintf(&b, "%d,%d\n", i%2, i%7+i%2)
	}
	train := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(train, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	calls := 0
	job := Job{Algorithm: AlgorithmXGBoost, Train: train, Validation: train, OutputDir: out,
		Hyperparameters: map[string]any{"objective": "binary:logistic", "num_round": 3, "eval_metric": "auc"},
		Trained: func() {
			calls++
			if _, err := os.Stat(filepath.Join(out, model.ManifestFile)); err == nil {
				t.Error("Trained called after the model files were written")
			}
		}}
	if _, err := Run(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("Trained called %d times, want 1", calls)
	}
	if _, err := os.Stat(filepath.Join(out, model.ManifestFile)); err != nil {
		t.Errorf("model files: %v", err)
	}
}
