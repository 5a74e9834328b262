package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/ferryml/ferry/internal/run"
)

// Pipeline summarizes a pipeline: its name, its latest stored version and
// how many versions and executions it has.
type Pipeline struct {
	Name          string `json:"name"`
	LatestVersion string `json:"latest_version"`
	Versions      int    `json:"versions"`
	Executions    int    `json:"executions"`
}

// Pipelines lists every pipeline that has run here, by name.
func (a *App) Pipelines(ctx context.Context) ([]Pipeline, error) {
	vs, err := a.cfg.Executions.PipelineVersions(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []Pipeline
	index := map[string]int{}
	for _, v := range vs { // newest first
		i, ok := index[v.Name]
		if !ok {
			i = len(out)
			index[v.Name] = i
			out = append(out, Pipeline{Name: v.Name, LatestVersion: v.Digest})
		}
		out[i].Versions++
		out[i].Executions += v.Executions
	}
	return out, nil
}

// PipelineVersions lists the stored versions of a pipeline, newest first
// (run.ErrPipelineNotFound when it has none).
func (a *App) PipelineVersions(ctx context.Context, name string) ([]run.PipelineVersion, error) {
	if name == "" {
		return nil, fmt.Errorf("no pipeline named: %w", ErrInvalid)
	}
	vs, err := a.cfg.Executions.PipelineVersions(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("pipeline %q: %w", quote(name), run.ErrPipelineNotFound)
	}
	return vs, nil
}

// PipelineSource returns the definition text of a stored version of the
// named pipeline (run.ErrPipelineNotFound when the pipeline has no such
// version).
func (a *App) PipelineSource(ctx context.Context, name, digest string) ([]byte, error) {
	vs, err := a.cfg.Executions.PipelineVersions(ctx, name)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(vs, func(v run.PipelineVersion) bool { return v.Digest == digest }) {
		return nil, fmt.Errorf("pipeline %q version %.12s: %w", quote(name), quote(digest), run.ErrPipelineNotFound)
	}
	return a.cfg.Executions.PipelineSource(ctx, digest)
}

// Graph is a stored pipeline version as a graph: its parameters and its
// steps with what each waits for, for a front end to draw.
type Graph struct {
	Name        string           `json:"name"`
	Digest      string           `json:"digest"`
	Description string           `json:"description,omitempty"`
	Parameters  []GraphParameter `json:"parameters"`
	Steps       []GraphStep      `json:"steps"`
}

// GraphParameter is a declared parameter (a secret one shows no default).
type GraphParameter struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Default     any    `json:"default,omitempty"`
	Enum        []any  `json:"enum,omitempty"`
	Description string `json:"description,omitempty"`
	Secret      bool   `json:"secret,omitempty"`
}

// GraphStep is a step and its edges: DependsOn holds every step it waits
// for (data references, depends_on, the condition that gates it);
// Condition and Branch name that condition step and its branch ("then"
// or "else").
type GraphStep struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	DisplayName string   `json:"display_name,omitempty"`
	Description string   `json:"description,omitempty"`
	DependsOn   []string `json:"depends_on"`
	Condition   string   `json:"condition,omitempty"`
	Branch      string   `json:"branch,omitempty"`
}

// PipelineGraph returns a stored version of the named pipeline as a
// graph, its steps in an order that runs dependencies first.
func (a *App) PipelineGraph(ctx context.Context, name, digest string) (Graph, error) {
	src, err := a.PipelineSource(ctx, name, digest)
	if err != nil {
		return Graph{}, err
	}
	p, err := a.Validate(name+".yaml", src)
	if err != nil {
		return Graph{}, err
	}
	g := Graph{Name: p.Name, Digest: digest, Description: p.Description, Parameters: []GraphParameter{}, Steps: []GraphStep{}}
	for _, prm := range p.Parameters {
		gp := GraphParameter{Name: prm.Name, Type: string(prm.Type), Enum: prm.Enum, Description: prm.Description, Secret: prm.Secret}
		if prm.HasDefault && !prm.Secret {
			gp.Default = prm.Default
		}
		g.Parameters = append(g.Parameters, gp)
	}
	for _, st := range p.TopoOrder() {
		gs := GraphStep{Name: st.Name, Kind: st.Kind, DisplayName: st.DisplayName, Description: st.Description,
			DependsOn: append([]string{}, p.Dependencies(st)...)}
		if cond, branch, ok := p.Gate(st); ok {
			gs.Condition, gs.Branch = cond, branch
		}
		g.Steps = append(g.Steps, gs)
	}
	return g, nil
}
