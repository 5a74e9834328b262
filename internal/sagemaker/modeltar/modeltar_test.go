package modeltar_test

import (
	"bufio"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/pythontest"
	"github.com/ferryml/ferry/internal/sagemaker/modeltar"
)

var update = flag.Bool("update", false, "remake the fixtures in testdata with make_fixtures.py")

// predTol is the agreement with XGBoost's own predictions that must-show 3
// asks for.
const predTol = 1e-6

// TestMakeFixtures remakes testdata with the test venv's XGBoost and
// joblib (go test -run TestMakeFixtures -update).
func TestMakeFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to remake the fixtures")
	}
	for dir, py := range map[string]string{"xgb3": pythontest.Venv(t, "xgboost", "joblib"), "xgb17": pythontest.Debian(t, "xgboost", "joblib")} {
		out, err := exec.Command(py, "testdata/make_fixtures.py", filepath.Join("testdata", dir)).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", py, err, out)
		}
	}
}

func readFloats(t *testing.T, path string, cols int) []float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), ",")
		if len(cells) != cols {
			t.Fatalf("%s: %d cells, want %d", path, len(cells), cols)
		}
		for _, c := range cells {
			if c == "" {
				out = append(out, math.NaN())
				continue
			}
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
	}
	return out
}

// artifact puts a fixture archive in a directory as model.tar.gz, as a
// training job's model artifact holds it.
func artifact(t *testing.T, fixture string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.tar.gz"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestServeNativelyAsXGBoost is must-show 3: model.tar.gz files whose
// xgboost-model is a pickled Booster, UBJSON, JSON, the deprecated binary
// format or a pickled XGBClassifier load into Go's predictor and predict
// as XGBoost does. Here the models were made, and are converted, by
// Debian's XGBoost 1.7 (testdata/xgb17); TestPyPIServeNativelyAsXGBoost
// does the same with XGBoost 3 (testdata/xgb3). Converting must use an
// XGBoost at least as new as the one that wrote the model: 1.7 reads a
// 3.x model but drops its base_score.
func TestServeNativelyAsXGBoost(t *testing.T) {
	t.Parallel()
	testServeNatively(t, "testdata/xgb17", func(t *testing.T) string { return pythontest.Debian(t, "xgboost", "joblib") })
}

func testServeNatively(t *testing.T, dir string, python func(t *testing.T) string) {
	x := readFloats(t, filepath.Join(dir, "x.csv"), 5)
	cases := []struct {
		fixture, want string
		format        modeltar.Format
		python        bool
	}{
		{"json.tar.gz", "want.csv", modeltar.FormatJSON, false},
		{"pickle.tar.gz", "want.csv", modeltar.FormatPickle, true},
		{"ubjson.tar.gz", "want.csv", modeltar.FormatUBJSON, true},
		{"sklearn.tar.gz", "want_sklearn.csv", modeltar.FormatPickle, true},
		{"binary.tar.gz", "want.csv", modeltar.FormatBinary, true},
	}
	for _, c := range cases {
		if _, err := os.Stat(filepath.Join(dir, c.fixture)); err != nil {
			continue // binary.tar.gz: only XGBoost < 2 writes it
		}
		t.Run(c.fixture, func(t *testing.T) {
			t.Parallel()
			l := &modeltar.Loader{CacheDir: t.TempDir()}
			if c.python {
				l.Python = []string{python(t)}
			}
			m, err := l.Load(t.Context(), artifact(t, filepath.Join(dir, c.fixture)))
			if err != nil {
				t.Fatal(err)
			}
			want := readFloats(t, filepath.Join(dir, c.want), 1)
			got := make([]float64, len(want))
			m.Predictor.Predict(got, x)
			for i := range want {
				if math.Abs(got[i]-want[i]) > predTol {
					t.Errorf("row %d: got %.9f, XGBoost %.9f", i, got[i], want[i])
				}
			}
			if c.python {
				// The converted JSON is cached by digest: no Python next time.
				again := &modeltar.Loader{CacheDir: l.CacheDir, Python: []string{"/nonexistent/python3"}}
				if _, err := again.Load(t.Context(), artifact(t, filepath.Join(dir, c.fixture))); err != nil {
					t.Errorf("second load did not use the cache: %v", err)
				}
			}
		})
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	cases := []struct {
		head string
		want modeltar.Format
	}{
		{`{"learner": {}}`, modeltar.FormatJSON},
		{"  {\n \"learner\"", modeltar.FormatJSON},
		{"{L\x00\x00\x00\x00\x00\x00\x00\x07learner", modeltar.FormatUBJSON},
		{"{i\x07learner", modeltar.FormatUBJSON},
		{"\x80\x04\x95", modeltar.FormatPickle},
		{"x\x9c\x01", modeltar.FormatPickle},
		{"binf\x00\x00", modeltar.FormatBinary},
		{"\x00\x00\x00?", modeltar.FormatBinary},
	}
	for _, c := range cases {
		if got := modeltar.Detect([]byte(c.head)); got != c.want {
			t.Errorf("Detect(%q) = %s, want %s", c.head, got, c.want)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	t.Run("NoPython", func(t *testing.T) {
		t.Parallel()
		_, err := (&modeltar.Loader{CacheDir: t.TempDir()}).Load(t.Context(), artifact(t, "testdata/xgb3/pickle.tar.gz"))
		if err == nil || !strings.Contains(err.Error(), "no Python runtime is mapped") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		_, err := (&modeltar.Loader{CacheDir: t.TempDir()}).Load(t.Context(), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "neither xgboost-model nor code/inference.py") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("ConversionFails", func(t *testing.T) {
		t.Parallel()
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("no python3")
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "xgboost-model"), []byte("\x80\x04garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = (&modeltar.Loader{CacheDir: t.TempDir(), Python: []string{py}}).Load(t.Context(), dir)
		if err == nil || !strings.Contains(err.Error(), "converting xgboost-model (pickle) to JSON") {
			t.Errorf("got %v", err)
		}
	})
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{`{"learner"`, "{L\x00", "\x80\x04", "x\x9c", "binf", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		switch modeltar.Detect(head) {
		case modeltar.FormatJSON, modeltar.FormatUBJSON, modeltar.FormatPickle, modeltar.FormatBinary:
		default:
			t.Fatalf("Detect(%q): unknown format", head)
		}
	})
}
