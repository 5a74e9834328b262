package temporal_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	ftemporal "github.com/ferryml/ferry/internal/temporal"
)

func TestParseInstanceQueues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    ftemporal.InstanceQueues
		wantErr string
	}{
		{in: "", want: nil},
		{in: "ml.p3.*=gpu", want: ftemporal.InstanceQueues{{Pattern: "ml.p3.*", Queue: "gpu"}}},
		{in: " ml.p3.*=gpu , ml.g5.*=gpu,*=cpu ", want: ftemporal.InstanceQueues{{"ml.p3.*", "gpu"}, {"ml.g5.*", "gpu"}, {"*", "cpu"}}},
		{in: "ml.p3.*", wantErr: `rule 1 "ml.p3.*": want PATTERN=QUEUE`},
		{in: "a=b,=gpu", wantErr: `rule 2 "=gpu": want PATTERN=QUEUE`},
		{in: "ml.[=gpu", wantErr: `rule 1 "ml.[=gpu": bad pattern`},
		{in: "ml.*=g*", wantErr: `bad queue name "g*"`},
	} {
		got, err := ftemporal.ParseInstanceQueues(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestInstanceQueue(t *testing.T) {
	t.Parallel()
	m, err := ftemporal.ParseInstanceQueues("ml.p3.*=gpu,ml.g5.*=gpu,ml.m5.xlarge=big")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"training gpu", map[string]any{"ResourceConfig": map[string]any{"InstanceType": "ml.p3.2xlarge", "InstanceCount": int64(1)}}, "gpu"},
		{"processing", map[string]any{"ProcessingResources": map[string]any{"ClusterConfig": map[string]any{"InstanceType": "ml.g5.xlarge"}}}, "gpu"},
		{"transform exact", map[string]any{"TransformResources": map[string]any{"InstanceType": "ml.m5.xlarge"}}, "big"},
		{"no match: default", map[string]any{"ResourceConfig": map[string]any{"InstanceType": "ml.m5.large"}}, ""},
		{"no instance type", map[string]any{"HyperParameters": map[string]any{}}, ""},
		{"wrong shape", map[string]any{"ResourceConfig": "ml.p3.2xlarge"}, ""},
		{"not a string", map[string]any{"ResourceConfig": map[string]any{"InstanceType": int64(3)}}, ""},
	} {
		if got := m.Queue(ftemporal.InstanceType(tc.args)); got != tc.want {
			t.Errorf("%s: queue %q, want %q", tc.name, got, tc.want)
		}
	}
}

func FuzzParseInstanceQueues(f *testing.F) {
	for _, s := range []string{"", "ml.p3.*=gpu", "a=b,c=d", "[=x", "=", ",,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ftemporal.ParseInstanceQueues(s)
		if err != nil {
			return
		}
		for _, r := range m {
			if r.Pattern == "" || r.Queue == "" {
				t.Fatalf("%q: empty rule %+v", s, r)
			}
			m.Queue(r.Pattern)
		}
	})
}
