package processing_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/prepare"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/processing"
	"github.com/ferryml/ferry/internal/step/steptest"
)

// echo copies the text of its "in" input's file into output "out" and
// reports the config's "prop".
type echo struct{ seen *processing.Job }

func (echo) Name() string    { return "echo" }
func (echo) Version() string { return "7" }
func (echo) Inputs() []step.Field {
	return []step.Field{{Name: "in", Type: step.Artifact, Required: true}}
}
func (echo) Outputs() []step.Field {
	return []step.Field{{Name: "out", Type: step.Artifact}, {Name: "extra", Type: step.Artifact}}
}
func (echo) ValidateConfig(c map[string]any) []error {
	if _, ok := c["bad"]; ok {
		return []error{&step.FieldError{Field: "bad", Msg: "not allowed"}, errors.New("plain")}
	}
	return nil
}

func (e echo) Process(_ context.Context, job processing.Job) (map[string]any, error) {
	*e.seen = job
	b, err := os.ReadFile(filepath.Join(job.Inputs["in"], "x.txt"))
	if err != nil {
		return nil, err
	}
	if dir, ok := job.OutputDirs["out"]; ok {
		if err := os.WriteFile(filepath.Join(dir, "y.txt"), b, 0o644); err != nil {
			return nil, err
		}
	}
	return map[string]any{"prop": job.Config["prop"]}, nil
}

func TestRun(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	src := filepath.Join(artifacttest.TempDir(t), "x.txt")
	if err := os.WriteFile(src, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := b.PutFile(t, src, "x.txt")
	// Without a logger in the environment, the kind gives the processor
	// one of its own.
	env := b.Env(t)
	env.Logger = nil
	var seen processing.Job
	k := processing.New(echo{&seen})
	res, err := k.Run(t.Context(), env, step.Request{Args: map[string]any{
		"processor": "echo",
		"inputs":    map[string]any{"in": in},
		"config":    map[string]any{"prop": "v"},
		"outputs":   []any{"out"},
	}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff(map[string]any{"prop": "v"}, res.Properties); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	if len(res.Outputs) != 1 {
		t.Fatalf("outputs = %v, want just out", res.Outputs)
	}
	dir := b.Path(t, res.Outputs["out"])
	if got, _ := os.ReadFile(filepath.Join(dir, "y.txt")); string(got) != "hello" {
		t.Errorf("output holds %q, want hello", got)
	}
	if seen.Logger == nil {
		t.Error("processor got a nil logger")
	}

	// Without an outputs argument, every declared output is stored.
	res, err = k.Run(t.Context(), env, step.Request{Args: map[string]any{"processor": "echo", "inputs": map[string]any{"in": in}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 2 {
		t.Errorf("default outputs = %v, want out and extra", res.Outputs)
	}
	if names, ok := k.OutputNames(map[string]any{"processor": "echo"}); !ok || !cmp.Equal(names, []string{"out", "extra"}) {
		t.Errorf("OutputNames = %v, %v", names, ok)
	}
	if _, ok := k.OutputNames(map[string]any{"processor": "${{ params.p }}"}); ok {
		t.Error("OutputNames of an unknown processor: ok")
	}
	if got := k.Spec().Version; got != "1,echo=7" {
		t.Errorf("Version = %q", got)
	}
}

func TestValidateArgs(t *testing.T) {
	t.Parallel()
	k := processing.New(echo{new(processing.Job)}, prepare.New())
	tests := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"OK", map[string]any{"processor": "echo", "inputs": map[string]any{"in": "x"}}, nil},
		{"NoProcessorLeftToSpec", map[string]any{}, nil},
		{"UnknownProcessorLeftToSpec", map[string]any{"processor": "sql"}, nil},
		{"ConfigRef", map[string]any{"processor": "tabular_prepare", "config": &step.RefPlaceholder{Expr: "params.c"}}, nil},
		{"UnknownOutput", map[string]any{"processor": "echo", "inputs": map[string]any{"in": "x"}, "outputs": []any{"out", "nope"}}, []string{`outputs[1]: processor echo has no output "nope" (it has out, extra)`}},
		{"MissingInput", map[string]any{"processor": "echo", "inputs": map[string]any{}}, []string{"inputs.in: required by processor echo"}},
		{"NoInputs", map[string]any{"processor": "echo"}, []string{"inputs.in: required by processor echo"}},
		{"ConfigErrorsPrefixed", map[string]any{"processor": "echo", "inputs": map[string]any{"in": "x"}, "config": map[string]any{"bad": true}}, []string{"config.bad: not allowed", "config: plain"}},
		{"PrepareConfig", map[string]any{"processor": "tabular_prepare", "config": map[string]any{"split": map[string]any{"test": 2.0}}}, []string{
			"config.label: required: the label column", "config.split.test: 2 is outside [0, 1)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, err := range k.ValidateArgs(tt.args) {
				got = append(got, err.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunPrepareFraud(t *testing.T) {
	t.Parallel()
	sb := steptest.New(t)
	in := map[string]any{}
	for _, name := range []string{"claims", "customers"} {
		in[name] = sb.PutFile(t, "../../../examples/fraud-detection/data/"+name+".csv", name+".csv")
	}
	k := processing.New(prepare.New())
	res, err := sb.Run(t, k, step.Request{Args: map[string]any{
		"processor": "tabular_prepare",
		"inputs":    in,
		"config": map[string]any{
			"join":    []any{map[string]any{"left": "claims", "right": "customers", "on": []any{"policy_id"}}},
			"drop":    []any{"customer_zip", "policy_id"},
			"ordinal": map[string]any{"police_report_available": map[string]any{"Yes": 1.0, "No": 0.0}},
			"one_hot": map[string]any{"fill_missing": "na"},
			"label":   "fraud",
			"split":   map[string]any{"test": 0.1, "validation": 0.1, "seed": 42.0, "stratify": true},
		},
	}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := res.Properties["test_rows"]; got != int64(500) {
		t.Errorf("test_rows = %v, want 500", got)
	}
	if len(res.Outputs) != 5 {
		t.Errorf("outputs = %v, want 5", res.Outputs)
	}
	b, err := os.ReadFile(filepath.Join(sb.Path(t, res.Outputs["test"]), "test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Stratified: the test set keeps 3.28% positives (16 or 17 of 500).
	pos := strings.Count(string(b), "\n1,")
	if pos < 16 || pos > 17 {
		t.Errorf("stratified test set has %d positives, want 16 or 17", pos)
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	k := processing.New(prepare.New())
	_, err := b.Run(t, k, step.Request{Args: map[string]any{"processor": "nope"}})
	if err == nil || !step.IsPermanent(err) {
		t.Errorf("unknown processor: error %v, want permanent", err)
	}
	_, err = b.Run(t, k, step.Request{Args: map[string]any{
		"processor": "tabular_prepare",
		"inputs":    map[string]any{"t": artifact.Ref("sha256:" + strings.Repeat("0", 64))},
		"config":    map[string]any{"label": "y"},
	}})
	if !errors.Is(err, artifact.ErrNotFound) {
		t.Errorf("missing input artifact: error %v, want ErrNotFound", err)
	}
}
