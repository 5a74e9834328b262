package engine

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func testSecrets(values ...string) *secrets {
	s := &secrets{}
	for i, v := range values {
		s.names = append(s.names, "param:p"+string(rune('a'+i)))
		s.values = append(s.values, v)
		s.first[v[0]] = true
		s.maxLen = max(s.maxLen, len(v))
	}
	return s
}

func TestMask(t *testing.T) {
	t.Parallel()
	// Longest first, as newSecrets orders them.
	s := testSecrets("hunter2-long", "hunter2", "xyz")
	tests := []struct{ name, in, want string }{
		{"None", "nothing here", "nothing here"},
		{"Empty", "", ""},
		{"One", "token=hunter2.", "token=***."},
		{"Longest", "hunter2-long and hunter2", "*** and ***"},
		{"Adjacent", "xyzxyz", "******"},
		{"Prefix only", "hunter", "hunter"},
		{"At the ends", "xyz in xyz", "*** in ***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := s.mask(tt.in); got != tt.want {
				t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	var none *secrets
	if got := none.mask("hunter2"); got != "hunter2" {
		t.Errorf("nil secrets masked %q", got)
	}
}

func TestMaskValue(t *testing.T) {
	t.Parallel()
	s := testSecrets("s3cr3t")
	in := map[string]any{"a": []any{"x s3cr3t", int64(1)}, "s3cr3t": map[string]any{"b": "s3cr3t"}, "n": 2.5}
	got := s.maskValue(in).(map[string]any)
	if got["a"].([]any)[0] != "x ***" || got["***"].(map[string]any)["b"] != "***" || got["n"] != 2.5 {
		t.Errorf("maskValue = %v", got)
	}
	if in["a"].([]any)[0] != "x s3cr3t" {
		t.Error("maskValue changed its input")
	}
}

// chunkedWrite writes data through a redactWriter in pieces of the given
// sizes (cycled) and returns what reached the underlying writer.
func chunkedWrite(s *secrets, data []byte, sizes []int) string {
	var out bytes.Buffer
	w := s.writer(&out)
	for i := 0; len(data) > 0; i++ {
		n := min(len(data), max(1, sizes[i%len(sizes)]))
		w.Write(data[:n])
		data = data[n:]
	}
	w.Flush()
	return out.String()
}

func TestRedactWriterMasksSecretsSplitAcrossWrites(t *testing.T) {
	t.Parallel()
	s := testSecrets("hunter2-long", "hunter2", "xyz")
	data := []byte("log: hunter2-long, hunter2 and xyz; hunt hunter2\nhunter")
	want := s.mask(string(data))
	for _, sizes := range [][]int{{1}, {2}, {3, 5}, {7}, {100}, {4, 1, 9}} {
		if got := chunkedWrite(s, data, sizes); got != want {
			t.Errorf("chunks %v: got %q, want %q", sizes, got, want)
		}
	}
}

func FuzzRedactWriter(f *testing.F) {
	f.Add([]byte("a hunter2 b hunter2-long c"), "hunter2", "hunter2-long", uint8(3))
	f.Add([]byte("xxxxxy"), "xxy", "xy", uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, a, b string, chunk uint8) {
		var vals []string
		for _, v := range []string{a, b} {
			if v != "" && !strings.Contains(strings.Join(vals, "\x00"), v) {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			return
		}
		if len(vals) == 2 && len(vals[1]) > len(vals[0]) {
			vals[0], vals[1] = vals[1], vals[0]
		}
		s := testSecrets(vals...)
		want := s.mask(string(data))
		got := chunkedWrite(s, data, []int{int(chunk%16) + 1})
		if got != want {
			t.Fatalf("chunked %d: got %q, want %q", chunk%16+1, got, want)
		}
	})
}

func TestMaskHandler(t *testing.T) {
	t.Parallel()
	s := testSecrets("s3cr3t")
	var buf bytes.Buffer
	l := s.logger(slog.New(slog.NewTextHandler(&buf, nil))).With("arg", "x s3cr3t")
	l.Info("using s3cr3t", "plain", "s3cr3t", "err", errors.New("bad s3cr3t"), slog.Group("g", "k", "s3cr3t"), "n", 3)
	if got := buf.String(); strings.Contains(got, "s3cr3t") || !strings.Contains(got, `msg="using ***"`) || !strings.Contains(got, "n=3") {
		t.Errorf("log line: %s", got)
	}
	var none *secrets
	if l := slog.Default(); none.logger(l) != l {
		t.Error("no secrets: the logger is wrapped")
	}
}
