package clarify

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func addFixtureSeeds(f *testing.F, name string) {
	f.Helper()
	paths, _ := filepath.Glob(filepath.Join("testdata", "clarify", "*", name))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 4096 {
			b = b[:4096]
		}
		f.Add(b)
	}
}

// FuzzParseConfig checks that any input gives a config or an error, never
// a panic, and that accepted configs are usable.
func FuzzParseConfig(f *testing.F) {
	addFixtureSeeds(f, ConfigFile)
	f.Add([]byte(`{"methods":{"shap":{"baseline":[[1,2]],"num_samples":10,"agg_method":"median","seed":3},"pdp":{"grid_resolution":5},"report":{"name":"r"}},"predictor":{"probability":1}}`))
	f.Add([]byte(`{"label":0,"label_values_or_threshold":[1.5],"facet":[{"name_or_index":2}],"methods":{"pre_training_bias":{"methods":["CI"]}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			if cfg != nil {
				t.Fatalf("config %+v returned with error %v", cfg, err)
			}
			return
		}
		m := cfg.Methods
		if m.PreTraining == nil && m.PostTraining == nil && m.SHAP == nil && m.PDP == nil {
			t.Fatalf("accepted a config without methods: %s", data)
		}
		if (m.PreTraining != nil || m.PostTraining != nil) && (cfg.Label == nil || len(cfg.Facets) == 0 || len(cfg.LabelValues) == 0) {
			t.Fatalf("accepted bias methods without label, values or facet: %s", data)
		}
	})
}

// FuzzParseData checks the CSV reader: a data set or an error, and every
// column as long as the data.
func FuzzParseData(f *testing.F) {
	f.Add([]byte("a,b\n1,x\n2,y\n"), "")
	f.Add([]byte("1,2\n3,4\n"), "a,b")
	f.Add([]byte("a,b\n1\n"), "")
	f.Add([]byte("a,a\n1,2\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, headers string) {
		var h []string
		if headers != "" {
			h = bytes2strings(headers)
		}
		ds, err := ParseData(bytes.NewReader(data), h)
		if err != nil {
			return
		}
		n := ds.Table.Rows()
		for _, c := range ds.Table.Columns {
			if c.Len() != n {
				t.Fatalf("column %q has %d rows, want %d", c.Name, c.Len(), n)
			}
		}
	})
}

func bytes2strings(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// FuzzAnalysis checks the analysis.json reader used for baselines: what
// it accepts it writes back and reads again to the same value.
func FuzzAnalysis(f *testing.F) {
	addFixtureSeeds(f, "expected_analysis.json")
	f.Add([]byte(`{"version":"1.0","explanations":{"kernel_shap":{"label0":{"global_shap_values":{"a":0.5,"b":0.1},"expected_value":0.2}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Analysis
		if err := json.Unmarshal(data, &a); err != nil {
			return
		}
		b, err := json.Marshal(&a)
		if err != nil {
			return // e.g. a NaN that JSON cannot carry
		}
		var again Analysis
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("re-reading %s: %v", b, err)
		}
	})
}
