package gbdt

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzModel is the property every model fuzzer checks: the input either
// reads as a model that predicts, explains and writes itself without
// panicking (and reads back from what it wrote), or is an error.
func fuzzModel(t *testing.T, data []byte) {
	m, err := ParseModel(data)
	if err != nil {
		if strings.Contains(err.Error(), "invalid character") {
			t.Fatalf("raw JSON parser message: %v", err)
		}
		return
	}
	if m.NumFeature > 4096 || m.NumOutputGroups() > 64 {
		return // valid, but too wide to predict with in a fuzz loop
	}
	x := make([]float64, 2*m.NumFeature)
	x[0] = math.NaN()
	pred := make([]float64, 2*m.NumOutputs())
	m.Predict(pred, x)
	contribs := make([]float64, 2*m.NumOutputGroups()*(m.NumFeature+1))
	m.Contribs(contribs, x)
	var buf bytes.Buffer
	if err := m.WriteUBJSON(&buf); err != nil {
		return // a tree XGBoost could not predict with (right ≠ left + 1)
	}
	if _, err := ParseModel(buf.Bytes()); err != nil {
		t.Fatalf("reading back the UBJSON written: %v", err)
	}
}

func addSeeds(f *testing.F, pattern string) {
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds match %s", pattern)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzReadUBJSON: seeds are the UBJSON fixtures of XGBoost 1.7 and 3.x,
// the pickled Boosters (which hold UBJSON) and small hand-made documents.
func FuzzReadUBJSON(f *testing.F) {
	addSeeds(f, filepath.Join("testdata", "xgboost*", "*", "model.ubj"))
	addSeeds(f, filepath.Join("testdata", "xgboost*", "*", "model.p?.pkl"))
	f.Add([]byte("{L\x00\x00\x00\x00\x00\x00\x00\x07learner{}}"))
	f.Add([]byte("{i\x01a[$d#i\x02\x3f\x80\x00\x00\x7f\xc0\x00\x00}"))
	f.Add([]byte("{i\x01a[#i\x02SU\x01xH\x01\x31}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzModel(t, data)
	})
}

// FuzzReadBinary: seeds are the deprecated binary fixtures of XGBoost
// 1.7 (gbtree, multi-class, dart, random forest, early stopping).
func FuzzReadBinary(f *testing.F) {
	addSeeds(f, filepath.Join("testdata", "xgboost17", "*", "model.bin"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzModel(t, data)
	})
}

// TestReadModelFileErrors: a malformed or unsupported file of each kind
// gets an error that names the file and says what is wrong.
func TestReadModelFileErrors(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "xgboost17", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	jsonModel := read("binary/model.json")
	ubj := read("binary/model.ubj")
	bin := read("binary/model.bin")
	dartBin := read("dart/model.bin")
	replace := func(b []byte, old, new string) []byte {
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("fixture lacks %q", old)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
	le := binary.LittleEndian
	patch := func(b []byte, off int, v uint32) []byte {
		c := bytes.Clone(b)
		le.PutUint32(c[off:], v)
		return c
	}
	// Offsets in the binary fixture: "binf", 136 bytes of learner
	// parameters, then objective and booster names.
	gbtParams := 4 + binaryParamSize + 8 + len("binary:logistic") + 8 + len("gbtree")
	tests := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"JSONTruncated", "model.json", jsonModel[:len(jsonModel)/2], "JSON model: the text ends after"},
		{"JSONSyntax", "model.json", replace(jsonModel, `"left_children":[`, `"left_children":[x`), "JSON model: malformed at line 1, column"},
		{"JSONWrongType", "model.json", replace(jsonModel, `"left_children":[1,`, `"left_children":["1",`), "field learner.gradient_booster.model.trees.left_children holds a string where the XGBoost format has an integer"},
		{"JSONMultiTarget", "model.json", replace(jsonModel, `"num_target":"1"`, `"num_target":"2"`), `num_target "2" is not supported: Ferry reads single-target models`},
		{"JSONVectorLeaf", "model.json", replace(jsonModel, `"size_leaf_vector":"0"}}`, `"size_leaf_vector":"3"}}`), "vector leaves belong to multi-target models"},
		{"UBJSONTruncated", "model.ubj", ubj[:len(ubj)/2], "UBJSON model: byte 4706: container of 15 elements is longer than the file: it is truncated or corrupt"},
		{"UBJSONUnknownMarker", "model.ubj", replace(ubj, "SL\x00\x00\x00\x00\x00\x00\x00\x06gbtree", "XL\x00\x00\x00\x00\x00\x00\x00\x06gbtree"), "UBJSON model: byte"},
		{"UBJSONHugeCount", "model.ubj", replace(ubj, "left_children[$l#L\x00\x00\x00\x00", "left_children[$l#L\x00\x00\x7f\x00"), "is negative or longer than the file"},
		{"UBJSONTrailing", "model.ubj", append(bytes.Clone(ubj), 'Z'), "1 bytes follow the end of the model"},
		{"UBJSONWrongType", "model.ubj", replace(ubj, "split_indices[$l#", "split_indices[$d#"), "field learner.gradient_booster.model.trees.split_indices holds a number 1e-45 where the XGBoost format has an integer"},
		{"BinaryTruncated", "xgboost-model", bin[:len(bin)-100], "binary model: byte"},
		{"BinaryTreeCount", "xgboost-model", patch(bin, gbtParams, 1<<30), "num_trees 1073741824 does not fit"},
		{"BinaryLinear", "xgboost-model", replace(bin, "\x06\x00\x00\x00\x00\x00\x00\x00gbtree", "\x06\x00\x00\x00\x00\x00\x00\x00gbline"), `booster "gbline" is not supported`},
		{"BinaryNodeCount", "xgboost-model", patch(bin, gbtParams+binaryGBTParamSize+4, 1<<30), "reading tree 0: num_nodes 1073741824 does not fit"},
		{"BinaryPredBuffer", "xgboost-model", patch(bin, gbtParams+16, 7), "prediction buffer"},
		{"BinaryDartWeights", "xgboost-model", dartBin[:len(dartBin)-40], "binary model: byte"},
		{"Empty", "model.json", nil, "the file is empty"},
		{"Gzip", "model.tar.gz", []byte{0x1f, 0x8b, 8, 0, 0, 0}, "gzip-compressed"},
		{"PickleWithoutModel", "model.pkl", []byte{0x80, 4, 0x95, 0}, "pickle model: no XGBoost model inside (Ferry reads pickled XGBoost Boosters and scikit-learn XGBoost estimators, without running the pickle)"},
		{"CSV", "data.csv", []byte("a,b\n1,2\n"), "not an XGBoost model in JSON, UBJSON or the binary format"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, tc.name+"-"+tc.file)
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadModelFile(path)
			if err == nil {
				t.Fatal("ReadModelFile() succeeded, want an error")
			}
			t.Log(err)
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tc.want) {
				t.Fatalf("ReadModelFile() error = %v, want it to name the file and contain %q", err, tc.want)
			}
		})
	}
}

