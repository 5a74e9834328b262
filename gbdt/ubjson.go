package gbdt

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// UBJSON (Universal Binary JSON, ubjson.org) as XGBoost writes it
// (save_model("model.ubj")): big-endian numbers; object keys as an
// integer length then the bytes; strings 'S' + length + bytes; float and
// integer arrays as typed containers "[$d#L<count>" followed by the raw
// values. The reader transcodes a UBJSON model to JSON text, which the
// JSON reader then maps; float32 values become their shortest text, as
// XGBoost's own JSON writer prints them, so a model reads the same from
// either format.

// maxUBJSONDepth bounds container nesting (XGBoost models nest 8 deep).
const maxUBJSONDepth = 128

func readUBJSON(data []byte) (*Model, error) {
	text, err := ubjsonToJSON(data)
	if err != nil {
		return nil, err
	}
	var jm jsonModel
	if err := json.Unmarshal(text, &jm); err != nil {
		return nil, describeJSONError(text, err)
	}
	return jm.model()
}

// ubjsonToJSON transcodes one UBJSON value, the whole of data, to JSON
// text. Errors give the byte offset and what is wrong there.
func ubjsonToJSON(data []byte) ([]byte, error) {
	t := ubjTranscoder{data: data, out: make([]byte, 0, len(data)+len(data)/2)}
	m, err := t.marker()
	if err != nil {
		return nil, err
	}
	if err := t.value(m, 0); err != nil {
		return nil, err
	}
	if t.pos != len(data) {
		return nil, fmt.Errorf("byte %d: %d bytes follow the end of the model", t.pos, len(data)-t.pos)
	}
	return t.out, nil
}

type ubjTranscoder struct {
	data []byte
	pos  int
	out  []byte
}

var errUBJTruncated = errors.New("the file ends inside a value: it is truncated")

func (t *ubjTranscoder) errorf(at int, format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", at, fmt.Sprintf(format, args...))
}

// take returns the next n bytes.
func (t *ubjTranscoder) take(n int) ([]byte, error) {
	if n < 0 || n > len(t.data)-t.pos {
		return nil, fmt.Errorf("byte %d: %w", t.pos, errUBJTruncated)
	}
	b := t.data[t.pos : t.pos+n]
	t.pos += n
	return b, nil
}

// marker returns the next type marker, skipping no-ops ('N').
func (t *ubjTranscoder) marker() (byte, error) {
	for {
		b, err := t.take(1)
		if err != nil {
			return 0, err
		}
		if b[0] != 'N' {
			return b[0], nil
		}
	}
}

// ubjSize is the payload size of a fixed-size type, or -1.
func ubjSize(m byte) int {
	switch m {
	case 'Z', 'T', 'F':
		return 0
	case 'i', 'U', 'C':
		return 1
	case 'I':
		return 2
	case 'l', 'd':
		return 4
	case 'L', 'D':
		return 8
	}
	return -1
}

// integer reads an integer of type m.
func (t *ubjTranscoder) integer(m byte) (int64, error) {
	at := t.pos - 1
	n := ubjSize(m)
	switch m {
	case 'i', 'U', 'I', 'l', 'L':
	default:
		return 0, t.errorf(at, "type marker %s where an integer (i, U, I, l or L) belongs", markerName(m))
	}
	b, err := t.take(n)
	if err != nil {
		return 0, err
	}
	return decodeInt(m, b), nil
}

func decodeInt(m byte, b []byte) int64 {
	switch m {
	case 'i':
		return int64(int8(b[0]))
	case 'U':
		return int64(b[0])
	case 'I':
		return int64(int16(binary.BigEndian.Uint16(b)))
	case 'l':
		return int64(int32(binary.BigEndian.Uint32(b)))
	}
	return int64(binary.BigEndian.Uint64(b))
}

// length reads a length or count: an integer with its marker.
func (t *ubjTranscoder) length(what string) (int, error) {
	at := t.pos
	m, err := t.marker()
	if err != nil {
		return 0, err
	}
	n, err := t.integer(m)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > int64(len(t.data)) {
		return 0, t.errorf(at, "%s %d is negative or longer than the file", what, n)
	}
	return int(n), nil
}

func markerName(m byte) string {
	if m >= 0x20 && m < 0x7f {
		return fmt.Sprintf("'%c'", m)
	}
	return fmt.Sprintf("0x%02x", m)
}

// value transcodes a value whose marker m has been read.
func (t *ubjTranscoder) value(m byte, depth int) error {
	at := t.pos - 1
	switch m {
	case 'Z':
		t.out = append(t.out, "null"...)
	case 'T':
		t.out = append(t.out, "true"...)
	case 'F':
		t.out = append(t.out, "false"...)
	case 'i', 'U', 'I', 'l', 'L':
		v, err := t.integer(m)
		if err != nil {
			return err
		}
		t.out = strconv.AppendInt(t.out, v, 10)
	case 'd', 'D':
		b, err := t.take(ubjSize(m))
		if err != nil {
			return err
		}
		t.appendFloat(m, b)
	case 'C':
		b, err := t.take(1)
		if err != nil {
			return err
		}
		t.appendString(b)
	case 'S':
		n, err := t.length("string length")
		if err != nil {
			return err
		}
		b, err := t.take(n)
		if err != nil {
			return err
		}
		t.appendString(b)
	case 'H':
		n, err := t.length("number length")
		if err != nil {
			return err
		}
		b, err := t.take(n)
		if err != nil {
			return err
		}
		if !json.Valid(b) || len(b) == 0 || !(b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
			return t.errorf(at, "high-precision number %q is not a number", b)
		}
		t.out = append(t.out, b...)
	case '[', '{':
		if depth >= maxUBJSONDepth {
			return t.errorf(at, "containers nest deeper than %d levels", maxUBJSONDepth)
		}
		return t.container(m, depth+1)
	default:
		return t.errorf(at, "unknown type marker %s", markerName(m))
	}
	return nil
}

