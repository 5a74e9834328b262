package clarifycheck

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/step"
)

// withAnalysisConfig completes a.Config with the keys of a SageMaker
// ClarifyCheck step's analysis_config.json that the check uses; keys
// already in config win.
func (k *Kind) withAnalysisConfig(ctx context.Context, env step.Env, a args) (map[string]any, error) {
	var ref artifact.Ref
	switch v := a.AnalysisConfig.(type) {
	case artifact.Ref:
		ref = v
	case string:
		ref = artifact.Ref(v)
		if strings.HasPrefix(v, "s3://") {
			if k.Objects == nil {
				return nil, step.Permanent(fmt.Errorf("analysis_config %s: reading s3:// objects needs Ferry's object namespace, which this run does not have", v))
			}
			r, err := k.Objects.Import(ctx, v)
			if err != nil {
				return nil, fmt.Errorf("analysis_config: %w", err)
			}
			ref = r
		}
	default:
		return nil, step.Permanent(fmt.Errorf("analysis_config: want an artifact or an s3:// URI, got %T", v))
	}
	dir, err := env.Store.Path(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("analysis_config: %w", err)
	}
	path, err := jsonFile(dir)
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("analysis_config: %w", err))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("analysis_config: %w", err)
	}
	var full map[string]any
	if err := json.Unmarshal(b, &full); err != nil {
		return nil, step.Permanent(fmt.Errorf("analysis_config %s: %w", filepath.Base(path), err))
	}
	keys := append([]string{"methods", "label"}, biasKeys...)
	if a.CheckType == ModelExplainability {
		keys = []string{"methods", "label", "headers", "excluded_columns"}
	}
	out := make(map[string]any, len(a.Config)+len(keys))
	for _, key := range keys {
		if v, ok := full[key]; ok {
			out[key] = v
		}
	}
	for key, v := range a.Config {
		out[key] = v
	}
	return out, nil
}

// jsonFile returns path itself, or the analysis_config.json (else the only
// .json file) of a directory.
func jsonFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return path, nil
	}
	if _, err := os.Stat(filepath.Join(path, "analysis_config.json")); err == nil {
		return filepath.Join(path, "analysis_config.json"), nil
	}
	matches, _ := filepath.Glob(filepath.Join(path, "*.json"))
	if len(matches) != 1 {
		return "", fmt.Errorf("want analysis_config.json or one .json file, found %d .json files", len(matches))
	}
	return matches[0], nil
}