// TestMutatedModelFiles runs the fuzzers' property over deterministic
// random corruptions of every fixture model (JSON, UBJSON, binary): a
// quick stand-in for fuzzing in the default test run.
func TestMutatedModelFiles(t *testing.T) {
	t.Parallel()
	var paths []string
	for _, pattern := range []string{"model.json", "model.ubj", "model.bin", "model.p?.pkl"} {
		p, err := filepath.Glob(filepath.Join("testdata", "xgboost*", "*", pattern))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p...)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for range 100 {
			c := bytes.Clone(b)
			for range 1 + r.IntN(8) {
				c[r.IntN(len(c))] = byte(r.IntN(256))
			}
			fuzzModel(t, c)
		}
	}
}

func TestQuoteNonFinite(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`[1,2]`, `[1,2]`},
		{`[NaN,-Infinity,Infinity,1E-5,"NaN x",-1]`, `["NaN","-Infinity","Infinity",1E-5,"NaN x",-1]`},
		{`{"a\"NaN":NaN}`, `{"a\"NaN":"NaN"}`},
		{`[Nope]`, `[Nope]`},
	}
	for _, tc := range tests {
		if got := string(quoteNonFinite([]byte(tc.in))); got != tc.want {
			t.Errorf("quoteNonFinite(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
