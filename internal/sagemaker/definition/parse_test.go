package definition

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/pipeline"
)

func TestIsDefinition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		data string
		want bool
	}{
		{"sdk", `{"Version": "2020-12-01", "Metadata": {}, "Steps": []}`, true},
		{"steps first", `{"Steps": [], "Parameters": []}`, true},
		{"late version", `{"Metadata": {"a": [1, {"b": 2}]}, "Version": "2020-12-01"}`, true},
		{"ferry json", `{"version": 1, "name": "p", "steps": []}`, false},
		{"ferry yaml", "version: 1\nname: p\nsteps: []\n", false},
		{"broken sdk", `{"Version": "2020-12-01", "Steps": [`, true},
		{"array", `[{"Version": 1}]`, false},
		{"empty", ``, false},
		{"byte order mark", "\xEF\xBB\xBF{\"Steps\": []}", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := IsDefinition([]byte(tc.data)); got != tc.want {
				t.Errorf("IsDefinition(%s) = %v, want %v", tc.data, got, tc.want)
			}
		})
	}
}

// TestExpressions checks the translation of each expression form, inside
// a Processing step's Environment (a job kind, which takes artifacts) or,
// for the cases marked lambda, a Lambda step's event (which sees S3 URIs).
func TestExpressions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, expr string
		want       any
		lambda     bool
	}{
		{"parameter", `{"Get": "Parameters.N"}`, "${{ params.N }}", false},
		{"execution id", `{"Get": "Execution.PipelineExecutionId"}`, "${{ execution.id }}", false},
		{"start", `{"Get": "Execution.StartDateTime"}`, "${{ execution.start_time }}", false},
		{"now", `{"Get": "Execution.CurrentDateTime"}`, "${{ execution.current_time }}", false},
		{"pipeline arn", `{"Get": "Execution.PipelineArn"}`, "${{ join('', 'arn:aws:sagemaker:local:000000000000:pipeline/', execution.pipeline_name) }}", false},
		{"job name", `{"Get": "Execution.ProcessingJobName"}`, "${{ join('-', 'pipelines', execution.id, 'Q') }}", false},
		{"experiment", `{"Get": "PipelineExperimentConfig.TrialName"}`, "${{ execution.id }}", false},
		{"join", `{"Std:Join": {"On": "/", "Values": ["s3:/", "b", {"Get": "Parameters.N"}, 1.5, true]}}`, "${{ join('/', 's3:/', 'b', params.N, 1.5, true) }}", false},
		{"join quotes", `{"Std:Join": {"Values": ["it's", "a\\b"]}}`, `${{ join('', 'it\'s', 'a\\b') }}`, false},
		{"output", `{"Get": "Steps.P.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}`, "${{ steps.P.outputs.train }}", false},
		{"output by index", `{"Get": "Steps.P.ProcessingOutputConfig.Outputs[1].S3Output.S3Uri"}`, "${{ steps.P.outputs.test }}", false},
		{"output local path", `{"Get": "Steps.P.ProcessingOutputConfig.Outputs['test'].S3Output.LocalPath"}`, "${{ steps.P.properties.ProcessingOutputConfig.Outputs.test.S3Output.LocalPath }}", false},
		{"model", `{"Get": "Steps.T.ModelArtifacts.S3ModelArtifacts"}`, "${{ steps.T.outputs.model }}", false},
		{"model uri for a lambda", `{"Get": "Steps.T.ModelArtifacts.S3ModelArtifacts"}`, "${{ steps.T.properties.ModelArtifacts.S3ModelArtifacts }}", true},
		{"output uri for a lambda", `{"Get": "Steps.P.ProcessingOutputConfig.Outputs[1].S3Output.S3Uri"}`, "${{ steps.P.properties.ProcessingOutputConfig.Outputs[1].S3Output.S3Uri }}", true},
		{"metric", `{"Get": "Steps.T.FinalMetricDataList['validation:auc'].Value"}`, "${{ steps.T.properties.FinalMetricDataList['validation:auc'].Value }}", false},
		{"metric by index", `{"Get": "Steps.T.FinalMetricDataList[0].Value"}`, "${{ steps.T.properties.FinalMetricDataList[0].Value }}", false},
		{"hyperparameter", `{"Get": "Steps.T.HyperParameters['max depth']"}`, "${{ steps.T.properties.HyperParameters['max depth'] }}", false},
		{"json get", `{"Std:JsonGet": {"PropertyFile": {"Get": "Steps.P.PropertyFiles.Report"}, "Path": "metrics['a b'][0].value"}}`, "${{ steps.P.properties.Report.metrics['a b'][0].value }}", false},
		{"literal template", `"cost ${{ 3 }}"`, "cost $${{ 3 }}", false},
		{"number", `3`, int64(3), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			def := `{"Version": "2020-12-01", "Parameters": [{"Name": "N", "Type": "Integer", "DefaultValue": 1}], "Steps": [
  {"Name": "P", "Type": "Processing", "Arguments": {"AppSpecification": {"ImageUri": "i"},
    "ProcessingOutputConfig": {"Outputs": [{"OutputName": "train", "S3Output": {"S3Uri": "s3://b/t", "LocalPath": "/opt/ml/processing/t"}},
      {"OutputName": "test", "S3Output": {"S3Uri": "s3://b/u", "LocalPath": "/opt/ml/processing/u"}}]}},
    "PropertyFiles": [{"PropertyFileName": "Report", "OutputName": "train", "FilePath": "r.json"}]},
  {"Name": "T", "Type": "Training", "Arguments": {"AlgorithmSpecification": {"TrainingImage": "i"}}},
  {"Name": "Q", "Type": "Processing", "Arguments": {"AppSpecification": {"ImageUri": "i"}, "Environment": {"v": ` + tc.expr + `}}},
  {"Name": "L", "Type": "Lambda", "FunctionArn": "f", "Arguments": {"v": ` + tc.expr + `}}]}`
			p, err := Load("e.json", []byte(def), newStubKinds())
			if err != nil {
				t.Fatal(err)
			}
			got := p.Step("Q").Args["Environment"].(map[string]any)["v"]
			if tc.lambda {
				got = p.Step("L").Args[ArgArguments].(map[string]any)["v"]
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestConditionEval runs translated conditions against a scope: the
// expression Ferry's engine evaluates must mean what SageMaker's does.
func TestConditionEval(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, cond string
		want       bool
	}{
		{"gte", `{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Get": "Parameters.F"}, "RightValue": 0.7}`, true},
		{"gt int float", `{"Type": "GreaterThan", "LeftValue": {"Get": "Parameters.N"}, "RightValue": 2.5}`, true},
		{"lt", `{"Type": "LessThan", "LeftValue": {"Get": "Parameters.N"}, "RightValue": 3}`, false},
		{"lte", `{"Type": "LessThanOrEqualTo", "LeftValue": {"Get": "Parameters.N"}, "RightValue": 3}`, true},
		{"equals string", `{"Type": "Equals", "LeftValue": {"Get": "Parameters.S"}, "RightValue": "full"}`, true},
		{"equals bool", `{"Type": "Equals", "LeftValue": {"Get": "Parameters.B"}, "RightValue": false}`, true},
		{"in", `{"Type": "In", "QueryValue": {"Get": "Parameters.S"}, "Values": ["quick", "full"]}`, true},
		{"in schema spelling", `{"Type": "In", "Value": {"Get": "Parameters.N"}, "In": [1, 2]}`, false},
		{"not", `{"Type": "Not", "Condition": {"Type": "Equals", "LeftValue": {"Get": "Parameters.S"}, "RightValue": "full"}}`, false},
		{"not expression", `{"Type": "Not", "Expression": {"Type": "Equals", "LeftValue": 1, "RightValue": 2}}`, true},
		{"or", `{"Type": "Or", "Conditions": [{"Type": "Equals", "LeftValue": 1, "RightValue": 2}, {"Type": "Equals", "LeftValue": {"Get": "Parameters.B"}, "RightValue": false}]}`, true},
		{"join", `{"Type": "Equals", "LeftValue": {"Std:Join": {"On": "-", "Values": [{"Get": "Parameters.S"}, {"Get": "Parameters.N"}]}}, "RightValue": "full-3"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			def := `{"Version": "2020-12-01", "Parameters": [{"Name": "F", "Type": "Float", "DefaultValue": 0.7},
  {"Name": "N", "Type": "Integer", "DefaultValue": 3}, {"Name": "S", "DefaultValue": "full"},
  {"Name": "B", "Type": "Boolean", "DefaultValue": false}],
  "Steps": [{"Name": "C", "Type": "Condition", "Arguments": {"Conditions": [` + tc.cond + `], "IfSteps": [], "ElseSteps": []}}]}`
			p, err := Load("c.json", []byte(def), newStubKinds())
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Step("C").If.Eval(paramScope{p})
			if err != nil {
				t.Fatalf("%s: %v", p.Step("C").If, err)
			}
			if got != tc.want {
				t.Errorf("%s = %v, want %v", p.Step("C").If, got, tc.want)
			}
		})
	}
}

// paramScope evaluates parameters at their defaults.
type paramScope struct{ p *pipeline.Pipeline }

func (s paramScope) Param(name string) (any, bool) {
	pr := s.p.Param(name)
	if pr == nil {
		return nil, false
	}
	return pr.Default, pr.HasDefault
}
func (paramScope) Execution(string) (any, bool)             { return nil, false }
func (paramScope) StepOutput(string, string) (string, bool) { return "", false }
func (paramScope) StepProperty(string, string) (any, bool)  { return nil, false }

func TestParsePath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string // rendered, or "error"
	}{
		{"a.b.c", ".a.b.c"},
		{"Outputs['train'].S3Output", ".Outputs.train.S3Output"},
		{`m["a:b"][0]`, ".m['a:b'][0]"},
		{"[2].x", "[2].x"},
		{"a['b]c']", ".a['b]c']"},
		{"a..b", "error"},
		{"a.", "error"},
		{"a[x]", "error"},
		{"a[-1]", "error"},
		{"a['b'", "error"},
		{"a[0]b", "error"},
	} {
		elems, err := parsePath(tc.in)
		got := renderPath(elems)
		if err != nil {
			got = "error"
		}
		if got != tc.want {
			t.Errorf("parsePath(%q) = %q (%v), want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestJSONPositions(t *testing.T) {
	t.Parallel()
	data := "{\n  \"a\": [1, \"é\", {\"b\": null}],\n\t\"c\": -2.5e3\n}"
	n, err := parseJSON([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	a := n.get("a")
	got := []pipeline.Pos{n.pos, a.pos, a.elems[1].pos, a.elems[2].pos, a.elems[2].get("b").pos, n.get("c").pos}
	want := []pipeline.Pos{{Line: 1, Column: 1}, {Line: 2, Column: 8}, {Line: 2, Column: 12}, {Line: 2, Column: 17}, {Line: 2, Column: 23}, {Line: 3, Column: 7}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	if v := n.get("c").num; v != -2500.0 {
		t.Errorf("c = %v", v)
	}
	for _, bad := range []string{`{"a": 01}`, `{"a": "x`, `{"a" 1}`, `[1,]`, `{"a": tru}`, "\"a\nb\"", `{} x`} {
		if _, err := parseJSON([]byte(bad)); err == nil {
			t.Errorf("parseJSON(%q) = nil error", bad)
		}
	}
}

func TestPipelineName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"dir/definition.json": "definition", "my pipeline.json": "my-pipeline", "...json": "sagemaker-pipeline", "Fraud_v2.JSON": "Fraud_v2",
	} {
		if got := pipelineName(in); got != want {
			t.Errorf("pipelineName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Reformatting a definition keeps its digest (the pipeline version); a
// change of meaning does not.
func TestDigest(t *testing.T) {
	t.Parallel()
	a := `{"Version": "2020-12-01", "Steps": [{"Name": "F", "Type": "Fail", "Arguments": {"ErrorMessage": "x"}}]}`
	b := "{\n  \"Steps\": [\n    {\"Arguments\": {\"ErrorMessage\": \"x\"}, \"Type\": \"Fail\", \"Name\": \"F\"}\n  ],\n  \"Version\": \"2020-12-01\"\n}\n"
	c := strings.Replace(a, `"x"`, `"y"`, 1)
	da, db, dc := digestOf(t, a), digestOf(t, b), digestOf(t, c)
	if da != db {
		t.Errorf("reformatting changed the digest: %s != %s", da, db)
	}
	if da == dc {
		t.Errorf("a new message kept the digest %s", da)
	}
}

func digestOf(t *testing.T, src string) string {
	t.Helper()
	p, err := Parse("d.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p.Digest
}

func TestCacheArgs(t *testing.T) {
	t.Parallel()
	args := map[string]any{
		"ProcessingJobName": "pipelines-e1-Prep",
		"AppSpecification":  map[string]any{"ImageUri": "i"},
		"ProcessingOutputConfig": map[string]any{"Outputs": []any{
			map[string]any{"OutputName": "train", "S3Output": map[string]any{"S3Uri": "s3://b/e1/train", "LocalPath": "/opt/ml/processing/train"}},
		}},
		"ProcessingResources": map[string]any{"ClusterConfig": map[string]any{"InstanceCount": int64(1)}},
	}
	want := map[string]any{
		"AppSpecification": map[string]any{"ImageUri": "i"},
		"ProcessingOutputConfig": map[string]any{"Outputs": []any{
			map[string]any{"OutputName": "train", "S3Output": map[string]any{"LocalPath": "/opt/ml/processing/train"}},
		}},
	}
	got := CacheArgs(KindProcessing, args)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, ok := args["ProcessingJobName"]; !ok {
		t.Error("CacheArgs modified its argument")
	}
	if s3 := args["ProcessingOutputConfig"].(map[string]any)["Outputs"].([]any)[0].(map[string]any)["S3Output"].(map[string]any)["S3Uri"]; s3 != "s3://b/e1/train" {
		t.Errorf("CacheArgs modified a nested argument: %v", s3)
	}
}
