package pipeline

import (
	"fmt"
	"strconv"
	"strings"
)

// Expr is a parsed expression: a reference, a literal, a function call or a
// condition. Build one with [ParseExpr]; an Expr is immutable and safe for
// concurrent use.
type Expr struct {
	// Src is the expression's source text.
	Src  string
	root exprNode
}

// ExprError is a syntax or evaluation error inside an expression. Offset is
// the 0-based byte offset in the expression's source; Column is Offset+1.
type ExprError struct {
	Offset int
	Msg    string
}

// Error returns "column N: msg".
func (e *ExprError) Error() string { return fmt.Sprintf("column %d: %s", e.Offset+1, e.Msg) }

// The reference roots and the names inside them.
const (
	rootParams    = "params"
	rootExecution = "execution"
	rootSteps     = "steps"

	// ExecID, ExecStartTime, ExecCurrentTime and ExecPipelineName are the
	// execution variables a Scope's Execution method is asked for.
	// ExecCurrentTime is the time the expression is evaluated (SageMaker's
	// Execution.CurrentDateTime).
	ExecID           = "id"
	ExecStartTime    = "start_time"
	ExecCurrentTime  = "current_time"
	ExecPipelineName = "pipeline_name"
)

// exprNode is one node of an expression's syntax tree.
type exprNode interface{ offset() int }

type litNode struct {
	off int
	val any // string, int64, float64, bool or nil
}

type listNode struct {
	off   int
	elems []exprNode
}

// pathElem is one step of a JSON path into a property: .key, ['key'] or [index].
type pathElem struct {
	key     string
	index   int
	isIndex bool
}

type refNode struct {
	off  int
	end  int
	root string // params, execution or steps
	name string // parameter, execution variable or step name
	// For steps: exactly one of output and prop is set.
	output string
	prop   string
	path   []pathElem
}

type unaryNode struct {
	off int
	op  string // "not"
	x   exprNode
}

type binaryNode struct {
	off  int
	op   string // ==, !=, <, <=, >, >=, in, not in, and, or
	x, y exprNode
}

type callNode struct {
	off  int
	fn   string // join or string
	args []exprNode
}

func (n *litNode) offset() int    { return n.off }
func (n *listNode) offset() int   { return n.off }
func (n *refNode) offset() int    { return n.off }
func (n *unaryNode) offset() int  { return n.off }
func (n *binaryNode) offset() int { return n.off }
func (n *callNode) offset() int   { return n.off }

// maxExprDepth bounds nesting so a hostile expression cannot exhaust the stack.
const maxExprDepth = 100

// ParseExpr parses an expression (the text inside ${{ }} or a condition's
// if). Errors are *ExprError locating the problem in src.
func ParseExpr(src string) (*Expr, error) {
	p := &exprParser{lx: lexer{src: src}}
	p.next()
	if p.err != nil {
		return nil, p.err
	}
	if p.tok.kind == tokEOF {
		return nil, &ExprError{Offset: 0, Msg: "empty expression"}
	}
	n := p.parseOr()
	if p.err == nil && p.tok.kind != tokEOF {
		p.fail(p.tok.off, "unexpected %s after the expression", p.tok.describe())
	}
	if p.err != nil {
		return nil, p.err
	}
	return &Expr{Src: src, root: n}, nil
}

// String returns the expression's source.
func (e *Expr) String() string { return e.Src }

type exprParser struct {
	lx    lexer
	tok   token
	err   *ExprError
	depth int
}

func (p *exprParser) next() {
	if p.err != nil {
		p.tok = token{kind: tokEOF, off: len(p.lx.src)}
		return
	}
	t, err := p.lx.next()
	if err != nil {
		p.err = err
		t = token{kind: tokEOF, off: len(p.lx.src)}
	}
	p.tok = t
}

