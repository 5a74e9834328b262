package pipeline_test

import (
	"testing"

	"github.com/ferryml/ferry/internal/pipeline"
)

// `queue:` is part of a step's envelope: it names the task queue of the
// workers that run it, and is not an argument of the kind.
func TestStepQueue(t *testing.T) {
	t.Parallel()
	p, err := pipeline.Load("q.yaml", []byte(`version: 1
name: q
steps:
  - name: train
    kind: training
    algorithm: xgboost
    inputs: {train: data/train.csv}
    queue: gpu
  - name: other
    kind: training
    algorithm: xgboost
    inputs: {train: data/train.csv}
`), testKinds(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"train": "gpu", "other": ""} {
		st := p.Step(name)
		if st.Queue != want {
			t.Errorf("step %s: queue %q, want %q", name, st.Queue, want)
		}
		if _, ok := st.Args["queue"]; ok {
			t.Errorf("step %s: queue is among the kind's arguments", name)
		}
	}
}
