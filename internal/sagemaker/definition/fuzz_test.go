package definition

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/internal/pipeline"
)

// FuzzParse feeds arbitrary bytes to the definition parser and the
// translation: they must never panic, every problem must be a located
// *pipeline.ValidationErrors, and a definition that loads must give a
// pipeline whose step order and expressions work.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	more, _ := filepath.Glob("testdata/invalid/*.json")
	for _, file := range append(seeds, more...) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"Version":"2020-12-01","Steps":[{"Name":"A","Type":"Fail","Arguments":{"ErrorMessage":{"Std:Join":{"On":"${{","Values":["}}",{"Get":"Execution.PipelineExecutionArn"}]}}}}]}`))
	f.Add([]byte(`{"Steps":[{"Name":"C","Type":"Condition","Arguments":{"Conditions":[{"Type":"Not","Condition":{"Type":"In","QueryValue":"a'b","Values":["\\", 1e300, -0.5, null]}}],"IfSteps":[],"ElseSteps":[]}}]}`))
	kinds := newStubKinds()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load("f.json", data, kinds)
		if err != nil {
			var verrs *pipeline.ValidationErrors
			if !errors.As(err, &verrs) {
				t.Fatalf("error is %T, want *pipeline.ValidationErrors: %v", err, err)
			}
			return
		}
		if p == nil {
			t.Fatal("nil pipeline without an error")
		}
		if got := len(p.TopoOrder()); got != len(p.Steps) {
			t.Fatalf("TopoOrder has %d steps, want %d", got, len(p.Steps))
		}
		for _, st := range p.Steps {
			if st.If != nil {
				if _, err := pipeline.ParseExpr(st.If.String()); err != nil {
					t.Fatalf("condition %q does not parse again: %v", st.If, err)
				}
			}
		}
	})
}
