package gbdt

import (
	"bytes"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/table"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestWriteJSONGolden pins the JSON writer's output for a small trained
// model (2 rounds, depth 2, missing values): float32 shortest text in
// exponent form, right = left + 1, every array XGBoost 1.7 requires. Run
// with -update to rewrite it after an intended change.
func TestWriteJSONGolden(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "xgboost", "binary_missing")
	data := readTable(t, filepath.Join(dir, "data.csv"))
	labels := readTable(t, filepath.Join(dir, "labels.csv"))
	p := DefaultParams()
	p.Objective = BinaryLogistic
	p.NumRound = 2
	p.MaxDepth = 2
	got := trainJSON(t, &table.Dataset{X: data.Data[:200*10], Y: labels.Data[:200], NumFeature: 10, FeatureNames: data.Names}, p)
	checkGolden(t, got, "binary_depth2.model.json")
}

// checkGolden compares got with testdata/golden/name, which -update
// rewrites first; the error names the file and shows both when they are
// short.
func checkGolden(t *testing.T, got []byte, name string) {
	t.Helper()
	golden := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		if len(want) < 4096 {
			t.Errorf("output differs from %s:\ngot  %s\nwant %s", golden, got, want)
		} else {
			t.Errorf("output differs from %s (the trees changed)", golden)
		}
	}
}

func TestF32Literal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
	}{
		{2, "2E0"},
		{0, "0E0"},
		{0.5, "5E-1"},
		{-0.31968507, "-3.1968507E-1"},
		{643, "6.43E2"},
		{1e-20, "1E-20"},
		{0.1, "1E-1"},
	}
	for _, tc := range tests {
		if got := f32(tc.in); got != tc.want {
			t.Errorf("f32(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestAppendF32 checks appendF32 against the plain rewrite of Go's
// exponent ("E-01" to "E-1", "E+02" to "E2") on float32 values of every
// magnitude, appended after other text.
func TestAppendF32(t *testing.T) {
	t.Parallel()
	ref := func(v float32) string {
		s := strconv.FormatFloat(float64(v), 'E', -1, 32)
		i := strings.IndexByte(s, 'E')
		if i < 0 {
			return s
		}
		mant, exp := s[:i+1], s[i+1:]
		sign := ""
		if exp[0] == '-' {
			sign = "-"
		}
		exp = strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0")
		if exp == "" {
			exp = "0"
		}
		return mant + sign + exp
	}
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 10, 1e10, 1e-10, math.MaxFloat32, math.SmallestNonzeroFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		vals = append(vals, math.Float32frombits(rng.Uint32()))
	}
	for _, v := range vals {
		got := string(appendF32([]byte("x,"), float64(v)))
		if want := "x," + ref(v); got != want {
			t.Fatalf("appendF32(%g) = %q, want %q", v, got, want)
		}
	}
}
