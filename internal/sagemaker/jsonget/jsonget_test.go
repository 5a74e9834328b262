package jsonget_test

import (
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/sagemaker/jsonget"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
)

func TestJsonGet(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	ref := b.PutFiles(t, map[string]string{"evaluation.json": `{"classification_metrics": {"roc_auc": {"value": 0.81}}, "l": [1, {"x": "y"}]}`})
	k := &jsonget.Kind{R: &job.Runner{}}
	cases := []struct {
		uri, path string
		want      any
		err       string
	}{
		{string(ref), "classification_metrics.roc_auc.value", 0.81, ""},
		{string(ref) + "/evaluation.json", "l[1].x", "y", ""},
		{string(ref), "classification_metrics['roc_auc'].value", 0.81, ""},
		{string(ref), "l[5]", nil, "index 5 out of range"},
		{string(ref), "classification_metrics.auc", nil, `no key "auc"`},
		{string(ref) + "/nope.json", "a", nil, "no nope.json"},
	}
	for _, c := range cases {
		res, err := b.Run(t, k, step.Request{Args: map[string]any{"S3Uri": c.uri, "Path": c.path}})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %s: got %v, want %q", c.uri, c.path, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if res.Properties["Value"] != c.want {
			t.Errorf("%s: got %v, want %v", c.path, res.Properties["Value"], c.want)
		}
	}
	if errs := k.ValidateArgs(map[string]any{"Path": "a..b"}); len(errs) != 1 {
		t.Errorf("ValidateArgs: %v", errs)
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"a.b[0].c", "[0]", "a[1][2]", "a.", "a[x]", "a[", ".a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := jsonget.ParsePath(s)
		if err != nil {
			return
		}
		_, _ = jsonget.Get(map[string]any{"a": []any{1.0}}, p)
	})
}
