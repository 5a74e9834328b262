//go:build pypi

package modeltar_test

import (
	"testing"

	"github.com/ferryml/ferry/internal/pythontest"
)

// TestPyPIServeNativelyAsXGBoost converts with the newest XGBoost (the
// test venv's).
func TestPyPIServeNativelyAsXGBoost(t *testing.T) {
	t.Parallel()
	testServeNatively(t, "testdata/xgb3", func(t *testing.T) string { return pythontest.Venv(t, "xgboost", "joblib") })
}
