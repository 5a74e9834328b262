package feature

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ferryml/ferry/internal/frame"
)

func sample(unseen string) *Transform {
	return &Transform{
		FormatVersion:    FormatVersion,
		Label:            "y",
		Inputs:           []Column{{"age", "int"}, {"color", "string"}, {"report", "string"}},
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

// TestNASetMatchesFrame keeps the NA strings in step with the CSV reader's.
func TestNASetMatchesFrame(t *testing.T) {
	t.Parallel()
	tr := &Transform{}
	for _, s := range frame.DefaultNAValues {
		if !tr.isNA(s) {
			t.Errorf("%q is NA for frame but not for feature", s)
		}
	}
	for _, s := range []string{"None", "0", "na", "NAN"} {
		if tr.isNA(s) != slices.Contains(frame.DefaultNAValues, s) {
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
