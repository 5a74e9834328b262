package temporal

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/step"
)

// A task crosses JSON (Temporal's payloads) with its argument types kept:
// the kind on a worker sees what it would see locally.
func TestTaskRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args map[string]any
	}{
		{"scalars", map[string]any{"s": "x", "i": int64(3), "f": 2.0, "b": true, "n": nil}},
		{"artifacts", map[string]any{"a": artifact.Ref("sha256:" + string(make([]byte, 0))), "m": map[string]any{"x": artifact.Ref("sha256:ab")}}},
		{"nested", map[string]any{"o": map[string]any{"k": int64(2), "l": []any{int64(1), 1.5, "s", map[string]any{}}, "e": []any{}}}},
		{"typed lists", map[string]any{"ls": []string{"a", "b"}, "ms": map[string]string{"k": "v"}, "empty": []string{}}},
		{"other", map[string]any{"j": []int{1, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := engine.Task{
				Request: step.Request{ExecutionID: "e-1", PipelineName: "p", StepName: "s", Args: tt.args},
				Kind:    "k", Queue: "gpu", Timeout: time.Minute,
				Retry:         pipeline.RetryPolicy{MaxAttempts: 3, Interval: time.Second, BackoffRate: 2},
				PropertyFiles: map[string]pipeline.PropertyFile{"m": {Output: "o", Path: "m.json"}},
				Outputs:       []string{"o"},
			}
			w, err := encodeTask(in)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			var back Task
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			out, err := back.decode()
			if err != nil {
				t.Fatal(err)
			}
			want := in
			if tt.name == "other" { // unknown types arrive as JSON values
				want.Request.Args = map[string]any{"j": []any{1.0, 2.0}}
			}
			if diff := cmp.Diff(want, out); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// Decoding any JSON as a tagged value never panics.
func FuzzValueDecode(f *testing.F) {
	for _, s := range []string{`{"s":"x"}`, `{"l":[{"i":1},{"m":{"k":{"r":"sha256:00"}}}]}`, `{}`, `{"j":"[1"}`, `{"le":true}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Value
		if json.Unmarshal(b, &v) != nil {
			return
		}
		_, _ = v.decode()
	})
}

// Secret values never reach Temporal: the runner refuses the task before
// it talks to the server (the Client is nil here).
func TestSecretTaskRefused(t *testing.T) {
	t.Parallel()
	r := &Runner{}
	_, err := r.RunStep(t.Context(), engine.Task{Request: step.Request{ExecutionID: "e", StepName: "s"}, Secret: true}, engine.Observer{})
	if err == nil || !step.IsPermanent(err) {
		t.Fatalf("RunStep of a secret task: %v, want a permanent error", err)
	}
	if _, err := encodeTask(engine.Task{Secret: true}); err == nil {
		t.Error("encodeTask of a secret task succeeded")
	}
}
