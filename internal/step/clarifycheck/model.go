package clarifycheck

import (
	"github.com/ferryml/ferry/internal/clarify"
	"github.com/ferryml/ferry/internal/model"
)

// LoadModelDir loads a Ferry model folder (ferry-model.json and its model
// file) for a Clarify job. Tree models keep their exact TreeSHAP.
func LoadModelDir(dir string) (clarify.Predictor, error) {
	m, err := model.Load(dir)
	if err != nil {
		return nil, err
	}
	return clarify.FromModel(m.Predictor, m.Manifest.FeatureNames...), nil
}

// LoadModelFile loads a bare XGBoost model.json (or a model folder).
func LoadModelFile(path string) (clarify.Predictor, error) {
	m, err := model.LoadFile(path)
	if err != nil {
		return nil, err
	}
	return clarify.FromModel(m.Predictor, m.Manifest.FeatureNames...), nil
}
