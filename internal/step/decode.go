package step

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Decode decodes resolved arguments into a typed struct (json tags name the
// arguments). Unknown arguments are an error.
func Decode[T any](args map[string]any) (T, error) {
	var v T
	b, err := json.Marshal(args)
	if err != nil {
		return v, fmt.Errorf("encoding arguments: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, Permanent(fmt.Errorf("decoding arguments: %w", err))
	}
	return v, nil
}
