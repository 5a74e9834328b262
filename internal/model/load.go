package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/forest"
	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/internal/feature"
	"github.com/ferryml/ferry/linear"
)

// FormatVersion is the manifest format version Write records.
const FormatVersion = 1

// XGBoostModelFile is the model file name of the xgboost flavor.
const XGBoostModelFile = "model.json"

// Model is a loaded model directory: its manifest and the model, which
// predicts. Models with exact SHAP values (trees) also implement
// [Explainer]; find out by type assertion on Predictor.
type Model struct {
	// Dir is the model directory ("" for a bare model file).
	Dir      string
	Manifest Manifest
	// Transform is the manifest's feature transform, parsed and checked
	// against the model's features; nil when the manifest carries none.
	Transform *feature.Transform
	Predictor
}

// Load reads a model directory: ferry-model.json and the model file it
// names, read by the reader of its flavor.
func Load(dir string) (*Model, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("loading model %q: %w", dir, err)
	}
	var mf Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&mf); err != nil {
		return nil, fmt.Errorf("loading model %q: decoding %s: %w", dir, ManifestFile, err)
	}
	switch mf.Flavor {
	case FlavorXGBoost, FlavorRandomForest, FlavorLinear:
	default:
		return nil, fmt.Errorf("loading model %q: unknown model flavor %q (known: %s, %s, %s)", dir, mf.Flavor, FlavorXGBoost, FlavorRandomForest, FlavorLinear)
	}
	if mf.ModelFile == "" {
		return nil, fmt.Errorf("loading model %q: %s names no model_file", dir, ManifestFile)
	}
	if !filepath.IsLocal(mf.ModelFile) {
		return nil, fmt.Errorf("loading model %q: model_file %q is not a path inside the directory", dir, mf.ModelFile)
	}
	var p Predictor
	if mf.Flavor == FlavorXGBoost {
		// Any XGBoost format (JSON, UBJSON, binary); errors name the file.
		m, err := gbdt.ReadModelFile(filepath.Join(dir, mf.ModelFile))
		if err != nil {
			return nil, fmt.Errorf("loading model %q: %w", dir, err)
		}
		p = m
	} else {
		f, err := os.Open(filepath.Join(dir, mf.ModelFile))
		if err != nil {
			return nil, fmt.Errorf("loading model %q: %w", dir, err)
		}
		defer f.Close()
		if p, err = readFlavor(mf.Flavor, f); err != nil {
			return nil, fmt.Errorf("loading model %q: %w", dir, err)
		}
	}
	if len(mf.FeatureNames) != 0 && len(mf.FeatureNames) != p.NumFeatures() {
		return nil, fmt.Errorf("loading model %q: manifest lists %d features, model file has %d", dir, len(mf.FeatureNames), p.NumFeatures())
	}
	tr, err := parseTransform(mf.Transform, p.NumFeatures())
	if err != nil {
		return nil, fmt.Errorf("loading model %q: %w", dir, err)
	}
	return &Model{Dir: dir, Manifest: mf, Transform: tr, Predictor: p}, nil
}

// parseTransform parses a manifest's feature transform (nil when absent)
// and checks that it makes the n features the model takes.
func parseTransform(raw json.RawMessage, n int) (*feature.Transform, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	t, err := feature.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("feature transform: %w", err)
	}
	if got := len(t.FeatureNames()); got != n {
		return nil, fmt.Errorf("the feature transform makes %d features, the model takes %d", got, n)
	}
	return t, nil
}

// readFlavor reads a model file of the given flavor.
func readFlavor(flavor string, r io.Reader) (Predictor, error) {
	switch flavor {
	case FlavorXGBoost:
		m, err := gbdt.ReadModel(r)
		if err != nil {
			return nil, err
		}
		return m, nil
	case FlavorRandomForest:
		m, err := forest.Read(r)
		if err != nil {
			return nil, err
		}
		return m, nil
	case FlavorLinear:
		m, err := linear.Read(r)
		if err != nil {
			return nil, err
		}
		return m, nil
	case "":
		return nil, errors.New("manifest has no flavor")
	}
	return nil, fmt.Errorf("unknown model flavor %q (known: %s, %s, %s)", flavor, FlavorXGBoost, FlavorRandomForest, FlavorLinear)
}

// LoadFile loads a model from a path: a Ferry model directory, or a bare
// XGBoost model file (no manifest) in any XGBoost format (model.json,
// model.ubj, the deprecated binary format of SageMaker's xgboost-model, or
// a pickled Booster, read without running the pickle),
// which loads as flavor xgboost with the model's feature names (f0, f1, ...
// when it stores none).
func LoadFile(path string) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("loading model: %w", err)
	}
	if st.IsDir() {
		return Load(path)
	}
	m, err := gbdt.ReadModelFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading model: %w", err)
	}
	names := m.FeatureNames
	if len(names) == 0 {
		names = make([]string, m.NumFeature)
		for i := range names {
			names[i] = fmt.Sprintf("f%d", i)
		}
	}
	mf := Manifest{
		FormatVersion: FormatVersion,
		Flavor:        FlavorXGBoost,
		ModelFile:     filepath.Base(path),
		Objective:     m.Objective,
		Task:          XGBoostTask(m.Objective),
		NumClass:      m.NumClass,
		FeatureNames:  names,
		FeatureTypes:  m.FeatureTypes,
	}
	return &Model{Manifest: mf, Predictor: m}, nil
}

// XGBoostTask maps an XGBoost objective to a task.
func XGBoostTask(objective string) string {
	switch {
	case strings.HasPrefix(objective, "binary:"):
		return TaskBinary
	case strings.HasPrefix(objective, "multi:"):
		return TaskMulticlass
	}
	return TaskRegression
}

// Write writes a model directory: the model file (m.ModelFile, written by
// writeModel) and the manifest. dir is created if needed; files are
// written under temporary names and renamed, so a reader never sees a
// half-written model.
func Write(dir string, m Manifest, writeModel func(io.Writer) error) error {
	if m.ModelFile == "" || !filepath.IsLocal(m.ModelFile) || m.ModelFile == ManifestFile {
		return fmt.Errorf("writing model %q: model file name %q must be a plain name inside the directory", dir, m.ModelFile)
	}
	if m.Flavor == "" {
		return fmt.Errorf("writing model %q: manifest has no flavor", dir)
	}
	if m.FormatVersion == 0 {
		m.FormatVersion = FormatVersion
	}
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(m.ModelFile)), 0o755); err != nil {
		return fmt.Errorf("writing model %q: %w", dir, err)
	}
	if err := writeFile(filepath.Join(dir, m.ModelFile), writeModel); err != nil {
		return fmt.Errorf("writing model %q: %w", dir, err)
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("writing model %q: encoding manifest: %w", dir, err)
	}
	raw = append(raw, '\n')
	err = writeFile(filepath.Join(dir, ManifestFile), func(w io.Writer) error {
		_, err := w.Write(raw)
		return err
	})
	if err != nil {
		return fmt.Errorf("writing model %q: %w", dir, err)
	}
	return nil
}

func writeFile(path string, fill func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := fill(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
