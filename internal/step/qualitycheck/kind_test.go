package qualitycheck_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/qualitycheck"
	"github.com/ferryml/ferry/internal/step/steptest"
)

// The registry implements the baseline source the kind needs.
var _ qualitycheck.BaselineSource = (*registry.Registry)(nil)

func dataCSV(shift float64, newKind bool) string {
	var b strings.Builder
	b.WriteString("amount,kind,fraud,score\n")
	for i := range 300 {
		kind := []string{"a", "b", "c"}[i%3]
		if newKind && i%2 == 0 {
			kind = "z"
		}
		label := i % 5 / 4
		score := 0.1 + 0.8*float64(label)
		fmt.Fprintf(&b, "%g,%s,%d,%g\n", float64(i%100)+shift, kind, label, score)
	}
	return b.String()
}

func readViolations(t *testing.T, b *steptest.Bundle, ref artifact.Ref) []monitor.Violation {
	t.Helper()
	v, err := monitor.ReadViolations(filepath.Join(b.Path(t, ref), monitor.ViolationsFile))
	if err != nil {
		t.Fatal(err)
	}
	return v.Violations
}

func TestDataQualityFirstBaselineThenDrift(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	k := qualitycheck.New(nil)
	base := b.PutFiles(t, map[string]string{"train.csv": dataCSV(0, false)})
	cfg := map[string]any{"exclude": []any{"fraud", "score"}}
	// No previous baseline: the first run must skip and register.
	_, err := b.Run(t, k, step.Request{Args: map[string]any{"check_type": "data_quality", "data": string(base), "config": cfg}})
	if err == nil || !strings.Contains(err.Error(), "no previous baseline") {
		t.Fatalf("first run without flags: %v", err)
	}
	res, err := b.Run(t, k, step.Request{Args: map[string]any{"check_type": "data_quality", "data": string(base), "config": cfg,
		"skip_check": true, "register_new_baseline": true}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs[qualitycheck.OutUsedConstraints] != res.Outputs[qualitycheck.OutCalculatedConstraints] {
		t.Error("a new baseline is not the one used for drift checks")
	}
	cons, err := monitor.ReadConstraints(filepath.Join(b.Path(t, res.Outputs[qualitycheck.OutCalculatedConstraints]), monitor.ConstraintsFile))
	if err != nil || len(cons.Features) != 2 {
		t.Fatalf("constraints %+v, %v", cons, err)
	}
	// A shifted data set against the supplied baseline.
	shifted := b.PutFiles(t, map[string]string{"data.csv": dataCSV(60, true)})
	args := map[string]any{"check_type": "data_quality", "data": string(shifted), "config": cfg,
		"supplied_baseline_statistics":  string(res.Outputs[qualitycheck.OutCalculatedStatistics]),
		"supplied_baseline_constraints": string(res.Outputs[qualitycheck.OutCalculatedConstraints])}
	_, err = b.Run(t, k, step.Request{Args: args})
	var ve *qualitycheck.ViolationError
	if !errors.As(err, &ve) {
		t.Fatalf("shifted data: %v, want a ViolationError", err)
	}
	got := map[string]bool{}
	for _, v := range ve.Violations {
		got[v.FeatureName+" "+v.ConstraintCheckType] = true
	}
	for _, want := range []string{"amount baseline_drift_check", "kind categorical_values_check"} {
		if !got[want] {
			t.Errorf("violations %v lack %s", ve.Violations, want)
		}
	}
	args["fail_on_violation"] = false
	res2, err := b.Run(t, k, step.Request{Args: args})
	if err != nil {
		t.Fatal(err)
	}
	if n := res2.Properties["violations"].(int64); n == 0 || len(readViolations(t, b, res2.Outputs[qualitycheck.OutViolations])) != int(n) {
		t.Errorf("violations property %d", n)
	}
	if res2.Outputs[qualitycheck.OutUsedConstraints] != res.Outputs[qualitycheck.OutCalculatedConstraints] {
		t.Error("without register_new_baseline the supplied baseline must stay the drift-check baseline")
	}
}

func TestModelQualityAgainstRegistryBaseline(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	reg := b.Registry(t)
	k := qualitycheck.New(reg)
	cfg := map[string]any{"problem_type": "BinaryClassification", "label": "fraud", "prediction": "score"}
	good := b.PutFiles(t, map[string]string{"eval.csv": dataCSV(0, false)})
	res, err := b.Run(t, k, step.Request{Args: map[string]any{"check_type": "model_quality", "data": string(good), "config": cfg,
		"skip_check": true, "register_new_baseline": true}})
	if err != nil {
		t.Fatal(err)
	}
	// Register a version with the baseline, as register_model would.
	model := b.PutFiles(t, map[string]string{"model.json": "{}"})
	if _, err := reg.Register(t.Context(), registry.RegisterRequest{Group: "g", Model: model, Status: registry.Approved, By: "test",
		DriftBaselines: map[string]artifact.Ref{
			registry.KeyModelStatistics:  res.Outputs[qualitycheck.OutUsedStatistics],
			registry.KeyModelConstraints: res.Outputs[qualitycheck.OutUsedConstraints],
		}}); err != nil {
		t.Fatal(err)
	}
	// Worse predictions: every score inverted.
	bad := strings.ReplaceAll(strings.ReplaceAll(dataCSV(0, false), ",0.9\n", ",0.x\n"), ",0.1\n", ",0.9\n")
	bad = strings.ReplaceAll(bad, ",0.x\n", ",0.1\n")
	worse := b.PutFiles(t, map[string]string{"eval.csv": bad})
	_, err = b.Run(t, k, step.Request{Args: map[string]any{"check_type": "model_quality", "data": string(worse), "config": cfg,
		"model_package_group_name": "g"}})
	var ve *qualitycheck.ViolationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "accuracy LessThanThreshold") {
		t.Fatalf("worse model: %v", err)
	}
}

func TestValidateArgs(t *testing.T) {
	t.Parallel()
	mq := map[string]any{"problem_type": "BinaryClassification", "label": "fraud", "prediction": "score"}
	for _, tt := range []struct {
		name string
		args map[string]any
		want []string // fields with problems
	}{
		{"data", map[string]any{"check_type": "data_quality", "data": "sha256:ab"}, nil},
		{"data_uri", map[string]any{"check_type": "data_quality", "data_uri": "s3://b/train.csv"}, nil},
		{"no data", map[string]any{"check_type": "data_quality"}, []string{"data"}},
		{"both", map[string]any{"check_type": "data_quality", "data": "sha256:ab", "data_uri": "s3://b/k"}, []string{"data_uri"}},
		{"data_uri not s3", map[string]any{"check_type": "data_quality", "data_uri": "/tmp/x.csv"}, []string{"data_uri"}},
		{"model quality", map[string]any{"check_type": "model_quality", "data": "sha256:ab", "config": mq}, nil},
		{"model quality config", map[string]any{"check_type": "model_quality", "data": "sha256:ab", "config": map[string]any{"problem_type": "X"}},
			[]string{"config.problem_type", "config.label", "config.prediction"}},
	} {
		var got []string
		for _, err := range qualitycheck.New(nil).ValidateArgs(tt.args) {
			var fe *step.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%s: error %v is not a FieldError", tt.name, err)
			}
			got = append(got, fe.Field)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: problems in %v, want %v", tt.name, got, tt.want)
		}
	}
}

