package bias

import (
	"strconv"
	"testing"
)

// benchTable builds n synthetic rows: gender (text), age (int), income
// (float), dept (int group), y and yhat (text yes/no), deterministic.
func benchTable(n int) *Table {
	state := uint64(42)
	next := func() uint64 {
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		return state
	}
	cells := make([][]string, 6)
	for i := range cells {
		cells[i] = make([]string, n)
	}
	yn := [2]string{"no", "yes"}
	for i := range n {
		r := next()
		female := r%100 < 45
		cells[0][i] = "M"
		if female {
			cells[0][i] = "F"
		}
		cells[1][i] = strconv.Itoa(18 + int(r>>8%63))
		cells[2][i] = strconv.FormatFloat(float64(r>>16%200000)/3, 'f', 2, 64)
		cells[3][i] = strconv.Itoa(int(r >> 32 % 10))
		y := r>>40%100 < 30
		if female && r>>48%100 < 10 {
			y = !y
		}
		yhat := y
		if r>>56%100 < 20 {
			yhat = !yhat
		}
		cells[4][i] = yn[b2i(y)]
		cells[5][i] = yn[b2i(yhat)]
	}
	names := []string{"gender", "age", "income", "dept", "y", "yhat"}
	t := &Table{}
	for j, name := range names {
		t.Columns = append(t.Columns, NewColumn(name, cells[j]))
	}
	return t
}

func benchConfig(post []string) Config {
	return Config{
		Label: "y", LabelValues: []Value{{Kind: StrValue, Str: "yes"}},
		Facets: []Facet{
			{Name: "gender", Values: []Value{{Kind: StrValue, Str: "F"}}},
			{Name: "age", Values: []Value{{Kind: IntValue, Num: 40}}},
		},
		GroupVariable: "dept", PredictedLabel: "yhat",
		PreTraining: PreTraining, PostTraining: post,
	}
}

// allButFT is every post-training metric except the flip test, whose
// k-NN is quadratic in the rows (see BenchmarkFlipTest).
var allButFT = []string{AD, CDDPL, DAR, DCA, DCR, DI, DPPL, DRR, GE, RD, SD, TE}

// BenchmarkCompute1M computes all 8 pre-training and 13 post-training
// metrics for two facets (gender = "F", and age > 40) on 1,000,000 rows,
// from typed columns. FT runs its k-NN (k-d tree over age, income, dept)
// for the gender facet; for the age facet it stops at once (gender is a
// text feature).
func BenchmarkCompute1M(b *testing.B) {
	t := benchTable(1_000_000)
	cfg := benchConfig(PostTraining)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Compute(t, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompute1MNoFT is BenchmarkCompute1M without FT: the metrics
// the numpy reference (bench/clarify/bias_numpy.py) also computes.
func BenchmarkCompute1MNoFT(b *testing.B) {
	t := benchTable(1_000_000)
	cfg := benchConfig(allButFT)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Compute(t, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkColumns1M is pandas-style type inference of the 6 CSV columns
// of 1,000,000 rows (the part of reading a data set after CSV splitting).
func BenchmarkColumns1M(b *testing.B) {
	t := benchTable(1_000_000)
	cells := make([][]string, len(t.Columns))
	for j, c := range t.Columns {
		cells[j] = make([]string, c.Len())
		for i := range cells[j] {
			if c.Type == String {
				cells[j][i] = c.Str[i]
			} else {
				cells[j][i] = strconv.FormatFloat(c.Num[i], 'f', -1, 64)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		for j, c := range t.Columns {
			NewColumn(c.Name, cells[j])
		}
	}
}

// BenchmarkFlipTest is FT alone for the gender facet on 20,000 rows: the
// features age, income and dept go through the k-d tree.
func BenchmarkFlipTest(b *testing.B) {
	t := benchTable(20_000)
	cfg := benchConfig([]string{FT})
	cfg.PreTraining = nil
	cfg.Facets = cfg.Facets[:1]
	b.ResetTimer()
	for b.Loop() {
		rep, err := Compute(t, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if m := rep.PostTraining.Facets[0].Entries[0].Metrics[0]; m.Error != "" {
			b.Fatal(m.Error)
		}
	}
}
