package pipeline_test

import (
	"fmt"

	"github.com/ferryml/ferry/internal/pipeline"
)

func ExampleParseExpr() {
	e, err := pipeline.ParseExpr("steps.evaluate.properties.evaluation.auc >= params.threshold and params.status in ['Approved']")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.StepRefs(), e.ParamRefs())
	v, err := e.Eval(mapScope{
		params: map[string]any{"threshold": 0.7, "status": "Approved"},
		props:  map[string]map[string]any{"evaluate": {"evaluation": map[string]any{"auc": 0.83}}},
	})
	fmt.Println(v, err)
	// Output:
	// [evaluate] [status threshold]
	// true <nil>
}

func ExampleLoad() {
	def := `version: 1
name: example
parameters:
  who: {type: string, default: world}
steps:
  - name: greet
    kind: command
    command: [echo, "hello ${{ params.who }}"]
    outputs: [out]
  - name: check
    kind: condition
    if: steps.greet.properties.count > 'many'
    then: [done]
  - {name: done, kind: fail, message: "${{ steps.greet.outputs.log }}"}
`
	_, err := pipeline.Load("example.yaml", []byte(def), exampleKinds())
	fmt.Println(err)
	// Output:
	// example.yaml:14:44: step "done": field "message": step "greet" (kind command) has no output "log" (outputs: out)
}