// objects is an s3:// namespace of one bundle's artifacts.
type objects map[string]artifact.Ref

func (o objects) Import(_ context.Context, uri string) (artifact.Ref, error) {
	if r, ok := o[uri]; ok {
		return r, nil
	}
	return "", fmt.Errorf("%s: no such object", uri)
}

// TestS3URIs checks what a SageMaker QualityCheck step gives: the data
// set and the supplied baselines as s3:// URIs of the object namespace.
func TestS3URIs(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	st, cons, err := monitor.DataBaseline(strings.NewReader(dataCSV(0, false)), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := monitor.WriteBaseline(dir, st, cons); err != nil {
		t.Fatal(err)
	}
	k := qualitycheck.New(nil)
	k.Objects = objects{
		"s3://b/train.csv":        b.PutFiles(t, map[string]string{"train.csv": dataCSV(0, false)}),
		"s3://b/shifted.csv":      b.PutFiles(t, map[string]string{"shifted.csv": dataCSV(60, true)}),
		"s3://b/statistics.json":  b.PutFiles(t, map[string]string{monitor.StatisticsFile: mustReadFile(t, filepath.Join(dir, monitor.StatisticsFile))}),
		"s3://b/constraints.json": b.PutFiles(t, map[string]string{monitor.ConstraintsFile: mustReadFile(t, filepath.Join(dir, monitor.ConstraintsFile))}),
	}
	supplied := map[string]any{"supplied_baseline_statistics": "s3://b/statistics.json", "supplied_baseline_constraints": "s3://b/constraints.json"}
	run := func(data string) (step.Result, error) {
		args := map[string]any{"check_type": "data_quality", "data_uri": data}
		maps.Copy(args, supplied)
		return b.Run(t, k, step.Request{Args: args})
	}
	res, err := run("s3://b/train.csv")
	if err != nil || res.Properties["violations"].(int64) != 0 {
		t.Fatalf("the baseline's own data: %v %v", res.Properties, err)
	}
	_, err = run("s3://b/shifted.csv")
	var ve *qualitycheck.ViolationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "amount baseline_drift_check") {
		t.Errorf("shifted data: %v, want a drift violation of amount", err)
	}
	if _, err := run("s3://b/missing.csv"); err == nil || !strings.Contains(err.Error(), "data_uri: s3://b/missing.csv: no such object") {
		t.Errorf("missing object: %v", err)
	}
	_, err = b.Run(t, qualitycheck.New(nil), step.Request{Args: map[string]any{"check_type": "data_quality", "data_uri": "s3://b/train.csv"}})
	if err == nil || !strings.Contains(err.Error(), "needs Ferry's object namespace") {
		t.Errorf("without a namespace: %v", err)
	}
}

func mustReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSuppliedLocalPath(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	k := qualitycheck.New(nil)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "train.csv"), []byte(dataCSV(0, false)), 0o644); err != nil {
		t.Fatal(err)
	}
	st, cons, err := monitor.DataBaseline(strings.NewReader(dataCSV(0, false)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := monitor.WriteBaseline(dir, st, cons); err != nil {
		t.Fatal(err)
	}
	data := b.PutFiles(t, map[string]string{"d.csv": dataCSV(0, false)})
	res, err := b.Run(t, k, step.Request{Args: map[string]any{"check_type": "data_quality", "data": string(data),
		"supplied_baseline_constraints": filepath.Join(dir, monitor.ConstraintsFile), "supplied_baseline_statistics": dir}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Properties["violations"].(int64) != 0 {
		t.Errorf("the baseline's own data violates it: %v", readViolations(t, b, res.Outputs[qualitycheck.OutViolations]))
	}
}
