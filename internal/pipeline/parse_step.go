package pipeline

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Envelope keys of a step: every other key is an argument of the kind.
const (
	keyKind          = "kind"
	keyDisplayName   = "display_name"
	keyDependsOn     = "depends_on"
	keyCache         = "cache"
	keyRetry         = "retry"
	keyTimeout       = "timeout"
	keyPropertyFiles = "property_files"
	keyQueue         = "queue"
	keyIf            = "if"
	keyThen          = "then"
	keyElse          = "else"
)

// Retry defaults and bounds.
const (
	DefaultRetryInterval = time.Second
	DefaultBackoffRate   = 2.0
	MaxRetryAttempts     = 20
)

func (p *Pipeline) parseSteps(d *decoder, n *yaml.Node) {
	n = deref(n)
	if n == nil {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errs.add(nodePos(n), "", keySteps, "steps must be a list of steps, got %s", kindName(n))
		return
	}
	if len(n.Content) == 0 {
		d.errs.add(nodePos(n), "", keySteps, "a pipeline needs at least one step")
	}
	for i, c := range n.Content {
		if st := p.parseStep(d, c, i); st != nil {
			p.Steps = append(p.Steps, st)
		}
	}
}

// stepStrings records, per step, where string arguments and the condition
// start in the file, for locating problems inside expressions.
type stepStrings struct {
	args map[string]Pos
	// keys and vals locate each key of the step and its value; propPos
	// each property file.
	keys    map[string]Pos
	vals    map[string]Pos
	propPos map[string]Pos
	cond    Pos
	// ifOffset is where the expression starts inside the if string.
	ifOffset int
	// condNode is the If scalar (nil when absent).
	condNode *yaml.Node
}

func (p *Pipeline) parseStep(d *decoder, n *yaml.Node, index int) *Step {
	n = deref(n)
	at := fmt.Sprintf("steps[%d]", index)
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil {
			d.errs.add(nodePos(n), "", at, "a step must be a mapping with name and kind, got %s", kindName(n))
		}
		return nil
	}
	st := &Step{
		Pos:    nodePos(n),
		Args:   make(map[string]any),
		ArgPos: make(map[string]Pos),
		Cache:  CachePolicy{Enabled: true},
		strs:   &stepStrings{args: make(map[string]Pos), keys: make(map[string]Pos), vals: make(map[string]Pos)},
	}
	// Read the name first so every later message names the step.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k != nil && k.Value == keyName {
			if s, ok := d.str(n.Content[i+1], "", at+"."+keyName); ok {
				st.Name = s
				if !namePattern.MatchString(s) {
					d.errs.add(nodePos(n.Content[i+1]), "", at+"."+keyName, "bad step name %q: use 1 to 64 letters, digits, _ or -", s)
				}
			}
			break
		}
	}
	var haveKind, haveIf bool
	var ifNode *yaml.Node
	condKeys := map[string]*yaml.Node{}
	d.pairs(n, st.Name, "", func(key string, k, v *yaml.Node) {
		st.strs.keys[key] = nodePos(k)
		st.strs.vals[key] = nodePos(deref(v))
		switch key {
		case keyName:
		case keyKind:
			haveKind = true
			st.Kind, _ = d.str(v, st.Name, key)
		case keyDescription:
			st.Description, _ = d.str(v, st.Name, key)
		case keyDisplayName:
			st.DisplayName, _ = d.str(v, st.Name, key)
		case keyDependsOn:
			st.DependsOn = d.strList(v, st.Name, key)
		case keyCache:
			d.parseCache(st, v)
		case keyRetry:
			d.parseRetry(st, v)
		case keyTimeout:
			if dur, ok := d.duration(v, st.Name, key); ok {
				if dur <= 0 {
					d.errs.add(nodePos(v), st.Name, key, "timeout must be positive")
				}
				st.Timeout = dur
			}
		case keyPropertyFiles:
			d.parsePropertyFiles(st, v)
		case keyQueue:
			if q, ok := d.str(v, st.Name, key); ok {
				if !namePattern.MatchString(q) {
					d.errs.add(nodePos(v), st.Name, key, "bad queue name %q: use 1 to 64 letters, digits, _ or -", q)
				}
				st.Queue = q
			}
		case keyIf:
			haveIf = true
			ifNode = v
			condKeys[key] = k
		case keyThen:
			st.Then = d.strList(v, st.Name, key)
			condKeys[key] = k
		case keyElse:
			st.Else = d.strList(v, st.Name, key)
			condKeys[key] = k
		default:
			val, _ := d.value(v, key, st.Name, st.ArgPos, st.strs.args, 1)
			st.Args[key] = val
			st.ArgPos[key] = nodePos(v)
		}
	})
	if st.Name == "" {
		d.errs.add(nodePos(n), "", at, "step has no name")
	}
	if !haveKind {
		d.errs.add(nodePos(n), st.Name, at, "step has no kind")
	}
	if st.Kind == KindCondition {
		if !haveIf {
			d.errs.add(nodePos(n), st.Name, keyIf, "condition step has no if")
		} else {
			d.parseIf(st, ifNode)
		}
		if st.Then == nil && st.Else == nil {
			d.errs.add(nodePos(n), st.Name, "", "condition step names no steps in then or else")
		}
	} else if st.Kind != "" {
		for _, key := range []string{keyIf, keyThen, keyElse} {
			if k, ok := condKeys[key]; ok {
				d.errs.add(nodePos(k), st.Name, key, "%q is only allowed on condition steps", key)
			}
		}
	}
	return st
}

