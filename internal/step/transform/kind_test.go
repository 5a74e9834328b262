package transform_test

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
	"github.com/ferryml/ferry/internal/step/transform"
	"github.com/ferryml/ferry/table"
)

var features = []string{"a", "b", "c"}

// trainModel trains a small gbdt model on three features (a, b, c), writes
// it as a Ferry model directory, stores it and returns its ref and the
// loaded model.
func trainModel(t *testing.T, b *steptest.Bundle, objective string, numClass int) (artifact.Ref, *model.Model) {
	t.Helper()
	var x, y []float64
	for i := range 600 {
		a, bb, c := float64(i%20)/20, float64((i/20)%30)/30, float64(i%7)/7
		if i%11 == 0 {
			bb = math.NaN()
		}
		x = append(x, a, bb, c)
		switch {
		case numClass > 1:
			y = append(y, float64(int(a*3+c)%numClass))
		case a+c > 0.9:
			y = append(y, 1)
		default:
			y = append(y, 0)
		}
	}
	p := gbdt.DefaultParams()
	p.Objective = objective
	p.NumClass = numClass
	p.NumRound = 10
	p.MaxDepth = 3
	res, err := gbdt.Train(context.Background(), &table.Dataset{X: x, Y: y, NumFeature: 3, FeatureNames: features}, p)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	mf := model.Manifest{
		Flavor:       model.FlavorXGBoost,
		ModelFile:    model.XGBoostModelFile,
		Objective:    objective,
		Task:         model.XGBoostTask(objective),
		NumClass:     numClass,
		Label:        "y",
		FeatureNames: features,
	}
	if err := model.Write(dir, mf, res.Model.WriteJSON); err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b.PutDir(t, dir), m
}

// data returns n rows of the three features, some missing (NaN).
func data(n int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = []float64{float64(i%17) / 17, float64(i%23) / 23, float64(i%5) / 5}
		if i%9 == 4 {
			rows[i][1] = math.NaN()
		}
		if i%13 == 6 {
			rows[i][2] = math.NaN()
		}
	}
	return rows
}

