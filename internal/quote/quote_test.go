package quote_test

import (
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/quote"
)

func TestValue(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 50<<20)
	tests := []struct {
		name, in, want string
	}{
		{"Short", "abc", `"abc"`},
		{"Empty", "", `""`},
		{"Escapes", "a\"b\n", `"a\"b\n"`},
		{"ExactlyMax", strings.Repeat("y", quote.Max), `"` + strings.Repeat("y", quote.Max) + `"`},
		{"Long", long, `"` + strings.Repeat("x", quote.Max) + `"... (52428800 bytes)`},
		// A 2-byte rune straddling the cut is left out whole.
		{"RuneBoundary", strings.Repeat("a", quote.Max-1) + "é" + "zz", `"` + strings.Repeat("a", quote.Max-1) + `"... (103 bytes)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := quote.Value(tc.in); got != tc.want {
				t.Errorf("Value(%d bytes) = %.200s, want %.200s", len(tc.in), got, tc.want)
			}
		})
	}
}

func FuzzValue(f *testing.F) {
	f.Add("abc")
	f.Add(strings.Repeat("é", 80))
	f.Fuzz(func(t *testing.T, s string) {
		got := quote.Value(s)
		// The quoted prefix never exceeds Max bytes of input; escapes can
		// at most quadruple a byte (\xff), plus quotes and the length note.
		if len(got) > 4*quote.Max+40 {
			t.Fatalf("Value(%d bytes) is %d bytes long", len(s), len(got))
		}
	})
}
