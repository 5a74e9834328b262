package frame

import (
	"strings"
	"testing"
)

// CanonicalText agrees with the CSV reader followed by Column.Text.
func TestCanonicalTextMatchesReader(t *testing.T) {
	t.Parallel()
	cols := map[Type][]string{
		Int:   {"007", "+12", "-3", "0"},
		Float: {"1", "1.50", "2e0", "-0.0001", "1e16", "inf", "1.0"},
		Bool:  {"true", "FALSE", "True"},
	}
	for typ, vals := range cols {
		f, err := ReadCSV(strings.NewReader("v\n"+strings.Join(vals, "\n")+"\n"), CSVOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c := f.Columns()[0]
		if c.Type != typ {
			t.Fatalf("%v read as %v, want %v", vals, c.Type, typ)
		}
		for i, v := range vals {
			got, err := CanonicalText(typ, v)
			if err != nil || got != c.Text(i) {
				t.Errorf("CanonicalText(%v, %q) = %q, %v; reader gives %q", typ, v, got, err, c.Text(i))
			}
		}
	}
	for _, bad := range []struct {
		typ Type
		v   string
	}{{Int, "1.5"}, {Float, "x"}, {Bool, "yes"}} {
		if _, err := CanonicalText(bad.typ, bad.v); err == nil {
			t.Errorf("CanonicalText(%v, %q) accepted", bad.typ, bad.v)
		}
	}
	if got, _ := CanonicalText(String, " a "); got != " a " {
		t.Errorf("string changed to %q", got)
	}
}
