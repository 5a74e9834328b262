package bias_test

import (
	"encoding/json"
	"fmt"

	"github.com/ferryml/ferry/bias"
)

// Compute takes typed columns (NewColumn infers types as pandas does)
// and returns Clarify's report sections.
func Example() {
	col := func(name string, cells ...string) bias.Column { return bias.NewColumn(name, cells) }
	t := &bias.Table{Columns: []bias.Column{
		col("sex", "F", "F", "F", "M", "M", "M", "M", "M"),
		col("approved", "no", "yes", "no", "yes", "yes", "no", "yes", "yes"),
		col("predicted", "no", "yes", "no", "yes", "yes", "yes", "yes", "no"),
	}}
	rep, err := bias.Compute(t, bias.Config{
		Label:          "approved",
		LabelValues:    []bias.Value{{Kind: bias.StrValue, Str: "yes"}},
		Facets:         []bias.Facet{{Name: "sex", Values: []bias.Value{{Kind: bias.StrValue, Str: "F"}}}},
		PredictedLabel: "predicted",
		PreTraining:    []string{bias.CI, bias.DPL},
		PostTraining:   []string{bias.DI, bias.TE},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(rep.PostTraining)
	fmt.Println(string(b))
	for _, m := range rep.PreTraining.Facets[0].Entries[0].Metrics {
		fmt.Printf("%s = %.4f\n", m.Name, *m.Value)
	}
	// Output:
	// {"label":"approved","label_value_or_threshold":"yes","facets":{"sex":[{"value_or_threshold":"F","metrics":[{"name":"DI","description":"Disparate Impact (DI)","value":0.41666666666666663},{"name":"TE","description":"Treatment Equality (TE)","value":-1.0}]}]}}
	// CI = 0.2500
	// DPL = 0.4667
}
