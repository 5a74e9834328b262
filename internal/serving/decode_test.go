package serving

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDecodeCSV(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	tests := []struct {
		name    string
		body    string
		nfeat   int
		max     int
		want    []float64
		wantN   int
		wantErr string
	}{
		{name: "OK one record", body: "1,2,3", nfeat: 3, want: []float64{1, 2, 3}, wantN: 1},
		{name: "OK two records trailing newline", body: "1,2\n3,4\n", nfeat: 2, want: []float64{1, 2, 3, 4}, wantN: 2},
		{name: "OK CRLF and blank lines", body: "1,2\r\n\r\n3,4\r\n", nfeat: 2, want: []float64{1, 2, 3, 4}, wantN: 2},
		{name: "OK empty field is missing", body: "1,,3", nfeat: 3, want: []float64{1, nan, 3}, wantN: 1},
		{name: "OK spaces quotes exponents", body: ` 1.5 , "2e3",-0.25`, nfeat: 3, want: []float64{1.5, 2000, -0.25}, wantN: 1},
		{name: "OK nan literal", body: "nan,1", nfeat: 2, want: []float64{nan, 1}, wantN: 1},
		{name: "OK pandas NA strings are missing", body: "NA,N/A,NULL,#N/A,<NA>", nfeat: 5, want: []float64{nan, nan, nan, nan, nan}, wantN: 1},
		{name: "ErrInfinite", body: "inf,1", nfeat: 2, wantErr: `record 1, column 1: "inf" is not finite`},
		{name: "ErrHex", body: "0x10,1", nfeat: 2, wantErr: `record 1, column 1: "0x10" is not a number`},
		{name: "ErrLongCellQuotedShort", body: strings.Repeat("x", 1<<20), nfeat: 1, wantErr: `"... (1048576 bytes) is not a number`},
		{name: "ErrTooFewColumns", body: "1,2\n3", nfeat: 2, wantErr: "record 2: has 1 columns, the model takes 2 features"},
		{name: "ErrTooManyColumns", body: "1,2,3", nfeat: 2, wantErr: "record 1, column 3: too many columns"},
		{name: "ErrNotANumber", body: "1,2\n3,abc", nfeat: 2, wantErr: `record 2, column 2: "abc" is not a number`},
		{name: "ErrEmpty", body: "\n\n", nfeat: 2, wantErr: "payload has no records"},
		{name: "ErrTooManyRecords", body: "1\n2\n3", nfeat: 1, max: 2, wantErr: "more than 2 records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, n, err := DecodeCSV(nil, []byte(tt.body), tt.nfeat, tt.max)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.wantN {
				t.Errorf("n = %d, want %d", n, tt.wantN)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	tests := []struct {
		name      string
		body      string
		lines     bool
		want      []float64
		wantNamed []map[string]string
		wantErr   string
	}{
		{name: "OK instances list of lists", body: `{"instances": [[1, 2], [3, 4]]}`, want: []float64{1, 2, 3, 4}},
		{name: "OK instances of features", body: `{"instances": [{"features": [1, 2]}]}`, want: []float64{1, 2}},
		{name: "OK features one record", body: `{"features": [1, null]}`, want: []float64{1, nan}},
		{name: "OK list of lists", body: `[[1, "2"], [3, 4]]`, want: []float64{1, 2, 3, 4}},
		{name: "OK flat list", body: `[5, 6]`, want: []float64{5, 6}},
		{name: "OK named", body: `{"instances": [{"a": 1, "b": "x", "c": null, "d": true}]}`,
			wantNamed: []map[string]string{{"a": "1", "b": "x", "c": "", "d": "true"}}},
		{name: "OK jsonlines", lines: true, body: "[1, 2]\n{\"features\": [3, 4]}\n\n", want: []float64{1, 2, 3, 4}},
		{name: "OK jsonlines named", lines: true, body: `{"a": 1}` + "\n" + `{"b": 2}`,
			wantNamed: []map[string]string{{"a": "1"}, {"b": "2"}}},
		{name: "ErrSyntax", body: `{"instances": [[1, 2]`, wantErr: "invalid JSON"},
		{name: "ErrColumnCount", body: `{"instances": [[1, 2], [3]]}`, wantErr: "record 2: has 1 columns, the model takes 2 features"},
		{name: "ErrNotANumber", body: `[[1, 2], [3, "x"]]`, wantErr: `record 2, column 2: "x" is not a number`},
		{name: "ErrBoolInList", body: `[[1, true]]`, wantErr: "record 1, column 2: true is not a number"},
		{name: "ErrNoInstances", body: `{"rows": []}`, wantErr: `needs "instances"`},
		{name: "ErrEmptyInstances", body: `{"instances": []}`, wantErr: "no records"},
		{name: "ErrScalar", body: `42`, wantErr: "must be an object or a list"},
		{name: "ErrMixed", body: `{"instances": [[1, 2], {"a": 1}]}`, wantErr: "record 2: mixes lists and named records"},
		{name: "ErrNestedValue", body: `{"instances": [{"a": [1]}]}`, wantErr: `record 1: field "a"`},
		{name: "ErrJSONLinesSyntax", lines: true, body: "[1, 2]\n{oops", wantErr: "record 2: invalid JSON"},
		{name: "ErrTooManyRecords", body: `[[1, 2], [3, 4], [5, 6]]`, wantErr: "more than 2 records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			decode := DecodeJSON
			if tt.lines {
				decode = DecodeJSONLines
			}
			b, err := decode(nil, []byte(tt.body), 2, 2)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.X, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNamed, b.Named); diff != "" {
				t.Errorf("named (-want +got):\n%s", diff)
			}
			if tt.wantNamed == nil && b.N*2 != len(b.X) {
				t.Errorf("N = %d with %d values", b.N, len(b.X))
			}
		})
	}
}

