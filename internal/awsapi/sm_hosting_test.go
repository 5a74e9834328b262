package awsapi

import "testing"

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
