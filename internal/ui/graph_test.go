package ui

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLayout(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		steps  []string
		deps   map[string][]string
		layers map[string]int
		edges  int
	}{
		{"empty", nil, nil, map[string]int{}, 0},
		{"chain", []string{"a", "b", "c"}, map[string][]string{"b": {"a"}, "c": {"b"}}, map[string]int{"a": 0, "b": 1, "c": 2}, 2},
		{"diamond", []string{"a", "b", "c", "d"}, map[string][]string{"b": {"a"}, "c": {"a"}, "d": {"b", "c"}},
			map[string]int{"a": 0, "b": 1, "c": 1, "d": 2}, 4},
		{"longest path", []string{"a", "b", "c"}, map[string][]string{"b": {"a"}, "c": {"a", "b"}}, map[string]int{"a": 0, "b": 1, "c": 2}, 3},
		{"unknown and self", []string{"a"}, map[string][]string{"a": {"a", "zz"}}, map[string]int{"a": 0}, 0},
		{"cycle ends", []string{"a", "b"}, map[string][]string{"a": {"b"}, "b": {"a"}}, nil, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := Layout(c.steps, c.deps)
			if len(g.Nodes) != len(c.steps) || len(g.Edges) != c.edges {
				t.Fatalf("%d nodes and %d edges, want %d and %d", len(g.Nodes), len(g.Edges), len(c.steps), c.edges)
			}
			if c.layers != nil {
				got := map[string]int{}
				for _, n := range g.Nodes {
					got[n.Name] = n.Layer
				}
				if d := cmp.Diff(c.layers, got); d != "" {
					t.Errorf("layers (-want +got):\n%s", d)
				}
			}
			// No two boxes overlap, and every box is inside the drawing.
			for i, a := range g.Nodes {
				if a.X < 0 || a.Y < 0 || a.X+a.W > g.Width || a.Y+a.H > g.Height {
					t.Errorf("%s at (%d,%d) is outside %dx%d", a.Name, a.X, a.Y, g.Width, g.Height)
				}
				for _, b := range g.Nodes[i+1:] {
					if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
						t.Errorf("%s and %s overlap", a.Name, b.Name)
					}
				}
			}
		})
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"short": "short", "explainability-check": "explainab…", "ééééééééééé": "ééééééééé…"} {
		if got := clip(in, 10); got != want {
			t.Errorf("clip(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzFlatten: any document flattens without panicking, to at most the
// limit, and only into named numbers.
func FuzzFlatten(f *testing.F) {
	f.Add([]byte(`{"a": {"b": [1, {"name": "x", "value": 2}]}, "c": "s"}`))
	f.Add([]byte(`[[[]]]`))
	f.Add([]byte(`3`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms := flatten(b, 20)
		if len(ms) > 20 {
			t.Fatalf("%d metrics, limit 20", len(ms))
		}
		_ = shapValues(b)
	})
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/models", "//evil.example", "/\\evil", "https://x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeNext(s)
		if len(got) == 0 || got[0] != '/' || (len(got) > 1 && (got[1] == '/' || got[1] == '\\')) {
			t.Fatalf("safeNext(%q) = %q: not a path on this site", s, got)
		}
	})
}
