package serving

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/ferryml/ferry/internal/cell"
	"github.com/ferryml/ferry/internal/quote"
)

// PayloadError is a problem with a request body, located by record and
// column (both 1-based; 0 when not applicable).
type PayloadError struct {
	Record int
	Column int
	Msg    string
}

// Error implements error.
func (e *PayloadError) Error() string {
	switch {
	case e.Record > 0 && e.Column > 0:
		return fmt.Sprintf("record %d, column %d: %s", e.Record, e.Column, e.Msg)
	case e.Record > 0:
		return fmt.Sprintf("record %d: %s", e.Record, e.Msg)
	}
	return e.Msg
}

// ErrTooManyRecords is returned (wrapped) when a payload has more records
// than the limit.
var ErrTooManyRecords = errors.New("too many records")

// Batch is a decoded request: either numeric rows (X, row-major,
// N×features) or named records that still need encoding.
type Batch struct {
	X     []float64
	N     int
	Named []map[string]string
}

func tooMany(limit int) error {
	return fmt.Errorf("payload has more than %d records: %w", limit, ErrTooManyRecords)
}

// DecodeCSV decodes text/csv: one record per line, no header, nfeat
// numeric fields per record. Fields follow the model-input rule of
// package cell, as batch transform does: an empty field or one of pandas'
// default NA strings is a missing value (NaN).
// Rows are appended to dst. maxRecords <= 0 means no limit.
func DecodeCSV(dst []float64, body []byte, nfeat, maxRecords int) ([]float64, int, error) {
	n := 0
	line := 0
	for len(body) > 0 {
		var rec []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			rec, body = body[:i], body[i+1:]
		} else {
			rec, body = body, nil
		}
		line++
		if len(rec) > 0 && rec[len(rec)-1] == '\r' {
			rec = rec[:len(rec)-1]
		}
		if len(bytes.TrimSpace(rec)) == 0 {
			continue
		}
		n++
		if maxRecords > 0 && n > maxRecords {
			return dst, 0, tooMany(maxRecords)
		}
		col := 0
		for {
			col++
			if col <= nfeat {
				// Plain decimals, the usual payload, in one pass.
				if v, k, ok := scanDecimal(rec); ok {
					dst = append(dst, v)
					if k == len(rec) {
						break
					}
					rec = rec[k+1:]
					continue
				}
			}
			var f []byte
			i := bytes.IndexByte(rec, ',')
			if i >= 0 {
				f, rec = rec[:i], rec[i+1:]
			} else {
				f = rec
			}
			if col > nfeat {
				return dst, 0, &PayloadError{Record: n, Column: col, Msg: fmt.Sprintf("too many columns: the model takes %d features", nfeat)}
			}
			v, err := parseField(f)
			if err != nil {
				return dst, 0, &PayloadError{Record: n, Column: col, Msg: err.Error()}
			}
			dst = append(dst, v)
			if i < 0 {
				break
			}
		}
		if col != nfeat {
			return dst, 0, &PayloadError{Record: n, Msg: fmt.Sprintf("has %d columns, the model takes %d features", col, nfeat)}
		}
	}
	if n == 0 {
		return dst, 0, &PayloadError{Msg: "payload has no records"}
	}
	return dst, n, nil
}

// parseField parses one CSV field by cell.Number (plain decimals take a
// fast path that gives the same value).
func parseField(f []byte) (float64, error) {
	f = bytes.TrimSpace(f)
	if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
		f = bytes.TrimSpace(f[1 : len(f)-1])
	}
	if v, ok := fastFloat(f); ok {
		return v, nil
	}
	return cell.Number(string(f))
}

