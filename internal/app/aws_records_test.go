package app_test

import (
	"errors"
	"testing"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/registry"
)

const smDefinition = `{"Version": "2020-12-01", "Metadata": {}, "Parameters": [],
  "Steps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "stop"}}]}`

func TestNamedPipelines(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	p := app.NamedPipeline{Name: "demo", Definition: smDefinition, RoleARN: "r", Description: "first"}
	if _, err := b.app.PutNamedPipeline(ctx, p, true); err != nil {
		t.Fatal(err)
	}
	if _, err := b.app.PutNamedPipeline(ctx, p, true); !errors.Is(err, app.ErrConflict) {
		t.Errorf("creating twice: %v, want ErrConflict", err)
	}
	if _, err := b.app.PutNamedPipeline(ctx, app.NamedPipeline{Name: "other", Definition: smDefinition}, false); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("updating a missing pipeline: %v, want ErrNotFound", err)
	}
	if _, err := b.app.PutNamedPipeline(ctx, app.NamedPipeline{Name: "bad", Definition: `{"Version": "2020-12-01", "Steps": [{"Name": "x", "Type": "Nope"}]}`}, true); !errors.Is(err, app.ErrInvalid) {
		t.Errorf("an invalid definition: %v, want ErrInvalid", err)
	}
	if _, err := b.app.PutNamedPipeline(ctx, app.NamedPipeline{Name: "../x", Definition: smDefinition}, true); !errors.Is(err, app.ErrInvalid) {
		t.Errorf("a name with a path: %v, want ErrInvalid", err)
	}
	if _, err := b.app.PutNamedPipeline(ctx, app.NamedPipeline{Name: "demo", Definition: smDefinition, Description: "second"}, false); err != nil {
		t.Fatal(err)
	}
	got, err := b.app.NamedPipeline(ctx, "demo")
	if err != nil || got.Description != "second" || got.RoleARN != "r" || got.CreatedAt.IsZero() {
		t.Errorf("after the update: %+v, %v (the role is kept)", got, err)
	}
	list, err := b.app.NamedPipelines(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "demo" {
		t.Errorf("list: %+v, %v", list, err)
	}
	if err := b.app.DeleteNamedPipeline(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	if err := b.app.DeleteNamedPipeline(ctx, "demo"); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("deleting twice: %v, want ErrNotFound", err)
	}
}

func TestHostingRecords(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	if _, err := b.app.CreateSageMakerModel(ctx, app.SageMakerModel{Name: "m", ModelDataURL: "s3://b/model.tar.gz"}); !errors.Is(err, app.ErrInvalid) {
		t.Errorf("a ModelDataUrl model without an object namespace: %v, want ErrInvalid", err)
	}
	if _, err := b.app.CreateSageMakerModel(ctx, app.SageMakerModel{Name: "m"}); !errors.Is(err, app.ErrInvalid) {
		t.Errorf("a model with neither a package nor a ModelDataUrl: %v, want ErrInvalid", err)
	}
	if _, err := b.app.CreateSageMakerModel(ctx, app.SageMakerModel{Name: "m", Package: "nope/1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.app.CreateSageMakerModel(ctx, app.SageMakerModel{Name: "m"}); !errors.Is(err, app.ErrConflict) {
		t.Errorf("creating a model twice: %v", err)
	}
	if _, err := b.app.CreateEndpointConfig(ctx, app.SageMakerEndpointConfig{Name: "c", Variants: []app.ConfigVariant{{Name: "v", Model: "nope"}}}); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("a config naming a missing model: %v, want ErrNotFound", err)
	}
	if _, err := b.app.CreateEndpointConfig(ctx, app.SageMakerEndpointConfig{Name: "c", Variants: []app.ConfigVariant{{Name: "v", Model: "m"}, {Name: "v", Model: "m"}}}); !errors.Is(err, app.ErrInvalid) {
		t.Errorf("a variant twice: %v, want ErrInvalid", err)
	}
	if _, err := b.app.CreateEndpointConfig(ctx, app.SageMakerEndpointConfig{Name: "c", Variants: []app.ConfigVariant{{Name: "v", Model: "m", Weight: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := b.app.DeployEndpointConfig(ctx, "e", "c", true); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("deploying a model of a missing package: %v, want registry.ErrNotFound", err)
	}
	if err := b.app.DeployEndpointConfig(ctx, "e", "c", false); err == nil {
		t.Error("updating a missing endpoint succeeded")
	}
	if _, err := b.app.CreateGroup(ctx, "g1", "d"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.app.CreateGroup(ctx, "g1", "d"); !errors.Is(err, app.ErrConflict) {
		t.Errorf("creating a group twice: %v", err)
	}
	if err := b.app.DeleteEndpointConfig(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if err := b.app.DeleteSageMakerModel(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.app.SageMakerModel(ctx, "m"); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("a deleted model: %v", err)
	}
}
