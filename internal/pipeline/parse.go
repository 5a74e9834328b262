package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Top-level keys of a definition.
const (
	keyVersion     = "version"
	keyName        = "name"
	keyDescription = "description"
	keyParallelism = "parallelism"
	keyParameters  = "parameters"
	keySteps       = "steps"
)

// FormatVersion is the only definition format version.
const FormatVersion = 1

// namePattern is the rule for step and parameter names.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// pipelineNamePattern is the rule for pipeline names.
var pipelineNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// Parse reads a definition in YAML or JSON (JSON is chosen by a .json
// file name or a leading "{"). Problems of syntax and shape (unknown keys,
// missing or mistyped fields, bad names, durations, retry values, parameter
// types, defaults and enums, expression syntax) come back together as
// *ValidationErrors. When the document is syntactically valid Parse also
// returns the partial Pipeline, so a caller can run [Validate] on it and
// report every problem at once (see [Load]); a definition that expands
// (through YAML aliases) to more than 100,000 values gives no Pipeline.
func Parse(filename string, data []byte) (p *Pipeline, err error) {
	errs := &errList{file: filename}
	if len(bytes.TrimSpace(data)) == 0 {
		errs.add(Pos{}, "", "", "empty definition")
		return nil, errs.err()
	}
	if isJSON(filename, data) {
		if pos, msg, ok := jsonSyntax(data); !ok {
			errs.add(pos, "", "", "JSON syntax error: %s", msg)
			return nil, errs.err()
		}
	}
	root, ok := parseYAML(data, errs)
	if !ok {
		return nil, errs.err()
	}
	p = &Pipeline{File: filename, Version: FormatVersion}
	d := &decoder{errs: errs}
	p.parseTop(d, root)
	if d.nodes > maxNodes {
		// An alias bomb: report it alone, without validating the rest.
		return nil, errs.err()
	}
	p.byName = make(map[string]*Step, len(p.Steps))
	for _, st := range p.Steps {
		if _, dup := p.byName[st.Name]; !dup && st.Name != "" {
			p.byName[st.Name] = st
		}
	}
	p.gates = p.indexGates()
	canon, cerr := canonicalValue(root)
	if cerr == nil {
		p.canonical, cerr = canonicalJSON(canon)
	}
	if cerr == nil {
		sum := sha256.Sum256(p.canonical)
		p.Digest = hex.EncodeToString(sum[:])
	}
	if cerr != nil {
		errs.add(Pos{}, "", "", "computing the digest: %v", cerr)
	}
	p.parseErrs = append([]*ValidationError(nil), errs.errs...)
	return p, errs.err()
}

// Load parses and validates a definition, returning the Pipeline and every
// problem at once (nil when there is none). The Pipeline is nil only when
// the file could not be read as YAML or JSON at all.
func Load(filename string, data []byte, kinds KindLookup) (*Pipeline, error) {
	p, perr := Parse(filename, data)
	if p == nil {
		return nil, perr
	}
	return p, Validate(p, kinds)
}

func isJSON(filename string, data []byte) bool {
	if strings.EqualFold(filepath.Ext(filename), ".json") {
		return true
	}
	return bytes.HasPrefix(bytes.TrimSpace(data), []byte("{"))
}

// jsonSyntax checks JSON syntax, locating the first error.
func jsonSyntax(data []byte) (Pos, string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return offsetToPos(data, dec.InputOffset()), "unexpected data after the top-level value", false
		}
		return Pos{}, "", true
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return offsetToPos(data, se.Offset), se.Error(), false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return offsetToPos(data, int64(len(data))), "unexpected end of input", false
	}
	return Pos{}, err.Error(), false
}

// offsetToPos turns a byte offset into a line and column (1-based; the
// column of the offending byte, or of the position just after it).
func offsetToPos(data []byte, off int64) Pos {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	if col > 1 {
		col-- // the SyntaxError offset is just past the bad byte
	}
	return Pos{Line: line, Column: col}
}

var yamlLine = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

// parseYAML decodes the single document into a node tree.
func parseYAML(data []byte, errs *errList) (root *yaml.Node, ok bool) {
	defer func() {
		// yaml.v3 has panicked on hostile input in the past; a definition
		// must give an error, never bring down the process.
		if r := recover(); r != nil {
			errs.add(Pos{}, "", "", "YAML syntax error: %v", r)
			root, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		addYAMLError(errs, err)
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		errs.add(nodePos(&extra), "", "", "more than one YAML document (---); a definition is one document")
		return nil, false
	} else if err != io.EOF {
		addYAMLError(errs, err)
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		errs.add(Pos{}, "", "", "empty definition")
		return nil, false
	}
	root = deref(doc.Content[0])
	if root == nil || root.Kind != yaml.MappingNode {
		errs.add(nodePos(doc.Content[0]), "", "", "a definition must be a mapping with version, name and steps")
		return nil, false
	}
	return root, true
}

func addYAMLError(errs *errList, err error) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, msg := range te.Errors {
			addYAMLMessage(errs, msg)
		}
		return
	}
	addYAMLMessage(errs, err.Error())
}

func addYAMLMessage(errs *errList, msg string) {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		errs.add(Pos{Line: line}, "", "", "YAML syntax error: %s", m[2])
		return
	}
	errs.add(Pos{}, "", "", "YAML syntax error: %s", strings.TrimPrefix(msg, "yaml: "))
}

