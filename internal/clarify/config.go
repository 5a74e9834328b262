package clarify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/bias"
	"github.com/ferryml/ferry/internal/quote"
)

// ConfigFile is the name of Clarify's job configuration file.
const ConfigFile = "analysis_config.json"

// Config is a SageMaker Clarify analysis_config.json. Keys Ferry does not
// use (dataset_uri, joinsource_name_or_index, predictor instance
// settings, ...) are accepted and ignored, as Clarify's own schema allows
// them.
type Config struct {
	Version              string
	DatasetType          string
	Headers              []string
	Label                *Column
	LabelValues          []bias.Value
	ProbabilityThreshold float64 // default 0.5
	Facets               []Facet
	GroupVariable        *Column
	PredictedLabel       *Column
	ExcludedColumns      []Column
	Methods              Methods
	Predictor            *PredictorConfig
	// Dir is the directory relative paths in the config resolve against
	// (the config file's directory).
	Dir string
}

// Column is a column given by name or 0-based index (name_or_index).
type Column struct {
	Name    string
	Index   int
	IsIndex bool
}

func (c Column) String() string {
	if c.IsIndex {
		return strconv.Itoa(c.Index)
	}
	return c.Name
}

// Facet is one entry of "facet".
type Facet struct {
	Column Column
	Values []bias.Value // nil: one-vs-all (categorical)
}

// Methods is the "methods" object.
type Methods struct {
	PreTraining  []string // nil when not configured
	PostTraining []string
	SHAP         *SHAPConfig
	PDP          *PDPConfig
	Report       *ReportConfig
}

// SHAPConfig is methods.shap.
type SHAPConfig struct {
	// Baseline holds in-line rows; BaselinePath a CSV file of rows
	// without header (relative to the config's Dir or an input dir).
	Baseline            [][]any
	BaselinePath        string
	NumClusters         int    // 0: automatic
	NumSamples          int    // 0: Kernel SHAP's default
	AggMethod           string // mean_abs (default), median, mean_sq
	UseLogit            bool
	SaveLocalSHAPValues bool // default true (the SDK's SHAPConfig default)
	Seed                int64
	HasSeed             bool
	FeaturesToExplain   []Column
}

// PDPConfig is methods.pdp.
type PDPConfig struct {
	GridResolution int // default 15
	Features       []Column
	TopKFeatures   int // default 10
}

// ReportConfig is methods.report.
type ReportConfig struct {
	Name  string // default "report"
	Title string // default "Analysis Report"
}

// PredictorConfig is the "predictor" object. Ferry calls a model given on
// the command line or an endpoint; Label and Probability pick values out
// of the endpoint's CSV response.
type PredictorConfig struct {
	ModelName    string
	EndpointName string
	ContentType  string
	AcceptType   string
	Label        *Column
	Probability  *Column
	LabelHeaders []string
}

// ReadConfig reads an analysis_config.json file; relative paths in it
// resolve against the file's directory.
func ReadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading Clarify config: %w", err)
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("reading Clarify config %q: %w", path, err)
	}
	cfg.Dir = filepath.Dir(path)
	return cfg, nil
}

