package gbdt

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestWriteStringMatchesMarshal: the JSON writer's strings (keys, feature
// names, attributes) are json.Marshal's, with and without its fast path.
func TestWriteStringMatchesMarshal(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "split_conditions", "feature 7", `quote"d`, `back\slash`, "tab\there", "<b>&</b>", "naïve", "\u2028", "\x7f", "\xff", "a\x00b"} {
		var b bytes.Buffer
		writeString(&b, s)
		want, _ := json.Marshal(s)
		if b.String() != string(want) {
			t.Errorf("writeString(%q) = %s, want %s", s, b.String(), want)
		}
	}
}

// FuzzWriteString holds writeString to json.Marshal on any string.
func FuzzWriteString(f *testing.F) {
	f.Add("split_indices")
	f.Add("<&>\"\\\u2029")
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		writeString(&b, s)
		want, _ := json.Marshal(s)
		if b.String() != string(want) {
			t.Fatalf("writeString(%q) = %s, want %s", s, b.String(), want)
		}
	})
}
