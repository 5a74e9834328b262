package pipeline

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/ferryml/ferry/internal/step"
)

// KindLookup finds step kinds by ID; *step.Registry satisfies it. If it
// also has an IDs() []string method, unknown-kind messages list the known
// kinds.
type KindLookup interface {
	Lookup(id string) (step.Kind, bool)
}

// Validate checks a parsed definition against the registered kinds: step
// names, kinds and arguments (against each kind's Spec and its
// step.Validator), every reference (parameters, steps, outputs,
// properties, property files), types in comparisons and arguments,
// depends_on, condition branches, and cycles. It returns nil or
// *ValidationErrors listing every problem in file order, including the
// shape problems Parse found in p, so a definition that Parse returned
// with errors never validates.
func Validate(p *Pipeline, kinds KindLookup) error {
	v := &validator{p: p, kinds: kinds, errs: &errList{file: p.File}}
	v.errs.errs = append(v.errs.errs, p.parseErrs...)
	v.names()
	for _, st := range p.Steps {
		v.step(st)
	}
	v.gates()
	v.cycles()
	return v.errs.err()
}

type validator struct {
	p     *Pipeline
	kinds KindLookup
	errs  *errList
}

func (v *validator) names() {
	seen := make(map[string]*Step)
	for _, st := range v.p.Steps {
		if st.Name == "" {
			continue
		}
		if first, dup := seen[st.Name]; dup {
			v.errs.add(v.fieldPos(st, keyName), st.Name, keyName, "duplicate step name %q (first at line %d)", st.Name, first.Pos.Line)
			continue
		}
		seen[st.Name] = st
	}
	params := make(map[string]*Parameter)
	for _, pr := range v.p.Parameters {
		if first, dup := params[pr.Name]; dup {
			v.errs.add(pr.Pos, "", keyParameters+"."+pr.Name, "duplicate parameter name %q (first at line %d)", pr.Name, first.Pos.Line)
			continue
		}
		params[pr.Name] = pr
	}
}

// fieldPos returns where the value of a step's key is written, or the
// step's position.
func (v *validator) fieldPos(st *Step, key string) Pos {
	if st.strs != nil {
		if p, ok := st.strs.vals[key]; ok {
			return p
		}
	}
	if p, ok := st.ArgPos[key]; ok {
		return p
	}
	return st.Pos
}

// indexSegments matches ".3" in "outputs.3", the form some kinds use for
// list elements; ArgPos writes "outputs[3]".
var indexSegments = regexp.MustCompile(`\.([0-9]+)(?:$|\b)`)

// argPos locates a dotted path inside the arguments: the longest known
// prefix, else the step.
func (v *validator) argPos(st *Step, path string) Pos {
	path = indexSegments.ReplaceAllString(path, "[$1]")
	for p := path; p != ""; {
		if pos, ok := st.ArgPos[p]; ok {
			return pos
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			break
		}
		p = p[:i]
	}
	return st.Pos
}

func (v *validator) step(st *Step) {
	for _, dep := range st.DependsOn {
		if v.p.Step(dep) == nil {
			v.errs.add(v.fieldPos(st, keyDependsOn), st.Name, keyDependsOn, "depends_on names unknown step %q%s", dep, didYouMean(dep, v.p.stepNames()))
		}
	}
	if st.Kind == "" {
		return
	}
	if st.Kind == KindCondition {
		v.condition(st)
		return
	}
	k, ok := v.lookup(st.Kind)
	if !ok {
		v.errs.add(v.fieldPos(st, keyKind), st.Name, keyKind, "unknown step kind %q%s", st.Kind, v.kindHint(st.Kind))
		// Still check references in the arguments.
		for _, name := range sortedKeys(st.Args) {
			v.checkValue(st, name, step.Field{Name: name, Type: step.Any}, st.Args[name])
		}
		return
	}
	spec := k.Spec()
	v.args(st, spec)
	v.envelope(st, spec)
	v.kindValidator(st, k, spec)
}

func (v *validator) lookup(id string) (step.Kind, bool) {
	if v.kinds == nil {
		return nil, false
	}
	return v.kinds.Lookup(id)
}

func (v *validator) kindHint(kind string) string {
	ids := []string{KindCondition}
	if l, ok := v.kinds.(interface{ IDs() []string }); ok {
		ids = append(ids, l.IDs()...)
	}
	sort.Strings(ids)
	if s := suggest(kind, ids); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return " (known: " + strings.Join(ids, ", ") + ")"
}

