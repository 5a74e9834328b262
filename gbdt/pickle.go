package gbdt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Python pickles of an XGBoost Booster (pickle.dump(booster), or of a
// scikit-learn XGBClassifier/XGBRegressor, which pickles its booster):
// what older SageMaker XGBoost containers saved as xgboost-model. A
// Booster pickles its model as raw bytes (Booster.save_raw: the binary
// format in XGBoost 1.x, UBJSON in 2.x and later), which appear verbatim
// in the pickle as a bytes, bytearray or (protocol 2) latin-1 string
// argument. Ferry extracts those bytes and reads them as a model file; it
// never runs the pickle, which could execute arbitrary code.

// isPickle reports whether data starts like a pickle of protocol 2 to 5.
func isPickle(data []byte) bool {
	return len(data) > 2 && data[0] == 0x80 && data[1] >= 2 && data[1] <= 5
}

// Pickle opcodes that carry bytes or a string of the given length.
const (
	pickleShortBinBytes = 'C'  // 1-byte length
	pickleBinBytes      = 'B'  // 4-byte length
	pickleBinBytes8     = 0x8e // 8-byte length
	pickleByteArray8    = 0x96 // 8-byte length (protocol 5)
	pickleBinUnicode    = 'X'  // 4-byte length, UTF-8 (protocol 2 stores bytes as latin-1 text)
)

// minPickledModel is the smallest payload taken for a model.
const minPickledModel = 64

// readPickle reads the XGBoost model pickled in data.
func readPickle(data []byte) (*Model, error) {
	var firstErr error
	for i := 2; i < len(data); i++ {
		payload, ok := picklePayload(data, i)
		if !ok || len(payload) < minPickledModel {
			continue
		}
		if f := DetectFormat(payload); f == FormatUnknown || f == FormatPickle {
			continue
		}
		m, err := parseModel(payload)
		if err == nil {
			return m, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, fmt.Errorf("the pickled model: %w", firstErr)
	}
	return nil, errors.New("no XGBoost model inside (Ferry reads pickled XGBoost Boosters and scikit-learn XGBoost estimators, without running the pickle): load it in Python and save it with Booster.save_model(\"model.json\")")
}

// picklePayload returns the bytes carried by an opcode at data[i], if
// data[i] is one and its length fits.
func picklePayload(data []byte, i int) ([]byte, bool) {
	le := binary.LittleEndian
	var n uint64
	var start int
	switch data[i] {
	case pickleShortBinBytes:
		if i+2 > len(data) {
			return nil, false
		}
		n, start = uint64(data[i+1]), i+2
	case pickleBinBytes, pickleBinUnicode:
		if i+5 > len(data) {
			return nil, false
		}
		n, start = uint64(le.Uint32(data[i+1:])), i+5
	case pickleBinBytes8, pickleByteArray8:
		if i+9 > len(data) {
			return nil, false
		}
		n, start = le.Uint64(data[i+1:]), i+9
	default:
		return nil, false
	}
	if n > uint64(len(data)-start) {
		return nil, false
	}
	payload := data[start : start+int(n)]
	if data[i] != pickleBinUnicode {
		return payload, true
	}
	// Protocol 2 pickles bytes as the latin-1 decoding of them, UTF-8
	// encoded: every rune is one byte.
	out := make([]byte, 0, len(payload))
	for len(payload) > 0 {
		r, size := utf8.DecodeRune(payload)
		if r == utf8.RuneError && size <= 1 || r > 0xff {
			return nil, false
		}
		out = append(out, byte(r))
		payload = payload[size:]
	}
	return out, true
}
