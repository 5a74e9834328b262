package transformjob

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFilter(t *testing.T) {
	t.Parallel()
	rec := []string{"a", "b", "c", "d"}
	cases := []struct {
		expr string
		want []string
	}{
		{"$", rec}, {"", rec}, {"$[1:]", rec[1:]}, {"$[:2]", rec[:2]}, {"$[1:-1]", rec[1:3]},
		{"$[0,-1]", []string{"a", "d"}}, {"$[2]", []string{"c"}}, {"$[-9:]", rec},
		// Slices are clamped as in Python, never out of range.
		{"$[:-9]", []string{}}, {"$[9:]", []string{}}, {"$[-9:-8]", []string{}}, {"$[3:1]", []string{}},
	}
	for _, c := range cases {
		f, err := parseFilter(c.expr)
		if err != nil {
			t.Fatalf("%q: %v", c.expr, err)
		}
		got, err := f.apply(rec)
		if err != nil {
			t.Fatalf("%q: %v", c.expr, err)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", c.expr, diff)
		}
	}
	f, _ := parseFilter("$[7]")
	if _, err := f.apply(rec); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("out of range: %v", err)
	}
	for _, bad := range []string{"$.features", "$[a]", "$[1:x]", "[1]"} {
		if _, err := parseFilter(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzFilter(f *testing.F) {
	for _, s := range []string{"$", "$[1:]", "$[0,-1]", "$[-3:-1]", "$[", "$[:]", "$[:-5]", "$[7:]"} {
		f.Add(s, "a,b,c")
	}
	f.Fuzz(func(t *testing.T, expr, rec string) {
		flt, err := parseFilter(expr)
		if err != nil {
			return
		}
		_, _ = flt.apply(strings.Split(rec, ","))
	})
}
