package jsonget

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
)

// objects imports one fixed object.
type objects struct{ ref artifact.Ref }

func (o objects) Import(_ context.Context, uri string) (artifact.Ref, error) {
	if uri != "s3://b/run/summary.json" {
		return "", &notFound{uri}
	}
	return o.ref, nil
}

type notFound struct{ uri string }

func (e *notFound) Error() string { return "no object " + e.uri }

func TestRun(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	ref := b.PutFiles(t, map[string]string{"summary.json": `{"summary": {"ok": true, "scores": [0.5, 0.75]}}`})
	k := New(objects{ref})
	for _, tc := range []struct {
		name, uri, path string
		want            any
		err             string
	}{
		{"artifact file", string(ref) + "/summary.json", "summary.ok", true, ""},
		{"artifact dir", string(ref), "summary.scores[1]", 0.75, ""},
		{"s3", "s3://b/run/summary.json", "summary['scores'][0]", 0.5, ""},
		{"missing field", string(ref), "summary.nope", nil, `has no field "nope"`},
		{"missing object", "s3://b/other.json", "a", nil, "no object s3://b/other.json"},
		{"escape", string(ref) + "/../x.json", "a", nil, "leaves the artifact"},
		{"not a uri", "/etc/passwd", "a", nil, "want an s3:// URI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := b.Run(t, k, step.Request{StepName: "g", Attempt: 1, Args: map[string]any{"S3Uri": tc.uri, "Path": tc.path}})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Properties["Value"]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := New(nil).Run(t.Context(), b.Env(t), step.Request{Args: map[string]any{"S3Uri": "s3://b/x.json", "Path": "a"}}); err == nil || !strings.Contains(err.Error(), "object namespace") {
		t.Errorf("s3 without a namespace: %v", err)
	}
}