// scanDecimal parses the field at the start of rec when it is a plain
// decimal (as [fastFloat] accepts) ended by a comma or the end of rec. It
// returns the value and the field's length; ok is false for anything
// else, which parseField then handles.
func scanDecimal(rec []byte) (v float64, n int, ok bool) {
	i, neg := 0, false
	if len(rec) > 0 && (rec[0] == '-' || rec[0] == '+') {
		neg = rec[0] == '-'
		i++
	}
	var mant uint64
	seen, digits, frac, dot := false, 0, 0, false
	for ; i < len(rec); i++ {
		c := rec[i]
		if d := c - '0'; d <= 9 {
			seen = true
			if digits == 19 {
				return 0, 0, false
			}
			mant = mant*10 + uint64(d)
			if mant > 0 {
				digits++
			}
			if dot {
				frac++
			}
			continue
		}
		if c == '.' && !dot {
			dot = true
			continue
		}
		if c == ',' {
			break
		}
		return 0, 0, false
	}
	if !seen || mant > 1<<53 || frac > 22 {
		return 0, 0, false
	}
	v = float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, i, true
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastFloat parses plain decimals such as "-71600.25" exactly (Clinger's
// fast path: an integer mantissa below 2^53 divided by an exact power of
// ten is correctly rounded), the common case of CSV payloads. It reports
// false for anything else, which strconv.ParseFloat then handles.
func fastFloat(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i++
	}
	var mant uint64
	seen, digits, frac, dot := false, 0, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			seen = true
			if digits == 19 {
				return 0, false
			}
			mant = mant*10 + uint64(c-'0')
			if mant > 0 {
				digits++
			}
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if !seen || mant > 1<<53 || frac > 22 {
		return 0, false
	}
	v := float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, true
}

// DecodeJSON decodes application/json. Accepted shapes:
//
//	{"instances": [[1, 2], [3, 4]]}
//	{"instances": [{"features": [1, 2]}]}
//	{"instances": [{"age": 31, "state": "CA"}]}   (named records)
//	{"features": [1, 2]}                           (one record)
//	[[1, 2], [3, 4]]                               (list of lists)
//	[1, 2]                                         (one record)
//
// null is a missing value; strings are read as CSV cells are
// (cell.Number: "", "NA" and the other NA strings are missing).
func DecodeJSON(dst []float64, body []byte, nfeat, maxRecords int) (Batch, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return Batch{}, &PayloadError{Msg: "payload is empty"}
	}
	switch body[0] {
	case '[':
		var raw []json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil {
			return Batch{}, &PayloadError{Msg: "invalid JSON: " + err.Error()}
		}
		if len(raw) > 0 && isArray(raw[0]) {
			return decodeRecords(dst, raw, nfeat, maxRecords)
		}
		// A flat list of numbers: one record.
		return decodeRecords(dst, []json.RawMessage{body}, nfeat, maxRecords)
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return Batch{}, &PayloadError{Msg: "invalid JSON: " + err.Error()}
		}
		if inst, ok := obj["instances"]; ok {
			var raw []json.RawMessage
			if err := json.Unmarshal(inst, &raw); err != nil {
				return Batch{}, &PayloadError{Msg: `"instances" must be a list of records`}
			}
			return decodeRecords(dst, raw, nfeat, maxRecords)
		}
		if _, ok := obj["features"]; ok && len(obj) == 1 {
			return decodeRecords(dst, []json.RawMessage{body}, nfeat, maxRecords)
		}
		return Batch{}, &PayloadError{Msg: `JSON object needs "instances" (a list of records) or "features" (one record)`}
	}
	return Batch{}, &PayloadError{Msg: "JSON payload must be an object or a list"}
}

// DecodeJSONLines decodes application/jsonlines: one record per line, each
// a list of numbers, {"features": [...]} or a named record.
func DecodeJSONLines(dst []float64, body []byte, nfeat, maxRecords int) (Batch, error) {
	var raw []json.RawMessage
	for len(body) > 0 {
		var line []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if maxRecords > 0 && len(raw) >= maxRecords {
			return Batch{}, tooMany(maxRecords)
		}
		raw = append(raw, line)
	}
	return decodeRecords(dst, raw, nfeat, maxRecords)
}

func isArray(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '['
}