// ParseConfig parses analysis_config.json text. Errors name the key.
func ParseConfig(data []byte) (*Config, error) {
	top, err := object(data, "")
	if err != nil {
		return nil, err
	}
	cfg := &Config{ProbabilityThreshold: 0.5, DatasetType: "text/csv"}
	for key, raw := range top {
		var err error
		switch key {
		case "version":
			cfg.Version, err = str(raw, key)
			if err == nil && cfg.Version != "1.0" {
				err = fmt.Errorf("%s: unsupported version %q (only \"1.0\")", key, cfg.Version)
			}
		case "dataset_type":
			cfg.DatasetType, err = str(raw, key)
			if err == nil && cfg.DatasetType != "text/csv" {
				err = fmt.Errorf("%s: %q is not supported (Ferry reads text/csv)", key, cfg.DatasetType)
			}
		case "headers":
			cfg.Headers, err = strList(raw, key)
		case "label":
			cfg.Label, err = column(raw, key)
		case "label_values_or_threshold":
			cfg.LabelValues, err = values(raw, key)
		case "probability_threshold":
			cfg.ProbabilityThreshold, err = number(raw, key)
		case "facet":
			cfg.Facets, err = facets(raw, key)
		case "group_variable":
			cfg.GroupVariable, err = column(raw, key)
		case "predicted_label":
			cfg.PredictedLabel, err = column(raw, key)
		case "excluded_columns":
			cfg.ExcludedColumns, err = columns(raw, key)
		case "methods":
			cfg.Methods, err = methods(raw, key)
		case "predictor":
			cfg.Predictor, err = predictor(raw, key)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *Config) validate() error {
	m := c.Methods
	if m.PreTraining == nil && m.PostTraining == nil && m.SHAP == nil && m.PDP == nil {
		return errors.New("methods: configure at least one of pre_training_bias, post_training_bias, shap, pdp")
	}
	if m.PreTraining != nil || m.PostTraining != nil {
		if c.Label == nil {
			return errors.New("label: required for bias metrics")
		}
		if len(c.LabelValues) == 0 {
			return errors.New("label_values_or_threshold: required (non-empty) for bias metrics")
		}
		if len(c.Facets) == 0 {
			return errors.New("facet: required (non-empty) for bias metrics")
		}
	}
	if c.ProbabilityThreshold < 0 || c.ProbabilityThreshold > 1 {
		return fmt.Errorf("probability_threshold: %v is outside [0, 1]", c.ProbabilityThreshold)
	}
	return nil
}

func object(raw json.RawMessage, key string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&m); err != nil || m == nil {
		if key == "" {
			return nil, fmt.Errorf("not a JSON object: %v", orNull(err))
		}
		return nil, fmt.Errorf("%s: want an object", key)
	}
	if key == "" && dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	return m, nil
}

func orNull(err error) error {
	if err == nil {
		return errors.New("null")
	}
	return err
}

func str(raw json.RawMessage, key string) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: want a string, got %s", key, clip(raw))
	}
	return s, nil
}

func strList(raw json.RawMessage, key string) ([]string, error) {
	var s []string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s: want a list of strings, got %s", key, clip(raw))
	}
	return s, nil
}

func number(raw json.RawMessage, key string) (float64, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, fmt.Errorf("%s: want a number, got %s", key, clip(raw))
	}
	return f, nil
}

func integer(raw json.RawMessage, key string, lo, hi int) (int, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f != math.Trunc(f) {
		return 0, fmt.Errorf("%s: want an integer, got %s", key, clip(raw))
	}
	if f < float64(lo) {
		return 0, fmt.Errorf("%s: %s is below %d", key, clip(raw), lo)
	}
	if f > float64(hi) {
		return 0, fmt.Errorf("%s: %s is above the limit of %d", key, clip(raw), hi)
	}
	return int(f), nil
}

// Upper bounds of the sizes in analysis_config.json (docs/clarify.md):
// work and memory grow with each, and a typo such as 1e9 must fail at
// once rather than run out of memory.
const (
	MaxNumClusters    = 1000
	MaxNumSamples     = 100_000
	MaxGridResolution = 1000
	MaxTopKFeatures   = 10_000
)

func boolean(raw json.RawMessage, key string) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fmt.Errorf("%s: want true or false, got %s", key, clip(raw))
	}
	return b, nil
}

// clip returns a JSON value for an error message, quoted and cut by
// quote.Value when long.
func clip(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if len(s) > quote.Max {
		return quote.Value(s)
	}
	return s
}

func column(raw json.RawMessage, key string) (*Column, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil, fmt.Errorf("%s: empty column name", key)
		}
		return &Column{Name: x}, nil
	case json.Number:
		i, err := strconv.Atoi(x.String())
		if err != nil || i < 0 {
			return nil, fmt.Errorf("%s: column index %s is not a non-negative integer", key, x)
		}
		return &Column{Index: i, IsIndex: true}, nil
	}
	return nil, fmt.Errorf("%s: want a column name or index, got %s", key, clip(raw))
}