func (t *ubjTranscoder) appendFloat(m byte, b []byte) {
	var v float64
	bits := 64
	if m == 'd' {
		v = float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
		bits = 32
	} else {
		v = math.Float64frombits(binary.BigEndian.Uint64(b))
	}
	switch {
	case math.IsNaN(v):
		t.out = append(t.out, `"NaN"`...)
	case math.IsInf(v, 1):
		t.out = append(t.out, `"Infinity"`...)
	case math.IsInf(v, -1):
		t.out = append(t.out, `"-Infinity"`...)
	default:
		t.out = strconv.AppendFloat(t.out, v, 'g', -1, bits)
	}
}

// appendString appends b as a JSON string (invalid UTF-8 becomes U+FFFD).
func (t *ubjTranscoder) appendString(b []byte) {
	plain := true
	for _, c := range b {
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		t.out = append(t.out, '"')
		t.out = append(t.out, b...)
		t.out = append(t.out, '"')
		return
	}
	q, _ := json.Marshal(string(b))
	t.out = append(t.out, q...)
}

// container transcodes an array or object whose opening marker open has
// been read: plain (closed by ']' or '}'), counted ('#'), or typed
// ('$' type '#' count).
func (t *ubjTranscoder) container(open byte, depth int) error {
	at := t.pos - 1
	isObject := open == '{'
	closing := byte(']')
	if isObject {
		closing = '}'
	}
	var typ byte
	count := -1
	if t.pos < len(t.data) && t.data[t.pos] == '$' {
		t.pos++
		b, err := t.take(1)
		if err != nil {
			return err
		}
		typ = b[0]
		if typ == 'N' || ubjSize(typ) < 0 && typ != 'S' && typ != 'H' && typ != '[' && typ != '{' {
			return t.errorf(t.pos-1, "unknown container element type %s", markerName(typ))
		}
		if t.pos >= len(t.data) || t.data[t.pos] != '#' {
			return t.errorf(t.pos, "typed container without a count ('#')")
		}
	}
	if t.pos < len(t.data) && t.data[t.pos] == '#' {
		t.pos++
		n, err := t.length("container count")
		if err != nil {
			return err
		}
		count = n
		// Each element takes at least one byte, except typed ones of
		// zero size (null, true, false), which are capped.
		if size := ubjSize(typ); typ != 0 && size >= 0 {
			if size > 0 && count > (len(t.data)-t.pos)/size || size == 0 && count > 1<<20 {
				return t.errorf(at, "container of %d elements is longer than the file: it is truncated or corrupt", count)
			}
		}
	}
	if isObject {
		t.out = append(t.out, '{')
	} else {
		t.out = append(t.out, '[')
	}
	if typ != 0 && !isObject {
		if err := t.typedArray(typ, count, depth); err != nil {
			return err
		}
		t.out = append(t.out, ']')
		return nil
	}
	for i := 0; count < 0 || i < count; i++ {
		if count < 0 {
			m, err := t.peekMarker()
			if err != nil {
				return err
			}
			if m == closing {
				t.pos++
				break
			}
		}
		if i > 0 {
			t.out = append(t.out, ',')
		}
		if isObject {
			n, err := t.length("key length")
			if err != nil {
				return err
			}
			k, err := t.take(n)
			if err != nil {
				return err
			}
			t.appendString(k)
			t.out = append(t.out, ':')
		}
		m := typ
		if m == 0 {
			var err error
			if m, err = t.marker(); err != nil {
				return err
			}
			if m == ']' || m == '}' {
				return t.errorf(t.pos-1, "'%c' where a value belongs", m)
			}
		}
		if err := t.value(m, depth); err != nil {
			return err
		}
	}
	if isObject {
		t.out = append(t.out, '}')
	} else {
		t.out = append(t.out, ']')
	}
	return nil
}

// peekMarker returns the next marker without taking it, skipping no-ops.
func (t *ubjTranscoder) peekMarker() (byte, error) {
	for t.pos < len(t.data) && t.data[t.pos] == 'N' {
		t.pos++
	}
	if t.pos >= len(t.data) {
		return 0, fmt.Errorf("byte %d: %w", t.pos, errUBJTruncated)
	}
	return t.data[t.pos], nil
}

// typedArray transcodes count elements of type typ.
func (t *ubjTranscoder) typedArray(typ byte, count, depth int) error {
	size := ubjSize(typ)
	if size > 0 {
		b, err := t.take(count * size)
		if err != nil {
			return err
		}
		for i := range count {
			if i > 0 {
				t.out = append(t.out, ',')
			}
			e := b[i*size : (i+1)*size]
			switch typ {
			case 'd', 'D':
				t.appendFloat(typ, e)
			case 'C':
				t.appendString(e)
			default:
				t.out = strconv.AppendInt(t.out, decodeInt(typ, e), 10)
			}
		}
		return nil
	}
	for i := range count {
		if i > 0 {
			t.out = append(t.out, ',')
		}
		// The value reads its own payload; the marker is implied.
		if err := t.value(typ, depth); err != nil {
			return err
		}
	}
	return nil
}
