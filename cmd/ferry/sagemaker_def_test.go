package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
)

// A SageMaker definition with the step types whose kinds every build has:
// a condition on a parameter with a fail step on each branch.
const smDef = `{
  "Version": "2020-12-01",
  "Parameters": [{"Name": "Auc", "Type": "Float", "DefaultValue": 0.8}],
  "Steps": [
    {"Name": "Check", "Type": "Condition", "Arguments": {
      "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Get": "Parameters.Auc"}, "RightValue": 0.7}],
      "IfSteps": [{"Name": "Good", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Join": {"On": " ", "Values": ["auc", {"Get": "Parameters.Auc"}]}}}}],
      "ElseSteps": [{"Name": "Bad", "Type": "Fail", "Arguments": {"ErrorMessage": "too low"}}]}}
  ]
}
`

func runFerry(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	home := artifacttest.TempDir(t)
	m := NewMain(strings.NewReader(""), &out, &errb, func(k string) string {
		if k == "FERRY_HOME" {
			return home
		}
		return ""
	})
	code = m.Run(t.Context(), args)
	return code, out.String(), errb.String()
}

// ferry validate and ferry run --dry-run read SageMaker definitions.
func TestSageMakerDefinition(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "definition.json")
	if err := os.WriteFile(good, []byte(smDef), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(strings.Replace(smDef, "Parameters.Auc\"}, \"RightValue\"", "Parameters.AUC\"}, \"RightValue\"", 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runFerry(t, "validate", good)
	if code != 0 || !strings.Contains(out, `valid: pipeline "definition", 3 steps`) {
		t.Errorf("validate: code %d, stdout %q, stderr %q", code, out, errOut)
	}

	code, out, _ = runFerry(t, "validate", bad)
	want := `bad.json:6:76: step "Check": field "Steps[0].Arguments.Conditions[0].LeftValue": Get Parameters.AUC: unknown parameter "AUC"; did you mean "Auc"?`
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("validate bad: code %d, stdout %q\nwant %q", code, out, want)
	}

	code, out, errOut = runFerry(t, "run", "--dry-run", good, "-p", "Auc=0.5")
	for _, line := range []string{"3 steps; dry run", "Check", "Good", "fail", "if Check is true", "if Check is false"} {
		if !strings.Contains(out, line) {
			t.Errorf("dry run: code %d, output lacks %q:\n%s%s", code, line, out, errOut)
		}
	}
	if code, _, errOut = runFerry(t, "run", "--dry-run", good, "-p", "Auc=high"); code != 1 || !strings.Contains(errOut, "Auc") {
		t.Errorf("dry run with a bad parameter: code %d, stderr %q", code, errOut)
	}

	// The engine runs it: the condition holds, so Good fails the execution
	// with the joined message, and Bad is skipped.
	code, out, errOut = runFerry(t, "run", good)
	if code != 1 || !strings.Contains(out+errOut, "auc 0.8") {
		t.Errorf("run: code %d, want 1 and the message \"auc 0.8\":\n%s%s", code, out, errOut)
	}
}
