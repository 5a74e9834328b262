package definition

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ferryml/ferry/internal/pipeline"
)

// nodeKind is the kind of a JSON value.
type nodeKind int

const (
	kindNull nodeKind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// node is a JSON value with where it starts in the file.
type node struct {
	kind nodeKind
	pos  pipeline.Pos
	b    bool
	num  any // int64 or float64
	str  string
	// Objects keep their keys in file order, with where each key starts.
	keys   []string
	keyPos []pipeline.Pos
	vals   []*node
	elems  []*node
}

// get returns an object member, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kindObject {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// describe names a value's kind for messages.
func (n *node) describe() string {
	if n == nil {
		return "nothing"
	}
	switch n.kind {
	case kindNull:
		return "null"
	case kindBool:
		return "a boolean"
	case kindNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindArray:
		return "a list"
	}
	return "an object"
}

// plain converts the value to Go values (string, int64, float64, bool,
// nil, []any, map[string]any) without interpreting expressions.
func (n *node) plain() any {
	switch n.kind {
	case kindBool:
		return n.b
	case kindNumber:
		return n.num
	case kindString:
		return n.str
	case kindArray:
		out := make([]any, len(n.elems))
		for i, e := range n.elems {
			out[i] = e.plain()
		}
		return out
	case kindObject:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			out[k] = n.vals[i].plain()
		}
		return out
	}
	return nil
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// maxValues bounds the number of values in a definition.
const maxValues = 1_000_000

// syntaxError is a located JSON syntax error.
type syntaxError struct {
	pos pipeline.Pos
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// parseJSON reads one JSON document, keeping positions. Duplicate keys
// are an error, as SageMaker rejects them.
func parseJSON(data []byte) (*node, error) {
	p := &jsonParser{data: data, line: 1, col: 1}
	p.skipSpace()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.off < len(p.data) {
		return nil, p.errf("unexpected %s after the top-level value", p.describeNext())
	}
	return n, nil
}

type jsonParser struct {
	data      []byte
	off       int
	line, col int
	values    int
}

func (p *jsonParser) pos() pipeline.Pos { return pipeline.Pos{Line: p.line, Column: p.col} }

func (p *jsonParser) errf(format string, args ...any) error {
	return &syntaxError{pos: p.pos(), msg: fmt.Sprintf(format, args...)}
}

// advance moves past n bytes on the current line (no newlines in them).
func (p *jsonParser) advance(n int) {
	for i := 0; i < n && p.off < len(p.data); i++ {
		c := p.data[p.off]
		p.off++
		// Columns count characters, not UTF-8 continuation bytes.
		if c&0xC0 != 0x80 {
			p.col++
		}
	}
}

func (p *jsonParser) skipSpace() {
	for p.off < len(p.data) {
		switch p.data[p.off] {
		case '\n':
			p.off++
			p.line++
			p.col = 1
		case ' ', '\t', '\r':
			p.off++
			p.col++
		default:
			return
		}
	}
}

func (p *jsonParser) describeNext() string {
	if p.off >= len(p.data) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(p.data[p.off:])
	return strconv.QuoteRune(r)
}

func (p *jsonParser) value(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, p.errf("nested more than %d levels deep", maxDepth)
	}
	p.values++
	if p.values > maxValues {
		return nil, p.errf("more than %d values", maxValues)
	}
	if p.off >= len(p.data) {
		return nil, p.errf("unexpected end of input, expected a value")
	}
	start := p.pos()
	switch c := p.data[p.off]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		return &node{kind: kindString, pos: start, str: s}, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case p.literal("true"):
		return &node{kind: kindBool, pos: start, b: true}, nil
	case p.literal("false"):
		return &node{kind: kindBool, pos: start}, nil
	case p.literal("null"):
		return &node{kind: kindNull, pos: start}, nil
	}
	return nil, p.errf("unexpected %s, expected a value", p.describeNext())
}

func (p *jsonParser) literal(word string) bool {
	if !strings.HasPrefix(string(p.data[p.off:min(len(p.data), p.off+len(word))]), word) {
		return false
	}
	p.advance(len(word))
	return true
}

