package s3api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// encodeChunked encodes data as aws-chunked with the given chunk size and
// trailer lines.
func encodeChunked(data []byte, size int, trailers ...string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(size, len(data))
		fmt.Fprintf(&b, "%x;chunk-signature=%064d\r\n", n, 0)
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	fmt.Fprintf(&b, "0;chunk-signature=%064d\r\n", 0)
	for _, t := range trailers {
		b.WriteString(t + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func TestChunkedReader(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789"), 1000)
	tests := []struct {
		name    string
		body    []byte
		want    []byte
		wantErr bool
	}{
		{"Signed", encodeChunked(data, 4096), data, false},
		{"OneChunk", encodeChunked(data, len(data)), data, false},
		{"Trailer", encodeChunked(data, 1000, "x-amz-checksum-crc32:AAAAAA==", "x-amz-trailer-signature:abc"), data, false},
		{"Empty", encodeChunked(nil, 1), []byte{}, false},
		{"UnsignedTrailerNoFinalCRLF", []byte("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n"), []byte("abc"), false},
		{"Truncated", encodeChunked(data, 4096)[:5000], nil, true},
		{"BadSize", []byte("zz\r\nabc\r\n0\r\n\r\n"), nil, true},
		{"NoCRLFAfterData", []byte("3\r\nabcX\r\n0\r\n\r\n"), nil, true},
		{"BadTrailer", []byte("0\r\nnocolon\r\n\r\n"), nil, true},
		{"LongLine", []byte(strings.Repeat("1", 5000) + "\r\n"), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := io.ReadAll(newChunkedReader(bytes.NewReader(tc.body)))
			if tc.wantErr {
				if err == nil {
					t.Errorf("no error; decoded %d bytes", len(got))
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Errorf("decoded %d bytes, %v; want %d bytes", len(got), err, len(tc.want))
			}
		})
	}
}

func FuzzChunkedReader(f *testing.F) {
	f.Add(encodeChunked([]byte("hello world"), 4), 4)
	f.Add([]byte("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"), 1)
	f.Add([]byte("ffffffffffffffff\r\n"), 1)
	f.Fuzz(func(t *testing.T, body []byte, size int) {
		// Any input: no panic, and an error or a clean EOF.
		got, err := io.ReadAll(newChunkedReader(bytes.NewReader(body)))
		if err != nil && !errors.Is(err, errChunked) {
			t.Fatalf("error %v does not wrap errChunked", err)
		}
		_ = got
		// Round trip of body as a payload.
		if size < 1 || size > 1<<16 {
			return
		}
		dec, err := io.ReadAll(newChunkedReader(bytes.NewReader(encodeChunked(body, size))))
		if err != nil || !bytes.Equal(dec, body) {
			t.Fatalf("round trip of %d bytes in chunks of %d: %d bytes, %v", len(body), size, len(dec), err)
		}
	})
}

func FuzzSigningService(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00", "")
	f.Add("", "AKID/20260101/us-east-1/sts/aws4_request")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c", "x")
	f.Fuzz(func(t *testing.T, auth, cred string) {
		r, err := http.NewRequest("GET", "http://127.0.0.1/b/k", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", auth)
		q := r.URL.Query()
		q.Set("X-Amz-Credential", cred)
		r.URL.RawQuery = q.Encode()
		if s := SigningService(r); strings.Contains(s, "/") {
			t.Errorf("SigningService = %q", s)
		}
	})
}
