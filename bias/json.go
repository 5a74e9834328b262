package bias

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/ferryml/ferry/internal/quote"
)

// FormatValue returns the JSON text Clarify writes for a metric value:
// Python's float repr, or the strings "Infinity" / "-Infinity".
func FormatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return `"Infinity"`
	case math.IsInf(v, -1):
		return `"-Infinity"`
	case math.IsNaN(v):
		return `"NaN"`
	}
	return PyFloat(v)
}

// MarshalJSON writes {"name", "description", "value"[, "error"]}.
func (m MetricResult) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"name":`)
	writeString(&b, m.Name)
	b.WriteString(`,"description":`)
	writeString(&b, m.Description)
	b.WriteString(`,"value":`)
	if m.Value == nil {
		b.WriteString("null")
	} else {
		b.WriteString(FormatValue(*m.Value))
	}
	if m.Error != "" {
		b.WriteString(`,"error":`)
		writeString(&b, m.Error)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a metric, accepting "Infinity", "-Infinity" and
// null values.
func (m *MetricResult) UnmarshalJSON(data []byte) error {
	var raw struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Value       json.RawMessage `json:"value"`
		Error       string          `json:"error"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*m = MetricResult{Name: raw.Name, Description: raw.Description, Error: raw.Error}
	v := bytes.TrimSpace(raw.Value)
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	var f float64
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		switch s {
		case "Infinity":
			f = math.Inf(1)
		case "-Infinity":
			f = math.Inf(-1)
		case "NaN":
			f = math.NaN()
		default:
			return fmt.Errorf("metric %q: value %s is not a number", raw.Name, quote.Value(s))
		}
	} else if err := json.Unmarshal(v, &f); err != nil {
		return fmt.Errorf("metric %q: %w", raw.Name, err)
	}
	m.Value = &f
	return nil
}

// MarshalJSON writes {"value_or_threshold", "metrics"}.
func (e FacetEntry) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ValueOrThreshold string         `json:"value_or_threshold"`
		Metrics          []MetricResult `json:"metrics"`
	}{e.ValueOrThreshold, e.Metrics})
}

// UnmarshalJSON reads a facet entry.
func (e *FacetEntry) UnmarshalJSON(data []byte) error {
	var raw struct {
		ValueOrThreshold json.RawMessage `json:"value_or_threshold"`
		Metrics          []MetricResult  `json:"metrics"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	e.Metrics = raw.Metrics
	var s string
	if err := json.Unmarshal(raw.ValueOrThreshold, &s); err != nil {
		// tolerate numbers
		e.ValueOrThreshold = string(bytes.TrimSpace(raw.ValueOrThreshold))
		return nil // a number is accepted as its text
	}
	e.ValueOrThreshold = s
	return nil
}

// MarshalJSON writes {"label", "label_value_or_threshold", "facets"} with
// the facets in configuration order.
func (s Section) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"label":`)
	writeString(&b, s.Label)
	b.WriteString(`,"label_value_or_threshold":`)
	writeString(&b, s.LabelValueOrThreshold)
	b.WriteString(`,"facets":{`)
	for i, f := range s.Facets {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, f.Name)
		b.WriteByte(':')
		entries := f.Entries
		if entries == nil {
			entries = []FacetEntry{}
		}
		eb, err := json.Marshal(entries)
		if err != nil {
			return nil, err
		}
		b.Write(eb)
	}
	b.WriteString("}}")
	return b.Bytes(), nil
}

// UnmarshalJSON reads a section, keeping the facets' order.
func (s *Section) UnmarshalJSON(data []byte) error {
	var raw struct {
		Label                 json.RawMessage `json:"label"`
		LabelValueOrThreshold json.RawMessage `json:"label_value_or_threshold"`
		Facets                json.RawMessage `json:"facets"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*s = Section{Label: rawText(raw.Label), LabelValueOrThreshold: rawText(raw.LabelValueOrThreshold)}
	if len(raw.Facets) == 0 || string(raw.Facets) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw.Facets))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("reading facets: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("reading facets: want an object, got %v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("reading facets: %w", err)
		}
		name, _ := tok.(string)
		var entries []FacetEntry
		if err := dec.Decode(&entries); err != nil {
			return fmt.Errorf("reading facet %q: %w", name, err)
		}
		s.Facets = append(s.Facets, FacetResult{Name: name, Entries: entries})
	}
	return nil
}

func rawText(r json.RawMessage) string {
	var s string
	if err := json.Unmarshal(r, &s); err == nil {
		return s
	}
	return string(bytes.TrimSpace(r))
}

func writeString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

// ParseValueText parses a metric value as written in analysis.json text
// (a number, "Infinity" or "-Infinity").
func ParseValueText(s string) (float64, error) {
	switch s {
	case "Infinity", `"Infinity"`:
		return math.Inf(1), nil
	case "-Infinity", `"-Infinity"`:
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, 64)
}
