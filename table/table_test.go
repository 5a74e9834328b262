package table

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestTableDataset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		label, weight string
		want          *Dataset
	}{
		{"FirstColumn", "", "", &Dataset{X: []float64{2, 3, 5, 6}, Y: []float64{1, 4}, NumFeature: 2, FeatureNames: []string{"b", "w"}}},
		{"Named", "b", "", &Dataset{X: []float64{1, 3, 4, 6}, Y: []float64{2, 5}, NumFeature: 2, FeatureNames: []string{"a", "w"}}},
		{"Weighted", "b", "w", &Dataset{X: []float64{1, 4}, Y: []float64{2, 5}, Weight: []float64{3, 6}, NumFeature: 1, FeatureNames: []string{"a"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tab := &Table{Names: []string{"a", "b", "w"}, Data: []float64{1, 2, 3, 4, 5, 6}}
			got, err := tab.Dataset(tc.label, tc.weight)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Dataset(%q, %q) (-want +got):\n%s", tc.label, tc.weight, diff)
			}
			if err := got.Validate("training"); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

func TestTableDatasetErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		tab           *Table
		label, weight string
		want          string
	}{
		{"OneColumn", &Table{Names: []string{"a"}, Data: []float64{1}}, "", "", "need a label and at least one feature column, got 1 columns"},
		{"NoLabel", &Table{Names: []string{"a", "b"}, Data: []float64{1, 2}}, "y", "", `no label column "y" (columns: a, b)`},
		{"NoWeight", &Table{Names: []string{"a", "b"}, Data: []float64{1, 2}}, "a", "w", `no weight column "w" (columns: a, b)`},
		{"WeightIsLabel", &Table{Names: []string{"a", "b"}, Data: []float64{1, 2}}, "a", "a", `column "a" is both the label and the weight`},
		{"NoFeatureLeft", &Table{Names: []string{"a", "b"}, Data: []float64{1, 2}}, "a", "b", "at least one feature column besides"},
		{"NegativeWeight", &Table{Names: []string{"y", "w", "x"}, Data: []float64{1, 1, 0, 1, -2, 0}}, "y", "w", `row 2: weight -2 in column "w"`},
		{"MissingWeight", &Table{Names: []string{"y", "w", "x"}, Data: []float64{1, math.NaN(), 0}}, "y", "w", `row 1: weight NaN`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.tab.Dataset(tc.label, tc.weight)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Dataset() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestDatasetValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    *Dataset
		want string // "" for valid
	}{
		{"Valid", &Dataset{X: []float64{1, math.NaN()}, Y: []float64{0, 1}, NumFeature: 1}, ""},
		{"Nil", nil, "training dataset has no features"},
		{"NoRows", &Dataset{NumFeature: 1}, "training dataset has no rows"},
		{"Shape", &Dataset{X: []float64{1, 2, 3}, Y: []float64{0, 1}, NumFeature: 1}, "3 values for 2 rows × 1 features"},
		{"WeightCount", &Dataset{X: []float64{1, 2}, Y: []float64{0, 1}, Weight: []float64{1}, NumFeature: 1}, "1 weights for 2 rows"},
		{"WeightInf", &Dataset{X: []float64{1, 2}, Y: []float64{0, 1}, Weight: []float64{1, math.Inf(1)}, NumFeature: 1}, "row 2 has weight +Inf"},
		{"WeightsZero", &Dataset{X: []float64{1, 2}, Y: []float64{0, 1}, Weight: []float64{0, 0}, NumFeature: 1}, "every weight 0"},
		{"Types", &Dataset{X: []float64{1, 2}, Y: []float64{0, 1}, NumFeature: 1, FeatureTypes: []string{"c", "c"}}, "2 feature types for 1 features"},
		{"Names", &Dataset{X: []float64{1, 2}, Y: []float64{0, 1}, NumFeature: 1, FeatureNames: []string{"a", "b"}}, "2 feature names for 1 features"},
		{"Infinite", &Dataset{X: []float64{1, 2, 3, math.Inf(-1)}, Y: []float64{0, 1}, NumFeature: 2}, "row 2 feature 1 is infinite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.d.Validate("training")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestMissingRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cell    string
		missing bool
		value   float64 // when not missing and no error
		err     bool
	}{
		{"", true, 0, false},
		{" NA ", true, 0, false},
		{"nan", true, 0, false},
		{"None", false, 0, true},
		{"1.5", false, 1.5, false},
		{" -2e3", false, -2000, false},
		{"0x10", false, 0, true},
		{"inf", false, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.cell, func(t *testing.T) {
			t.Parallel()
			if got := IsMissing(tc.cell); got != tc.missing {
				t.Errorf("IsMissing(%q) = %v, want %v", tc.cell, got, tc.missing)
			}
			v, err := ParseCell(tc.cell)
			switch {
			case tc.err:
				if err == nil {
					t.Errorf("ParseCell(%q) = %v, want an error", tc.cell, v)
				}
			case tc.missing:
				if err != nil || !math.IsNaN(v) {
					t.Errorf("ParseCell(%q) = %v, %v; want NaN", tc.cell, v, err)
				}
			case err != nil || v != tc.value:
				t.Errorf("ParseCell(%q) = %v, %v; want %v", tc.cell, v, err, tc.value)
			}
		})
	}
	if got := NAValues(); got[0] != "" || len(got) < 10 {
		t.Errorf("NAValues() = %q, want the empty string first and pandas' list", got)
	}
}

func TestDatasetSetCategorical(t *testing.T) {
	t.Parallel()
	d := &Dataset{X: []float64{0, 1, 2, 3}, Y: []float64{0, 1}, NumFeature: 2, FeatureNames: []string{"colour", "size"}}
	if err := d.SetCategorical("colour"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{FeatureCategorical, "float"}, d.FeatureTypes); diff != "" {
		t.Errorf("FeatureTypes (-want +got):\n%s", diff)
	}
	err := d.SetCategorical("shape")
	if want := `categorical feature "shape" is not a feature column (features: colour, size)`; err == nil || err.Error() != want {
		t.Errorf("SetCategorical(shape) error = %v, want %q", err, want)
	}
}
