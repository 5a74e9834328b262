package clarify

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ferryml/ferry/bias"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	got, err := ParseConfig([]byte(`{"version":"1.0","dataset_type":"text/csv","dataset_uri":"s3://ignored",
	  "headers":["y","g","x"],"label":0,"label_values_or_threshold":[1,"yes",2.5],
	  "facet":[{"name_or_index":"g","value_or_threshold":["F"]},{"name_or_index":2}],
	  "group_variable":"g","predicted_label":"p","excluded_columns":["x",1],"probability_threshold":0.7,
	  "methods":{"pre_training_bias":{"methods":"all"},"post_training_bias":{"methods":["DPPL","DI"]},
	    "shap":{"baseline":"base.csv","num_clusters":3,"num_samples":50,"agg_method":"median","use_logit":true,
	            "save_local_shap_values":false,"seed":7,"features_to_explain":["x"]},
	    "pdp":{"features":["x"],"grid_resolution":5},"report":{"name":"r","title":"T"}},
	  "predictor":{"model_name":"m","instance_type":"ml.m5.large","initial_instance_count":1,"probability":1,"label_headers":["no","yes"]},
	  "joinsource_name_or_index":"id"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Version: "1.0", DatasetType: "text/csv", Headers: []string{"y", "g", "x"},
		Label:                &Column{Index: 0, IsIndex: true},
		LabelValues:          []bias.Value{{Kind: bias.IntValue, Num: 1}, {Kind: bias.StrValue, Str: "yes"}, {Kind: bias.FloatValue, Num: 2.5}},
		ProbabilityThreshold: 0.7,
		Facets: []Facet{
			{Column: Column{Name: "g"}, Values: []bias.Value{{Kind: bias.StrValue, Str: "F"}}},
			{Column: Column{Index: 2, IsIndex: true}},
		},
		GroupVariable:   &Column{Name: "g"},
		PredictedLabel:  &Column{Name: "p"},
		ExcludedColumns: []Column{{Name: "x"}, {Index: 1, IsIndex: true}},
		Methods: Methods{
			PreTraining:  bias.PreTraining,
			PostTraining: []string{"DPPL", "DI"},
			SHAP: &SHAPConfig{BaselinePath: "base.csv", NumClusters: 3, NumSamples: 50, AggMethod: "median", UseLogit: true,
				Seed: 7, HasSeed: true, FeaturesToExplain: []Column{{Name: "x"}}},
			PDP:    &PDPConfig{GridResolution: 5, Features: []Column{{Name: "x"}}, TopKFeatures: 10},
			Report: &ReportConfig{Name: "r", Title: "T"},
		},
		Predictor: &PredictorConfig{ModelName: "m", Probability: &Column{Index: 1, IsIndex: true}, LabelHeaders: []string{"no", "yes"}},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestParseConfigErrors(t *testing.T) {
	t.Parallel()
	bias := `"label":"y","label_values_or_threshold":[1],"facet":[{"name_or_index":"g"}]`
	tests := []struct {
		name, json, want string
	}{
		{"not an object", `[1]`, "not a JSON object"},
		{"trailing data", `{} {}`, "trailing data"},
		{"no methods", `{"label":"y"}`, "methods: configure at least one"},
		{"unsupported dataset type", `{"dataset_type":"application/jsonlines","methods":{"shap":{}}}`, `dataset_type: "application/jsonlines" is not supported`},
		{"bad version", `{"version":"2.0","methods":{"shap":{}}}`, `version: unsupported version "2.0"`},
		{"headers not strings", `{"headers":[1],"methods":{"shap":{}}}`, "headers: want a list of strings"},
		{"label is an object", `{"label":{},"methods":{"shap":{}}}`, "label: want a column name or index"},
		{"negative index", `{"label":-1,"methods":{"shap":{}}}`, "label: column index -1"},
		{"bias without label", `{"methods":{"pre_training_bias":{"methods":"all"}}}`, "label: required"},
		{"bias without facet", `{"label":"y","label_values_or_threshold":[1],"methods":{"pre_training_bias":{"methods":"all"}}}`, "facet: required"},
		{"bias without values", `{"label":"y","facet":[{"name_or_index":"g"}],"methods":{"pre_training_bias":{"methods":"all"}}}`, "label_values_or_threshold: required"},
		{"facet without name", `{` + bias + `,"facet":[{"value_or_threshold":[1]}],"methods":{"pre_training_bias":{"methods":"all"}}}`, "facet[0].name_or_index: required"},
		{"facet value is a list", `{"facet":[{"name_or_index":"g","value_or_threshold":[[1]]}],"methods":{"shap":{}}}`, "facet[0].value_or_threshold[0]"},
		{"unknown metric", `{` + bias + `,"methods":{"post_training_bias":{"methods":["DPPL","XYZ"]}}}`, `methods.post_training_bias.methods[1]: unknown metric "XYZ"`},
		{"methods string not all", `{` + bias + `,"methods":{"pre_training_bias":{"methods":"some"}}}`, `want "all" or a list`},
		{"missing methods list", `{` + bias + `,"methods":{"pre_training_bias":{}}}`, "methods.pre_training_bias.methods: required"},
		{"unknown method", `{"methods":{"lime":{}}}`, "methods.lime: unknown method"},
		{"bad agg", `{"methods":{"shap":{"agg_method":"max"}}}`, `methods.shap.agg_method: "max" is not one of`},
		{"num_samples zero", `{"methods":{"shap":{"num_samples":0}}}`, "methods.shap.num_samples: 0 is below 1"},
		{"num_samples fraction", `{"methods":{"shap":{"num_samples":1.5}}}`, "methods.shap.num_samples: want an integer"},
		{"empty baseline", `{"methods":{"shap":{"baseline":[]}}}`, "methods.shap.baseline: want a file path or a non-empty list of rows"},
		{"text explanations", `{"methods":{"shap":{"text_config":{}}}}`, "methods.shap.text_config: text and image explanations are not supported"},
		{"use_logit not bool", `{"methods":{"shap":{"use_logit":"yes"}}}`, "methods.shap.use_logit: want true or false"},
		{"pdp grid", `{"methods":{"pdp":{"grid_resolution":0}}}`, "methods.pdp.grid_resolution: 0 is below 1"},
		{"pdp grid too fine", `{"methods":{"pdp":{"grid_resolution":1001}}}`, "methods.pdp.grid_resolution: 1001 is above the limit of 1000"},
		{"pdp grid huge", `{"methods":{"pdp":{"grid_resolution":1e300}}}`, "methods.pdp.grid_resolution: 1e300 is above the limit of 1000"},
		{"pdp top_k too many", `{"methods":{"pdp":{"top_k_features":10001}}}`, "methods.pdp.top_k_features: 10001 is above the limit of 10000"},
		{"num_samples too many", `{"methods":{"shap":{"num_samples":100001}}}`, "methods.shap.num_samples: 100001 is above the limit of 100000"},
		{"num_clusters too many", `{"methods":{"shap":{"num_clusters":1001}}}`, "methods.shap.num_clusters: 1001 is above the limit of 1000"},
		{"seed too large", `{"methods":{"shap":{"seed":4294967296}}}`, "methods.shap.seed: 4294967296 is above the limit"},
		{"long value quoted short", `{"methods":{"shap":{"use_logit":"` + strings.Repeat("x", 5000) + `"}}}`, `"... (5002 bytes)`},
		{"report path", `{"methods":{"shap":{},"report":{"name":"../x"}}}`, "methods.report.name: \"../x\" is not a plain file name"},
		{"threshold out of range", `{"probability_threshold":1.5,"methods":{"shap":{}}}`, "probability_threshold: 1.5 is outside [0, 1]"},
		{"threshold not number", `{"probability_threshold":"x","methods":{"shap":{}}}`, "probability_threshold: want a number"},
		{"json content type", `{"methods":{"shap":{}},"predictor":{"content_type":"application/json"}}`, "predictor.content_type"},
		{"probability by name", `{"methods":{"shap":{}},"predictor":{"probability":"score"}}`, "predictor.probability: with text/csv responses"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestReadDataHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		headers []string
		names   []string
		rows    int
		wantErr string
	}{
		{"header row, no headers", "a,b\n1,2\n3,4\n", nil, []string{"a", "b"}, 2, ""},
		{"header row equal to headers", "a,b\n1,2\n", []string{"a", "b"}, []string{"a", "b"}, 1, ""},
		{"no header row", "1,2\n3,4\n", []string{"a", "b"}, []string{"a", "b"}, 2, ""},
		{"wrong width", "1,2,3\n", []string{"a", "b"}, nil, 0, "line 1 has 3 fields but headers names 2 columns"},
		{"ragged row", "a,b\n1,2\n3\n", nil, nil, 0, "line 3"},
		{"duplicate column", "a,a\n1,2\n", nil, nil, 0, `column "a" appears twice`},
		{"no rows", "a,b\n", nil, nil, 0, "no data rows"},
		{"empty", "", nil, nil, 0, "the file is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ds, err := ParseData(strings.NewReader(tc.text), tc.headers)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.names, ds.Names()); diff != "" || ds.Table.Rows() != tc.rows {
				t.Errorf("names (-want +got):\n%s rows %d, want %d", diff, ds.Table.Rows(), tc.rows)
			}
		})
	}
}
