package bias

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/cell"
)

func TestNewColumn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cells   []string
		want    ColumnType
		missing bool
	}{
		{"ints", []string{"1", "-2", "30"}, Int, false},
		{"ints with missing become float", []string{"1", "", "3"}, Float, true},
		{"floats", []string{"1", "2.5", "1e3"}, Float, false},
		{"nan spellings are missing", []string{"1.5", "NaN", "NA", "n/a"}, Float, true},
		{"bools", []string{"True", "false", "TRUE"}, Bool, false},
		{"bools with missing are text", []string{"True", ""}, String, true},
		{"text", []string{"a", "1"}, String, false},
		{"hex is text", []string{"0x10"}, String, false},
		{"all missing is float", []string{"", "NA"}, Float, true},
		{"None is text", []string{"None", "1"}, String, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := NewColumn("c", tc.cells)
			if c.Type != tc.want {
				t.Errorf("type %v, want %v", c.Type, tc.want)
			}
			if (c.Missing != nil) != tc.missing {
				t.Errorf("missing mask %v, want present=%v", c.Missing, tc.missing)
			}
			if c.Len() != len(tc.cells) {
				t.Errorf("Len %d, want %d", c.Len(), len(tc.cells))
			}
		})
	}
}

func TestPyFloat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {1, "1.0"}, {-1, "-1.0"}, {0.1, "0.1"}, {50000, "50000.0"},
		{1e-5, "1e-05"}, {1.5e-7, "1.5e-07"}, {1e16, "1e+16"}, {123456789012345.6, "123456789012345.6"},
		{0.0001, "0.0001"}, {math.Inf(1), "inf"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			if got := PyFloat(tc.in); got != tc.want {
				t.Errorf("PyFloat(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func ints(n int, f func(i int) int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(f(i))
	}
	return out
}

func TestGuessKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cells   []string
		nValues int
		want    DataKind
	}{
		{"0/1 ints, 30 rows: continuous", ints(30, func(i int) int { return i % 2 }), 1, Continuous},
		{"0/1 ints, 41 rows: categorical", ints(41, func(i int) int { return i % 2 }), 1, Categorical},
		{"0/1 ints, 40 rows: continuous", ints(40, func(i int) int { return i % 2 }), 1, Continuous},
		{"two values: categorical", ints(30, func(i int) int { return i % 2 }), 2, Categorical},
		{"floats: continuous", []string{"0.0", "1.0", "1.0", "0.0"}, 1, Continuous},
		{"text: categorical", []string{"a", "b"}, 1, Categorical},
		{"bools: categorical", []string{"True", "False"}, 1, Categorical},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := NewColumn("c", tc.cells)
			if got := GuessKind(&c, tc.nValues); got != tc.want {
				t.Errorf("GuessKind = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDivisionRules(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"0/0 = 0", div(0, 0), 0},
		{"x/0 = +inf", div(3, 0), inf},
		{"-x/0 = -inf", div(-3, 0), -inf},
		{"plain", div(1, 4), 0.25},
		{"inf - inf = 0", diff(inf, inf), 0},
		{"inf - x = inf", diff(inf, 2), inf},
		{"x - inf = -inf", diff(2, inf), -inf},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

// table builds a Table from a CSV text with a header row.
func table(t testing.TB, text string) *Table {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(text), "\n")
	names := strings.Split(lines[0], ",")
	cells := make([][]string, len(names))
	for _, l := range lines[1:] {
		for j, s := range strings.Split(l, ",") {
			cells[j] = append(cells[j], s)
		}
	}
	tb := &Table{}
	for j, n := range names {
		tb.Columns = append(tb.Columns, NewColumn(n, cells[j]))
	}
	return tb
}

func metricMap(entries []MetricResult) map[string]any {
	out := map[string]any{}
	for _, m := range entries {
		if m.Error != "" {
			out[m.Name] = "error: " + m.Error
		} else {
			out[m.Name] = *m.Value
		}
	}
	return out
}

// The hand-computed case (text labels: a 0/1 integer label on 10 rows would
// be guessed continuous): facet g = "d" (4 rows), rest 6 rows.
// d: y = 1,1,0,0  yhat = 1,0,0,0 ; a: y = 1,1,1,0,0,0 yhat = 1,1,0,1,0,0.
const smallCSV = `g,x,y,yhat
d,0.1,yes,yes
d,0.2,yes,no
d,0.3,no,no
d,0.4,no,no
a,1.1,yes,yes
a,1.2,yes,yes
a,1.3,yes,no
a,1.4,no,yes
a,1.5,no,no
a,1.6,no,no`

func TestComputeByHand(t *testing.T) {
	t.Parallel()
	tb := table(t, smallCSV)
	cfg := Config{
		Label: "y", LabelValues: []Value{{Kind: StrValue, Str: "yes"}},
		Facets:         []Facet{{Name: "g", Values: []Value{{Kind: StrValue, Str: "d"}}}},
		PredictedLabel: "yhat",
		PreTraining:    PreTraining, PostTraining: PostTraining,
	}
	rep, err := Compute(tb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// a: TP=2 FN=1 FP=1 TN=2 ; d: TP=1 FN=1 FP=0 TN=2
	wantPre := map[string]any{
		"CDDL": "error: Group variable is empty or not provided",
		"CI":   0.2, "DPL": 0.0, "KL": 0.0, "JS": 0.0, "LP": 0.0, "TVD": 0.0, "KS": 0.0,
	}
	wantPost := map[string]any{
		"AD":    4.0/6 - 3.0/4,
		"CDDPL": "error: Group variable is empty or not provided",
		"DAR":   2.0/3 - 1.0,
		"DCA":   3.0/3 - 2.0/1,
		"DCR":   2.0/3 - 3.0/3,
		"DI":    (1.0 / 4) / (3.0 / 6),
		"DPPL":  3.0/6 - 1.0/4,
		"DRR":   0.0, // 2/3 - 2/3
		"FT":    0.0, // k = 1 (6 rest rows): every d row's nearest rest row is a row 1.1 (yhat 1); d has 1 positive, 3 negatives -> (0 - 3)/4
		"GE":    0.0,
		"RD":    2.0/3 - 1.0/2,
		"SD":    1.0 - 2.0/3,
		"TE":    math.Inf(-1),
	}
	wantPost["FT"] = (0.0 - 3.0) / 4
	// GE: b = yhat - y + 1 over 10 rows: FN rows (d2, a3) -> 0, FP (a4) -> 2, others 1.
	b := []float64{1, 0, 1, 1, 1, 1, 0, 2, 1, 1}
	mu := 0.0
	for _, v := range b {
		mu += v
	}
	mu /= 10
	ge := 0.0
	for _, v := range b {
		ge += (v/mu)*(v/mu) - 1
	}
	wantPost["GE"] = ge / 20
	// TE: d FN/FP = 1/0 = +inf; a FN/FP = 1/1 -> d - a = +inf.
	wantPost["TE"] = math.Inf(1)
	approx := cmp.Comparer(func(x, y float64) bool {
		return x == y || math.Abs(x-y) < 1e-12
	})
	if diff := cmp.Diff(wantPre, metricMap(rep.PreTraining.Facets[0].Entries[0].Metrics), approx); diff != "" {
		t.Errorf("pre-training (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantPost, metricMap(rep.PostTraining.Facets[0].Entries[0].Metrics), approx); diff != "" {
		t.Errorf("post-training (-want +got):\n%s", diff)
	}
	if got := rep.PostTraining.Facets[0].Entries[0].ValueOrThreshold; got != "d" {
		t.Errorf("value_or_threshold %q, want d", got)
	}
}

func TestComputeErrors(t *testing.T) {
	t.Parallel()
	tb := table(t, smallCSV)
	base := Config{
		Label: "y", LabelValues: []Value{{Kind: StrValue, Str: "yes"}},
		Facets:         []Facet{{Name: "g", Values: []Value{{Kind: StrValue, Str: "d"}}}},
		PredictedLabel: "yhat", PreTraining: []string{CI}, PostTraining: []string{DPPL},
	}
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string
	}{
		{"missing facet column", func(c *Config) { c.Facets[0].Name = "nope" }, `facet column "nope" is not in the data set`},
		{"unknown metric", func(c *Config) { c.PreTraining = []string{"XX"} }, `unknown pre-training bias metric "XX"`},
		{"no label values", func(c *Config) { c.LabelValues = nil }, "label_values_or_threshold is empty"},
		{"post without predictions", func(c *Config) { c.PredictedLabel = "" }, "post-training bias needs predicted labels"},
		{"continuous facet without threshold", func(c *Config) { c.Facets[0] = Facet{Name: "x"} }, "Threshold values must be provided for continuous features"},
		{"no predicted positive", func(c *Config) { c.LabelValues = []Value{{Kind: StrValue, Str: "maybe"}}; c.PredictedLabel = "yhat" }, "No Label values are present in the predicted Label Column"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := base
			cfg.Facets = append([]Facet(nil), base.Facets...)
			tc.modify(&cfg)
			_, err := Compute(tb, cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// A facet value that selects nothing makes every facet metric error while
// GE (which ignores the facet) still has a value.
func TestEmptyFacetIsPerMetric(t *testing.T) {
	t.Parallel()
	tb := table(t, smallCSV)
	rep, err := Compute(tb, Config{
		Label: "y", LabelValues: []Value{{Kind: StrValue, Str: "yes"}},
		Facets:         []Facet{{Name: "g", Values: []Value{{Kind: StrValue, Str: "zzz"}}}},
		PredictedLabel: "yhat", PostTraining: []string{DPPL, GE, FT},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := metricMap(rep.PostTraining.Facets[0].Entries[0].Metrics)
	for _, name := range []string{DPPL, FT} {
		if s, _ := got[name].(string); s != "error: Facet set is empty" {
			t.Errorf("%s = %v, want the empty-facet error", name, got[name])
		}
	}
	if _, ok := got[GE].(float64); !ok {
		t.Errorf("GE = %v, want a value", got[GE])
	}
}

func TestFacetLabels(t *testing.T) {
	t.Parallel()
	csv := "age,w,cat,y\n"
	for i := range 60 {
		csv += strconv.Itoa(20+i) + "," + strconv.FormatFloat(float64(i)/7, 'f', 3, 64) + "," + []string{"p", "q", "r"}[i%3] + "," + strconv.Itoa(i%2) + "\n"
	}
	tb := table(t, csv)
	tests := []struct {
		name  string
		facet Facet
		want  []string
	}{
		{"int threshold on int column", Facet{"age", []Value{{Kind: IntValue, Num: 40}}}, []string{"(40, 79]"}},
		{"int threshold on float column", Facet{"w", []Value{{Kind: IntValue, Num: 5}}}, []string{"(5.0, 8.429]"}},
		{"one-vs-all in order of appearance", Facet{Name: "cat"}, []string{"p", "q", "r"}},
		{"two values joined", Facet{"cat", []Value{{Kind: StrValue, Str: "p"}, {Kind: StrValue, Str: "r"}}}, []string{"p,r"}},
		{"number converted to text", Facet{"cat", []Value{{Kind: IntValue, Num: 1}}}, []string{"1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := Compute(tb, Config{Label: "y", LabelValues: []Value{{Kind: IntValue, Num: 1}}, Facets: []Facet{tc.facet}, PreTraining: []string{CI}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range rep.PreTraining.Facets[0].Entries {
				got = append(got, e.ValueOrThreshold)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzNewColumn checks the cell parser: any cells give a column of the
// same length whose type agrees with its storage.
func FuzzNewColumn(f *testing.F) {
	f.Add("1\x002\x003")
	f.Add("1.5\x00NaN\x00")
	f.Add("True\x00false")
	f.Add("a\x00\x00b")
	f.Add("0x1p3\x001_000\x00+-1\x00inf")
	f.Fuzz(func(t *testing.T, joined string) {
		cells := strings.Split(joined, "\x00")
		c := NewColumn("c", cells)
		if c.Len() != len(cells) {
			t.Fatalf("Len %d, want %d", c.Len(), len(cells))
		}
		if (c.Type == String) != (c.Str != nil) || (c.Type == String) == (c.Num != nil) {
			t.Fatalf("type %v with Str %v Num %v", c.Type, c.Str != nil, c.Num != nil)
		}
		for i, s := range cells {
			if cell.IsNA(s) != c.isMissing(i) {
				t.Fatalf("cell %q: missing %v", s, c.isMissing(i))
			}
		}
		GuessKind(&c, 1)
	})
}
