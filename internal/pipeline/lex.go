package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokNumber
	tokString
	tokPunct // ( ) [ ] , .
	tokOp    // == != < <= > >= ! && ||
)

type token struct {
	kind tokKind
	off  int
	text string
	val  any // number (int64 or float64) or string value
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokString:
		return "string " + strconv.Quote(t.val.(string))
	}
	return strconv.Quote(t.text)
}

// lexer splits an expression into tokens. Identifiers may contain hyphens
// (step names do); the language has no arithmetic, so there is no minus
// operator to confuse them with.
type lexer struct {
	src string
	pos int
}

func isIdentStart(c rune) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isSegmentChar(c rune) bool {
	return isIdentStart(c) || '0' <= c && c <= '9' || c == '-'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (l *lexer) errf(off int, format string, args ...any) *ExprError {
	return &ExprError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) next() (token, *ExprError) {
	for l.pos < len(l.src) && strings.IndexByte(" \t\r\n", l.src[l.pos]) >= 0 {
		l.pos++
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tokEOF, off: start}, nil
	}
	c := l.src[l.pos]
	switch {
	case c == '\'' || c == '"':
		return l.lexString()
	case isDigit(c) || c == '-' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]):
		return l.lexNumber()
	case isIdentStart(rune(c)):
		for l.pos < len(l.src) && isSegmentChar(rune(l.src[l.pos])) {
			l.pos++
		}
		return token{kind: tokIdent, off: start, text: l.src[start:l.pos]}, nil
	case strings.IndexByte("()[],.", c) >= 0:
		l.pos++
		return token{kind: tokPunct, off: start, text: string(c)}, nil
	}
	for _, op := range []string{"==", "!=", "<=", ">=", "&&", "||", "<", ">", "!"} {
		if strings.HasPrefix(l.src[l.pos:], op) {
			l.pos += len(op)
			return token{kind: tokOp, off: start, text: op}, nil
		}
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	if c == '=' {
		return token{}, l.errf(start, "unexpected \"=\"; use == to compare")
	}
	return token{}, l.errf(start, "unexpected character %q", r)
}

// segment reads a name right after a "." (no spaces): letters, digits,
// "_" and "-".
func (l *lexer) segment() (string, int, *ExprError) {
	start := l.pos
	for l.pos < len(l.src) && isSegmentChar(rune(l.src[l.pos])) {
		l.pos++
	}
	return l.src[start:l.pos], start, nil
}

func (l *lexer) lexNumber() (token, *ExprError) {
	start := l.pos
	if l.src[l.pos] == '-' {
		l.pos++
	}
	float := false
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	if l.pos+1 < len(l.src) && l.src[l.pos] == '.' && isDigit(l.src[l.pos+1]) {
		float = true
		l.pos++
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
	}
	if l.pos < len(l.src) && (l.src[l.pos] == 'e' || l.src[l.pos] == 'E') {
		save := l.pos
		l.pos++
		if l.pos < len(l.src) && (l.src[l.pos] == '+' || l.src[l.pos] == '-') {
			l.pos++
		}
		if l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			float = true
			for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
				l.pos++
			}
		} else {
			l.pos = save
		}
	}
	if l.pos < len(l.src) && isSegmentChar(rune(l.src[l.pos])) {
		return token{}, l.errf(start, "malformed number %q", l.src[start:l.pos+1])
	}
	text := l.src[start:l.pos]
	if float {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return token{}, l.errf(start, "number %s out of range", text)
		}
		return token{kind: tokNumber, off: start, text: text, val: f}, nil
	}
	i, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return token{}, l.errf(start, "integer %s out of range", text)
	}
	return token{kind: tokNumber, off: start, text: text, val: i}, nil
}

func (l *lexer) lexString() (token, *ExprError) {
	start := l.pos
	quote := l.src[l.pos]
	l.pos++
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case quote:
			l.pos++
			return token{kind: tokString, off: start, text: l.src[start:l.pos], val: b.String()}, nil
		case '\\':
			if l.pos+1 >= len(l.src) {
				return token{}, l.errf(l.pos, "unterminated escape in string")
			}
			e := l.src[l.pos+1]
			switch e {
			case '\\', '\'', '"':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				return token{}, l.errf(l.pos, "unknown escape \\%c in string (known: \\\\ \\' \\\" \\n \\t)", e)
			}
			l.pos += 2
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return token{}, l.errf(start, "unterminated string")
}
