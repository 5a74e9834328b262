package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/ferryml/ferry/internal/pipeline"
)

// graph is the step graph the scheduler walks: each step's dependencies,
// including the condition step that gates it.
type graph struct {
	deps  map[string][]string
	down  map[string][]string
	order []string
}

func newGraph(p *pipeline.Pipeline) *graph {
	g := &graph{deps: make(map[string][]string), down: make(map[string][]string)}
	for _, st := range p.TopoOrder() {
		g.order = append(g.order, st.Name)
		seen := make(map[string]bool)
		add := func(d string) {
			if d != "" && d != st.Name && !seen[d] {
				seen[d] = true
				g.deps[st.Name] = append(g.deps[st.Name], d)
				g.down[d] = append(g.down[d], st.Name)
			}
		}
		for _, d := range p.Dependencies(st) {
			add(d)
		}
		if cond, _, ok := p.Gate(st); ok {
			add(cond)
		}
	}
	return g
}

// walk returns every step reachable from s through next, excluding s.
func walk(s string, next map[string][]string) map[string]bool {
	seen := make(map[string]bool)
	stack := []string{s}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, n := range next[cur] {
			if !seen[n] {
				seen[n] = true
				stack = append(stack, n)
			}
		}
	}
	return seen
}

// upstream returns s's transitive dependencies in topological order.
func (g *graph) upstream(s string) []string {
	up := walk(s, g.deps)
	var out []string
	for _, n := range g.order {
		if up[n] {
			out = append(out, n)
		}
	}
	return out
}

// between returns the unselected steps that are downstream of s and
// upstream of another selected step.
func (g *graph) between(s string, selected map[string]bool) []string {
	down := walk(s, g.down)
	var out []string
	for _, n := range g.order {
		if !down[n] || selected[n] {
			continue
		}
		for t := range walk(n, g.down) {
			if selected[t] {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// newExecutionID returns a sortable, unique execution ID such as
// "e-20261123-055501-3fa2c1".
func newExecutionID(now time.Time) (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating execution ID: %w", err)
	}
	return "e-" + now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:]), nil
}
