package pipeline

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the values a definition may expand to (aliases can make a
// small file large).
const maxNodes = 100_000

// maxDepth bounds nesting in a definition.
const maxDepth = 200

// decoder turns yaml nodes into plain values, recording problems and
// positions.
type decoder struct {
	errs  *errList
	nodes int
	// expanding holds the anchors being expanded, to stop an alias that
	// refers to its own anchor.
	expanding map[*yaml.Node]bool
	deep      bool // the nesting limit was reported
}

func nodePos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{Line: n.Line, Column: n.Column}
}

// deref follows an alias.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// kindName names a node's kind for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "string " + strconv.Quote(n.Value)
		case "!!int":
			return "integer " + n.Value
		case "!!float":
			return "float " + n.Value
		case "!!bool":
			return "boolean " + n.Value
		case "!!null":
			return "null"
		}
		return strconv.Quote(n.Value)
	}
	return "an unexpected value"
}

// scalar converts a scalar node to string, int64, float64, bool or nil.
func (d *decoder) scalar(n *yaml.Node, stepName, field string) (any, bool) {
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary":
		return n.Value, true
	case "!!null":
		return nil, true
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			d.errs.add(nodePos(n), stepName, field, "bad boolean %q", n.Value)
			return nil, false
		}
		return b, true
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			d.errs.add(nodePos(n), stepName, field, "integer %s is out of range", n.Value)
			return nil, false
		}
		return i, true
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			d.errs.add(nodePos(n), stepName, field, "bad number %q", n.Value)
			return nil, false
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.errs.add(nodePos(n), stepName, field, "number %s is not finite", n.Value)
			return nil, false
		}
		return f, true
	}
	d.errs.add(nodePos(n), stepName, field, "unsupported YAML tag %s", n.Tag)
	return nil, false
}

// value converts a node into a plain value. When pos is non-nil it records
// each value's position under its dotted path; strings records where each
// string's content starts, for locating expressions inside it.
func (d *decoder) value(n *yaml.Node, path, stepName string, pos map[string]Pos, strPos map[string]Pos, depth int) (any, bool) {
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.errs.add(nodePos(n), stepName, path, "definition expands to more than %d values", maxNodes)
		}
		return nil, false
	}
	if depth > maxDepth {
		if !d.deep {
			d.deep = true
			d.errs.add(nodePos(n), stepName, "", "values nested more than %d levels deep", maxDepth)
		}
		return nil, false
	}
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		if target == nil || d.expanding[target] {
			d.errs.add(nodePos(n), stepName, path, "alias *%s refers to a value that contains it", n.Value)
			return nil, false
		}
		if d.expanding == nil {
			d.expanding = make(map[*yaml.Node]bool)
		}
		d.expanding[target] = true
		v, ok := d.value(target, path, stepName, pos, strPos, depth+1)
		delete(d.expanding, target)
		return v, ok
	}
	if pos != nil && path != "" {
		pos[path] = nodePos(n)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		v, ok := d.scalar(n, stepName, path)
		if !ok {
			// Reported; keep the text so later checks do not pile on.
			return n.Value, false
		}
		if s, isStr := v.(string); isStr && hasTemplate(s) {
			if strPos != nil {
				strPos[path] = contentStart(n)
			}
			if _, err := parseTemplate(s); err != nil {
				te := err.(*TemplateError)
				d.errs.add(offsetPos(n, te.Offset), stepName, path, "%s", te.Msg)
				return v, false
			}
		}
		return v, ok
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok := true
		for i, c := range n.Content {
			v, vok := d.value(c, fmt.Sprintf("%s[%d]", path, i), stepName, pos, strPos, depth+1)
			ok = ok && vok
			out = append(out, v)
		}
		return out, ok
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		ok := true
		d.pairs(n, stepName, path, func(key string, k, v *yaml.Node) {
			child := key
			if path != "" {
				child = path + "." + key
			}
			val, vok := d.value(v, child, stepName, pos, strPos, depth+1)
			ok = ok && vok
			out[key] = val
		})
		return out, ok
	}
	d.errs.add(nodePos(n), stepName, path, "unsupported YAML node")
	return nil, false
}

