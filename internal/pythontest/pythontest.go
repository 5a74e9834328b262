// Package pythontest finds the Python interpreter that tests use for PyPI
// clients and reference implementations (the SageMaker SDK, boto3, the
// newest XGBoost, LightGBM, Optuna, scipy, ...).
//
// The interpreter is $FERRY_TEST_PYTHON, or else the virtual environment
// that `make venv` creates at the module root (.venv), built from
// .ci/requirements.txt. Debian's own /usr/bin/python3 (XGBoost 1.7) is
// [DebianPython]. It is a test-support package: production code never imports it.
package pythontest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// DebianPython is Debian's system interpreter, with python3-xgboost (1.7),
// python3-sklearn and python3-pandas when CI has installed them.
const DebianPython = "/usr/bin/python3"

// Venv returns the test virtual environment's interpreter after checking
// that it imports every module named. When it is missing or lacks a
// module, the test is skipped with one line saying how to set it up, except
// under CI (CI=true), where that is a failure: CI installs everything.
func Venv(tb testing.TB, modules ...string) string {
	tb.Helper()
	py := os.Getenv("FERRY_TEST_PYTHON")
	if py == "" {
		root, err := moduleRoot()
		if err != nil {
			tb.Fatalf("finding the module root: %v", err)
		}
		py = filepath.Join(root, ".venv", "bin", "python3")
	}
	return require(tb, py, "run 'make venv' (or set FERRY_TEST_PYTHON)", modules)
}

// Debian returns Debian's interpreter after checking that it imports every
// module named, skipping (or failing under CI) as [Venv] does.
func Debian(tb testing.TB, modules ...string) string {
	tb.Helper()
	return require(tb, DebianPython, "install Debian's python3-xgboost, python3-sklearn and python3-pandas", modules)
}

func require(tb testing.TB, py, hint string, modules []string) string {
	tb.Helper()
	if _, err := os.Stat(py); err != nil {
		missing(tb, fmt.Sprintf("no Python at %s; %s", py, hint))
		return ""
	}
	if len(modules) > 0 {
		code := "import " + strings.Join(modules, ", ")
		if out, err := exec.Command(py, "-c", code).CombinedOutput(); err != nil {
			missing(tb, fmt.Sprintf("%s cannot %q: %s; %s", py, code, lastLine(out), hint))
			return ""
		}
	}
	return py
}

func missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip("skipping: " + msg)
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// moduleRoot walks up from the working directory to the go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}