func (p *jsonParser) object(depth int) (*node, error) {
	n := &node{kind: kindObject, pos: p.pos()}
	p.advance(1)
	p.skipSpace()
	if p.off < len(p.data) && p.data[p.off] == '}' {
		p.advance(1)
		return n, nil
	}
	seen := map[string]pipeline.Pos{}
	for {
		p.skipSpace()
		if p.off >= len(p.data) || p.data[p.off] != '"' {
			return nil, p.errf("unexpected %s, expected a quoted key", p.describeNext())
		}
		kpos := p.pos()
		key, err := p.string()
		if err != nil {
			return nil, err
		}
		if first, dup := seen[key]; dup {
			return nil, &syntaxError{pos: kpos, msg: fmt.Sprintf("duplicate key %q (first at line %d)", key, first.Line)}
		}
		seen[key] = kpos
		p.skipSpace()
		if p.off >= len(p.data) || p.data[p.off] != ':' {
			return nil, p.errf("unexpected %s after key %q, expected \":\"", p.describeNext(), key)
		}
		p.advance(1)
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, key)
		n.keyPos = append(n.keyPos, kpos)
		n.vals = append(n.vals, v)
		p.skipSpace()
		if p.off < len(p.data) && p.data[p.off] == ',' {
			p.advance(1)
			continue
		}
		if p.off < len(p.data) && p.data[p.off] == '}' {
			p.advance(1)
			return n, nil
		}
		return nil, p.errf("unexpected %s in an object, expected \",\" or \"}\"", p.describeNext())
	}
}

func (p *jsonParser) array(depth int) (*node, error) {
	n := &node{kind: kindArray, pos: p.pos()}
	p.advance(1)
	p.skipSpace()
	if p.off < len(p.data) && p.data[p.off] == ']' {
		p.advance(1)
		return n, nil
	}
	for {
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
		p.skipSpace()
		if p.off < len(p.data) && p.data[p.off] == ',' {
			p.advance(1)
			continue
		}
		if p.off < len(p.data) && p.data[p.off] == ']' {
			p.advance(1)
			return n, nil
		}
		return nil, p.errf("unexpected %s in a list, expected \",\" or \"]\"", p.describeNext())
	}
}

// string reads a quoted string; encoding/json decodes its escapes.
func (p *jsonParser) string() (string, error) {
	start := p.off
	startPos := p.pos()
	i := p.off + 1
	for i < len(p.data) {
		c := p.data[i]
		switch {
		case c == '\\':
			i += 2
			continue
		case c == '"':
			raw := p.data[start : i+1]
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", &syntaxError{pos: startPos, msg: fmt.Sprintf("bad string: %v", err)}
			}
			p.advance(i + 1 - start)
			return s, nil
		case c < 0x20:
			p.advance(i - start)
			return "", p.errf("control character %q in a string", rune(c))
		}
		i++
	}
	return "", &syntaxError{pos: startPos, msg: "unterminated string"}
}

func (p *jsonParser) number() (*node, error) {
	start := p.pos()
	i := p.off
	if i < len(p.data) && p.data[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(p.data) && p.data[i] >= '0' && p.data[i] <= '9' {
			i++
		}
		return i - j
	}
	intStart := i
	if digits() == 0 {
		p.advance(i - p.off)
		return nil, p.errf("bad number: expected a digit")
	}
	if p.data[intStart] == '0' && i-intStart > 1 {
		return nil, &syntaxError{pos: start, msg: "bad number: leading zero"}
	}
	isFloat := false
	if i < len(p.data) && p.data[i] == '.' {
		isFloat = true
		i++
		if digits() == 0 {
			p.advance(i - p.off)
			return nil, p.errf("bad number: expected a digit after \".\"")
		}
	}
	if i < len(p.data) && (p.data[i] == 'e' || p.data[i] == 'E') {
		isFloat = true
		i++
		if i < len(p.data) && (p.data[i] == '+' || p.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.advance(i - p.off)
			return nil, p.errf("bad number: expected a digit in the exponent")
		}
	}
	text := string(p.data[p.off:i])
	p.advance(i - p.off)
	n := &node{kind: kindNumber, pos: start}
	if !isFloat {
		if v, err := strconv.ParseInt(text, 10, 64); err == nil {
			n.num = v
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, &syntaxError{pos: start, msg: fmt.Sprintf("number %s is out of range", text)}
	}
	n.num = f
	return n, nil
}
