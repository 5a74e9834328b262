package table_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/table"
)

// Read a CSV with missing cells, cut out the label and train on it.
func Example() {
	csv := `label,age,income
1,25,40.5
0,62,NA
1,31,
0,58,22.0
1,29,38.0
0,65,19.5
`
	t, err := table.ReadCSV(strings.NewReader(csv))
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := t.Dataset("label", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("features:", data.FeatureNames, "rows:", data.Rows())
	fmt.Println("second row:", data.X[2:4])

	p := gbdt.DefaultParams()
	p.Objective = gbdt.BinaryLogistic
	p.MinChildWeight = 0 // a tiny table
	res, err := gbdt.Train(context.Background(), data, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	prob := make([]float64, data.Rows())
	res.Model.Predict(prob, data.X)
	fmt.Printf("P(label=1): %.2f\n", prob)
	// Output:
	// features: [age income] rows: 6
	// second row: [62 NaN]
	// P(label=1): [0.84 0.16 0.84 0.16 0.84 0.16]
}

// A cell is missing when it is one of pandas' default NA strings; other
// cells must be finite numbers.
func ExampleParseCell() {
	for _, c := range []string{"3.5", " NA ", "", "n/a", "1e3", "None", "0x10"} {
		v, err := table.ParseCell(c)
		if err != nil {
			fmt.Printf("%q: %v\n", c, err)
			continue
		}
		fmt.Printf("%q: missing %v, value %v\n", c, table.IsMissing(c), v)
	}
	// Output:
	// "3.5": missing false, value 3.5
	// " NA ": missing true, value NaN
	// "": missing true, value NaN
	// "n/a": missing true, value NaN
	// "1e3": missing false, value 1000
	// "None": "None" is not a number
	// "0x10": "0x10" is not a number
}

// A weight column becomes the Dataset's sample weights.
func ExampleTable_Dataset() {
	t := &table.Table{
		Names: []string{"x", "y", "w"},
		Data: []float64{
			1, 0, 1,
			2, 1, 0.5,
			3, 1, 2,
		},
	}
	d, err := t.Dataset("y", "w")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.FeatureNames, d.X, d.Y, d.Weight)
	// Output:
	// [x] [1 2 3] [0 1 1] [1 0.5 2]
}
