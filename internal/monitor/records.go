package monitor

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Record is one input record of a captured request: positional values
// (Names nil, as text/csv sends them) or named fields (JSON records).
// A value that is not Present is missing (an empty CSV cell, null, or a
// named field the record lacks).
type Record struct {
	Names   []string
	Values  []string
	Present []bool
}

// isMissing reports whether a text cell is a missing value: empty, or
// NaN / null written as text.
func isMissing(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return true
	}
	switch s {
	case "nan", "NaN", "NAN", "null", "NULL", "None":
		return true
	}
	return false
}

// decodePayload returns the data of a capture item as bytes.
func decodePayload(data, encoding string) ([]byte, error) {
	if strings.EqualFold(encoding, "BASE64") {
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("decoding base64 data: %w", err)
		}
		return b, nil
	}
	return []byte(data), nil
}

// ParseInput splits a request payload into records by its content type:
// CSV (one record per line, no header) or JSON (the shapes endpoints
// accept: {"instances": [...]}, {"features": [...]}, a list of records,
// one list of values) or JSON lines.
func ParseInput(contentType string, body []byte) ([]Record, error) {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	switch ct {
	case "text/csv", "":
		return parseCSVRecords(body)
	case "application/json":
		return parseJSONRecords(body)
	case "application/jsonlines", "application/jsonl", "application/x-jsonlines":
		var out []Record
		for i, line := range bytes.Split(body, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			r, err := jsonRecord(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			out = append(out, r)
		}
		return out, nil
	}
	return nil, fmt.Errorf("content type %q: want text/csv, application/json or application/jsonlines", contentType)
}

func parseCSVRecords(body []byte) ([]Record, error) {
	var out []Record
	if bytes.IndexByte(body, '"') >= 0 {
		cr := csv.NewReader(bytes.NewReader(body))
		cr.FieldsPerRecord = -1
		rows, err := cr.ReadAll()
		if err != nil {
			return nil, fmt.Errorf("parsing CSV: %w", err)
		}
		for _, row := range rows {
			out = append(out, cellsRecord(row))
		}
		return out, nil
	}
	for len(body) > 0 {
		var line []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		out = append(out, cellsRecord(strings.Split(string(line), ",")))
	}
	return out, nil
}

func cellsRecord(cells []string) Record {
	r := Record{Values: cells, Present: make([]bool, len(cells))}
	for i, c := range cells {
		c = strings.TrimSpace(c)
		cells[i] = c
		r.Present[i] = !isMissing(c)
	}
	return r
}

func parseJSONRecords(body []byte) ([]Record, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("payload is empty")
	}
	var list []json.RawMessage
	switch body[0] {
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		inst, ok := obj["instances"]
		if !ok {
			r, err := jsonRecord(body)
			if err != nil {
				return nil, err
			}
			return []Record{r}, nil
		}
		if err := json.Unmarshal(inst, &list); err != nil {
			return nil, errors.New(`"instances" must be a list of records`)
		}
	case '[':
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		if len(list) > 0 {
			if f := bytes.TrimSpace(list[0]); len(f) > 0 && f[0] != '[' && f[0] != '{' {
				r, err := jsonRecord(body) // one flat record
				if err != nil {
					return nil, err
				}
				return []Record{r}, nil
			}
		}
	default:
		return nil, errors.New("JSON payload must be an object or a list")
	}
	out := make([]Record, 0, len(list))
	for i, raw := range list {
		r, err := jsonRecord(raw)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// jsonRecord reads one record: a list of values, {"features": [...]} or
// an object of named fields.
func jsonRecord(raw []byte) (Record, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Record{}, errors.New("empty record")
	}
	switch raw[0] {
	case '[':
		var vals []json.RawMessage
		if err := json.Unmarshal(raw, &vals); err != nil {
			return Record{}, fmt.Errorf("invalid JSON: %w", err)
		}
		r := Record{Values: make([]string, len(vals)), Present: make([]bool, len(vals))}
		for i, v := range vals {
			r.Values[i], r.Present[i] = jsonCell(v)
		}
		return r, nil
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return Record{}, fmt.Errorf("invalid JSON: %w", err)
		}
		if f, ok := obj["features"]; ok && len(obj) == 1 {
			return jsonRecord(f)
		}
		// Keep the fields in the order they were written.
		keys, err := objectKeys(raw)
		if err != nil {
			return Record{}, err
		}
		r := Record{Names: keys, Values: make([]string, len(keys)), Present: make([]bool, len(keys))}
		for i, k := range keys {
			r.Values[i], r.Present[i] = jsonCell(obj[k])
		}
		return r, nil
	}
	return Record{}, errors.New("a record must be a list of values or an object")
}

