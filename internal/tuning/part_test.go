package tuning

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var nanEqual = cmp.Comparer(func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) })

// TestPartRoundTrip: a trial's hyperparameters keep their types (an
// int64 stays an int64, a float64 all its bits) and the peers' NaN values
// and warm-start (negative) indices survive the wire.
func TestPartRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		index int
		cfg   Config
		peers []Trial
	}{
		{"no peers", 0, Config{"max_depth": int64(4)}, []Trial{}},
		{"typed values", 7, Config{"max_depth": int64(1 << 60), "eta": 0.1234567890123457, "grow_policy": "lossguide"}, []Trial{}},
		{"peers", 3, Config{"eta": 0.3}, []Trial{
			{Index: -1, Status: Completed, Value: 0.7, History: []float64{0.6, 0.7}},
			{Index: 0, Status: Completed, Value: 0.9, History: []float64{0.8, math.NaN(), 0.9}},
			{Index: 1, Status: Failed, Value: math.NaN()},
			{Index: 2, Status: Stopped, Value: 0.5, History: []float64{0.5}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b, err := EncodePart(c.index, c.cfg, c.peers)
			if err != nil {
				t.Fatal(err)
			}
			index, cfg, peers, err := DecodePart(b)
			if err != nil {
				t.Fatal(err)
			}
			if index != c.index {
				t.Errorf("index %d, want %d", index, c.index)
			}
			if diff := cmp.Diff(c.cfg, cfg); diff != "" {
				t.Errorf("config (-sent +received):\n%s", diff)
			}
			if diff := cmp.Diff(c.peers, peers, nanEqual); diff != "" {
				t.Errorf("peers (-sent +received):\n%s", diff)
			}
		})
	}
	if _, err := EncodePart(0, Config{"x": []int{1}}, nil); err == nil {
		t.Error("encoding a value of an unknown type: no error")
	}
}

// FuzzDecodePart: any input decodes or fails with an error, never a
// panic; what decodes encodes again to the same trial.
func FuzzDecodePart(f *testing.F) {
	for _, s := range []string{
		`{"Index":0,"Config":{"eta":{"Float":0.1},"max_depth":{"Int":3},"g":{"Str":"a"}}}`,
		`{"Index":2,"Config":{},"Peers":[{"Index":-1,"Status":"Completed","Value":null,"History":[0.5,null]}]}`,
		`{"Index":-1}`, `{"Config":{"x":{}}}`, `[]`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		index, cfg, peers, err := DecodePart(b)
		if err != nil {
			return
		}
		again, err := EncodePart(index, cfg, peers)
		if err != nil {
			t.Fatalf("re-encoding %q: %v", b, err)
		}
		i2, cfg2, peers2, err := DecodePart(again)
		if err != nil || i2 != index || !cmp.Equal(cfg, cfg2) || !cmp.Equal(peers, peers2, nanEqual) {
			t.Fatalf("%q: round trip changed the trial (%v)", b, err)
		}
	})
}
