package definition

import (
	"fmt"
	"strings"

	"github.com/ferryml/ferry/internal/pipeline"
)

// Expression keys of the definition language.
const (
	exprGet     = "Get"
	exprJoin    = "Std:Join"
	exprJSONGet = "Std:JsonGet"
)

// isExpr reports whether n is an expression object.
func isExpr(n *node) bool {
	if n == nil || n.kind != kindObject || len(n.keys) != 1 {
		return false
	}
	switch n.keys[0] {
	case exprGet, exprJoin, exprJSONGet:
		return true
	}
	return false
}

// value translates a JSON value inside step s into an argument value in
// which expressions are ${{ }} templates. rel is the argument path
// (recorded in ArgPos), jpath the JSON path inside the step.
func (t *translator) value(s *smStep, n *node, rel, jpath string) any {
	s.st.ArgPos[rel] = n.pos
	if isExpr(n) {
		src, ok := t.expr(s, n, jpath)
		if !ok {
			return nil
		}
		return "${{ " + src + " }}"
	}
	switch n.kind {
	case kindObject:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k] = t.value(s, n.vals[i], rel+"."+k, jpath+"."+k)
		}
		return m
	case kindArray:
		l := make([]any, len(n.elems))
		for i, e := range n.elems {
			l[i] = t.value(s, e, fmt.Sprintf("%s[%d]", rel, i), fmt.Sprintf("%s[%d]", jpath, i))
		}
		return l
	case kindString:
		// A literal "${{" must stay literal.
		return strings.ReplaceAll(n.str, "${{", "$${{")
	}
	return n.plain()
}

// expr translates an expression object into Ferry expression source.
func (t *translator) expr(s *smStep, n *node, jpath string) (string, bool) {
	v := n.vals[0]
	field := s.path + "." + jpath
	switch n.keys[0] {
	case exprGet:
		if v.kind != kindString {
			t.add(v.pos, s.name, field, "Get takes a string such as \"Parameters.Name\" or \"Steps.Name.Property\", got %s", v.describe())
			return "", false
		}
		return t.get(s, v.str, v.pos, field)
	case exprJoin:
		return t.join(s, v, jpath)
	}
	return t.jsonGet(s, v, jpath)
}

// operand translates a value used inside an expression: a scalar
// literal or an expression.
func (t *translator) operand(s *smStep, n *node, jpath string) (string, bool) {
	if isExpr(n) {
		return t.expr(s, n, jpath)
	}
	if src, ok := literal(n); ok {
		return src, true
	}
	t.add(n.pos, s.name, s.path+"."+jpath, "expected a literal, Get, Std:Join or Std:JsonGet, got %s", n.describe())
	return "", false
}

func (t *translator) join(s *smStep, v *node, jpath string) (string, bool) {
	field := s.path + "." + jpath
	if v.kind != kindObject {
		t.add(v.pos, s.name, field, "Std:Join takes {\"On\": separator, \"Values\": [...]}, got %s", v.describe())
		return "", false
	}
	on, vals := v.get("On"), v.get("Values")
	for i, k := range v.keys {
		if k != "On" && k != "Values" {
			t.add(v.keyPos[i], s.name, field+"."+exprJoin+"."+k, "unknown Std:Join key %q (known: On, Values)", k)
		}
	}
	sep := "''"
	ok := true
	if on != nil {
		if sep, ok = t.operand(s, on, jpath+"."+exprJoin+".On"); !ok {
			return "", false
		}
	}
	if vals == nil || vals.kind != kindArray {
		t.add(v.pos, s.name, field, "Std:Join needs Values, a list")
		return "", false
	}
	parts := []string{sep}
	for i, e := range vals.elems {
		src, good := t.operand(s, e, fmt.Sprintf("%s.%s.Values[%d]", jpath, exprJoin, i))
		if !good {
			ok = false
			continue
		}
		parts = append(parts, src)
	}
	if !ok {
		return "", false
	}
	return "join(" + strings.Join(parts, ", ") + ")", true
}

