package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// canonicalValue decodes the whole document into plain JSON values.
// Positions, comments, key order, quoting style, anchors and number
// spelling disappear; meaning stays.
func canonicalValue(root *yaml.Node) (any, error) {
	d := &decoder{errs: &errList{}}
	v, _ := d.value(root, "", "", nil, nil, 0)
	if d.nodes > maxNodes {
		return nil, fmt.Errorf("definition too large")
	}
	return v, nil
}

// canonicalJSON encodes v as canonical JSON: object keys sorted (as
// encoding/json sorts map keys), no insignificant whitespace, no HTML
// escaping, integers in decimal and floats in Go's shortest round-trip form.
func canonicalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding canonical JSON: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// CanonicalJSON returns the canonical JSON form of the definition p was
// parsed from; Digest is its SHA-256. It is nil for a Pipeline not built
// by Parse.
func (p *Pipeline) CanonicalJSON() []byte { return p.canonical }
