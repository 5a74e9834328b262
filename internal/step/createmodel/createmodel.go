// Package createmodel is the "create_model" step kind: it records a named,
// deployable model from a model artifact (SageMaker's CreateModelStep).
package createmodel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/step"
)

// ID is the kind's stable ID.
const ID = "create_model"

// Kind is the create_model step kind.
type Kind struct {
	reg *registry.Registry
}

var _ step.Kind = (*Kind)(nil)

// New returns the kind, recording models in reg.
func New(reg *registry.Registry) *Kind { return &Kind{reg: reg} }

// Spec implements step.Kind.
func (k *Kind) Spec() step.Spec {
	return step.Spec{
		Kind:        ID,
		Description: "Records a named, deployable model from a model artifact (a directory with ferry-model.json and its model file).",
		Version:     "1",
		Args: []step.Field{
			{Name: "model", Type: step.Artifact, Required: true, Description: "The model artifact, usually ${{ steps.train.outputs.model }}."},
			{Name: "model_name", Type: step.String, Required: true, Description: "The model's name; re-creating a name replaces it."},
		},
		Properties: []step.Field{
			{Name: "model_name", Type: step.String, Description: "The recorded model's name."},
		},
	}
}

type args struct {
	Model     artifact.Ref `json:"model"`
	ModelName string       `json:"model_name"`
}

// Run implements step.Kind.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	a, err := step.Decode[args](req.Args)
	if err != nil {
		return step.Result{}, err
	}
	if err := registry.ValidateName("model", a.ModelName); err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("model_name: %w", err))
	}
	if err := CheckModelArtifact(ctx, env.Store, a.Model); err != nil {
		return step.Result{}, err
	}
	m, err := k.reg.CreateModel(ctx, a.ModelName, a.Model)
	if err != nil {
		return step.Result{}, err
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "model %s -> %s\n", m.Name, m.Artifact)
	}
	return step.Result{Properties: map[string]any{"model_name": m.Name}}, nil
}

// CheckModelArtifact verifies that ref is stored and holds a model
// manifest; a missing manifest is a permanent failure.
func CheckModelArtifact(ctx context.Context, store artifact.Store, ref artifact.Ref) error {
	if err := ref.Validate(); err != nil {
		return step.Permanent(fmt.Errorf("model: %w", err))
	}
	dir, err := store.Path(ctx, ref)
	if err != nil {
		if errors.Is(err, artifact.ErrNotFound) {
			return step.Permanent(fmt.Errorf("model %s: %w", ref.Short(), err))
		}
		return fmt.Errorf("model %s: %w", ref.Short(), err)
	}
	if _, err := os.Stat(filepath.Join(dir, model.ManifestFile)); err != nil {
		return step.Permanent(fmt.Errorf("model %s is not a model directory: no %s", ref.Short(), model.ManifestFile))
	}
	return nil
}
