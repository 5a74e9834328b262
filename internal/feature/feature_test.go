package feature

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ferryml/ferry/internal/cell"
)

func sample(unseen string) *Transform {
	return &Transform{
		FormatVersion:    FormatVersion,
		Label:            "y",
		Inputs:           []Column{{Name: "age", Type: "int"}, {Name: "color", Type: "string"}, {Name: "report", Type: "string"}},
		Fill:             map[string]string{"color": "na"},
		Ordinal:          map[string]map[string]float64{"report": {"Yes": 1, "No": 0}},
		OneHotCategories: map[string][]string{"color": {"Blue", "na", "red"}},
		Unseen:           unseen,
		Features: []Feature{
			{Name: "age", Type: "int", Source: "age", Encoding: Numeric},
			{Name: "report", Type: "float", Source: "report", Encoding: Ordinal},
			{Name: "color_blue", Type: "int", Source: "color", Encoding: OneHot, Category: "Blue"},
			{Name: "color_na", Type: "int", Source: "color", Encoding: OneHot, Category: "na"},
			{Name: "color_red", Type: "int", Source: "color", Encoding: OneHot, Category: "red"},
		},
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	tests := []struct {
		name   string
		unseen string
		rec    map[string]string
		want   []float64
	}{
		{"OK", UnseenError, map[string]string{"age": "41", "report": "Yes", "color": "red"}, []float64{41, 1, 0, 0, 1}},
		{"MissingFilled", UnseenError, map[string]string{"age": "", "color": "N/A"}, []float64{nan, nan, 0, 1, 0}},
		{"AbsentFilled", UnseenError, map[string]string{}, []float64{nan, nan, 0, 1, 0}},
		{"NoneIsAValue", UnseenIgnore, map[string]string{"age": "1", "report": "No", "color": "None"}, []float64{1, 0, 0, 0, 0}},
		{"UnseenIgnored", UnseenIgnore, map[string]string{"age": "1.5", "report": "No", "color": "green"}, []float64{1.5, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := sample(tt.unseen)
			dst := make([]float64, len(tr.Features))
			if err := tr.Encode(dst, tt.rec); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if diff := cmp.Diff(tt.want, dst, cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rec  map[string]string
		dst  int
		want string
	}{
		{"NotANumber", map[string]string{"age": "old"}, 5, `field "age": value "old" is not a number`},
		{"Unmapped", map[string]string{"report": "Maybe"}, 5, `field "report": ordinal value "Maybe" has no mapping`},
		{"Unseen", map[string]string{"color": "green"}, 5, `field "color": unseen category "green"`},
		{"DstSize", nil, 3, "dst has 3 slots for 5 features"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := sample(UnseenError).Encode(make([]float64, tt.dst), tt.rec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Encode error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	tr := sample(UnseenIgnore)
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tr, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"age", "report", "color_blue", "color_na", "color_red"}, back.FeatureNames()); diff != "" {
		t.Errorf("FeatureNames (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"int", "float", "int", "int", "int"}, back.FeatureTypes()); diff != "" {
		t.Errorf("FeatureTypes (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"NotJSON", `{`, "decoding feature transform"},
		{"Version", `{"format_version": 2, "features": [{"name":"a","source":"a","encoding":"numeric"}]}`, "format_version 2, want 1"},
		{"NoFeatures", `{"format_version": 1}`, "no features"},
		{"Encoding", `{"format_version": 1, "features": [{"name":"a","source":"a","encoding":"hash"}]}`, `features[0] ("a"): unknown encoding "hash"`},
		{"NoOrdinalMap", `{"format_version": 1, "features": [{"name":"a","source":"a","encoding":"ordinal"}]}`, `no ordinal map for "a"`},
		{"Duplicate", `{"format_version": 1, "features": [{"name":"a","source":"a","encoding":"numeric"},{"name":"a","source":"b","encoding":"numeric"}]}`, "duplicate feature name"},
		{"Unseen", `{"format_version": 1, "unseen": "drop", "features": [{"name":"a","source":"a","encoding":"numeric"}]}`, `unseen "drop"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestNASetMatchesFrame keeps the NA strings in step with package cell.
func TestNASetMatchesFrame(t *testing.T) {
	t.Parallel()
	tr := &Transform{}
	for _, s := range cell.NAValues() {
		if !tr.isNA(nil, s) {
			t.Errorf("%q is NA for frame but not for feature", s)
		}
	}
	for _, s := range []string{"None", "0", "na", "NAN"} {
		if tr.isNA(nil, s) != slices.Contains(cell.NAValues(), s) {
			t.Errorf("%q: feature and frame disagree", s)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, _ := json.Marshal(sample(UnseenError))
	f.Add(b)
	f.Add([]byte(`{"format_version":1,"features":[{"name":"a","source":"a","encoding":"ordinal"}],"ordinal":{"a":{}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Parse(data)
		if err != nil {
			return
		}
		dst := make([]float64, len(tr.Features))
		_ = tr.Encode(dst, map[string]string{"a": "1", "color": "red", "age": "x"})
	})
}

// Encode canonicalises a value of a bool, float or int input column as
// frame.Column.Text wrote it at training before the category lookup.
func TestEncodeCanonicalCategories(t *testing.T) {
	t.Parallel()
	tr := &Transform{
		FormatVersion: FormatVersion,
		Inputs:        []Column{{Name: "flag", Type: "bool"}, {Name: "rate", Type: "float"}, {Name: "code", Type: "int"}, {Name: "s", Type: "string"}},
		Ordinal:       map[string]map[string]float64{"rate": {"1.0": 1, "2.5": 2}},
		OneHotCategories: map[string][]string{
			"flag": {"False", "True"}, "code": {"7"}, "s": {"True"},
		},
		Unseen: UnseenError,
		Features: []Feature{
			{Name: "flag_True", Source: "flag", Encoding: OneHot, Category: "True"},
			{Name: "rate", Source: "rate", Encoding: Ordinal},
			{Name: "code_7", Source: "code", Encoding: OneHot, Category: "7"},
			{Name: "s_True", Source: "s", Encoding: OneHot, Category: "True"},
		},
	}
	dst := make([]float64, 4)
	if err := tr.Encode(dst, map[string]string{"flag": "true", "rate": "1", "code": "007", "s": "True"}); err != nil {
		t.Fatal(err)
	}
	if want := []float64{1, 1, 1, 1}; !slices.Equal(dst, want) {
		t.Errorf("got %v, want %v", dst, want)
	}
	// A string column is compared as is.
	if err := tr.Encode(dst, map[string]string{"flag": "FALSE", "rate": "2.50", "code": "+7", "s": "true"}); err == nil {
		t.Errorf("string category \"true\" matched \"True\": %v", dst)
	}
}

// A column's own NA setting overrides the transform-level one; without
// it (older schema.json files) the transform-level one applies.
func TestEncodePerColumnNA(t *testing.T) {
	t.Parallel()
	tr := &Transform{
		FormatVersion: FormatVersion,
		Inputs:        []Column{{Name: "a", Type: "float", NA: &NA{Values: []string{"-1"}}}, {Name: "b", Type: "float", NA: &NA{NoDefault: true}}, {Name: "c", Type: "float"}},
		NAValues:      []string{"?"},
		Features: []Feature{
			{Name: "a", Source: "a", Encoding: Numeric},
			{Name: "b", Source: "b", Encoding: Numeric},
			{Name: "c", Source: "c", Encoding: Numeric},
		},
	}
	dst := make([]float64, 3)
	if err := tr.Encode(dst, map[string]string{"a": "-1", "b": "-1", "c": "?"}); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(dst[0]) || dst[1] != -1 || !math.IsNaN(dst[2]) {
		t.Errorf("got %v, want [NaN -1 NaN]", dst)
	}
	if err := tr.Encode(dst, map[string]string{"b": "NA"}); err == nil {
		t.Errorf("b has no_default: NA should not be missing, got %v", dst)
	}
}

func TestCheckFields(t *testing.T) {
	t.Parallel()
	tr := &Transform{
		FormatVersion: FormatVersion,
		Inputs:        []Column{{Name: "age", Type: "int"}, {Name: "color", Type: "string"}, {Name: "y", Type: "int"}},
		Features:      []Feature{{Name: "age", Source: "age", Encoding: Numeric}},
	}
	tests := []struct {
		name string
		rec  map[string]string
		want string // "" for no error
	}{
		{"OK", map[string]string{"age": "3"}, ""},
		{"OKUnusedInputAndLabel", map[string]string{"age": "3", "color": "red", "y": "1"}, ""},
		{"OKEmpty", map[string]string{}, ""},
		{"Misspelled", map[string]string{"agee": "3"}, `unknown field "agee" (did you mean "age"?): not an input column of the model's feature transform`},
		{"CaseOnly", map[string]string{"Color": "red"}, `unknown field "Color" (did you mean "color"?)`},
		{"SeveralSorted", map[string]string{"zzz": "1", "qqqqqqq": "2"}, `unknown fields "qqqqqqq", "zzz": not an input`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tr.CheckFields(tc.rec)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckFields = %v, want %q", err, tc.want)
			}
		})
	}
	// Without Inputs (older schema.json), the features' sources are the fields.
	old := &Transform{FormatVersion: FormatVersion, Features: tr.Features}
	if err := old.CheckFields(map[string]string{"age": "1", "color": "x"}); err == nil {
		t.Error(`CheckFields accepted "color", which no feature reads`)
	}
}