func columns(raw json.RawMessage, key string) ([]Column, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%s: want a list of column names or indexes, got %s", key, clip(raw))
	}
	out := make([]Column, 0, len(items))
	for i, it := range items {
		c, err := column(it, fmt.Sprintf("%s[%d]", key, i))
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, nil
}

func values(raw json.RawMessage, key string) ([]bias.Value, error) {
	var items []any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&items); err != nil {
		return nil, fmt.Errorf("%s: want a list of values, got %s", key, clip(raw))
	}
	out := make([]bias.Value, 0, len(items))
	for i, it := range items {
		v, err := bias.ValueOf(it)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", key, i, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func facets(raw json.RawMessage, key string) ([]Facet, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%s: want a list of {name_or_index, value_or_threshold}, got %s", key, clip(raw))
	}
	out := make([]Facet, 0, len(items))
	for i, it := range items {
		k := fmt.Sprintf("%s[%d]", key, i)
		m, err := object(it, k)
		if err != nil {
			return nil, err
		}
		var f Facet
		nr, ok := m["name_or_index"]
		if !ok {
			return nil, fmt.Errorf("%s.name_or_index: required", k)
		}
		c, err := column(nr, k+".name_or_index")
		if err != nil {
			return nil, err
		}
		f.Column = *c
		if vr, ok := m["value_or_threshold"]; ok && string(vr) != "null" {
			if f.Values, err = values(vr, k+".value_or_threshold"); err != nil {
				return nil, err
			}
		}
		out = append(out, f)
	}
	return out, nil
}

