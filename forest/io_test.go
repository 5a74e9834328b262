package forest_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/table"
)

func TestWriteReadRoundTrip(t *testing.T) {
	t.Parallel()
	for _, task := range []string{forest.TaskRegression, forest.TaskBinary} {
		t.Run(task, func(t *testing.T) {
			t.Parallel()
			x, y := synth(200, 3, task == forest.TaskBinary, 5)
			md, err := forest.Train(t.Context(), &table.Dataset{X: x, Y: y, NumFeature: 3}, forest.Params{Task: task, NEstimators: 5, MaxDepth: 5, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := md.Write(&buf); err != nil {
				t.Fatal(err)
			}
			back, err := forest.Read(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			want, got := make([]float64, 200), make([]float64, 200)
			md.Predict(want, x)
			back.Predict(got, x)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("row %d: read model predicts %v, written model %v", i, got[i], want[i])
				}
			}
			wc, gc := make([]float64, 200*4), make([]float64, 200*4)
			md.Contribs(wc, x)
			back.Contribs(gc, x)
			for i := range wc {
				if gc[i] != wc[i] {
					t.Fatalf("contribution %d: read model %v, written model %v", i, gc[i], wc[i])
				}
			}
			if back.Task != task || back.Params.NEstimators != 5 || back.NumFeatures() != 3 {
				t.Errorf("read task %q, n_estimators %d, features %d", back.Task, back.Params.NEstimators, back.NumFeatures())
			}
		})
	}
}

const validModel = `{"format":"ferry-random-forest","version":1,"task":"regression","num_features":2,"params":{"n_estimators":1,"max_features":"sqrt"},` +
	`"trees":[{"left":[1,-1,-1],"right":[2,-1,-1],"feature":[1,0,0],"threshold":[0.5,0,0],"default_left":[true,false,false],"value":[1,0,2],"cover":[2,1,1]}]}`

func TestReadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "Valid", in: validModel},
		{name: "Empty", in: ``, wantErr: "EOF"},
		{name: "NotJSON", in: `trees`, wantErr: "invalid character"},
		{name: "Format", in: strings.Replace(validModel, "ferry-random-forest", "xgboost", 1), wantErr: `format is "xgboost"`},
		{name: "Version", in: strings.Replace(validModel, `"version":1`, `"version":9`, 1), wantErr: "version 9"},
		{name: "Task", in: strings.Replace(validModel, `"regression"`, `"ranking"`, 1), wantErr: `task "ranking"`},
		{name: "NoFeatures", in: strings.Replace(validModel, `"num_features":2`, `"num_features":0`, 1), wantErr: "num_features 0"},
		{name: "FeatureOutOfRange", in: strings.Replace(validModel, `"feature":[1,0,0]`, `"feature":[2,0,0]`, 1), wantErr: "tree 0: node 0 splits on feature 2"},
		{name: "ChildOutOfRange", in: strings.Replace(validModel, `"right":[2,-1,-1]`, `"right":[7,-1,-1]`, 1), wantErr: "child 7 out of range"},
		{name: "Cycle", in: strings.Replace(validModel, `"right":[2,-1,-1]`, `"right":[0,-1,-1]`, 1), wantErr: "reached twice"},
		{name: "ShortArray", in: strings.Replace(validModel, `"value":[1,0,2]`, `"value":[1,0]`, 1), wantErr: "differ in length"},
		{name: "NegativeCover", in: strings.Replace(validModel, `"cover":[2,1,1]`, `"cover":[2,-1,1]`, 1), wantErr: "node 1: value 0, cover -1"},
		{name: "NoTrees", in: strings.Replace(validModel, `"trees":[{`, `"trees":[],"x":[{`, 1), wantErr: "unknown field"},
		{name: "UnknownParam", in: strings.Replace(validModel, `"n_estimators":1`, `"n_trees":1`, 1), wantErr: "unknown field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			md, err := forest.Read(strings.NewReader(tc.in))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v", err)
				}
				got := make([]float64, 2)
				md.Predict(got, []float64{0, 0.2, 0, 0.9})
				if got[0] != 0 || got[1] != 2 {
					t.Errorf("predictions %v, want [0 2]", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(validModel))
	f.Add([]byte(strings.Replace(validModel, `"right":[2,-1,-1]`, `"right":[1,-1,-1]`, 1)))
	f.Add([]byte(`{"format":"ferry-random-forest","version":1,"task":"binary_classification","num_features":1,"trees":[{"left":[-1],"right":[-1],"feature":[0],"threshold":[0],"default_left":[false],"value":[0.5],"cover":[1]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := forest.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		m := md.NumFeatures()
		if m > 64 {
			return
		}
		x := make([]float64, m)
		dst := make([]float64, m+1)
		md.Predict(dst[:1], x)
		md.Contribs(dst, x)
	})
}
