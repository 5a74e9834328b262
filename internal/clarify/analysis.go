package clarify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferryml/ferry/bias"
)

// AnalysisFile is the name of the job's result file.
const AnalysisFile = "analysis.json"

// Analysis is Clarify's analysis.json.
type Analysis struct {
	Version      string
	PreTraining  *bias.Section
	PostTraining *bias.Section
	Explanations *Explanations
}

// Explanations is the "explanations" object.
type Explanations struct {
	// KernelSHAP holds one entry per model output (label0, label1, ... or
	// the predictor's label_headers), in output order.
	KernelSHAP []LabelSHAP
	PDP        []PDPEntry
}

// LabelSHAP is the global SHAP values of one model output.
type LabelSHAP struct {
	Label         string
	Features      []string  // in data set order
	GlobalValues  []float64 // aligned with Features
	ExpectedValue float64
}

// PDPEntry is one feature's partial dependence.
type PDPEntry struct {
	FeatureName      string      `json:"feature_name"`
	DataType         string      `json:"data_type"`
	FeatureValues    []float64   `json:"feature_values,omitempty"`
	ModelPredictions [][]float64 `json:"model_predictions,omitempty"`
	DataDistribution []float64   `json:"data_distribution,omitempty"`
	Error            string      `json:"error,omitempty"`
}

// MarshalJSON writes analysis.json's layout with keys in Clarify's order.
func (a *Analysis) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"version":`)
	v := a.Version
	if v == "" {
		v = "1.0"
	}
	q, _ := json.Marshal(v)
	b.Write(q)
	add := func(key string, val any) error {
		j, err := json.Marshal(val)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", key, err)
		}
		b.WriteString(`,"` + key + `":`)
		b.Write(j)
		return nil
	}
	if a.PreTraining != nil {
		if err := add("pre_training_bias_metrics", a.PreTraining); err != nil {
			return nil, err
		}
	}
	if a.PostTraining != nil {
		if err := add("post_training_bias_metrics", a.PostTraining); err != nil {
			return nil, err
		}
	}
	if a.Explanations != nil {
		if err := add("explanations", a.Explanations); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads analysis.json.
func (a *Analysis) UnmarshalJSON(data []byte) error {
	var raw struct {
		Version      string        `json:"version"`
		PreTraining  *bias.Section `json:"pre_training_bias_metrics"`
		PostTraining *bias.Section `json:"post_training_bias_metrics"`
		Explanations *Explanations `json:"explanations"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*a = Analysis{Version: raw.Version, PreTraining: raw.PreTraining, PostTraining: raw.PostTraining, Explanations: raw.Explanations}
	return nil
}

// MarshalJSON writes {"kernel_shap": {...}, "pdp": [...]}.
func (e *Explanations) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if e.KernelSHAP != nil {
		b.WriteString(`"kernel_shap":{`)
		for i, l := range e.KernelSHAP {
			if i > 0 {
				b.WriteByte(',')
			}
			q, _ := json.Marshal(l.Label)
			b.Write(q)
			b.WriteString(`:{"global_shap_values":{`)
			for j, f := range l.Features {
				if j > 0 {
					b.WriteByte(',')
				}
				q, _ := json.Marshal(f)
				b.Write(q)
				b.WriteByte(':')
				b.WriteString(bias.FormatValue(l.GlobalValues[j]))
			}
			b.WriteString(`},"expected_value":`)
			b.WriteString(bias.FormatValue(l.ExpectedValue))
			b.WriteByte('}')
		}
		b.WriteByte('}')
	}
	if e.PDP != nil {
		if e.KernelSHAP != nil {
			b.WriteByte(',')
		}
		j, err := json.Marshal(e.PDP)
		if err != nil {
			return nil, fmt.Errorf("encoding pdp: %w", err)
		}
		b.WriteString(`"pdp":`)
		b.Write(j)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads explanations, keeping the order of labels and
// features.
func (e *Explanations) UnmarshalJSON(data []byte) error {
	var raw struct {
		KernelSHAP json.RawMessage `json:"kernel_shap"`
		PDP        []PDPEntry      `json:"pdp"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*e = Explanations{PDP: raw.PDP}
	if len(raw.KernelSHAP) == 0 || string(raw.KernelSHAP) == "null" {
		return nil
	}
	labels, err := orderedObject(raw.KernelSHAP)
	if err != nil {
		return fmt.Errorf("reading kernel_shap: %w", err)
	}
	e.KernelSHAP = []LabelSHAP{}
	for _, l := range labels {
		var lr struct {
			Global   json.RawMessage `json:"global_shap_values"`
			Expected float64         `json:"expected_value"`
		}
		if err := json.Unmarshal(l.value, &lr); err != nil {
			return fmt.Errorf("reading kernel_shap.%s: %w", l.key, err)
		}
		ls := LabelSHAP{Label: l.key, ExpectedValue: lr.Expected}
		feats, err := orderedObject(lr.Global)
		if err != nil {
			return fmt.Errorf("reading kernel_shap.%s.global_shap_values: %w", l.key, err)
		}
		for _, f := range feats {
			var v float64
			if err := json.Unmarshal(f.value, &v); err != nil {
				return fmt.Errorf("reading kernel_shap.%s.global_shap_values.%s: %w", l.key, f.key, err)
			}
			ls.Features = append(ls.Features, f.key)
			ls.GlobalValues = append(ls.GlobalValues, v)
		}
		e.KernelSHAP = append(e.KernelSHAP, ls)
	}
	return nil
}

type keyValue struct {
	key   string
	value json.RawMessage
}

// orderedObject decodes a JSON object's members in order.
func orderedObject(data []byte) ([]keyValue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want an object, got %v", tok)
	}
	var out []keyValue
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, keyValue{k, v})
	}
	return out, nil
}

// ReadAnalysis reads an analysis.json file, or the one inside a
// directory.
func ReadAnalysis(path string) (*Analysis, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, AnalysisFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading analysis: %w", err)
	}
	var a Analysis
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("reading analysis %q: %w", path, err)
	}
	return &a, nil
}

// WriteFile writes the analysis as indented JSON.
func (a *Analysis) WriteFile(path string) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encoding analysis: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return fmt.Errorf("indenting analysis: %w", err)
	}
	out.WriteByte('\n')
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing analysis: %w", err)
	}
	return nil
}
