package transform_test

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
	"github.com/ferryml/ferry/internal/step/transform"
)

// TestSameCellSameAnswer checks the one rule for model input (package
// cell): a cell is missing, a number or an error alike in batch transform
// and at the endpoint (CSV and JSON string payloads), and a missing cell
// predicts as NaN does.
func TestSameCellSameAnswer(t *testing.T) {
	b := steptest.New(t)
	ref, m := trainModel(t, b, gbdt.BinaryLogistic, 0)
	h, _, err := serving.NewModelHandler(&serving.Model{Predictor: m.Predictor, FeatureNames: features}, serving.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	// nanPred is the prediction with b missing.
	nanPred := predict(m, [][]float64{{0.5, math.NaN(), 0.2}})[0][0]
	cells := []struct {
		cell string
		want string // "missing", "error" or the number the cell holds
	}{
		{"", "missing"}, {" ", "missing"}, {"NA", "missing"}, {"N/A", "missing"}, {"NaN", "missing"},
		{"nan", "missing"}, {"-nan", "missing"}, {"NULL", "missing"}, {"null", "missing"}, {"#N/A", "missing"},
		{"<NA>", "missing"}, {"n/a", "missing"}, {" NA ", "missing"},
		{"None", "error"}, {"NAN", "error"}, {"abc", "error"}, {"0x10", "error"}, {"1_0", "error"},
		{"inf", "error"}, {"-Infinity", "error"}, {"1e999", "error"},
		{"0.3", "0.3"}, {" 0.3 ", "0.3"}, {"3e-1", "0.3"}, {"+.3", "0.3"}, {"5.", "5"}, {"-0.7", "-0.7"},
	}
	for _, tc := range cells {
		t.Run(strconv.Quote(tc.cell), func(t *testing.T) {
			var want string
			switch tc.want {
			case "missing":
				want = nanPred
			case "error":
			default:
				v, _ := strconv.ParseFloat(tc.want, 64)
				want = predict(m, [][]float64{{0.5, v, 0.2}})[0][0]
			}

			// Batch transform.
			data := "a,b,c\n0.5," + tc.cell + ",0.2\n"
			dataRef := b.PutFiles(t, map[string]string{"in.csv": data})
			res, err := b.Run(t, transform.New(), step.Request{StepName: "T", Attempt: 1, Args: map[string]any{"model": ref, "data": dataRef}})
			batch := ""
			if err == nil {
				batch = readOutput(t, b, res)[1][0]
			}
			if (err != nil) != (want == "") || batch != want {
				t.Errorf("batch transform: got %q, err %v; want %q", batch, err, want)
			}

			// Endpoint, text/csv and a JSON string.
			for _, p := range []struct{ ct, body string }{
				{"text/csv", "0.5," + tc.cell + ",0.2"},
				{"application/json", `[[0.5, ` + strconv.Quote(tc.cell) + `, 0.2]]`},
			} {
				resp, err := http.Post(srv.URL+"/invocations", p.ct, strings.NewReader(p.body))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got := strings.TrimSpace(string(body))
				switch {
				case want == "" && resp.StatusCode != http.StatusBadRequest:
					t.Errorf("endpoint %s: status %d %s; want 400 as batch transform fails", p.ct, resp.StatusCode, got)
				case want != "" && resp.StatusCode != http.StatusOK:
					t.Errorf("endpoint %s: status %d %s; want 200", p.ct, resp.StatusCode, got)
				case want != "" && p.ct == "text/csv" && got != want:
					t.Errorf("endpoint %s: prediction %s, batch transform %s", p.ct, got, want)
				}
			}
		})
	}
}
