package tuning

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScraper(t *testing.T) {
	t.Parallel()
	s, err := NewScraper([]MetricDefinition{
		{Name: "validation:auc", Regex: `\[\d+\].*validation-auc:([0-9.]+)`},
		{Name: "train:loss", Regex: `loss=(\S+)`},
	})
	if err != nil {
		t.Fatal(err)
	}
	log := "[0]\ttrain-auc:0.8\tvalidation-auc:0.71\n" +
		"epoch 1 loss=0.5\n" +
		"[1]\ttrain-auc:0.9\tvalidation-auc:0.75\n" +
		"loss=nan?\n" + // not a number: ignored
		"nothing here\n"
	var reports int
	for _, line := range strings.Split(log, "\n") {
		if s.Feed(line) != nil {
			reports++
		}
	}
	want := map[string][]float64{"validation:auc": {0.71, 0.75}, "train:loss": {0.5}}
	if diff := cmp.Diff(want, s.History); diff != "" || reports != 3 {
		t.Errorf("history (-want +got):\n%s; %d reporting lines, want 3", diff, reports)
	}
}

func TestScraperErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		defs []MetricDefinition
		want string
	}{
		{[]MetricDefinition{{Name: "a", Regex: "("}}, "metric_definitions[0] (a)"},
		{[]MetricDefinition{{Name: "a", Regex: "x"}, {Name: "b", Regex: "auc"}}, "metric_definitions[0] (a): the regex needs a capture group"},
		{[]MetricDefinition{{Regex: "(x)"}}, "metric_definitions[0]: a metric needs a name"},
	} {
		if _, err := NewScraper(tc.defs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.defs, err, tc.want)
		}
	}
}

func FuzzScraper(f *testing.F) {
	f.Add(`auc:([0-9.]+)`, "[3] auc:0.93")
	f.Add(`(\d+)`, "")
	f.Fuzz(func(t *testing.T, re, line string) {
		s, err := NewScraper([]MetricDefinition{{Name: "m", Regex: re}})
		if err != nil {
			return
		}
		s.Feed(line)
	})
}