func (p *Pipeline) parseTop(d *decoder, root *yaml.Node) {
	var haveName, haveSteps bool
	d.pairs(root, "", "", func(key string, k, v *yaml.Node) {
		switch key {
		case keyVersion:
			if n, ok := d.integer(v, "", key); ok && n != FormatVersion {
				d.errs.add(nodePos(v), "", key, "unsupported format version %d (want %d)", n, FormatVersion)
			}
		case keyName:
			haveName = true
			if s, ok := d.str(v, "", key); ok {
				p.Name = s
				if !pipelineNamePattern.MatchString(s) {
					d.errs.add(nodePos(v), "", key, "bad pipeline name %q: use 1 to 256 letters, digits, _ or -", s)
				}
			}
		case keyDescription:
			p.Description, _ = d.str(v, "", key)
		case keyParallelism:
			if n, ok := d.integer(v, "", key); ok {
				if n < 0 || n > 10000 {
					d.errs.add(nodePos(v), "", key, "parallelism %d is out of range (0 = no limit, up to 10000)", n)
				} else {
					p.Parallelism = int(n)
				}
			}
		case keyParameters:
			p.parseParams(d, v)
		case keySteps:
			haveSteps = true
			p.parseSteps(d, v)
		default:
			d.errs.add(nodePos(k), "", key, "unknown top-level key %q (known: version, name, description, parallelism, parameters, steps)", key)
		}
	})
	if !haveName {
		d.errs.add(nodePos(root), "", "", "missing pipeline name")
	}
	if !haveSteps {
		d.errs.add(nodePos(root), "", "", "missing steps")
	}
}

// Parameter keys.
const (
	keyType    = "type"
	keyDefault = "default"
	keyEnum    = "enum"
	keySecret  = "secret"
)

func (p *Pipeline) parseParams(d *decoder, n *yaml.Node) {
	n, ok := d.mapping(n, "", keyParameters)
	if !ok {
		return
	}
	d.pairs(n, "", keyParameters, func(name string, k, v *yaml.Node) {
		field := keyParameters + "." + name
		if !namePattern.MatchString(name) {
			d.errs.add(nodePos(k), "", field, "bad parameter name %q: use 1 to 64 letters, digits, _ or -", name)
		}
		pr := &Parameter{Name: name, Type: ParamString, Pos: nodePos(k)}
		p.Parameters = append(p.Parameters, pr)
		m, ok := d.mapping(v, "", field)
		if !ok {
			return
		}
		var def, enum *yaml.Node
		var secretPos Pos
		d.pairs(m, "", field, func(key string, k, v *yaml.Node) {
			switch key {
			case keyType:
				s, ok := d.str(v, "", field+"."+key)
				if !ok {
					return
				}
				switch t := ParamType(s); t {
				case ParamString, ParamInteger, ParamFloat, ParamBoolean:
					pr.Type = t
				default:
					d.errs.add(nodePos(v), "", field+"."+key, "unknown parameter type %q (known: string, integer, float, boolean)", s)
				}
			case keyDefault:
				def = v
			case keyEnum:
				enum = v
			case keyDescription:
				pr.Description, _ = d.str(v, "", field+"."+key)
			case keySecret:
				pr.Secret, _ = d.boolean(v, "", field+"."+key)
				secretPos = nodePos(v)
			default:
				d.errs.add(nodePos(k), "", field+"."+key, "unknown parameter key %q (known: type, default, enum, description, secret)", key)
			}
		})
		if pr.Secret {
			d.checkSecretParam(pr, secretPos, def, enum)
			def, enum = nil, nil // never parsed, so never echoed in a message
		}
		if enum != nil {
			en := deref(enum)
			if en.Kind != yaml.SequenceNode || len(en.Content) == 0 {
				d.errs.add(nodePos(en), "", field+"."+keyEnum, "enum must be a non-empty list of values")
			} else {
				for i, c := range en.Content {
					if val, ok := d.paramValue(pr, c, fmt.Sprintf("%s.%s[%d]", field, keyEnum, i)); ok {
						pr.Enum = append(pr.Enum, val)
					}
				}
			}
		}
		if def != nil {
			if val, ok := d.paramValue(pr, def, field+"."+keyDefault); ok {
				pr.Default, pr.HasDefault = val, true
				if len(pr.Enum) > 0 && !inEnum(pr.Enum, val) {
					d.errs.add(nodePos(def), "", field+"."+keyDefault, "default %s is not one of the enum values %s", quoteValue(val), enumList(pr.Enum))
				}
			}
		}
	})
}

// paramValue converts a YAML scalar to the parameter's type.
func (d *decoder) paramValue(pr *Parameter, n *yaml.Node, field string) (any, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		if n != nil {
			d.errs.add(nodePos(n), "", field, "%s parameter %q: value must be %s, got %s", pr.Type, pr.Name, withArticle(string(pr.Type)), kindName(n))
		}
		return nil, false
	}
	if pr.Type == ParamString {
		// Any scalar's text is a string: version: 1.0 means "1.0".
		return n.Value, true
	}
	v, ok := d.scalar(n, "", field)
	if !ok {
		return nil, false
	}
	switch pr.Type {
	case ParamInteger:
		if i, ok := v.(int64); ok {
			return i, true
		}
	case ParamFloat:
		if f, ok := asFloat(v); ok {
			return f, true
		}
	case ParamBoolean:
		if b, ok := v.(bool); ok {
			return b, true
		}
	}
	d.errs.add(nodePos(n), "", field, "%s parameter %q: value must be %s, got %s", pr.Type, pr.Name, withArticle(string(pr.Type)), kindName(n))
	return nil, false
}

func inEnum(enum []any, v any) bool {
	for _, e := range enum {
		if eq, err := equal(&litNode{}, e, v); err == nil && eq {
			return true
		}
	}
	return false
}

func enumList(enum []any) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		parts[i] = Stringify(e)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// withArticle prefixes a or an.
func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// quoteValue shows a value as written in a definition: strings quoted.
func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return Stringify(v)
}
