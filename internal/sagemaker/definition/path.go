package definition

import (
	"fmt"
	"strconv"
	"strings"
)

// elem is one step of a property path: a field or ['key'] (key) or [i].
type elem struct {
	key     string
	index   int
	isIndex bool
	// bracket is set for ['key'] (as opposed to .key).
	bracket bool
}

// parsePath reads a property path such as
// ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri or a JsonGet
// path such as a.b[0].c. Keys in brackets are quoted with ' or ".
func parsePath(s string) ([]elem, error) {
	var out []elem
	i := 0
	expectField := true
	for i < len(s) {
		switch c := s[i]; {
		case c == '.':
			if expectField {
				return nil, fmt.Errorf("empty field name at character %d", i+1)
			}
			i++
			expectField = true
			if i == len(s) {
				return nil, fmt.Errorf("path ends with \".\"")
			}
		case c == '[':
			if expectField && len(out) == 0 && i == 0 {
				// A path may start with [0] (JsonGet into a list).
			} else if expectField && len(out) > 0 {
				return nil, fmt.Errorf("\"[\" after \".\" at character %d", i+1)
			}
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unclosed \"[\" at character %d", i+1)
			}
			inner := s[i+1 : i+j]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') {
				// The key may hold ']': find the closing quote first.
				q := inner[0]
				end := strings.IndexByte(s[i+2:], q)
				if end < 0 || i+2+end+1 >= len(s) || s[i+2+end+1] != ']' {
					return nil, fmt.Errorf("bad quoted key at character %d", i+1)
				}
				out = append(out, elem{key: s[i+2 : i+2+end], bracket: true})
				i = i + 2 + end + 2
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 || inner == "" || inner[0] == '+' {
					return nil, fmt.Errorf("bad index [%s] at character %d: want a number or a quoted key", inner, i+1)
				}
				out = append(out, elem{index: n, isIndex: true})
				i += j + 1
			}
			expectField = false
		default:
			if !expectField {
				return nil, fmt.Errorf("unexpected %q at character %d", c, i+1)
			}
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			out = append(out, elem{key: s[i:j]})
			i = j
			expectField = false
		}
	}
	if expectField && len(out) > 0 {
		return nil, fmt.Errorf("path ends with \".\"")
	}
	return out, nil
}

// renderPath writes elems in Ferry's expression syntax (.key, ['key'],
// [i]), each starting with its separator.
func renderPath(elems []elem) string {
	var b strings.Builder
	for _, e := range elems {
		switch {
		case e.isIndex:
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		case isPlain(e.key):
			b.WriteString("." + e.key)
		default:
			b.WriteString("[" + quote(e.key) + "]")
		}
	}
	return b.String()
}

// showPath writes elems as SageMaker writes them, for messages.
func showPath(elems []elem) string {
	var b strings.Builder
	for i, e := range elems {
		switch {
		case e.isIndex:
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		case e.bracket:
			b.WriteString("['" + e.key + "']")
		default:
			if i > 0 {
				b.WriteString(".")
			}
			b.WriteString(e.key)
		}
	}
	return b.String()
}

// isPlain reports whether s can follow a "." in a Ferry reference.
func isPlain(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// quote writes s as a string literal of Ferry's expression language.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, c := range s {
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// literal writes a JSON scalar as an expression literal.
func literal(n *node) (string, bool) {
	switch n.kind {
	case kindNull:
		return "null", true
	case kindBool:
		return strconv.FormatBool(n.b), true
	case kindString:
		return quote(n.str), true
	case kindNumber:
		switch v := n.num.(type) {
		case int64:
			return strconv.FormatInt(v, 10), true
		case float64:
			s := strconv.FormatFloat(v, 'g', -1, 64)
			if !strings.ContainsAny(s, ".eE") {
				s += ".0"
			}
			return s, true
		}
	}
	return "", false
}