func TestPayloadErrorIsTyped(t *testing.T) {
	t.Parallel()
	_, _, err := DecodeCSV(nil, []byte("1,x"), 2, 0)
	var pe *PayloadError
	if !errors.As(err, &pe) || pe.Record != 1 || pe.Column != 2 {
		t.Fatalf("err = %#v, want *PayloadError at record 1, column 2", err)
	}
}

// checkBatch verifies the decoders' invariants on any input.
func checkBatch(t *testing.T, x []float64, n, nfeat int, named []map[string]string, err error) {
	t.Helper()
	if err != nil {
		if err.Error() == "" {
			t.Fatal("empty error message")
		}
		return
	}
	if named != nil {
		if n != 0 {
			t.Fatalf("named records with %d numeric rows", n)
		}
		return
	}
	if n < 1 || len(x) != n*nfeat {
		t.Fatalf("n = %d, len(x) = %d, nfeat = %d", n, len(x), nfeat)
	}
}

func FuzzDecodeCSV(f *testing.F) {
	for _, s := range []string{"1,2,3", "1,2,3\n4,5,6\n", "1,,3\r\n", `"1",2,3`, "a,b,c", "1,2", "\n", "1e400,-0,NaN"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, body []byte, nf uint8) {
		nfeat := int(nf%8) + 1
		x, n, err := DecodeCSV(nil, body, nfeat, 100)
		checkBatch(t, x, n, nfeat, nil, err)
	})
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"instances": [[1, 2]]}`, `[[1,2],[3,4]]`, `{"features": [1, null]}`, `[1, 2]`,
		`{"instances": [{"a": 1}]}`, `{"instances": [{"features": [1, 2]}]}`, `{`, `[[1, "x"]]`, "[1,2]\n[3,4]"} {
		f.Add([]byte(s), uint8(2), false)
		f.Add([]byte(s), uint8(2), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, nf uint8, lines bool) {
		nfeat := int(nf%8) + 1
		decode := DecodeJSON
		if lines {
			decode = DecodeJSONLines
		}
		b, err := decode(nil, body, nfeat, 100)
		checkBatch(t, b.X, b.N, nfeat, b.Named, err)
	})
}

// FuzzFastFloat checks the CSV fast path against strconv.ParseFloat: it
// must agree bit for bit whenever it accepts.
func FuzzFastFloat(f *testing.F) {
	for _, s := range []string{"0", "-0", "71600.0", "8913.669", "-0.25", "+3", ".5", "5.", ".", "-", "1e3", "12345678901234567890", "0.1234567890123456789012"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := fastFloat([]byte(s))
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("fastFloat(%q) = %v, but ParseFloat fails: %v", s, got, err)
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("fastFloat(%q) = %v (%x), ParseFloat = %v (%x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	})
}

// FuzzScanDecimal checks the one-pass CSV field scanner against
// strconv.ParseFloat: whenever it accepts, the field ends at a comma or the
// end and the value agrees bit for bit.
func FuzzScanDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0,1", "71600.0,8913.669", "-0.25", "+3,", ".5", "5.", ".", "-", "1e3", ",", "", "12345678901234567890", "0.1234567890123456789012,2", " 1", "1 ,2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, n, ok := scanDecimal([]byte(s))
		if !ok {
			return
		}
		if n != len(s) && s[n] != ',' {
			t.Fatalf("scanDecimal(%q) stops at %d, not at a comma", s, n)
		}
		want, err := strconv.ParseFloat(s[:n], 64)
		if err != nil {
			t.Fatalf("scanDecimal(%q) = %v, but ParseFloat(%q) fails: %v", s, got, s[:n], err)
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("scanDecimal(%q) = %v, ParseFloat = %v", s, got, want)
		}
	})
}