func (v *validator) args(st *Step, spec step.Spec) {
	fields := make(map[string]step.Field, len(spec.Args))
	var names []string
	for _, f := range spec.Args {
		fields[f.Name] = f
		names = append(names, f.Name)
	}
	if _, ok := fields[argOutputs]; !ok && spec.DynamicOutputs {
		fields[argOutputs] = step.Field{Name: argOutputs, Type: step.StringList}
		names = append(names, argOutputs)
	}
	sort.Strings(names)
	for _, name := range sortedKeys(st.Args) {
		f, ok := fields[name]
		if !ok {
			msg := fmt.Sprintf("unknown argument %q of kind %s", name, spec.Kind)
			if s := didYouMean(name, names); s != "" {
				msg += s
			} else if len(names) > 0 {
				msg += " (arguments: " + strings.Join(names, ", ") + ")"
			} else {
				msg += " (it takes no arguments)"
			}
			v.errs.add(st.keyPos(name), st.Name, name, "%s", msg)
			v.checkValue(st, name, step.Field{Name: name, Type: step.Any}, st.Args[name])
			continue
		}
		v.checkValue(st, name, f, st.Args[name])
	}
	for _, f := range spec.Args {
		if _, ok := st.Args[f.Name]; !ok && f.Required {
			v.errs.add(st.Pos, st.Name, f.Name, "missing required argument %q of kind %s", f.Name, spec.Kind)
		}
	}
}

