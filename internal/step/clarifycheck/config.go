package clarifycheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferryml/ferry/internal/clarify"
)

// Check types.
const (
	DataBias            = "data_bias"
	ModelBias           = "model_bias"
	ModelExplainability = "model_explainability"
)

// baselineKey is the registry drift-check baseline key of each check type.
var baselineKey = map[string]string{
	DataBias:            "bias_pre_training_constraints",
	ModelBias:           "bias_post_training_constraints",
	ModelExplainability: "explainability_constraints",
}

// biasKeys are the analysis-config keys a bias check takes from config.
var biasKeys = []string{"label", "label_values_or_threshold", "facet", "group_variable", "probability_threshold", "headers", "excluded_columns", "predicted_label"}

// shapKeys are methods.shap's keys, accepted at the top of config too.
var shapKeys = []string{"baseline", "num_clusters", "num_samples", "agg_method", "use_logit", "save_local_shap_values", "seed", "features_to_explain"}

// analysisConfig builds a Clarify analysis_config.json from a check's
// config fragment. For bias checks config holds label,
// label_values_or_threshold, facet, group_variable,
// probability_threshold and methods (a list of metric names, "all", or
// Clarify's methods object); for explainability the shap options, either
// under "shap" or at the top, plus an optional "pdp" object. label is
// also accepted for explainability (the column not sent to the model);
// without it the data's first column is the label.
func analysisConfig(checkType string, cfg map[string]any) (*clarify.Config, error) {
	out := map[string]any{"dataset_type": "text/csv"}
	methods := map[string]any{"report": map[string]any{"name": "report", "title": "Analysis Report"}}
	known := map[string]bool{"methods": true, "label": true}
	switch checkType {
	case DataBias, ModelBias:
		for _, k := range biasKeys {
			known[k] = true
			if v, ok := cfg[k]; ok {
				out[k] = v
			}
		}
		section := "pre_training_bias"
		if checkType == ModelBias {
			section = "post_training_bias"
		}
		switch m := cfg["methods"].(type) {
		case nil:
			methods[section] = map[string]any{"methods": "all"}
		case string, []any:
			methods[section] = map[string]any{"methods": m}
		case map[string]any:
			sec, ok := m[section]
			if !ok {
				return nil, fmt.Errorf("config.methods: a %s check needs methods.%s", checkType, section)
			}
			methods[section] = sec
		default:
			return nil, fmt.Errorf("config.methods: want \"all\", a list of metric names or a methods object, got %T", m)
		}
	case ModelExplainability:
		if v, ok := cfg["label"]; ok {
			out["label"] = v
		} else {
			out["label"] = 0
		}
		for _, k := range []string{"headers", "excluded_columns", "predictor"} {
			known[k] = true
			if v, ok := cfg[k]; ok {
				out[k] = v
			}
		}
		shapCfg := map[string]any{}
		if s, ok := cfg["shap"].(map[string]any); ok {
			shapCfg = s
		} else if v, ok := cfg["shap"]; ok {
			return nil, fmt.Errorf("config.shap: want an object, got %T", v)
		}
		known["shap"], known["pdp"] = true, true
		for _, k := range shapKeys {
			known[k] = true
			if v, ok := cfg[k]; ok {
				shapCfg[k] = v
			}
		}
		if m, ok := cfg["methods"].(map[string]any); ok {
			if s, ok := m["shap"].(map[string]any); ok {
				for k, v := range s {
					shapCfg[k] = v
				}
			}
			if p, ok := m["pdp"]; ok {
				methods["pdp"] = p
			}
		}
		methods["shap"] = shapCfg
		if p, ok := cfg["pdp"]; ok {
			methods["pdp"] = p
		}
	default:
		return nil, fmt.Errorf("check_type: %q is not one of %s, %s, %s", checkType, DataBias, ModelBias, ModelExplainability)
	}
	var unknown []string
	for k := range cfg {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("config: unknown key(s) %s for a %s check", strings.Join(unknown, ", "), checkType)
	}
	out["methods"] = methods
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := clarify.ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// dataFile returns the CSV file of a data artifact directory: its only
// .csv file (searching subdirectories when the top holds none).
func dataFile(dir string) (string, error) {
	var found []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".csv") {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("listing data artifact: %w", err)
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("data artifact holds no .csv file")
	case 1:
		return found[0], nil
	}
	rel := make([]string, len(found))
	for i, f := range found {
		rel[i], _ = filepath.Rel(dir, f)
	}
	return "", fmt.Errorf("data artifact holds %d .csv files (%s); a check reads one", len(found), strings.Join(rel, ", "))
}
