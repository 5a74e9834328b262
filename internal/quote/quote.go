// Package quote quotes an offending value for an error message, cut to
// at most Max bytes, so a 50 MB CSV field or JSON string never ends up
// whole in an error, a log line or an HTTP response. Every message that
// quotes a value from user data (CSV cells, JSON values, parameters,
// payload fields) goes through Value.
package quote

import (
	"strconv"
	"unicode/utf8"
)

// Max is the most bytes of a value that Value quotes.
const Max = 100

// Value returns s as a Go-quoted string (as %q prints it). When s is
// longer than Max bytes it quotes the first Max bytes (cut at a rune
// boundary), followed by "..." and the full length: "abc..."... (52428800 bytes).
func Value(s string) string {
	if len(s) <= Max {
		return strconv.Quote(s)
	}
	cut := Max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "... (" + strconv.Itoa(len(s)) + " bytes)"
}
