package gbdt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Format is an XGBoost model file format.
type Format int

// Model file formats [ReadModel] recognises.
const (
	FormatUnknown Format = iota
	// FormatJSON is save_model("model.json").
	FormatJSON
	// FormatUBJSON is save_model("model.ubj"), the default of XGBoost 2.1
	// and later.
	FormatUBJSON
	// FormatBinary is XGBoost's deprecated binary format: save_model to a
	// name without .json/.ubj before 2.1, save_raw(raw_format="deprecated"),
	// and the xgboost-model file of older SageMaker XGBoost containers.
	FormatBinary
	// FormatPickle is a Python pickle (protocol 2 to 5) of a Booster or a
	// scikit-learn XGBoost estimator (pickle.go).
	FormatPickle
)

// String returns the format's name: "JSON", "UBJSON", "binary",
// "pickle" or "unknown".
func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "JSON"
	case FormatUBJSON:
		return "UBJSON"
	case FormatBinary:
		return "binary"
	case FormatPickle:
		return "pickle"
	}
	return "unknown"
}

// DetectFormat tells an XGBoost model file's format from its content:
// the first bytes, and for the headerless binary format the objective
// name after its parameters. JSON and UBJSON both start with '{'; a JSON
// object continues with whitespace, '"' or '}', a UBJSON one with a key
// length's integer marker. The binary format starts with "binf" (1.x) or
// straight with its 136-byte parameter block (0.x); a pickle with 0x80
// and its protocol.
func DetectFormat(data []byte) Format {
	h := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(h) > 0 && h[0] == '{':
		if len(data) > 1 && data[0] == '{' {
			switch data[1] {
			case 'i', 'U', 'I', 'l', 'L', '$', '#':
				return FormatUBJSON
			}
		}
		return FormatJSON
	case bytes.HasPrefix(data, []byte("binf")), looksLikeBinaryParams(data):
		return FormatBinary
	case isPickle(data):
		return FormatPickle
	}
	return FormatUnknown
}

// notAModel says what a file that is no XGBoost model seems to be.
func notAModel(data []byte) error {
	switch {
	case len(data) == 0:
		return errors.New("the file is empty")
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return errors.New("the file is gzip-compressed (a SageMaker model.tar.gz?), not a model: extract the model file (xgboost-model) from it first")
	case bytes.HasPrefix(data, []byte("bs64")):
		return errors.New("the file is in XGBoost's old base64 format, which XGBoost itself no longer reads: save the model again as .json or .ubj")
	case bytes.HasPrefix(data, []byte("tree")) || bytes.HasPrefix(data, []byte("version=")):
		return errors.New("the file is a text model dump or a LightGBM model, not an XGBoost model file: use Booster.save_model(\"model.json\")")
	}
	return fmt.Errorf("the file is not an XGBoost model in JSON, UBJSON or the binary format (it starts with %q)", data[:min(len(data), 8)])
}

// ReadModel reads an XGBoost model in any of its formats (JSON, UBJSON,
// the deprecated binary format, or a Python pickle of a Booster, whose
// model bytes are extracted without running it), telling them apart by
// content:
// gbtree and dart boosters, with numerical and categorical splits.
// Malformed or unsupported input is an error that says what is wrong or
// unsupported, and why; [ReadModelFile] adds the file's name.
func ReadModel(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading XGBoost model: %w", err)
	}
	return ParseModel(data)
}

// ParseModel is [ReadModel] on the bytes of a model file.
func ParseModel(data []byte) (*Model, error) {
	m, err := parseModel(data)
	if err != nil {
		return nil, fmt.Errorf("reading XGBoost model: %w", err)
	}
	return m, nil
}

// ReadModelFile reads the XGBoost model file at path ([ReadModel]); its
// errors name the file.
func ReadModelFile(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading XGBoost model: %w", err)
	}
	m, err := parseModel(data)
	if err != nil {
		return nil, fmt.Errorf("reading XGBoost model %q: %w", path, err)
	}
	return m, nil
}

func parseModel(data []byte) (*Model, error) {
	f := DetectFormat(data)
	var m *Model
	var err error
	switch f {
	case FormatJSON:
		m, err = readJSON(data)
	case FormatUBJSON:
		m, err = readUBJSON(data)
	case FormatBinary:
		m, err = readBinary(data)
	case FormatPickle:
		m, err = readPickle(data)
	default:
		return nil, notAModel(data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s model: %w", f, err)
	}
	return m, nil
}
