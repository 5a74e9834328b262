package imagemap_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	m, err := imagemap.New([]imagemap.Rule{
		{Pattern: "*sagemaker-xgboost:1.3-1*", Command: []string{"/opt/xgb13/bin/python3"}},
		{Pattern: "123456789012.dkr.ecr.*/my-team/*", Command: []string{"/usr/bin/python3", "-X", "utf8"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, image string
		want        []string
		source      string
	}{
		{"ConfigFirst", "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1", []string{"/opt/xgb13/bin/python3"}, "config"},
		{"DefaultXGBoost", "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", []string{"python3"}, "default"},
		{"DefaultSKLearn", "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:0.23-1-cpu-py3", []string{"python3"}, "default"},
		{"DefaultPyTorch", "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1-cpu-py310", []string{"python3"}, "default"},
		{"SlashInStar", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-team/eval:latest", []string{"/usr/bin/python3", "-X", "utf8"}, "config"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rt, err := m.Lookup(c.image)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, rt.Command); diff != "" || rt.Source != c.source {
				t.Errorf("command (-want +got):\n%s source %s want %s", diff, rt.Source, c.source)
			}
		})
	}
}

func TestUnmappedSaysHowToMap(t *testing.T) {
	t.Parallel()
	_, err := (&imagemap.Map{}).Lookup("123456789012.dkr.ecr.us-east-1.amazonaws.com/custom-eval:3")
	var ue *imagemap.UnmappedError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want *UnmappedError", err)
	}
	for _, want := range []string{"ferry.yaml", "--runtime '*custom-eval*=/usr/bin/python3'", "custom-eval:3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestBadRules(t *testing.T) {
	t.Parallel()
	_, err := imagemap.New([]imagemap.Rule{{Pattern: "[", Command: []string{"x"}}, {Pattern: "*a*"}})
	if err == nil || !strings.Contains(err.Error(), "runtimes[0]") || !strings.Contains(err.Error(), "runtimes[1] (*a*): command is empty") {
		t.Errorf("got %v", err)
	}
	if _, err := imagemap.ParseFlag("nopattern"); err == nil {
		t.Error("ParseFlag accepted a value without =")
	}
	r, err := imagemap.ParseFlag("*x*=/bin/py -u")
	if err != nil || r.Pattern != "*x*" || len(r.Command) != 2 {
		t.Errorf("ParseFlag: %+v %v", r, err)
	}
}
