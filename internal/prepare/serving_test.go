package prepare

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/frame"
)

func mustCSV(t *testing.T, s string, opts frame.CSVOptions) *frame.Frame {
	t.Helper()
	f, err := frame.ReadCSV(strings.NewReader(s), opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Serving records carry text as the client writes it ("true", "1",
// "007"); Encode must canonicalise it as training's Column.Text did for
// bool, float and int categorical and ordinal columns.
func TestEncodeServingTextOfTypedCategories(t *testing.T) {
	data := "y,flag,rate,code,level\n0,True,1.5,7,1.0\n1,False,2.0,12,2.5\n0,True,2.0,7,2.5\n"
	tables := map[string]*frame.Frame{"in": mustCSV(t, data, frame.CSVOptions{})}
	cfg := Config{
		Label:   "y",
		Ordinal: map[string]map[string]float64{"level": {"1.0": 10, "2.5": 20}},
		OneHot:  &OneHotConfig{Columns: []string{"flag", "rate", "code"}},
	}
	res, err := Prepare(context.Background(), tables, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Transform
	// Each serving record is a training row written differently.
	serving := []map[string]string{
		{"flag": "true", "rate": "1.50", "code": "007", "level": "1"},
		{"flag": "FALSE", "rate": "2", "code": "+12", "level": "2.50"},
		{"flag": "true", "rate": "2e0", "code": "7", "level": "25e-1"},
	}
	dst := make([]float64, len(tr.Features))
	for r, rec := range serving {
		if err := tr.Encode(dst, rec); err != nil {
			t.Fatalf("row %d %v: %v", r, rec, err)
		}
		for i, f := range tr.Features {
			c, _ := res.Full.Column(f.Name)
			want, _ := c.Float(r)
			if dst[i] != want {
				t.Errorf("row %d %v feature %q: Encode gives %v, prepared data has %v", r, rec, f.Name, dst[i], want)
			}
		}
	}
}

// Each input's na_values apply to its own columns only, at serving as at
// training.
func TestNAValuesPerInputColumn(t *testing.T) {
	a := "id,x\n1,-1\n2,5\n"
	b := "id,z\n1,-1\n2,?\n"
	cfg := Config{
		Inputs: map[string]InputConfig{"a": {NAValues: []string{"-1"}}, "b": {NAValues: []string{"?"}}},
		Join:   []JoinConfig{{Left: "a", Right: "b", On: []string{"id"}}},
		Label:  "id",
	}
	tables := map[string]*frame.Frame{
		"a": mustCSV(t, a, frame.CSVOptions{NAValues: cfg.Inputs["a"].NAValues}),
		"b": mustCSV(t, b, frame.CSVOptions{NAValues: cfg.Inputs["b"].NAValues}),
	}
	res, err := Prepare(context.Background(), tables, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Transform
	dst := make([]float64, len(tr.Features))
	if err := tr.Encode(dst, map[string]string{"x": "-1", "z": "-1"}); err != nil {
		t.Fatal(err)
	}
	// Training read a's -1 as missing and b's -1 as the number -1.
	for i, f := range tr.Features {
		c, _ := res.Full.Column(f.Name)
		want, _ := c.Float(0)
		if dst[i] != want && !(math.IsNaN(dst[i]) && math.IsNaN(want)) {
			t.Errorf("feature %q: serving -1 gives %v, training row has %v", f.Name, dst[i], want)
		}
	}
	if err := tr.Encode(dst, map[string]string{"x": "?", "z": "?"}); err == nil {
		t.Errorf("x=? encoded (a's NA values do not include ?): %v", dst)
	}
}

// An infinite numeric cell is rejected with an error naming the input,
// column and row.
func TestPrepareRejectsInfinite(t *testing.T) {
	tables := map[string]*frame.Frame{"in": mustCSV(t, "y,x\n0,1.5\n1,-inf\n", frame.CSVOptions{})}
	_, err := Prepare(context.Background(), tables, Config{Label: "y"})
	if err == nil || !strings.Contains(err.Error(), `column "x" row 2`) || !strings.Contains(err.Error(), "not finite") {
		t.Fatalf("error %v, want one naming column x row 2", err)
	}
}
