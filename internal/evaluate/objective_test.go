package evaluate

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/frame"
	"github.com/ferryml/ferry/internal/model"
)

func readCSV(t *testing.T, s string) *frame.Frame {
	t.Helper()
	f, err := frame.ReadCSV(strings.NewReader(s), frame.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A multi:softmax model predicts the class index (one output per row);
// evaluate takes the classes from the manifest's num_class.
func TestMultiSoftmax(t *testing.T) {
	t.Parallel()
	test := readCSV(t, "y,c\n0,0\n1,1\n2,2\n2,1\n")
	man := &model.Manifest{Task: model.TaskMulticlass, Objective: "multi:softmax", NumClass: 3, FeatureNames: []string{"c"}}
	doc, err := Evaluate(fakePredictor{nf: 1}, man, test, Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := doc["multiclass_classification_metrics"].(map[string]any)
	if got := m["accuracy"].(map[string]any)["value"]; got != 0.75 {
		t.Errorf("accuracy %v, want 0.75", got)
	}
	cm := m["confusion_matrix"].(map[string]any)
	if got := cm["2"].(map[string]any)["1"]; got != 1.0 {
		t.Errorf("confusion[2][1] = %v, want 1", got)
	}
	if len(cm) != 3 {
		t.Errorf("confusion matrix has %d rows, want 3", len(cm))
	}
	// A predicted value that is not a class is an error, not a panic.
	bad := readCSV(t, "y,c\n0,5\n")
	if _, err := Evaluate(fakePredictor{nf: 1}, man, bad, Config{}); err == nil {
		t.Error("class 5 of 3 accepted")
	}
}

// A binary:logitraw model predicts margins; evaluate applies the sigmoid,
// giving the metrics of the same probabilities under binary:logistic.
func TestBinaryLogitRaw(t *testing.T) {
	t.Parallel()
	probs := []float64{0.1, 0.4, 0.35, 0.8}
	var rawCSV, probCSV strings.Builder
	rawCSV.WriteString("y,m\n")
	probCSV.WriteString("y,m\n")
	for i, p := range probs {
		y := []int{0, 0, 1, 1}[i]
		fmt.Fprintf(&rawCSV, "%d,%v\n", y, math.Log(p/(1-p)))
		fmt.Fprintf(&probCSV, "%d,%v\n", y, p)
	}
	raw, err := Evaluate(fakePredictor{nf: 1}, &model.Manifest{Task: model.TaskBinary, Objective: "binary:logitraw"}, readCSV(t, rawCSV.String()), Config{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Evaluate(fakePredictor{nf: 1}, &model.Manifest{Task: model.TaskBinary, Objective: "binary:logistic"}, readCSV(t, probCSV.String()), Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"roc_auc", "logloss", "accuracy", "recall"} {
		g := raw["classification_metrics"].(map[string]any)[k].(map[string]any)["value"].(float64)
		w := want["classification_metrics"].(map[string]any)[k].(map[string]any)["value"].(float64)
		if math.Abs(g-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, g, w)
		}
	}
}