func (p *exprParser) fail(off int, format string, args ...any) {
	if p.err == nil {
		p.err = &ExprError{Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
}

func (p *exprParser) enter() bool {
	p.depth++
	if p.depth > maxExprDepth {
		p.fail(p.tok.off, "expression nested more than %d levels deep", maxExprDepth)
		return false
	}
	return true
}

func (p *exprParser) leave() { p.depth-- }

func (p *exprParser) isOp(ops ...string) bool {
	if p.tok.kind != tokOp && p.tok.kind != tokIdent {
		return false
	}
	for _, op := range ops {
		if p.tok.text == op {
			return true
		}
	}
	return false
}

func (p *exprParser) parseOr() exprNode {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	x := p.parseAnd()
	for p.err == nil && p.isOp("or", "||") {
		off := p.tok.off
		p.next()
		y := p.parseAnd()
		x = &binaryNode{off: off, op: "or", x: x, y: y}
	}
	return x
}

func (p *exprParser) parseAnd() exprNode {
	x := p.parseNot()
	for p.err == nil && p.isOp("and", "&&") {
		off := p.tok.off
		p.next()
		y := p.parseNot()
		x = &binaryNode{off: off, op: "and", x: x, y: y}
	}
	return x
}

func (p *exprParser) parseNot() exprNode {
	if p.err == nil && p.isOp("not", "!") {
		off := p.tok.off
		p.next()
		if !p.enter() {
			return nil
		}
		x := p.parseNot()
		p.leave()
		return &unaryNode{off: off, op: "not", x: x}
	}
	return p.parseCompare()
}

var compareOps = []string{"==", "!=", "<", "<=", ">", ">=", "in"}

func (p *exprParser) compareOp() (string, bool) {
	if p.isOp(compareOps...) {
		return p.tok.text, true
	}
	if p.isOp("not") {
		// "x not in [..]": the lexer has no lookahead, so peek by copying.
		save := p.lx
		t, err := p.lx.next()
		p.lx = save
		if err == nil && t.kind == tokIdent && t.text == "in" {
			return "not in", true
		}
	}
	return "", false
}

func (p *exprParser) parseCompare() exprNode {
	x := p.parsePrimary()
	op, ok := p.compareOp()
	if p.err != nil || !ok {
		return x
	}
	off := p.tok.off
	p.next()
	if op == "not in" {
		p.next()
	}
	y := p.parsePrimary()
	if p.err == nil {
		if _, again := p.compareOp(); again {
			p.fail(p.tok.off, "comparisons cannot be chained; combine them with and")
		}
	}
	return &binaryNode{off: off, op: op, x: x, y: y}
}

func (p *exprParser) parsePrimary() exprNode {
	if p.err != nil {
		return nil
	}
	t := p.tok
	switch t.kind {
	case tokNumber, tokString:
		p.next()
		return &litNode{off: t.off, val: t.val}
	case tokPunct:
		switch t.text {
		case "(":
			if !p.enter() {
				return nil
			}
			defer p.leave()
			p.next()
			x := p.parseOr()
			p.expect(")")
			return x
		case "[":
			return p.parseList()
		}
	case tokIdent:
		switch t.text {
		case "true", "false":
			p.next()
			return &litNode{off: t.off, val: t.text == "true"}
		case "null":
			p.next()
			return &litNode{off: t.off, val: nil}
		case rootParams, rootExecution, rootSteps:
			return p.parseRef()
		case "join", "string":
			return p.parseCall()
		case "and", "or", "not", "in":
			p.fail(t.off, "expected a value, found %q", t.text)
			return nil
		}
		p.next()
		if p.tok.kind == tokPunct && p.tok.text == "(" {
			p.fail(t.off, "unknown function %q (functions: join, string)", t.text)
		} else {
			p.fail(t.off, "unknown name %q: a reference starts with params., execution. or steps.", t.text)
		}
		return nil
	case tokEOF:
		p.fail(t.off, "unexpected end of expression, expected a value")
		return nil
	}
	p.fail(t.off, "unexpected %s, expected a value", t.describe())
	return nil
}

func (p *exprParser) expect(punct string) {
	if p.err != nil {
		return
	}
	if p.tok.kind != tokPunct || p.tok.text != punct {
		p.fail(p.tok.off, "expected %q, found %s", punct, p.tok.describe())
		return
	}
	p.next()
}

func (p *exprParser) parseList() exprNode {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	n := &listNode{off: p.tok.off}
	p.next() // [
	for p.err == nil && !(p.tok.kind == tokPunct && p.tok.text == "]") {
		n.elems = append(n.elems, p.parseOr())
		if p.err != nil {
			return nil
		}
		if p.tok.kind == tokPunct && p.tok.text == "," {
			p.next()
			continue
		}
		if !(p.tok.kind == tokPunct && p.tok.text == "]") {
			p.fail(p.tok.off, "expected \",\" or \"]\" in list, found %s", p.tok.describe())
			return nil
		}
	}
	p.expect("]")
	return n
}

func (p *exprParser) parseCall() exprNode {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	n := &callNode{off: p.tok.off, fn: p.tok.text}
	p.next()
	if p.tok.kind != tokPunct || p.tok.text != "(" {
		p.fail(p.tok.off, "expected \"(\" after %s, found %s", n.fn, p.tok.describe())
		return nil
	}
	p.next()
	for p.err == nil && !(p.tok.kind == tokPunct && p.tok.text == ")") {
		n.args = append(n.args, p.parseOr())
		if p.err != nil {
			return nil
		}
		if p.tok.kind == tokPunct && p.tok.text == "," {
			p.next()
			continue
		}
		if !(p.tok.kind == tokPunct && p.tok.text == ")") {
			p.fail(p.tok.off, "expected \",\" or \")\" in call of %s, found %s", n.fn, p.tok.describe())
			return nil
		}
	}
	p.expect(")")
	if p.err != nil {
		return nil
	}
	switch n.fn {
	case "string":
		if len(n.args) != 1 {
			p.fail(n.off, "string takes 1 argument, got %d", len(n.args))
		}
	case "join":
		if len(n.args) < 1 {
			p.fail(n.off, "join takes a separator and values: join(sep, a, b, ...)")
		}
	}
	return n
}

// segment reads a name after a ".": it may start with a digit or hyphen,
// because step names may.
func (p *exprParser) segment(what string) (string, int) {
	if p.tok.kind != tokPunct || p.tok.text != "." {
		p.fail(p.tok.off, "expected \".\" and %s, found %s", what, p.tok.describe())
		return "", p.tok.off
	}
	seg, off, err := p.lx.segment()
	if err != nil {
		p.err = err
		return "", off
	}
	if seg == "" {
		p.fail(off, "expected %s after \".\"", what)
		return "", off
	}
	p.next()
	return seg, off
}

func (p *exprParser) parseRef() exprNode {
	n := &refNode{off: p.tok.off, root: p.tok.text}
	p.next()
	switch n.root {
	case rootParams:
		n.name, _ = p.segment("a parameter name")
	case rootExecution:
		var off int
		n.name, off = p.segment("an execution variable (id, start_time, current_time, pipeline_name)")
		if p.err == nil && n.name != ExecID && n.name != ExecStartTime && n.name != ExecCurrentTime && n.name != ExecPipelineName {
			p.fail(off, "unknown execution variable %q (known: id, start_time, current_time, pipeline_name)", n.name)
		}
	case rootSteps:
		n.name, _ = p.segment("a step name")
		what, off := p.segment("outputs or properties")
		if p.err != nil {
			return nil
		}
		switch what {
		case "outputs":
			n.output, _ = p.segment("an output name")
		case "properties":
			n.prop, _ = p.segment("a property name")
			p.parsePath(n)
		default:
			p.fail(off, "expected outputs or properties after steps.%s, found %q", n.name, what)
		}
	}
	if p.err != nil {
		return nil
	}
	n.end = p.tok.off
	return n
}

func (p *exprParser) parsePath(n *refNode) {
	for p.err == nil {
		switch {
		case p.tok.kind == tokPunct && p.tok.text == ".":
			key, _ := p.segment("a field name")
			n.path = append(n.path, pathElem{key: key})
		case p.tok.kind == tokPunct && p.tok.text == "[":
			p.next()
			t := p.tok
			switch {
			case t.kind == tokString:
				n.path = append(n.path, pathElem{key: t.val.(string)})
			case t.kind == tokNumber:
				i, ok := t.val.(int64)
				if !ok || i < 0 || i > 1<<31 {
					p.fail(t.off, "list index must be a non-negative integer, found %s", t.text)
					return
				}
				n.path = append(n.path, pathElem{index: int(i), isIndex: true})
			default:
				p.fail(t.off, "expected an index or a 'key' inside [ ], found %s", t.describe())
				return
			}
			p.next()
			p.expect("]")
		default:
			return
		}
	}
}

// refString renders a reference in its canonical form.
func (n *refNode) String() string {
	var b strings.Builder
	b.WriteString(n.root + "." + n.name)
	switch {
	case n.output != "":
		b.WriteString(".outputs." + n.output)
	case n.prop != "":
		b.WriteString(".properties." + n.prop)
		for _, e := range n.path {
			switch {
			case e.isIndex:
				b.WriteString("[" + strconv.Itoa(e.index) + "]")
			case isPlainKey(e.key):
				b.WriteString("." + e.key)
			default:
				b.WriteString("[" + strconv.Quote(e.key) + "]")
			}
		}
	}
	return b.String()
}

func isPlainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !isSegmentChar(c) {
			return false
		}
	}
	return true
}

// walk calls f on n and every node below it.
func walk(n exprNode, f func(exprNode)) {
	if n == nil {
		return
	}
	f(n)
	switch n := n.(type) {
	case *listNode:
		for _, e := range n.elems {
			walk(e, f)
		}
	case *unaryNode:
		walk(n.x, f)
	case *binaryNode:
		walk(n.x, f)
		walk(n.y, f)
	case *callNode:
		for _, a := range n.args {
			walk(a, f)
		}
	}
}

// StepRefs returns the names of the steps the expression reads, sorted and
// without duplicates.
func (e *Expr) StepRefs() []string {
	var names []string
	walk(e.root, func(n exprNode) {
		if r, ok := n.(*refNode); ok && r.root == rootSteps {
			names = append(names, r.name)
		}
	})
	return sortedUnique(names)
}

// ParamRefs returns the names of the parameters the expression reads,
// sorted and without duplicates.
func (e *Expr) ParamRefs() []string {
	var names []string
	walk(e.root, func(n exprNode) {
		if r, ok := n.(*refNode); ok && r.root == rootParams {
			names = append(names, r.name)
		}
	})
	return sortedUnique(names)
}