// envelope checks cache and property files against the kind.
func (v *validator) envelope(st *Step, spec step.Spec) {
	if spec.NoCache && st.cacheSet && st.Cache.Enabled {
		v.errs.add(v.fieldPos(st, keyCache), st.Name, keyCache, "kind %s is never cached (it acts on the world); remove cache", spec.Kind)
	}
	if len(st.PropertyFiles) == 0 {
		return
	}
	c := &checker{p: v.p, kinds: v.kinds}
	outputs, known := c.stepOutputs(st)
	for _, name := range sortedKeys(st.PropertyFiles) {
		pf := st.PropertyFiles[name]
		field := keyPropertyFiles + "." + name
		pos := v.fieldPos(st, keyPropertyFiles)
		if st.strs != nil && st.strs.propPos != nil {
			if p, ok := st.strs.propPos[name]; ok {
				pos = p
			}
		}
		for _, f := range spec.Properties {
			if f.Name == name {
				v.errs.add(pos, st.Name, field, "property file %q has the name of a property of kind %s", name, spec.Kind)
			}
		}
		if !known {
			continue
		}
		switch {
		case pf.Output == "" && len(outputs) == 1:
		case pf.Output == "" && len(outputs) == 0:
			v.errs.add(pos, st.Name, field, "property file %q: step %q (kind %s) declares no outputs to read it from", name, st.Name, spec.Kind)
		case pf.Output == "":
			v.errs.add(pos, st.Name, field, "property file %q must name its output: the step has outputs %s", name, strings.Join(outputs, ", "))
		case !contains(outputs, pf.Output):
			list := "none"
			if len(outputs) > 0 {
				list = strings.Join(outputs, ", ")
			}
			v.errs.add(pos, st.Name, field, "property file %q reads output %q, which step %q (kind %s) does not declare (outputs: %s)", name, pf.Output, st.Name, spec.Kind, list)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *validator) condition(st *Step) {
	for _, key := range []string{keyCache, keyRetry, keyTimeout, keyPropertyFiles, keyQueue} {
		if st.strs != nil {
			if pos, ok := st.strs.keys[key]; ok {
				v.errs.add(pos, st.Name, key, "%s is not allowed on condition steps", key)
			}
		}
	}
	for _, name := range sortedKeys(st.Args) {
		v.errs.add(st.keyPos(name), st.Name, name, "unknown key %q of a condition step (known: if, then, else, depends_on, description, display_name)", name)
	}
	if st.If != nil {
		t := v.checkExpr(st, st.If, func(off int) Pos { return v.condPos(st, off) })
		if t.t != tUnknown && t.t != tBool {
			v.errs.add(v.condPos(st, 0), st.Name, keyIf, "type mismatch: a condition must be a boolean, got %s", t.desc)
		}
	}
	for branch, names := range map[string][]string{keyThen: st.Then, keyElse: st.Else} {
		for _, name := range names {
			switch {
			case name == st.Name:
				v.errs.add(v.fieldPos(st, branch), st.Name, branch, "a condition cannot gate itself")
			case v.p.Step(name) == nil:
				v.errs.add(v.fieldPos(st, branch), st.Name, branch, "%s names unknown step %q%s", branch, name, didYouMean(name, v.p.stepNames()))
			}
		}
	}
}

// condPos locates byte offset off of the condition's expression.
func (v *validator) condPos(st *Step, off int) Pos {
	fallback := v.fieldPos(st, keyIf)
	if st.strs == nil || st.strs.condNode == nil {
		return fallback
	}
	return offsetPos(st.strs.condNode, st.strs.ifOffset+off)
}

// gates reports steps gated by more than one condition or branch.
func (v *validator) gates() {
	type at struct{ cond, branch string }
	first := make(map[string]at)
	for _, c := range v.p.Steps {
		if c.Kind != KindCondition {
			continue
		}
		for _, b := range []struct {
			name  string
			steps []string
		}{{BranchThen, c.Then}, {BranchElse, c.Else}} {
			for _, name := range b.steps {
				if prev, dup := first[name]; dup {
					v.errs.add(v.fieldPos(c, b.name), c.Name, b.name, "step %q is gated twice: by %s of %q and by %s of %q; a step may sit in one branch only", name, prev.branch, prev.cond, b.name, c.Name)
					continue
				}
				first[name] = at{c.Name, b.name}
			}
		}
	}
}

// cycles reports each dependency cycle once, naming it a -> b -> a.
func (v *validator) cycles() {
	const (
		white = iota
		grey
		black
	)
	color := make(map[string]int)
	var stack []string
	reported := make(map[string]bool)
	var visit func(name string)
	visit = func(name string) {
		color[name] = grey
		stack = append(stack, name)
		st := v.p.Step(name)
		for _, dep := range v.p.Dependencies(st) {
			if v.p.Step(dep) == nil {
				continue
			}
			switch color[dep] {
			case white:
				visit(dep)
			case grey:
				i := len(stack) - 1
				for i >= 0 && stack[i] != dep {
					i--
				}
				// stack[i:] is dep ... name; name depends on dep, so
				// the cycle in "depends on" order runs backwards.
				cyc := append([]string(nil), stack[i:]...)
				for l, r := 0, len(cyc)-1; l < r; l, r = l+1, r-1 {
					cyc[l], cyc[r] = cyc[r], cyc[l]
				}
				key := cycleKey(cyc)
				if !reported[key] {
					reported[key] = true
					head := v.p.Step(cyc[0])
					v.errs.add(head.Pos, head.Name, "", "dependency cycle: %s -> %s", strings.Join(cyc, " -> "), cyc[0])
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[name] = black
	}
	for _, st := range v.p.Steps {
		if st.Name != "" && color[st.Name] == white && v.p.Step(st.Name) == st {
			visit(st.Name)
		}
	}
}

func cycleKey(cyc []string) string {
	s := append([]string(nil), cyc...)
	sort.Strings(s)
	return strings.Join(s, "\x00")
}

// kindValidator runs the kind's own checks on the literal arguments, with
// references replaced by *step.RefPlaceholder.
func (v *validator) kindValidator(st *Step, k step.Kind, spec step.Spec) {
	val, ok := k.(step.Validator)
	if !ok {
		return
	}
	args := make(map[string]any, len(st.Args))
	for name, a := range st.Args {
		args[name] = v.placeholders(a)
	}
	for _, err := range runValidator(val, args) {
		var fe *step.FieldError
		if errors.As(err, &fe) {
			v.errs.add(v.argPos(st, fe.Field), st.Name, fe.Field, "%s", fe.Msg)
			continue
		}
		v.errs.add(st.Pos, st.Name, "", "kind %s: %v", spec.Kind, err)
	}
}

// runValidator calls a kind's ValidateArgs, turning a panic into an error:
// a bug in one kind must not crash validation.
func runValidator(val step.Validator, args map[string]any) (errs []error) {
	defer func() {
		if r := recover(); r != nil {
			errs = []error{fmt.Errorf("the kind's argument check panicked: %v", r)}
		}
	}()
	return val.ValidateArgs(args)
}

func (v *validator) placeholders(a any) any {
	switch x := a.(type) {
	case string:
		if !hasTemplate(x) {
			return x
		}
		t, err := parseTemplate(x)
		if err != nil {
			return &step.RefPlaceholder{Expr: x, Type: step.Any}
		}
		if !t.exact {
			return &step.RefPlaceholder{Expr: x, Type: step.String}
		}
		c := &checker{p: v.p, kinds: v.kinds, report: func(int, string, ...any) {}}
		return &step.RefPlaceholder{Expr: x, Type: c.check(t.parts[0].expr.root).t.stepType()}
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = v.placeholders(el)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, el := range x {
			out[k] = v.placeholders(el)
		}
		return out
	}
	return a
}

// suggest returns the candidate closest to name when it is close enough
// to be a likely typo (two edits or fewer), else one that name abbreviates.
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestDist && 2*d < len(name) && c != name {
			best, bestDist = c, d
		}
	}
	if best == "" && len(name) >= 3 {
		for _, c := range candidates {
			if strings.HasPrefix(c, name) {
				return c
			}
		}
	}
	return best
}

// didYouMean formats a suggestion for messages, or "".
func didYouMean(name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

// stepNames lists the pipeline's step names.
func (p *Pipeline) stepNames() []string {
	names := make([]string, 0, len(p.Steps))
	for _, st := range p.Steps {
		names = append(names, st.Name)
	}
	return names
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