// pairs calls f for each key and value of a mapping, reporting non-string
// keys, merge keys and duplicate keys.
func (d *decoder) pairs(n *yaml.Node, stepName, path string, f func(key string, k, v *yaml.Node)) {
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			d.errs.add(nodePos(n.Content[i]), stepName, path, "mapping keys must be strings")
			continue
		}
		if k.ShortTag() == "!!merge" {
			d.errs.add(nodePos(k), stepName, path, "YAML merge keys (<<) are not supported")
			continue
		}
		field := k.Value
		if path != "" {
			field = path + "." + k.Value
		}
		if line, dup := seen[k.Value]; dup {
			d.errs.add(nodePos(k), stepName, field, "duplicate key %q (first at line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		f(k.Value, k, v)
	}
}

// contentStart returns where a scalar's text begins: after the quote of a
// quoted scalar. Block scalars start on the next line, at an indentation
// yaml does not report, so their content position is unknown (zero).
func contentStart(n *yaml.Node) Pos {
	switch {
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		return Pos{Line: n.Line, Column: n.Column + 1}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return Pos{}
	}
	return Pos{Line: n.Line, Column: n.Column}
}

// offsetPos locates byte offset off of a scalar's value in the file. It is
// exact for one-line plain or quoted scalars without escapes; otherwise it
// falls back to the scalar's own position.
func offsetPos(n *yaml.Node, off int) Pos {
	start := contentStart(n)
	return shiftPos(start, nodePos(n), n.Value, off)
}

// shiftPos moves start by off bytes of s when s is one line; fallback is
// used when the start is unknown or s spans lines.
func shiftPos(start, fallback Pos, s string, off int) Pos {
	if start.Line == 0 || strings.Contains(s, "\n") || off < 0 || off > len(s) {
		return fallback
	}
	return Pos{Line: start.Line, Column: start.Column + off}
}

// str decodes a string scalar, reporting anything else.
func (d *decoder) str(n *yaml.Node, stepName, field string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		if n != nil {
			d.errs.add(nodePos(n), stepName, field, "must be a string, got %s", kindName(n))
		}
		return "", false
	}
	return n.Value, true
}

// strList decodes a list of strings; a single string is a one-item list.
func (d *decoder) strList(n *yaml.Node, stepName, field string) []string {
	n = deref(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		d.errs.add(nodePos(n), stepName, field, "must be a list of step names, got %s", kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		if s, ok := d.str(c, stepName, fmt.Sprintf("%s[%d]", field, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// integer decodes an integer scalar.
func (d *decoder) integer(n *yaml.Node, stepName, field string) (int64, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		if n != nil {
			d.errs.add(nodePos(n), stepName, field, "must be an integer, got %s", kindName(n))
		}
		return 0, false
	}
	v, ok := d.scalar(n, stepName, field)
	if !ok {
		return 0, false
	}
	return v.(int64), true
}

// number decodes an integer or float scalar as float64.
func (d *decoder) number(n *yaml.Node, stepName, field string) (float64, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		if n != nil {
			d.errs.add(nodePos(n), stepName, field, "must be a number, got %s", kindName(n))
		}
		return 0, false
	}
	v, ok := d.scalar(n, stepName, field)
	if !ok {
		return 0, false
	}
	f, _ := asFloat(v)
	return f, true
}

// boolean decodes a boolean scalar.
func (d *decoder) boolean(n *yaml.Node, stepName, field string) (bool, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		if n != nil {
			d.errs.add(nodePos(n), stepName, field, "must be true or false, got %s", kindName(n))
		}
		return false, false
	}
	v, ok := d.scalar(n, stepName, field)
	if !ok {
		return false, false
	}
	return v.(bool), true
}

// mapping checks that n is a mapping.
func (d *decoder) mapping(n *yaml.Node, stepName, field string) (*yaml.Node, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil {
			d.errs.add(nodePos(n), stepName, field, "must be a mapping, got %s", kindName(n))
		}
		return nil, false
	}
	return n, true
}
