package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// NamedPipeline is a pipeline created by name and updated in place, as
// SageMaker's CreatePipeline and UpdatePipeline keep them. Its executions
// are ordinary executions of its definition (the definition's stored
// versions are what `ferry pipelines versions` lists once it runs).
type NamedPipeline struct {
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name,omitempty"`
	Description string    `json:"description,omitempty"`
	RoleARN     string    `json:"role_arn,omitempty"`
	Definition  string    `json:"definition"`
	CreatedBy   string    `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// namedPipelineRE is SageMaker's pipeline-name pattern.
var namedPipelineRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$`)

func (a *App) namedPipelinePath(name string) (string, error) {
	if !namedPipelineRE.MatchString(name) {
		return "", fmt.Errorf("pipeline name %q: want letters and digits, with single or repeated hyphens between them (at most 256): %w", quote(name), ErrInvalid)
	}
	return filepath.Join(a.cfg.Home, "named-pipelines", name+".json"), nil
}

// PutNamedPipeline validates p's definition and stores it: create refuses
// an existing name (ErrConflict), update a missing one (ErrNotFound) and
// keeps the creation time.
func (a *App) PutNamedPipeline(ctx context.Context, p NamedPipeline, create bool) (NamedPipeline, error) {
	path, err := a.namedPipelinePath(p.Name)
	if err != nil {
		return p, err
	}
	if _, err := a.Validate(p.Name+".json", []byte(p.Definition)); err != nil {
		return p, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old, err := a.readNamedPipeline(path)
	now := a.cfg.Now().UTC()
	switch {
	case err == nil && create:
		return p, fmt.Errorf("pipeline %s already exists: %w", p.Name, ErrConflict)
	case errors.Is(err, ErrNotFound) && !create:
		return p, err
	case errors.Is(err, ErrNotFound):
		p.CreatedAt = now
	case err != nil:
		return p, err
	default:
		p.CreatedAt, p.CreatedBy = old.CreatedAt, old.CreatedBy
		if p.Description == "" {
			p.Description = old.Description
		}
		if p.DisplayName == "" {
			p.DisplayName = old.DisplayName
		}
		if p.RoleARN == "" {
			p.RoleARN = old.RoleARN
		}
	}
	p.UpdatedAt = now
	b, err := json.Marshal(p)
	if err != nil {
		return p, fmt.Errorf("storing pipeline %s: %w", p.Name, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return p, fmt.Errorf("storing pipeline %s: %w", p.Name, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return p, fmt.Errorf("storing pipeline %s: %w", p.Name, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return p, fmt.Errorf("storing pipeline %s: %w", p.Name, err)
	}
	return p, nil
}

func (a *App) readNamedPipeline(path string) (NamedPipeline, error) {
	var p NamedPipeline
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, fmt.Errorf("pipeline %s does not exist: %w", strings.TrimSuffix(filepath.Base(path), ".json"), ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("reading pipeline: %w", err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("reading pipeline %s: %w", path, err)
	}
	return p, nil
}

// NamedPipeline returns the pipeline created by name (ErrNotFound).
func (a *App) NamedPipeline(_ context.Context, name string) (NamedPipeline, error) {
	path, err := a.namedPipelinePath(name)
	if err != nil {
		return NamedPipeline{}, err
	}
	return a.readNamedPipeline(path)
}

// NamedPipelines lists the pipelines created by name, by name.
func (a *App) NamedPipelines(_ context.Context) ([]NamedPipeline, error) {
	dir := filepath.Join(a.cfg.Home, "named-pipelines")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing pipelines: %w", err)
	}
	var out []NamedPipeline
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p, err := a.readNamedPipeline(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(x, y NamedPipeline) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// DeleteNamedPipeline deletes a pipeline created by name (ErrNotFound);
// its executions stay.
func (a *App) DeleteNamedPipeline(_ context.Context, name string) error {
	path, err := a.namedPipelinePath(name)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := os.Remove(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pipeline %s does not exist: %w", name, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("deleting pipeline %s: %w", name, err)
	}
	return nil
}