// cell formats v as a CSV cell; NaN alternates between "" and "NA".
func cell(v float64, i int) string {
	if math.IsNaN(v) {
		if i%2 == 0 {
			return ""
		}
		return "NA"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// layout is one CSV column: a feature index, or -1 for the label ("y"),
// or -2 for an id column.
type layout []int

func (l layout) header() []string {
	h := make([]string, len(l))
	for i, c := range l {
		switch c {
		case -1:
			h[i] = "y"
		case -2:
			h[i] = "id"
		default:
			h[i] = features[c]
		}
	}
	return h
}

// records renders rows in the layout.
func (l layout) records(rows [][]float64) [][]string {
	recs := make([][]string, len(rows))
	for i, r := range rows {
		rec := make([]string, len(l))
		for j, c := range l {
			switch c {
			case -1:
				rec[j] = strconv.Itoa(i % 2)
			case -2:
				rec[j] = "id-" + strconv.Itoa(i)
			default:
				rec[j] = cell(r[c], i+j)
			}
		}
		recs[i] = rec
	}
	return recs
}

func writeCSV(t *testing.T, recs [][]string) string {
	t.Helper()
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// predict is the model's Predict on rows, formatted as the output cells.
func predict(m *model.Model, rows [][]float64) [][]string {
	x := make([]float64, 0, len(rows)*m.NumFeatures())
	for _, r := range rows {
		x = append(x, r...)
	}
	k := m.NumOutputs()
	dst := make([]float64, len(rows)*k)
	m.Predict(dst, x)
	out := make([][]string, len(rows))
	for i := range rows {
		for _, v := range dst[i*k : (i+1)*k] {
			out[i] = append(out[i], strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	return out
}

func readOutput(t *testing.T, b *steptest.Bundle, res step.Result) [][]string {
	t.Helper()
	ref, ok := res.Outputs[transform.OutputPredictions]
	if !ok {
		t.Fatalf("no %s output: %v", transform.OutputPredictions, res.Outputs)
	}
	f, err := os.Open(filepath.Join(b.Path(t, ref), transform.PredictionsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestSpec(t *testing.T) {
	s := transform.New().Spec()
	if s.Kind != "transform" || !strings.HasPrefix(s.Version, "1+") || !strings.Contains(s.Version, model.Version) {
		t.Errorf("Kind, Version = %q, %q", s.Kind, s.Version)
	}
	args := map[string]step.Field{}
	for _, f := range s.Args {
		args[f.Name] = f
	}
	for name, want := range map[string]step.Type{"model": step.Artifact, "data": step.Artifact, "header": step.Boolean, "label": step.String, "output_format": step.String, "join_source": step.Boolean} {
		if args[name].Type != want {
			t.Errorf("arg %s: type %q, want %q", name, args[name].Type, want)
		}
	}
	if !args["model"].Required || !args["data"].Required || args["header"].Default != true || args["join_source"].Default != false || args["output_format"].Default != "csv" {
		t.Errorf("args = %+v", s.Args)
	}
	if len(s.Outputs) != 1 || s.Outputs[0].Name != "predictions" || len(s.Properties) != 1 || s.Properties[0].Name != "rows" || s.Properties[0].Type != step.Integer {
		t.Errorf("outputs %+v, properties %+v", s.Outputs, s.Properties)
	}
}

func TestRun(t *testing.T) {
	b := steptest.New(t)
	binRef, binModel := trainModel(t, b, gbdt.BinaryLogistic, 0)
	multiRef, multiModel := trainModel(t, b, gbdt.MultiSoftprob, 3)

	tests := []struct {
		name   string
		multi  bool
		n      int
		layout layout
		header bool
		args   map[string]any
		// want builds the expected output from the input records and the
		// predictions.
		want func(in [][]string, pred [][]string) [][]string
	}{
		{
			name: "header in model order", n: 50, layout: layout{0, 1, 2}, header: true,
			want: predictionsOnly("prediction"),
		},
		{
			name: "header matched by name, other order, extra column", n: 50, layout: layout{2, -2, 0, 1}, header: true,
			want: predictionsOnly("prediction"),
		},
		{
			name: "headerless", n: 50, layout: layout{0, 1, 2}, header: false,
			args: map[string]any{"header": false},
			want: func(_, pred [][]string) [][]string { return append([][]string{{"prediction"}}, pred...) },
		},
		{
			name: "label dropped", n: 50, layout: layout{-1, 1, 0, 2}, header: true,
			args: map[string]any{"label": "y"},
			want: predictionsOnly("prediction"),
		},
		{
			name: "join_source", n: 50, layout: layout{-1, 0, 1, 2}, header: true,
			args: map[string]any{"label": "y", "join_source": true, "output_format": "csv"},
			want: joined("prediction"),
		},
		{
			name: "join_source headerless", n: 20, layout: layout{0, 1, 2}, header: false,
			args: map[string]any{"header": false, "join_source": true},
			want: joined(),
		},
		{
			name: "several batches", n: 2*transform.BatchSize + 17, layout: layout{1, 2, 0}, header: true,
			want: predictionsOnly("prediction"),
		},
		{
			name: "multiclass", multi: true, n: 40, layout: layout{0, 1, 2, -1}, header: true,
			args: map[string]any{"label": "y"},
			want: predictionsOnly("prediction_0", "prediction_1", "prediction_2"),
		},
		{
			name: "multiclass join_source", multi: true, n: 40, layout: layout{0, 1, 2}, header: true,
			args: map[string]any{"join_source": true},
			want: joined("prediction_0", "prediction_1", "prediction_2"),
		},
		{
			name: "header only", n: 0, layout: layout{0, 1, 2}, header: true,
			want: predictionsOnly("prediction"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref, m := binRef, binModel
			if tc.multi {
				ref, m = multiRef, multiModel
			}
			rows := data(tc.n)
			recs := tc.layout.records(rows)
			in := recs
			if tc.header {
				in = append([][]string{tc.layout.header()}, recs...)
			}
			dataRef := b.PutFiles(t, map[string]string{"test.csv": writeCSV(t, in)})
			args := map[string]any{"model": ref, "data": dataRef}
			for k, v := range tc.args {
				args[k] = v
			}
			res, err := b.Run(t, transform.New(), step.Request{StepName: "Transform", Attempt: 1, Args: args})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Properties["rows"]; got != int64(tc.n) {
				t.Errorf("rows = %v (%T), want %d", got, got, tc.n)
			}
			got := readOutput(t, b, res)
			want := tc.want(in, predict(m, rows))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("output differs (got %d records, want %d)", len(got), len(want))
				for i := range min(len(got), len(want)) {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("record %d: got %q, want %q", i+1, got[i], want[i])
					}
				}
			}
		})
	}
}

// predictionsOnly is the output without join_source: a header, then the
// predictions.
func predictionsOnly(names ...string) func(_, pred [][]string) [][]string {
	return func(_, pred [][]string) [][]string { return append([][]string{names}, pred...) }
}

// joined is the join_source output: each input record followed by its
// predictions; the header gets names (none for headerless input).
func joined(names ...string) func(in, pred [][]string) [][]string {
	return func(in, pred [][]string) [][]string {
		var out [][]string
		if len(names) > 0 {
			out = append(out, append(append([]string(nil), in[0]...), names...))
			in = in[1:]
		}
		for i, rec := range in {
			out = append(out, append(append([]string(nil), rec...), pred[i]...))
		}
		return out
	}
}

func TestRunErrors(t *testing.T) {
	b := steptest.New(t)
	ref, _ := trainModel(t, b, gbdt.BinaryLogistic, 0)
	tests := []struct {
		name  string
		files map[string]string
		args  map[string]any
		want  []string // substrings of the error
	}{
		{
			name:  "non-numeric cell",
			files: map[string]string{"d.csv": "a,b,c\n1,2,3\n0.5,abc,1\n"},
			want:  []string{"row 3", `column 2 ("b")`, `"abc"`},
		},
		{
			name:  "non-numeric cell headerless",
			files: map[string]string{"d.csv": "1,2,3\n0.5,1,x\n"},
			args:  map[string]any{"header": false},
			want:  []string{"row 2", "column 3", `"x"`},
		},
		{
			name:  "ragged row",
			files: map[string]string{"d.csv": "a,b,c\n1,2,3\n1,2,3\n1,2\n"},
			want:  []string{"row 4", "2 columns, want 3"},
		},
		{
			name:  "headerless with wrong column count",
			files: map[string]string{"d.csv": "1,2,3,4\n"},
			args:  map[string]any{"header": false},
			want:  []string{"row 1", "4 columns", "3 features"},
		},
		{
			name:  "missing feature column",
			files: map[string]string{"d.csv": "a,c,y\n1,2,3\n"},
			want:  []string{`missing feature column "b"`},
		},
		{
			name:  "label dropped leaves a feature missing",
			files: map[string]string{"d.csv": "a,b,c\n1,2,3\n"},
			args:  map[string]any{"label": "b"},
			want:  []string{`missing feature column "b"`},
		},
		{
			name:  "label not in header",
			files: map[string]string{"d.csv": "a,b,c\n1,2,3\n"},
			args:  map[string]any{"label": "target"},
			want:  []string{`label column "target" is not in the header`},
		},
		{
			name:  "label without header",
			files: map[string]string{"d.csv": "1,2,3\n"},
			args:  map[string]any{"header": false, "label": "y"},
			want:  []string{"needs header: true"},
		},
		{
			name:  "empty data dir",
			files: map[string]string{},
			want:  []string{"no .csv file"},
		},
		{
			name:  "two csv files",
			files: map[string]string{"a.csv": "a,b,c\n", "b.csv": "a,b,c\n"},
			want:  []string{"2 .csv files"},
		},
		{
			name:  "empty csv",
			files: map[string]string{"d.csv": ""},
			want:  []string{"no header row"},
		},
		{
			name:  "unsupported output format",
			files: map[string]string{"d.csv": "a,b,c\n"},
			args:  map[string]any{"output_format": "jsonl"},
			want:  []string{"unsupported format"},
		},
		{
			name:  "model is not a model",
			files: map[string]string{"d.csv": "a,b,c\n"},
			args:  map[string]any{"model": "data"}, // replaced by the data ref
			want:  []string{"loading model"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dataRef := b.PutFiles(t, tc.files)
			args := map[string]any{"model": ref, "data": dataRef}
			for k, v := range tc.args {
				args[k] = v
			}
			if args["model"] == "data" {
				args["model"] = dataRef
			}
			_, err := b.Run(t, transform.New(), step.Request{StepName: "Transform", Attempt: 1, Args: args})
			if err == nil {
				t.Fatal("no error")
			}
			if !step.IsPermanent(err) {
				t.Errorf("error is not permanent: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// The output is the same when the model and data refs arrive as strings
// (the artifact.Ref text form).
func TestRunStringRefs(t *testing.T) {
	b := steptest.New(t)
	ref, m := trainModel(t, b, gbdt.BinaryLogistic, 0)
	rows := data(5)
	l := layout{0, 1, 2}
	dataRef := b.PutFiles(t, map[string]string{"d.csv": writeCSV(t, append([][]string{l.header()}, l.records(rows)...))})
	res, err := b.Run(t, transform.New(), step.Request{Args: map[string]any{"model": string(ref), "data": string(dataRef)}})
	if err != nil {
		t.Fatal(err)
	}
	got := readOutput(t, b, res)
	want := append([][]string{{"prediction"}}, predict(m, rows)...)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