// jsonGet translates Std:JsonGet: a property file of a processing step
// becomes a property reference; the S3Uri form becomes a
// sagemaker_json_get step that reads the file.
func (t *translator) jsonGet(s *smStep, v *node, jpath string) (string, bool) {
	field := s.path + "." + jpath
	if v.kind != kindObject {
		t.add(v.pos, s.name, field, "Std:JsonGet takes {\"PropertyFile\": {\"Get\": ...}, \"Path\": ...} or {\"S3Uri\": ..., \"Path\": ...}, got %s", v.describe())
		return "", false
	}
	for i, k := range v.keys {
		if k != "PropertyFile" && k != "Path" && k != "S3Uri" && k != "StepName" {
			t.add(v.keyPos[i], s.name, field+"."+exprJSONGet+"."+k, "unknown Std:JsonGet key %q (known: PropertyFile, S3Uri, Path)", k)
		}
	}
	pathNode := v.get("Path")
	if pathNode == nil || pathNode.kind != kindString {
		at := v.pos
		if pathNode != nil {
			at = pathNode.pos
		}
		// SageMaker rejects a computed Path too (sagemaker-python-sdk #3463).
		t.add(at, s.name, field+"."+exprJSONGet+".Path", "Std:JsonGet needs Path, a literal string such as \"metrics.auc.value\"")
		return "", false
	}
	elems, err := parsePath(pathNode.str)
	if err != nil {
		t.add(pathNode.pos, s.name, field+"."+exprJSONGet+".Path", "bad JSON path %q: %v", pathNode.str, err)
		return "", false
	}
	pf, uri := v.get("PropertyFile"), v.get("S3Uri")
	switch {
	case pf != nil && uri != nil:
		t.add(v.pos, s.name, field, "Std:JsonGet takes PropertyFile or S3Uri, not both")
		return "", false
	case uri != nil:
		return t.jsonGetS3(s, uri, pathNode.str, jpath)
	case pf == nil:
		t.add(v.pos, s.name, field, "Std:JsonGet needs PropertyFile (a Get of Steps.<step>.PropertyFiles.<name>) or S3Uri")
		return "", false
	}
	var ref string
	var refPos = pf.pos
	switch {
	case pf.kind == kindObject && pf.get(exprGet) != nil && pf.get(exprGet).kind == kindString:
		ref, refPos = pf.get(exprGet).str, pf.get(exprGet).pos
	case pf.kind == kindString:
		// An old SDK form: the property file's name, with StepName.
		if sn := v.get("StepName"); sn != nil && sn.kind == kindString {
			ref = "Steps." + sn.str + ".PropertyFiles." + pf.str
		}
	}
	stepName, file, ok := strings.Cut(strings.TrimPrefix(ref, "Steps."), ".PropertyFiles.")
	if !strings.HasPrefix(ref, "Steps.") || !ok {
		t.add(refPos, s.name, field+"."+exprJSONGet+".PropertyFile", "PropertyFile must be {\"Get\": \"Steps.<step>.PropertyFiles.<name>\"}, got %s", show(pf))
		return "", false
	}
	target, found := t.steps[stepName]
	if !found {
		t.add(refPos, s.name, field, "Std:JsonGet reads a property file of unknown step %q%s", stepName, t.stepHint(stepName))
		return "", false
	}
	if target.typ != "Processing" {
		t.add(refPos, s.name, field, "Std:JsonGet reads property files of Processing steps; step %q is a %s step", stepName, target.typ)
		return "", false
	}
	var files []string
	if list := target.n.get("PropertyFiles"); list != nil {
		for _, e := range list.elems {
			if name := e.get("PropertyFileName"); name != nil && name.kind == kindString {
				files = append(files, name.str)
			}
		}
	}
	if !contains(files, file) {
		known := " (it declares none: add PropertyFiles to the step)"
		if len(files) > 0 {
			known = hint(file, files)
		}
		t.add(refPos, s.name, field, "step %q has no property file %q%s", stepName, file, known)
		return "", false
	}
	if !isPlain(stepName) || !isPlain(file) {
		t.add(refPos, s.name, field, "step and property file names must be letters, digits, _ or -")
		return "", false
	}
	return "steps." + stepName + ".properties." + file + renderPath(elems), true
}

// jsonGetS3 adds a sagemaker_json_get step that reads the JSON file at
// uri and returns the reference to its Value.
func (t *translator) jsonGetS3(s *smStep, uri *node, path, jpath string) (string, bool) {
	name := fmt.Sprintf("%s-JsonGet-%d", s.name, len(t.synth)+1)
	if len(name) > 64 {
		name = fmt.Sprintf("JsonGet-%d", len(t.synth)+1)
	}
	for t.steps[name] != nil {
		name += "x"
	}
	g := &pipeline.Step{
		Name: name, Kind: KindJSONGet, Pos: uri.pos,
		Description: fmt.Sprintf("reads %s for step %q (Std:JsonGet with S3Uri)", path, s.name),
		Args:        map[string]any{ArgPath: path}, ArgPos: map[string]pipeline.Pos{ArgPath: uri.pos},
		DependsOn: append([]string(nil), s.st.DependsOn...),
	}
	// The new step evaluates the URI in the consumer's context.
	sub := &smStep{name: s.name, path: s.path, st: g, n: s.n, typ: "JsonGet", kind: KindJSONGet}
	src, ok := t.operand(sub, uri, jpath+"."+exprJSONGet+".S3Uri")
	if !ok {
		return "", false
	}
	g.Args[ArgS3URI] = "${{ " + src + " }}"
	g.ArgPos[ArgS3URI] = uri.pos
	t.synth = append(t.synth, g)
	t.steps[name] = &smStep{name: name, typ: "JsonGet", kind: KindJSONGet, st: g, n: uri, path: s.path + "." + jpath}
	if s.gate != nil && s.gate.st != nil {
		if s.branch == pipeline.BranchThen {
			s.gate.st.Then = append(s.gate.st.Then, name)
		} else {
			s.gate.st.Else = append(s.gate.st.Else, name)
		}
	}
	return "steps." + name + ".properties." + PropValue, true
}
