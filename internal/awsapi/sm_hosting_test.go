package awsapi

import (
	"context"
	"testing"

	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
)

// TestModelArtifacts: DescribeTrainingJob's ModelArtifacts come from the
// training step's nested property (as the SageMaker job kinds store it).
func TestModelArtifacts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		props map[string]any
		want  string
	}{
		{"nested", map[string]any{"ModelArtifacts": map[string]any{"S3ModelArtifacts": "s3://b/out/model.tar.gz"}}, "s3://b/out/model.tar.gz"},
		{"dotted", map[string]any{"ModelArtifacts.S3ModelArtifacts": "s3://b/m.tar.gz"}, "s3://b/m.tar.gz"},
		{"none", map[string]any{"model": "sha256:00"}, ""},
		{"wrong type", map[string]any{"ModelArtifacts": "x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := modelArtifacts(tt.props); got != tt.want {
				t.Errorf("modelArtifacts = %q, want %q", got, tt.want)
			}
		})
	}
}

// servedInvoker serves config version v of every endpoint (none when v
// is 0).
type servedInvoker struct{ v int }

func (servedInvoker) Invoke(context.Context, string, serving.Request) (serving.Response, error) {
	return serving.Response{}, nil
}

func (s servedInvoker) ServedConfig(string) (int, bool) { return s.v, s.v > 0 }

// TestServingStatus: an endpoint the registry has InService is reported
// InService only once the serving layer serves its current config.
func TestServingStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inv    Invoker
		status registry.EndpointStatus
		config int
		want   string
	}{
		{"loaded", servedInvoker{3}, registry.EndpointInService, 3, "InService"},
		{"not loaded yet", servedInvoker{0}, registry.EndpointInService, 1, "Creating"},
		{"older config serving", servedInvoker{2}, registry.EndpointInService, 3, "Updating"},
		{"failed stays failed", servedInvoker{0}, registry.EndpointFailed, 1, "Failed"},
		{"no serving layer", constInvoker{}, registry.EndpointInService, 1, "InService"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := New(Config{Invoker: tt.inv})
			if err != nil {
				t.Fatal(err)
			}
			if got := h.servingStatus(registry.Endpoint{Name: "e", Status: tt.status, ConfigVersion: tt.config}); got != tt.want {
				t.Errorf("status %q, want %q", got, tt.want)
			}
		})
	}
}