// keyPos returns where a step's argument key is written.
func (st *Step) keyPos(arg string) Pos {
	if st.strs != nil {
		if p, ok := st.strs.keys[arg]; ok {
			return p
		}
	}
	return st.ArgPos[arg]
}

func (d *decoder) parseIf(st *Step, n *yaml.Node) {
	n = deref(n)
	st.strs.condNode = n
	src, ok := d.str(n, st.Name, keyIf)
	if !ok {
		return
	}
	st.strs.cond = contentStart(n)
	// A whole-condition ${{ }} wrapper is accepted too.
	inner, off := src, 0
	if t := strings.TrimSpace(src); strings.HasPrefix(t, tmplOpen) && strings.HasSuffix(t, tmplClose) {
		off = strings.Index(src, tmplOpen) + len(tmplOpen)
		inner = src[off : len(src)-(len(src)-strings.LastIndex(src, tmplClose))]
	}
	e, err := ParseExpr(inner)
	if err != nil {
		ee := err.(*ExprError)
		d.errs.add(offsetPos(n, off+ee.Offset), st.Name, keyIf, "expression %q: %s", strings.TrimSpace(inner), ee.Error())
		return
	}
	st.If = e
	st.strs.ifOffset = off
}

func (d *decoder) duration(n *yaml.Node, stepName, field string) (time.Duration, bool) {
	n = deref(n)
	if n == nil {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		d.errs.add(nodePos(n), stepName, field, "must be a duration such as 90s, 1h30m, 30d or PT1H, got %s", kindName(n))
		return 0, false
	}
	dur, err := ParseDuration(n.Value)
	if err != nil {
		d.errs.add(nodePos(n), stepName, field, "%v", err)
		return 0, false
	}
	return dur, true
}

func (d *decoder) parseCache(st *Step, v *yaml.Node) {
	if n := deref(v); n != nil && n.Kind == yaml.ScalarNode {
		// cache: false is short for cache: {enabled: false}.
		if b, ok := d.boolean(n, st.Name, keyCache); ok {
			st.Cache.Enabled, st.cacheSet = b, true
		}
		return
	}
	m, ok := d.mapping(v, st.Name, keyCache)
	if !ok {
		return
	}
	d.pairs(m, st.Name, keyCache, func(key string, k, v *yaml.Node) {
		field := keyCache + "." + key
		switch key {
		case "enabled":
			if b, ok := d.boolean(v, st.Name, field); ok {
				st.Cache.Enabled, st.cacheSet = b, true
			}
		case "expire_after":
			if dur, ok := d.duration(v, st.Name, field); ok {
				st.Cache.ExpireAfter = dur
			}
		default:
			d.errs.add(nodePos(k), st.Name, field, "unknown cache key %q (known: enabled, expire_after)", key)
		}
	})
}

