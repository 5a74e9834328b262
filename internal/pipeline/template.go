package pipeline

import (
	"fmt"
	"sort"
	"strings"
)

// A template is a string argument holding ${{ expr }} parts. "$${{" writes a
// literal "${{".
type template struct {
	parts []tmplPart
	// exact is set when the string is exactly one ${{ expr }}: the result
	// keeps the expression's type.
	exact bool
}

type tmplPart struct {
	text string
	expr *Expr
	off  int // byte offset of the expression's source in the string
}

const (
	tmplOpen  = "${{"
	tmplClose = "}}"
)

// hasTemplate reports whether s holds a ${{ marker (escaped or not).
func hasTemplate(s string) bool { return strings.Contains(s, tmplOpen) }

// TemplateError is a syntax error in a ${{ }} template. Offset is the byte
// offset in the string where the problem is.
type TemplateError struct {
	Offset int
	Msg    string
}

// Error returns the message.
func (e *TemplateError) Error() string { return e.Msg }

// parseTemplate splits s into literal text and expressions.
func parseTemplate(s string) (*template, error) {
	t := &template{}
	var text strings.Builder
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], tmplOpen)
		if j < 0 {
			text.WriteString(s[i:])
			break
		}
		j += i
		if j > 0 && s[j-1] == '$' {
			// "$${{" is a literal "${{".
			text.WriteString(s[i : j-1])
			text.WriteString(tmplOpen)
			i = j + len(tmplOpen)
			continue
		}
		text.WriteString(s[i:j])
		start := j + len(tmplOpen)
		end, err := findClose(s, start)
		if err != nil {
			return nil, err
		}
		src := s[start:end]
		e, perr := ParseExpr(src)
		if perr != nil {
			if ee, ok := perr.(*ExprError); ok {
				off := start + ee.Offset
				return nil, &TemplateError{Offset: off, Msg: fmt.Sprintf("expression %q: %s", strings.TrimSpace(src), ee.Error())}
			}
			return nil, perr
		}
		if text.Len() > 0 {
			t.parts = append(t.parts, tmplPart{text: text.String()})
			text.Reset()
		}
		t.parts = append(t.parts, tmplPart{expr: e, off: start})
		i = end + len(tmplClose)
	}
	if text.Len() > 0 {
		t.parts = append(t.parts, tmplPart{text: text.String()})
	}
	t.exact = len(t.parts) == 1 && t.parts[0].expr != nil
	return t, nil
}

// findClose returns the offset of the "}}" closing a template that starts
// at start, skipping quoted strings inside the expression.
func findClose(s string, start int) (int, error) {
	var quote byte
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case strings.HasPrefix(s[i:], tmplClose):
			return i, nil
		}
	}
	return 0, &TemplateError{Offset: start - len(tmplOpen), Msg: "unterminated ${{ (missing }})"}
}

// eval evaluates the template: an exact template keeps its type, otherwise
// the parts are joined into a string.
func (t *template) eval(s Scope) (any, error) {
	if t.exact {
		return t.parts[0].expr.Eval(s)
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.expr.Eval(s)
		if err != nil {
			return nil, fmt.Errorf("expression %q: %w", strings.TrimSpace(p.expr.Src), err)
		}
		b.WriteString(Stringify(v))
	}
	return b.String(), nil
}

func (t *template) exprs() []*Expr {
	var out []*Expr
	for _, p := range t.parts {
		if p.expr != nil {
			out = append(out, p.expr)
		}
	}
	return out
}

// ResolveArgs evaluates every template in the step's Args against s and
// returns plain values (a deep copy; Args is not modified). A string that is
// exactly one ${{ expr }} takes the expression's value and type; other
// strings with templates become strings. Errors name the argument.
func (st *Step) ResolveArgs(s Scope) (map[string]any, error) {
	out := make(map[string]any, len(st.Args))
	for _, k := range sortedKeys(st.Args) {
		v, err := resolveValue(st.Args[k], k, s)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", st.Name, err)
		}
		out[k] = v
	}
	return out, nil
}

func resolveValue(v any, path string, s Scope) (any, error) {
	switch x := v.(type) {
	case string:
		if !hasTemplate(x) {
			return x, nil
		}
		t, err := parseTemplate(x)
		if err != nil {
			return nil, fmt.Errorf("argument %q: %w", path, err)
		}
		r, err := t.eval(s)
		if err != nil {
			return nil, fmt.Errorf("argument %q: %w", path, err)
		}
		return r, nil
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			r, err := resolveValue(el, fmt.Sprintf("%s[%d]", path, i), s)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if name, ok := FromEnv(x); ok {
			return resolveEnv(name, path, s)
		}
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			r, err := resolveValue(x[k], path+"."+k, s)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

// resolveEnv resolves {from_env: name}. The error names the variable,
// never a value.
func resolveEnv(name, path string, s Scope) (any, error) {
	es, ok := s.(EnvScope)
	if !ok {
		return nil, fmt.Errorf("argument %q: {from_env: %s} cannot be resolved here", path, name)
	}
	v, ok := es.Env(name)
	if !ok {
		return nil, fmt.Errorf("argument %q: environment variable %s is not set (or empty) in the environment of Ferry", path, name)
	}
	return v, nil
}

// argExprs calls f for every template in v (an argument value), with the
// argument path.
func argTemplates(v any, path string, f func(path, s string)) {
	switch x := v.(type) {
	case string:
		if hasTemplate(x) {
			f(path, x)
		}
	case []any:
		for i, el := range x {
			argTemplates(el, fmt.Sprintf("%s[%d]", path, i), f)
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			argTemplates(x[k], path+"."+k, f)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedUnique(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	sort.Strings(s)
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}
