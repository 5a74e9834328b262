package gbdt

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ferryml/ferry/table"
)

// quantizedData is a binary task with missing values, a categorical
// feature and weights: what binning depends on.
func quantizedData(rows int, weighted, categorical bool) *table.Dataset {
	rng := rand.New(rand.NewPCG(7, 8))
	const m = 6
	d := &table.Dataset{X: make([]float64, rows*m), Y: make([]float64, rows), NumFeature: m}
	if weighted {
		d.Weight = make([]float64, rows)
	}
	if categorical {
		d.FeatureTypes = []string{"float", "float", "float", "float", "float", table.FeatureCategorical}
	}
	for r := range rows {
		x := d.X[r*m : (r+1)*m]
		for j := range m - 1 {
			x[j] = math.Round(rng.NormFloat64()*100) / 10
			if rng.IntN(20) == 0 {
				x[j] = math.NaN()
			}
		}
		x[m-1] = float64(rng.IntN(5))
		s := x[0] - 0.5*x[1] + 0.3*x[m-1] + rng.NormFloat64()
		if !math.IsNaN(s) && s > 0 {
			d.Y[r] = 1
		}
		if weighted {
			d.Weight[r] = 0.5 + rng.Float64()
		}
	}
	return d
}

// TestWithQuantized checks that training on shared bins gives the model
// training bins itself, bit for bit, over the parameters a tuning run
// varies, and that one Quantized serves concurrent trainings.
func TestWithQuantized(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                  string
		weighted, categorical bool
		maxBin                int
	}{
		{"plain", false, false, 256},
		{"weighted", true, false, 256},
		{"categorical", false, true, 256},
		{"max_bin 16", true, true, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := quantizedData(2000, tc.weighted, tc.categorical)
			base := DefaultParams()
			base.MaxBin, base.NThread = tc.maxBin, 1
			q, err := Quantize(data, base)
			if err != nil {
				t.Fatal(err)
			}
			if q.MaxBin() != tc.maxBin {
				t.Errorf("MaxBin() = %d, want %d", q.MaxBin(), tc.maxBin)
			}
			variants := []func(p *Params){
				func(p *Params) {},
				func(p *Params) { p.MaxDepth, p.Eta, p.Subsample, p.ColsampleByTree = 8, 0.05, 0.7, 0.6 },
				func(p *Params) { p.MaxDepth, p.MinChildWeight, p.Lambda, p.NThread = 3, 5, 0.1, 2 },
			}
			for i, set := range variants {
				p := base
				p.Objective, p.NumRound, p.EvalMetric = BinaryLogistic, 20, []string{MetricAUC}
				set(&p)
				want, err := Train(t.Context(), data, p, WithEval("train", data))
				if err != nil {
					t.Fatal(err)
				}
				got, err := Train(t.Context(), data, p, WithEval("train", data), WithQuantized(q))
				if err != nil {
					t.Fatal(err)
				}
				var wb, gb bytes.Buffer
				if err := want.Model.WriteJSON(&wb); err != nil {
					t.Fatal(err)
				}
				if err := got.Model.WriteJSON(&gb); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(wb.Bytes(), gb.Bytes()) {
					t.Errorf("variant %d: the model trained on shared bins differs from the model trained alone", i)
				}
			}
		})
	}
}

// TestWithQuantizedMismatch checks that bins made for other rows or
// another max_bin are refused with an error that says why.
func TestWithQuantizedMismatch(t *testing.T) {
	t.Parallel()
	data := quantizedData(500, false, false)
	p := DefaultParams()
	p.Objective, p.NumRound = BinaryLogistic, 2
	q, err := Quantize(data, p)
	if err != nil {
		t.Fatal(err)
	}
	other := quantizedData(500, false, false)
	copyOf := *data
	typed := *data
	typed.FeatureTypes = []string{"float", "float", "float", "float", "float", table.FeatureCategorical}
	small := p
	small.MaxBin = 32
	for _, tc := range []struct {
		name string
		data *table.Dataset
		p    Params
		want string
	}{
		{"other rows", other, p, "other rows"},
		{"other max_bin", data, small, "max_bin 256"},
		{"other feature types", &typed, p, "categorical features differ"},
		{"same rows, another Dataset value", &copyOf, p, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Train(t.Context(), tc.data, tc.p, WithQuantized(q))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Train: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Train error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := Quantize(&table.Dataset{}, p); err == nil {
		t.Error("Quantize of an empty dataset: no error")
	}
}

// TestWithQuantizedChecksNewEvalSets: trainings on shared bins skip the
// scan of matrices already scanned (the training rows, an eval set coded
// before), not of a new eval set: its infinite value is still refused.
func TestWithQuantizedChecksNewEvalSets(t *testing.T) {
	t.Parallel()
	data := quantizedData(300, false, false)
	p := DefaultParams()
	p.Objective, p.NumRound, p.EvalMetric = BinaryLogistic, 2, []string{MetricAUC}
	q, err := Quantize(data, p)
	if err != nil {
		t.Fatal(err)
	}
	valid := quantizedData(100, false, false)
	for range 2 {
		if _, err := Train(t.Context(), data, p, WithEval("validation", valid), WithQuantized(q)); err != nil {
			t.Fatal(err)
		}
	}
	bad := quantizedData(100, false, false)
	bad.X[7] = math.Inf(1)
	_, err = Train(t.Context(), data, p, WithEval("validation", bad), WithQuantized(q))
	if err == nil || !strings.Contains(err.Error(), "validation dataset row 2 feature 1 is infinite") {
		t.Fatalf("Train error %v, want the infinite value located", err)
	}
}