func (d *decoder) parseRetry(st *Step, v *yaml.Node) {
	m, ok := d.mapping(v, st.Name, keyRetry)
	if !ok {
		return
	}
	r := &RetryPolicy{Interval: DefaultRetryInterval, BackoffRate: DefaultBackoffRate}
	st.Retry = r
	haveMax := false
	d.pairs(m, st.Name, keyRetry, func(key string, k, v *yaml.Node) {
		field := keyRetry + "." + key
		switch key {
		case "max_attempts":
			haveMax = true
			if n, ok := d.integer(v, st.Name, field); ok {
				if n < 1 || n > MaxRetryAttempts {
					d.errs.add(nodePos(v), st.Name, field, "max_attempts %d is out of range 1..%d", n, MaxRetryAttempts)
				} else {
					r.MaxAttempts = int(n)
				}
			}
		case "interval":
			if dur, ok := d.duration(v, st.Name, field); ok {
				r.Interval = dur
			}
		case "backoff_rate":
			if f, ok := d.number(v, st.Name, field); ok {
				if f < 1 || f > 100 {
					d.errs.add(nodePos(v), st.Name, field, "backoff_rate %g is out of range 1..100", f)
				} else {
					r.BackoffRate = f
				}
			}
		case "max_interval":
			if dur, ok := d.duration(v, st.Name, field); ok {
				r.MaxInterval = dur
			}
		default:
			d.errs.add(nodePos(k), st.Name, field, "unknown retry key %q (known: max_attempts, interval, backoff_rate, max_interval)", key)
		}
	})
	if !haveMax {
		d.errs.add(nodePos(m), st.Name, keyRetry, "retry needs max_attempts (1..%d)", MaxRetryAttempts)
	}
	if r.MaxInterval > 0 && r.MaxInterval < r.Interval {
		d.errs.add(nodePos(m), st.Name, keyRetry, "max_interval %s is shorter than interval %s", FormatDuration(r.MaxInterval), FormatDuration(r.Interval))
	}
}

func (d *decoder) parsePropertyFiles(st *Step, v *yaml.Node) {
	m, ok := d.mapping(v, st.Name, keyPropertyFiles)
	if !ok {
		return
	}
	st.PropertyFiles = make(map[string]PropertyFile)
	if st.strs.propPos == nil {
		st.strs.propPos = make(map[string]Pos)
	}
	d.pairs(m, st.Name, keyPropertyFiles, func(name string, k, v *yaml.Node) {
		field := keyPropertyFiles + "." + name
		if !namePattern.MatchString(name) {
			d.errs.add(nodePos(k), st.Name, field, "bad property file name %q: use 1 to 64 letters, digits, _ or -", name)
		}
		st.strs.propPos[name] = nodePos(v)
		var pf PropertyFile
		n := deref(v)
		if n != nil && n.Kind == yaml.ScalarNode {
			// Short form: name: path/in/the/only/output.json
			pf.Path, _ = d.str(n, st.Name, field)
		} else {
			pm, ok := d.mapping(v, st.Name, field)
			if !ok {
				return
			}
			d.pairs(pm, st.Name, field, func(key string, k, v *yaml.Node) {
				switch key {
				case "output":
					pf.Output, _ = d.str(v, st.Name, field+"."+key)
				case "path":
					pf.Path, _ = d.str(v, st.Name, field+"."+key)
				default:
					d.errs.add(nodePos(k), st.Name, field+"."+key, "unknown property file key %q (known: output, path)", key)
				}
			})
		}
		if pf.Path == "" {
			d.errs.add(nodePos(v), st.Name, field, "property file needs a path")
		} else if strings.HasPrefix(pf.Path, "/") || hasDotDot(pf.Path) {
			d.errs.add(nodePos(v), st.Name, field, "property file path %q must be relative and stay inside the output", pf.Path)
		}
		st.PropertyFiles[name] = pf
	})
}

func hasDotDot(path string) bool {
	for _, part := range strings.Split(strings.ReplaceAll(path, "\\", "/"), "/") {
		if part == ".." {
			return true
		}
	}
	return false
}
