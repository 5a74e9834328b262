package serving

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/cell"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/quote"
)

// RecordEncoder turns a raw named record into the model's input row
// (feature.Transform satisfies it). CheckFields rejects fields that are
// not among the raw columns it reads, naming them, so a misspelled field
// is an error rather than a prediction from missing values.
type RecordEncoder interface {
	Encode(dst []float64, rec map[string]string) error
	CheckFields(rec map[string]string) error
}

// Model is a loaded, servable model: a Predictor (numeric rows), or an
// Invoker (raw bodies).
type Model struct {
	Predictor model.Predictor
	// Invoker, when set, answers requests instead of Predictor.
	Invoker Invoker
	// FeatureNames are the model's input columns, in order (optional).
	FeatureNames []string
	// Encoder, when set, encodes named records (the model's feature
	// transform). Without it, named records are matched to FeatureNames.
	Encoder RecordEncoder
	// Ref is the artifact the model came from (informational).
	Ref artifact.Ref
}

// LoadFunc loads the model stored as an artifact.
type LoadFunc func(ctx context.Context, ref artifact.Ref) (*Model, error)

// encodeNamed encodes named records into rows of m's inputs.
func (m *Model) encodeNamed(dst []float64, recs []map[string]string) ([]float64, error) {
	nf := m.Predictor.NumFeatures()
	for i, rec := range recs {
		start := len(dst)
		dst = slices.Grow(dst, nf)[:start+nf]
		row := dst[start:]
		if m.Encoder != nil {
			if err := m.Encoder.CheckFields(rec); err != nil {
				return dst, &PayloadError{Record: i + 1, Msg: err.Error()}
			}
			if err := m.Encoder.Encode(row, rec); err != nil {
				return dst, &PayloadError{Record: i + 1, Msg: err.Error()}
			}
			continue
		}
		if len(m.FeatureNames) != nf {
			return dst, &PayloadError{Record: i + 1, Msg: "named records need a model with feature names or a feature transform; send a list of numbers"}
		}
		if err := encodeByName(row, rec, m.FeatureNames); err != nil {
			return dst, &PayloadError{Record: i + 1, Msg: err.Error()}
		}
	}
	return dst, nil
}

// encodeByName places each field at its feature's column; absent fields
// are missing (NaN); unknown fields are an error.
func encodeByName(row []float64, rec map[string]string, names []string) error {
	for j := range row {
		row[j] = math.NaN()
	}
	for k, v := range rec {
		j := slices.Index(names, k)
		if j < 0 {
			return fmt.Errorf("field %s is not a feature of the model", quote.Value(k))
		}
		x, err := cell.Number(v)
		if err != nil {
			return fmt.Errorf("field %s: %w (the model has no feature transform for raw values)", quote.Value(k), err)
		}
		row[j] = x
	}
	return nil
}
