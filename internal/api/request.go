package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/ferryml/ferry/internal/registry"
)

// maxBody bounds a request body (a pipeline definition is the largest).
const maxBody = 8 << 20

// decode reads a JSON request body into v, refusing unknown fields and
// trailing data. An empty body decodes as {} when allowEmpty.
func decode(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	body := http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.Is(err, io.EOF) && allowEmpty:
			return nil
		case errors.Is(err, io.EOF):
			return badRequest("the request needs a JSON body")
		}
		return badRequest("decoding the JSON body: %s", err.Error())
	}
	if dec.More() {
		return badRequest("the JSON body has data after its value")
	}
	return nil
}

// queryInt reads an integer query parameter (def when absent).
func queryInt(r *http.Request, name string, def int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, badRequest("query parameter %s=%q is not an integer", name, shorten(s))
	}
	return n, nil
}

// queryBool reads a boolean query parameter (false when absent).
func queryBool(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, badRequest("query parameter %s=%q is not true or false", name, shorten(s))
	}
	return b, nil
}

// packageRef reads {group} and {version} of a route.
func packageRef(r *http.Request) (registry.PackageRef, error) {
	return registry.ParsePackageRef(r.PathValue("group") + "/" + r.PathValue("version"))
}

// shorten keeps an echoed value short.
func shorten(s string) string {
	if r := []rune(s); len(r) > 100 {
		return string(r[:100]) + "…"
	}
	return s
}
