package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/sagemaker/optml"
)

// TestSageMakerDefinitionErrors: bad input in a SageMaker definition, as a
// user meets it through `ferry validate` and `ferry run`, is located: by
// file, line and column and JSON path before the run, by step, input and
// URI during it. testdata/sagemaker-jobs/errors.json is one Processing step
// with its image as IMAGE.
func TestSageMakerDefinitionErrors(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/sagemaker-jobs/errors.json")
	if err != nil {
		t.Fatal(err)
	}
	const sklearn = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
	write := func(dir string, replace ...string) string {
		t.Helper()
		path := filepath.Join(dir, "definition.json")
		if err := os.WriteFile(path, []byte(strings.NewReplacer(replace...).Replace(string(src))), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ctx := context.Background()

	for _, c := range []struct {
		name    string
		replace []string
		want    []string
	}{
		{"UnknownStepType", []string{`"IMAGE"`, `"` + sklearn + `"`, `"Type": "Processing"`, `"Type": "Procesing"`},
			[]string{`definition.json:6:30: step "Prep": field "Steps[0].Type": unknown step type "Procesing"; did you mean "Processing"?`}},
		{"GetMissingParameter", []string{`"IMAGE"`, `"` + sklearn + `"`, `"Get": "Parameters.Data"`, `"Get": "Parameters.Date"`},
			[]string{`definition.json:11:80: step "Prep": field "Steps[0].Arguments.ProcessingInputs[0].S3Input.S3Uri": Get Parameters.Date: unknown parameter "Date"; did you mean "Data"?`}},
		{"GetMissingStep", []string{`"IMAGE"`, `"` + sklearn + `"`, `"Get": "Parameters.Data"`, `"Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"`},
			[]string{`definition.json:11:80: step "Prep": field "Steps[0].Arguments.ProcessingInputs[0].S3Input.S3Uri": Get Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri: unknown step "Prepare" (known: Prep)`}},
		{"GetMissingProperty", []string{`"IMAGE"`, `"` + sklearn + `"`, `"RoleArn": "arn:aws:iam::000000000000:role/x"`, `"Environment": {"S": {"Get": "Steps.Prep.ProcessingJobStatuss"}}`},
			[]string{`definition.json:9:36: step "Prep": field "Steps[0].Arguments.Environment.S": Get Steps.Prep.ProcessingJobStatuss: step "Prep" (Processing) has no property "ProcessingJobStatuss"; did you mean "ProcessingJobStatus"?`}},
		{"ImageWithoutRuntime", []string{`"IMAGE"`, `"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/custom:3"`},
			[]string{`definition.json:8:40: step "Prep": field "Steps[0].Arguments.AppSpecification.ImageUri": no runtime is mapped for image "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/custom:3": map one with --runtime '*custom*=/usr/bin/python3'`, `ferry.yaml`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res := ferry(t, ctx, artifacttest.TempDir(t), "validate", write(t.TempDir(), c.replace...))
			for _, w := range c.want {
				if res.code != 1 || !strings.Contains(res.stdout, w) {
					t.Errorf("validate: exit %d, want %q in:\n%s%s", res.code, w, res.stdout, res.stderr)
				}
			}
		})
	}

	t.Run("Run", func(t *testing.T) {
		t.Parallel()
		if _, err := exec.LookPath("python3"); err != nil {
			t.Skip("no python3")
		}
		if _, err := optml.Detect(ctx, ""); err != nil {
			t.Skip(err)
		}
		home, dir := artifacttest.TempDir(t), t.TempDir()
		def := write(dir, `"IMAGE"`, `"`+sklearn+`"`)
		must := func(args ...string) {
			t.Helper()
			if res := ferry(t, ctx, home, args...); res.code != 0 {
				t.Fatalf("ferry %v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
			}
		}
		must("s3", "mb", "s3://bkt")
		script := filepath.Join(dir, "prep.py")
		if err := os.WriteFile(script, []byte("import sys\nprint('reading', flush=True)\nprint('KeyError: column fraud not found', file=sys.stderr)\nsys.exit(3)\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		must("s3", "cp", script, "s3://bkt/code/prep.py")

		// The input object is missing: the error names the step, the input and the URI.
		res := ferry(t, ctx, home, "run", def)
		if res.code != 1 || !strings.Contains(res.stderr, `step Prep: `) || !strings.Contains(res.stderr, `ProcessingInputs[0] "raw": importing s3://bkt/raw/claims.csv`) ||
			!strings.Contains(res.stderr, "no such object") {
			t.Errorf("missing object: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}

		// The script exits non-zero: the failure reason ends with its stderr.
		must("s3", "cp", script, "s3://bkt/raw/claims.csv")
		res = ferry(t, ctx, home, "run", def)
		if res.code != 1 || !strings.Contains(res.stderr, "step Prep: processing job ") || !strings.Contains(res.stderr, "python3: exit status 3: KeyError: column fraud not found") {
			t.Errorf("script exit: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
	})
}
