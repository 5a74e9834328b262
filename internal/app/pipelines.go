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