func biasMethods(raw json.RawMessage, key string, all []string) ([]string, error) {
	m, err := object(raw, key)
	if err != nil {
		return nil, err
	}
	mr, ok := m["methods"]
	if !ok {
		return nil, fmt.Errorf("%s.methods: required (\"all\" or a list of metric names)", key)
	}
	var s string
	if json.Unmarshal(mr, &s) == nil {
		if s != "all" {
			return nil, fmt.Errorf("%s.methods: want \"all\" or a list of metric names, got %q", key, s)
		}
		return append([]string(nil), all...), nil
	}
	names, err := strList(mr, key+".methods")
	if err != nil {
		return nil, err
	}
	for i, n := range names {
		found := false
		for _, a := range all {
			if a == n {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("%s.methods[%d]: unknown metric %q (known: %s)", key, i, n, strings.Join(all, ", "))
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s.methods: empty list", key)
	}
	return names, nil
}

func methods(raw json.RawMessage, key string) (Methods, error) {
	var m Methods
	obj, err := object(raw, key)
	if err != nil {
		return m, err
	}
	for k, v := range obj {
		path := key + "." + k
		switch k {
		case "pre_training_bias":
			m.PreTraining, err = biasMethods(v, path, bias.PreTraining)
		case "post_training_bias":
			m.PostTraining, err = biasMethods(v, path, bias.PostTraining)
		case "shap":
			m.SHAP, err = shapConfig(v, path)
		case "pdp":
			m.PDP, err = pdpConfig(v, path)
		case "report":
			m.Report, err = reportConfig(v, path)
		default:
			err = fmt.Errorf("%s: unknown method (known: pre_training_bias, post_training_bias, shap, pdp, report)", path)
		}
		if err != nil {
			return m, err
		}
	}
	return m, nil
}

func shapConfig(raw json.RawMessage, key string) (*SHAPConfig, error) {
	obj, err := object(raw, key)
	if err != nil {
		return nil, err
	}
	s := &SHAPConfig{AggMethod: "mean_abs", SaveLocalSHAPValues: true}
	for k, v := range obj {
		path := key + "." + k
		switch k {
		case "baseline":
			var p string
			if json.Unmarshal(v, &p) == nil {
				s.BaselinePath = p
				break
			}
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			if e := dec.Decode(&s.Baseline); e != nil || len(s.Baseline) == 0 {
				err = fmt.Errorf("%s: want a file path or a non-empty list of rows, got %s", path, clip(v))
			}
		case "num_clusters":
			s.NumClusters, err = integer(v, path, 1, MaxNumClusters)
		case "num_samples":
			s.NumSamples, err = integer(v, path, 1, MaxNumSamples)
		case "agg_method":
			s.AggMethod, err = str(v, path)
			if err == nil && s.AggMethod != "mean_abs" && s.AggMethod != "median" && s.AggMethod != "mean_sq" {
				err = fmt.Errorf("%s: %q is not one of mean_abs, median, mean_sq", path, s.AggMethod)
			}
		case "use_logit":
			s.UseLogit, err = boolean(v, path)
		case "save_local_shap_values":
			s.SaveLocalSHAPValues, err = boolean(v, path)
		case "seed":
			var n int
			n, err = integer(v, path, -1<<31, 1<<31-1)
			s.Seed, s.HasSeed = int64(n), true
		case "features_to_explain":
			s.FeaturesToExplain, err = columns(v, path)
		case "text_config", "image_config":
			err = fmt.Errorf("%s: text and image explanations are not supported", path)
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func pdpConfig(raw json.RawMessage, key string) (*PDPConfig, error) {
	obj, err := object(raw, key)
	if err != nil {
		return nil, err
	}
	p := &PDPConfig{GridResolution: 15, TopKFeatures: 10}
	for k, v := range obj {
		path := key + "." + k
		switch k {
		case "grid_resolution":
			p.GridResolution, err = integer(v, path, 1, MaxGridResolution)
		case "features":
			p.Features, err = columns(v, path)
		case "top_k_features":
			p.TopKFeatures, err = integer(v, path, 1, MaxTopKFeatures)
		}
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

func reportConfig(raw json.RawMessage, key string) (*ReportConfig, error) {
	obj, err := object(raw, key)
	if err != nil {
		return nil, err
	}
	r := &ReportConfig{Name: "report", Title: "Analysis Report"}
	for k, v := range obj {
		path := key + "." + k
		switch k {
		case "name":
			r.Name, err = str(v, path)
			if err == nil && (r.Name == "" || strings.ContainsAny(r.Name, `/\`) || r.Name == "." || r.Name == "..") {
				err = fmt.Errorf("%s: %q is not a plain file name", path, r.Name)
			}
		case "title":
			r.Title, err = str(v, path)
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

func predictor(raw json.RawMessage, key string) (*PredictorConfig, error) {
	obj, err := object(raw, key)
	if err != nil {
		return nil, err
	}
	p := &PredictorConfig{}
	for k, v := range obj {
		path := key + "." + k
		switch k {
		case "model_name":
			p.ModelName, err = str(v, path)
		case "endpoint_name":
			p.EndpointName, err = str(v, path)
		case "content_type":
			p.ContentType, err = str(v, path)
			if err == nil && p.ContentType != "text/csv" {
				err = fmt.Errorf("%s: %q is not supported (text/csv only)", path, p.ContentType)
			}
		case "accept_type":
			p.AcceptType, err = str(v, path)
			if err == nil && p.AcceptType != "text/csv" {
				err = fmt.Errorf("%s: %q is not supported (text/csv only)", path, p.AcceptType)
			}
		case "label":
			p.Label, err = column(v, path)
			if err == nil && !p.Label.IsIndex {
				err = fmt.Errorf("%s: with text/csv responses the label must be a column index", path)
			}
		case "probability":
			p.Probability, err = column(v, path)
			if err == nil && !p.Probability.IsIndex {
				err = fmt.Errorf("%s: with text/csv responses the probability must be a column index", path)
			}
		case "label_headers":
			p.LabelHeaders, err = strList(v, path)
		}
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}
