package clarify

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/quote"
)

// Predictor is the model a Clarify job calls: a loaded model or an
// endpoint.
type Predictor interface {
	// NumOutputs is the number of scores per row.
	NumOutputs() int
	// Predict writes NumOutputs scores for each of the n rows of x
	// (row-major) into dst.
	Predict(ctx context.Context, dst, x []float64, n int) error
}

// FromModel wraps a loaded model. When the model is also a
// model.Explainer (tree models), SHAP values are its exact TreeSHAP
// contributions. featureNames, when given and all present in the data
// set, order the columns sent to the model; otherwise the data set's
// feature columns go in file order.
func FromModel(p model.Predictor, featureNames ...string) Predictor {
	return modelPredictor{m: p, names: featureNames}
}

type modelPredictor struct {
	m     model.Predictor
	names []string
}

// FeatureNames returns the model's input names, if known.
func (p modelPredictor) FeatureNames() []string { return p.names }

func (p modelPredictor) NumOutputs() int { return p.m.NumOutputs() }

func (p modelPredictor) Predict(ctx context.Context, dst, x []float64, n int) error {
	const chunk = 4096
	m, k := p.m.NumFeatures(), p.m.NumOutputs()
	if len(x) != n*m {
		return fmt.Errorf("predicting: %d values for %d rows of %d features", len(x), n, m)
	}
	for lo := 0; lo < n; lo += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(n, lo+chunk)
		p.m.Predict(dst[lo*k:hi*k], x[lo*m:hi*m])
	}
	return nil
}

// explainer returns the exact TreeSHAP explainer behind p, if any.
func explainer(p Predictor) (model.Explainer, int, bool) {
	mp, ok := p.(modelPredictor)
	if !ok {
		return nil, 0, false
	}
	e, ok := mp.m.(model.Explainer)
	return e, mp.m.NumFeatures(), ok
}

// interventionalExplainer returns the model's exact interventional SHAP
// when it has them (tree models).
func interventionalExplainer(p Predictor) (model.InterventionalExplainer, int, bool) {
	mp, ok := p.(modelPredictor)
	if !ok {
		return nil, 0, false
	}
	e, ok := mp.m.(model.InterventionalExplainer)
	return e, mp.m.NumFeatures(), ok
}

// Endpoint calls a model server as Clarify calls its shadow endpoint:
// POST text/csv records without header, one per line, in batches; the
// response is text/csv, one line of scores per record.
type Endpoint struct {
	URL       string
	Client    *http.Client // nil: http.DefaultClient
	BatchSize int          // records per request; 0: 1000
	// Outputs is the number of scores per response line; 0: discover it
	// from the first response.
	Outputs int
	// Column, when >= 0, keeps only that column of each response line
	// (the predictor config's probability index).
	Column int
}

// NewEndpoint returns an Endpoint for url keeping every response column.
func NewEndpoint(url string) *Endpoint { return &Endpoint{URL: url, Column: -1} }

// NumOutputs returns the number of scores per record; it is 1 until the
// first call when not configured.
func (e *Endpoint) NumOutputs() int {
	if e.Column >= 0 || e.Outputs == 0 {
		return 1
	}
	return e.Outputs
}

// Probe calls the endpoint with one row to learn its output width.
func (e *Endpoint) Probe(ctx context.Context, row []float64) error {
	if e.Outputs != 0 || e.Column >= 0 {
		return nil
	}
	lines, err := e.call(ctx, row, 1, len(row))
	if err != nil {
		return err
	}
	e.Outputs = len(lines[0])
	return nil
}

// Predict sends x in batches and writes the scores to dst.
func (e *Endpoint) Predict(ctx context.Context, dst, x []float64, n int) error {
	if n == 0 {
		return nil
	}
	m := len(x) / n
	bs := e.BatchSize
	if bs <= 0 {
		bs = 1000
	}
	k := e.NumOutputs()
	for lo := 0; lo < n; lo += bs {
		hi := min(n, lo+bs)
		lines, err := e.call(ctx, x[lo*m:hi*m], hi-lo, m)
		if err != nil {
			return err
		}
		for i, rec := range lines {
			if e.Column >= 0 {
				if e.Column >= len(rec) {
					return fmt.Errorf("endpoint %s: response line %d has %d columns, probability index is %d", e.URL, lo+i+1, len(rec), e.Column)
				}
				dst[lo+i] = rec[e.Column]
				continue
			}
			if len(rec) != k {
				return fmt.Errorf("endpoint %s: response line %d has %d values, want %d", e.URL, lo+i+1, len(rec), k)
			}
			copy(dst[(lo+i)*k:], rec)
		}
	}
	return nil
}

func (e *Endpoint) call(ctx context.Context, x []float64, n, m int) ([][]float64, error) {
	var body bytes.Buffer
	for i := range n {
		for j := range m {
			if j > 0 {
				body.WriteByte(',')
			}
			body.WriteString(formatCSVFloat(x[i*m+j]))
		}
		body.WriteByte('\n')
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, &body)
	if err != nil {
		return nil, fmt.Errorf("calling endpoint %s: %w", e.URL, err)
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Accept", "text/csv")
	client := e.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling endpoint %s: %w", e.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("calling endpoint %s: status %s: %s", e.URL, resp.Status, strings.TrimSpace(string(msg)))
	}
	lines, err := parseScores(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading response of endpoint %s: %w", e.URL, err)
	}
	// A single line of n comma-separated scores is one score per record.
	if len(lines) == 1 && n > 1 && len(lines[0]) == n {
		out := make([][]float64, n)
		for i, v := range lines[0] {
			out[i] = []float64{v}
		}
		lines = out
	}
	if len(lines) != n {
		return nil, fmt.Errorf("endpoint %s returned %d lines for %d records", e.URL, len(lines), n)
	}
	return lines, nil
}

func parseScores(r io.Reader) ([][]float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	var out [][]float64
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		fields := strings.Split(s, ",")
		rec := make([]float64, len(fields))
		for i, f := range fields {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %s is not a number", line, quote.Value(f))
			}
			rec[i] = v
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}