func objectKeys(raw []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	var keys []string
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		k, _ := t.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// jsonCell turns a JSON value into a text cell: numbers keep their
// literal, strings their content, booleans true/false; null is missing.
func jsonCell(v json.RawMessage) (string, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return "", false
	}
	if v[0] == '"' {
		s, err := strconv.Unquote(string(v))
		if err != nil {
			var t string
			if json.Unmarshal(v, &t) != nil {
				return string(v), true
			}
			s = t
		}
		return s, !isMissing(s)
	}
	return string(v), true
}

// ParseScores reads a response payload's predictions: one score (the
// first value) per record. CSV has one record per line; JSON is
// {"predictions": [...]} with numbers, lists or {"score": x} objects,
// or a list; JSON lines {"prediction": x}.
func ParseScores(contentType string, body []byte) ([]float64, error) {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	var out []float64
	switch ct {
	case "text/csv", "":
		for i, line := range strings.Split(string(body), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			first, _, _ := strings.Cut(line, ",")
			v, err := strconv.ParseFloat(strings.TrimSpace(first), 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %q is not a number", i+1, first)
			}
			out = append(out, v)
		}
		return out, nil
	case "application/json":
		var obj struct {
			Predictions []json.RawMessage `json:"predictions"`
		}
		b := bytes.TrimSpace(body)
		if len(b) > 0 && b[0] == '[' {
			if err := json.Unmarshal(b, &obj.Predictions); err != nil {
				return nil, fmt.Errorf("invalid JSON: %w", err)
			}
		} else if err := json.Unmarshal(b, &obj); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		for i, p := range obj.Predictions {
			v, err := scoreOf(p)
			if err != nil {
				return nil, fmt.Errorf("prediction %d: %w", i+1, err)
			}
			out = append(out, v)
		}
		return out, nil
	case "application/jsonlines", "application/jsonl", "application/x-jsonlines":
		for i, line := range bytes.Split(body, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			var obj struct {
				Prediction json.RawMessage `json:"prediction"`
			}
			if err := json.Unmarshal(line, &obj); err != nil {
				return nil, fmt.Errorf("line %d: invalid JSON: %w", i+1, err)
			}
			v, err := scoreOf(obj.Prediction)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("response content type %q: want text/csv, application/json or application/jsonlines", contentType)
}

func scoreOf(p json.RawMessage) (float64, error) {
	p = bytes.TrimSpace(p)
	if len(p) == 0 {
		return 0, errors.New("no prediction")
	}
	switch p[0] {
	case '[':
		var l []json.RawMessage
		if err := json.Unmarshal(p, &l); err != nil || len(l) == 0 {
			return 0, errors.New("empty prediction list")
		}
		return scoreOf(l[0])
	case '{':
		var o struct {
			Score *float64 `json:"score"`
		}
		if err := json.Unmarshal(p, &o); err != nil || o.Score == nil {
			return 0, errors.New(`an object prediction needs "score"`)
		}
		return *o.Score, nil
	}
	var v float64
	if err := json.Unmarshal(p, &v); err != nil {
		return 0, fmt.Errorf("%s is not a number", p)
	}
	return v, nil
}
