package serving

import (
	"context"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/model"
)

// LoadModel loads a model for serving from a path: a Ferry model
// directory (with its feature transform when the manifest carries one) or
// a bare XGBoost model.json.
func LoadModel(path string) (*Model, error) {
	mdl, err := model.LoadFile(path)
	if err != nil {
		return nil, err
	}
	sm := &Model{Predictor: mdl.Predictor, FeatureNames: mdl.Manifest.FeatureNames}
	if mdl.Transform != nil { // a nil *feature.Transform must stay a nil interface
		sm.Encoder = mdl.Transform
	}
	return sm, nil
}

// StoreLoader returns a LoadFunc that loads models stored in store.
func StoreLoader(store artifact.Store) LoadFunc {
	return func(ctx context.Context, ref artifact.Ref) (*Model, error) {
		dir, err := store.Path(ctx, ref)
		if err != nil {
			return nil, err
		}
		sm, err := LoadModel(dir)
		if err != nil {
			return nil, err
		}
		sm.Ref = ref
		return sm, nil
	}
}
