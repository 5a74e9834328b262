package serving

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
)

// linear is a fake model.Predictor and model.Explainer: output c of a row
// is Bias + c + Σ W[j]·x[j] (NaN counts as 0). The SHAP values of a linear
// model with a zero baseline are W[j]·x[j], with Bias + c as the base.
type linear struct {
	W     []float64
	Bias  float64
	K     int
	Panic bool
}

func (m *linear) NumFeatures() int { return len(m.W) }
func (m *linear) NumOutputs() int {
	if m.K == 0 {
		return 1
	}
	return m.K
}

func (m *linear) Predict(dst, x []float64) {
	if m.Panic {
		panic("boom")
	}
	nf, k := len(m.W), m.NumOutputs()
	for i := range len(x) / nf {
		s := m.Bias
		for j, w := range m.W {
			if v := x[i*nf+j]; !math.IsNaN(v) {
				s += w * v
			}
		}
		for c := range k {
			dst[i*k+c] = s + float64(c)
		}
	}
}

func (m *linear) Contribs(dst, x []float64) {
	nf, k := len(m.W), m.NumOutputs()
	for i := range len(x) / nf {
		for c := range k {
			block := dst[(i*k+c)*(nf+1) : (i*k+c+1)*(nf+1)]
			for j, w := range m.W {
				v := x[i*nf+j]
				if math.IsNaN(v) {
					v = 0
				}
				block[j] = w * v
			}
			block[nf] = m.Bias + float64(c)
		}
	}
}

// plain hides Contribs.
type plain struct{ m *linear }

func (p plain) NumFeatures() int         { return p.m.NumFeatures() }
func (p plain) NumOutputs() int          { return p.m.NumOutputs() }
func (p plain) Predict(dst, x []float64) { p.m.Predict(dst, x) }

// upperEncoder is a fake feature transform: it reads fields "a" and "b",
// where b is a category "x" (1) or "y" (2).
type upperEncoder struct{}

func (upperEncoder) CheckFields(rec map[string]string) error {
	for k := range rec {
		if k != "a" && k != "b" {
			return fmt.Errorf("unknown field %q", k)
		}
	}
	return nil
}

func (upperEncoder) Encode(dst []float64, rec map[string]string) error {
	var a float64
	if _, err := fmt.Sscan(rec["a"], &a); err != nil {
		return fmt.Errorf("field %q: %q is not a number", "a", rec["a"])
	}
	dst[0] = a
	switch rec["b"] {
	case "x":
		dst[1] = 1
	case "y":
		dst[1] = 2
	default:
		return fmt.Errorf("field %q: unknown category %q", "b", rec["b"])
	}
	return nil
}

func ref(n int) artifact.Ref { return artifact.Ref(fmt.Sprintf("sha256:%064x", n)) }

// models maps artifact refs to fakes; refs not in it fail to load.
type models map[artifact.Ref]*Model

func (ms models) load(ctx context.Context, r artifact.Ref) (*Model, error) {
	m, ok := ms[r]
	if !ok {
		return nil, errors.New("model.json: unexpected end of JSON input")
	}
	cp := *m
	return &cp, nil
}

// constant returns a model that predicts v for any 2-feature row.
func constant(v float64) *Model {
	return &Model{Predictor: &linear{W: []float64{0, 0}, Bias: v}, FeatureNames: []string{"a", "b"}}
}

func endpoint(name string, version int, variants ...registry.Variant) registry.Endpoint {
	for i := range variants {
		if variants[i].InstanceCount == 0 {
			variants[i].InstanceCount = 1
		}
		if variants[i].Weight == 0 {
			variants[i].Weight = 1
		}
	}
	return registry.Endpoint{Name: name, ConfigVersion: version, Config: registry.EndpointConfig{Variants: variants},
		Status: registry.EndpointInService}
}

func lines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }
