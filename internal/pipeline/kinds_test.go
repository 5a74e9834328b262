package pipeline_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ferryml/ferry/internal/step"
)

// fakeKind is a step kind with a realistic Spec and an optional argument
// check; it never runs.
type fakeKind struct {
	spec     step.Spec
	validate func(args map[string]any) []error
}

func (k *fakeKind) Spec() step.Spec { return k.spec }

func (k *fakeKind) Run(context.Context, step.Env, step.Request) (step.Result, error) {
	return step.Result{}, fmt.Errorf("fake kind %s does not run", k.spec.Kind)
}

// validatingKind adds step.Validator to fakeKind.
type validatingKind struct{ fakeKind }

func (k *validatingKind) ValidateArgs(args map[string]any) []error { return k.validate(args) }

// processingKind adds pipeline.OutputNamer: without an outputs list, a
// step has its processor's outputs.
type processingKind struct{ validatingKind }

func (k *processingKind) OutputNames(args map[string]any) ([]string, bool) {
	switch args["processor"] {
	case "tabular_prepare":
		return []string{"train", "validation", "test", "schema"}, true
	case "evaluate":
		return []string{"evaluation"}, true
	}
	return nil, false
}

func ptr(f float64) *float64 { return &f }

// testKinds returns a registry shaped like Ferry's built-in kinds.
func testKinds(tb testing.TB) *step.Registry {
	tb.Helper()
	return exampleKinds()
}

// exampleKinds builds the registry of testKinds; examples have no
// testing.TB.
func exampleKinds() *step.Registry {
	r := step.NewRegistry()
	processing := &processingKind{validatingKind{fakeKind{spec: step.Spec{
		Kind:    "processing",
		Version: "1",
		Args: []step.Field{
			{Name: "processor", Type: step.String, Required: true, Enum: []string{"tabular_prepare", "evaluate", "clarify"}},
			{Name: "inputs", Type: step.ArtifactMap},
			{Name: "config", Type: step.Object},
			{Name: "outputs", Type: step.StringList},
		},
		DynamicOutputs: true,
		Properties:     []step.Field{{Name: "rows", Type: step.Integer}},
	}}}}
	processing.validate = func(args map[string]any) []error {
		var errs []error
		cfg, _ := args["config"].(map[string]any)
		split, _ := cfg["split"].(map[string]any)
		if f, ok := split["train"].(float64); ok && (f <= 0 || f >= 1) {
			errs = append(errs, &step.FieldError{Field: "config.split.train", Msg: fmt.Sprintf("split fraction %g must be between 0 and 1", f)})
		}
		if l, ok := args["outputs"].([]any); ok {
			for i, v := range l {
				if v == "" {
					errs = append(errs, &step.FieldError{Field: fmt.Sprintf("outputs.%d", i), Msg: "output name is empty"})
				}
			}
		}
		return errs
	}
	training := &validatingKind{fakeKind{spec: step.Spec{
		Kind:    "training",
		Version: "1",
		Args: []step.Field{
			{Name: "algorithm", Type: step.String, Required: true, Enum: []string{"xgboost", "random_forest", "linear_learner"}},
			{Name: "inputs", Type: step.ArtifactMap, Required: true},
			{Name: "hyperparameters", Type: step.Object},
			{Name: "num_round", Type: step.Integer, Min: ptr(1), Max: ptr(10000)},
			{Name: "eta", Type: step.Float, Min: ptr(0), Max: ptr(1)},
			{Name: "early_stopping", Type: step.Boolean},
		},
		Outputs: []step.Field{{Name: "model", Type: step.Artifact}},
		Properties: []step.Field{
			{Name: "final_metrics", Type: step.Object},
			{Name: "best_iteration", Type: step.Integer},
			{Name: "training_job_name", Type: step.String},
		},
	}}}
	training.validate = func(args map[string]any) []error {
		hp, _ := args["hyperparameters"].(map[string]any)
		if d, ok := hp["max_depth"].(int64); ok && d > 20 {
			return []error{&step.FieldError{Field: "hyperparameters.max_depth", Msg: fmt.Sprintf("max_depth %d is above 20", d)}}
		}
		return nil
	}
	r.MustRegister(
		processing,
		training,
		&fakeKind{spec: step.Spec{
			Kind:    "fail",
			Version: "1",
			Args:    []step.Field{{Name: "message", Type: step.String, Required: true}},
			NoCache: true,
		}},
		&fakeKind{spec: step.Spec{
			Kind:    "command",
			Version: "1",
			Args: []step.Field{
				{Name: "command", Type: step.StringList, Required: true},
				{Name: "env", Type: step.StringMap},
				{Name: "inputs", Type: step.ArtifactMap},
				{Name: "outputs", Type: step.StringList},
			},
			DynamicOutputs:    true,
			DynamicProperties: true,
		}},
		&fakeKind{spec: step.Spec{
			Kind:    "register_model",
			Version: "1",
			Args: []step.Field{
				{Name: "model", Type: step.Artifact, Required: true},
				{Name: "model_group", Type: step.String, Required: true},
				{Name: "approval_status", Type: step.String, Enum: []string{"Approved", "PendingManualApproval", "Rejected"}},
			},
			Properties: []step.Field{{Name: "model_version", Type: step.Integer}, {Name: "model_package_arn", Type: step.String}},
			NoCache:    true,
		}},
	)
	return r
}