func decodeRecords(dst []float64, raw []json.RawMessage, nfeat, maxRecords int) (Batch, error) {
	if len(raw) == 0 {
		return Batch{}, &PayloadError{Msg: "payload has no records"}
	}
	if maxRecords > 0 && len(raw) > maxRecords {
		return Batch{}, tooMany(maxRecords)
	}
	var b Batch
	for i, r := range raw {
		rec := i + 1
		r = bytes.TrimSpace(r)
		if len(r) == 0 {
			return Batch{}, &PayloadError{Record: rec, Msg: "empty record"}
		}
		switch r[0] {
		case '[':
			if b.Named != nil {
				return Batch{}, &PayloadError{Record: rec, Msg: "mixes lists and named records"}
			}
			var err error
			if dst, err = appendRow(dst, r, nfeat, rec); err != nil {
				return Batch{}, err
			}
		case '{':
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(r, &obj); err != nil {
				return Batch{}, &PayloadError{Record: rec, Msg: "invalid JSON: " + err.Error()}
			}
			if f, ok := obj["features"]; ok && len(obj) == 1 && isArray(f) {
				if b.Named != nil {
					return Batch{}, &PayloadError{Record: rec, Msg: "mixes lists and named records"}
				}
				var err error
				if dst, err = appendRow(dst, f, nfeat, rec); err != nil {
					return Batch{}, err
				}
				break
			}
			if b.N > 0 {
				return Batch{}, &PayloadError{Record: rec, Msg: "mixes lists and named records"}
			}
			named, err := namedRecord(obj, rec)
			if err != nil {
				return Batch{}, err
			}
			b.Named = append(b.Named, named)
			continue
		default:
			return Batch{}, &PayloadError{Record: rec, Msg: "record must be a list of numbers or an object"}
		}
		b.N++
	}
	b.X = dst
	return b, nil
}

func appendRow(dst []float64, r json.RawMessage, nfeat, rec int) ([]float64, error) {
	var vals []json.RawMessage
	if err := json.Unmarshal(r, &vals); err != nil {
		return dst, &PayloadError{Record: rec, Msg: "invalid JSON: " + err.Error()}
	}
	if len(vals) != nfeat {
		return dst, &PayloadError{Record: rec, Msg: fmt.Sprintf("has %d columns, the model takes %d features", len(vals), nfeat)}
	}
	for j, v := range vals {
		x, err := jsonNumber(v)
		if err != nil {
			return dst, &PayloadError{Record: rec, Column: j + 1, Msg: err.Error()}
		}
		dst = append(dst, x)
	}
	return dst, nil
}

// jsonNumber parses a JSON number, a numeric string, or null (missing).
func jsonNumber(v json.RawMessage) (float64, error) {
	v = bytes.TrimSpace(v)
	if string(v) == "null" {
		return math.NaN(), nil
	}
	if len(v) > 0 && v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, fmt.Errorf("invalid string %s", quote.Value(string(v)))
		}
		return cell.Number(s)
	}
	if len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		return cell.Finite(string(v)) // a JSON number
	}
	if string(v) == "true" || string(v) == "false" {
		return 0, fmt.Errorf("%s is not a number", v)
	}
	return 0, fmt.Errorf("%s is not a number", quote.Value(string(v)))
}

// namedRecord turns {"col": value} into strings: numbers keep their JSON
// text, strings their value, booleans "true"/"false", null "".
func namedRecord(obj map[string]json.RawMessage, rec int) (map[string]string, error) {
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		v = bytes.TrimSpace(v)
		switch {
		case string(v) == "null":
			out[k] = ""
		case len(v) > 0 && v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, &PayloadError{Record: rec, Msg: fmt.Sprintf("field %s: invalid string", quote.Value(k))}
			}
			out[k] = s
		case len(v) > 0 && (v[0] == '{' || v[0] == '['):
			return nil, &PayloadError{Record: rec, Msg: fmt.Sprintf("field %s: want a number, string, boolean or null", quote.Value(k))}
		default:
			out[k] = string(v)
		}
	}
	return out, nil
}
