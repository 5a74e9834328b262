package clarifycheck

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/bias"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/clarify"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
)

const (
	fraudData  = "../../clarify/testdata/clarify/fraud_autoclaims/data.csv"
	fraudModel = "../../../gbdt/testdata/xgboost/fraud_autoclaims/model.json"
)

// bundle is a store with the fraud data set and model.
type bundle struct {
	*steptest.Bundle
	data  artifact.Ref
	model artifact.Ref
}

// setup stores the fraud data (the first rows rows; 0 for all 5000) and
// model.
func setup(t testing.TB, rows int) bundle {
	t.Helper()
	// The 5000-row fraud data, label first, without predicted_fraud.
	b, err := os.ReadFile(fraudData)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if rows > 0 && rows+1 < len(lines) {
		lines = lines[:rows+1]
	}
	for _, line := range lines {
		out.WriteString(line[:strings.LastIndexByte(line, ',')])
		out.WriteByte('\n')
	}
	mj, err := os.ReadFile(fraudModel)
	if err != nil {
		t.Fatal(err)
	}
	man, _ := json.Marshal(model.Manifest{FormatVersion: 1, Flavor: model.FlavorXGBoost, ModelFile: "model.json", Task: model.TaskBinary, Objective: "binary:logistic"})
	sb := steptest.New(t)
	return bundle{
		Bundle: sb,
		data:   sb.PutFiles(t, map[string]string{"train.csv": out.String()}),
		model:  sb.PutFiles(t, map[string]string{"model.json": string(mj), model.ManifestFile: string(man)}),
	}
}

func (b bundle) run(t testing.TB, k *Kind, args map[string]any) (step.Result, error) {
	t.Helper()
	return b.Run(t, k, step.Request{StepName: "check", Attempt: 1, Args: args})
}

// The tutorial's model bias check: DPPL on customer_gender_female = 1,
// favourable label 0, probability threshold 0.5.
func biasArgs(b bundle) map[string]any {
	return map[string]any{
		"check_type": ModelBias, "model": b.model, "data": b.data,
		"config": map[string]any{
			"label": "fraud", "label_values_or_threshold": []any{0.0},
			"facet":                 []any{map[string]any{"name_or_index": "customer_gender_female", "value_or_threshold": []any{1.0}}},
			"probability_threshold": 0.5,
			"methods":               map[string]any{"post_training_bias": map[string]any{"methods": []any{"DPPL"}}},
		},
	}
}

// The tutorial's explainability check: 100 samples, mean_abs, seed 42.
func explainArgs(b bundle) map[string]any {
	return map[string]any{
		"check_type": ModelExplainability, "model": b.model, "data": b.data,
		"config": map[string]any{
			"label":   "fraud",
			"methods": map[string]any{"shap": map[string]any{"num_samples": 100.0, "agg_method": "mean_abs", "save_local_shap_values": true, "seed": 42.0}},
		},
	}
}

func with(args map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(args))
	for k, v := range args {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func readAnalysis(t testing.TB, store *artifact.Dir, ref artifact.Ref) *clarify.Analysis {
	t.Helper()
	dir, err := store.Path(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	a, err := clarify.ReadAnalysis(dir)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// storeBaseline stores an analysis.json as a baseline artifact.
func storeBaseline(t testing.TB, store *artifact.Dir, a *clarify.Analysis) artifact.Ref {
	t.Helper()
	dir := artifacttest.TempDir(t)
	if err := a.WriteFile(filepath.Join(dir, clarify.AnalysisFile)); err != nil {
		t.Fatal(err)
	}
	ref, err := store.PutDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func readViolations(t testing.TB, store *artifact.Dir, ref artifact.Ref) Violations {
	t.Helper()
	dir, err := store.Path(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, ViolationsFile))
	if err != nil {
		t.Fatal(err)
	}
	var v Violations
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestModelBiasCheck(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	k := New(nil)

	// First run: no baseline yet, so skip the check and register the result.
	first, err := b.run(t, k, with(biasArgs(b), "skip_check", true, "register_new_baseline", true))
	if err != nil {
		t.Fatal(err)
	}
	if first.Outputs[OutBaselineUsed] != first.Outputs[OutCalculated] {
		t.Errorf("register_new_baseline: baseline used %s, want the calculated %s", first.Outputs[OutBaselineUsed], first.Outputs[OutCalculated])
	}
	calc := readAnalysis(t, b.Store, first.Outputs[OutCalculated])
	m := calc.PostTraining.Facets[0].Entries[0].Metrics
	if len(m) != 1 || m[0].Name != bias.DPPL || m[0].Value == nil {
		t.Fatalf("calculated metrics %+v, want one DPPL value", m)
	}
	dppl := *m[0].Value
	if dppl == 0 {
		t.Fatal("DPPL is exactly 0: no baseline can be violated; the test needs another data set")
	}

	t.Run("baseline that holds passes", func(t *testing.T) {
		t.Parallel()
		res, err := b.run(t, k, with(biasArgs(b), "supplied_baseline_constraints", first.Outputs[OutCalculated]))
		if err != nil {
			t.Fatalf("check against its own result failed: %v", err)
		}
		if got := res.Properties["violations"]; got != int64(0) {
			t.Errorf("violations %v, want 0", got)
		}
		if res.Outputs[OutBaselineUsed] != first.Outputs[OutCalculated] {
			t.Errorf("baseline used %s, want the supplied %s", res.Outputs[OutBaselineUsed], first.Outputs[OutCalculated])
		}
		if v := readViolations(t, b.Store, res.Outputs[OutViolations]); len(v.Violations) != 0 || v.Version != "1.0" {
			t.Errorf("violation report %+v, want version 1.0 and none", v)
		}
	})

	t.Run("baseline that must be violated fails", func(t *testing.T) {
		t.Parallel()
		strict := *calc
		post := *calc.PostTraining
		half := dppl / 2
		post.Facets = []bias.FacetResult{{Name: "customer_gender_female", Entries: []bias.FacetEntry{{ValueOrThreshold: "1",
			Metrics: []bias.MetricResult{{Name: bias.DPPL, Description: m[0].Description, Value: &half}}}}}}
		strict.PostTraining = &post
		ref := storeBaseline(t, b.Store, &strict)
		res, err := b.run(t, k, with(biasArgs(b), "supplied_baseline_constraints", ref))
		if err == nil {
			t.Fatal("check passed against a stricter baseline")
		}
		if !step.IsPermanent(err) {
			t.Errorf("error %v is retryable, want permanent", err)
		}
		var ve *ViolationError
		if !errors.As(err, &ve) || len(ve.Violations) != 1 {
			t.Fatalf("error %v, want a ViolationError with one violation", err)
		}
		v := readViolations(t, b.Store, ve.Report)
		want := Violation{Facet: "customer_gender_female", FacetValue: "1", MetricName: "DPPL", ConstraintCheckType: "bias_drift_check",
			Description: "Value " + shortNum(dppl) + " does not meet the constraint requirement"}
		if len(v.Violations) != 1 || v.Violations[0] != want {
			t.Errorf("violation report %+v, want [%+v]", v.Violations, want)
		}
		if res.Properties["violations"] != int64(1) {
			t.Errorf("violations property %v, want 1", res.Properties["violations"])
		}
		if !strings.Contains(err.Error(), "DPPL for facet customer_gender_female=1") {
			t.Errorf("error %q does not name the violation", err)
		}
	})

	t.Run("fail_on_violation false passes with the report", func(t *testing.T) {
		t.Parallel()
		strict := *calc
		post := *calc.PostTraining
		zero := 0.0
		post.Facets = []bias.FacetResult{{Name: "customer_gender_female", Entries: []bias.FacetEntry{{ValueOrThreshold: "1",
			Metrics: []bias.MetricResult{{Name: bias.DPPL, Value: &zero}}}}}}
		strict.PostTraining = &post
		ref := storeBaseline(t, b.Store, &strict)
		res, err := b.run(t, k, with(biasArgs(b), "supplied_baseline_constraints", ref, "fail_on_violation", false))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(readViolations(t, b.Store, res.Outputs[OutViolations]).Violations); n != 1 {
			t.Errorf("%d violations reported, want 1", n)
		}
	})

	t.Run("no previous baseline is a clear error", func(t *testing.T) {
		t.Parallel()
		_, err := b.run(t, k, with(biasArgs(b), "model_package_group_name", "fraud-group"))
		if err == nil || !step.IsPermanent(err) || !strings.Contains(err.Error(), "no previous baseline") {
			t.Errorf("error %v, want a permanent 'no previous baseline' error", err)
		}
	})

	t.Run("skip_check and register_new_baseline need no previous baseline", func(t *testing.T) {
		t.Parallel()
		res, err := b.run(t, New(failingSource{t}), with(biasArgs(b), "skip_check", true, "register_new_baseline", true,
			"model_package_group_name", "fraud-group"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Outputs[OutBaselineUsed] != res.Outputs[OutCalculated] {
			t.Errorf("baseline used %s, want the calculated %s", res.Outputs[OutBaselineUsed], res.Outputs[OutCalculated])
		}
	})

	t.Run("local supplied baseline is stored as a folder holding analysis.json", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(artifacttest.TempDir(t), "previous.json")
		if err := calc.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		res, err := b.run(t, k, with(biasArgs(b), "supplied_baseline_constraints", path))
		if err != nil {
			t.Fatal(err)
		}
		dir, err := b.Store.Path(context.Background(), res.Outputs[OutBaselineUsed])
		if err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(filepath.Join(dir, clarify.AnalysisFile)); err != nil || !st.Mode().IsRegular() {
			t.Errorf("baseline used %s: want a folder holding %s (%v)", dir, clarify.AnalysisFile, err)
		}
	})

	t.Run("registry baseline", func(t *testing.T) {
		t.Parallel()
		src := fakeSource{"fraud-group/bias_post_training_constraints": first.Outputs[OutCalculated]}
		res, err := b.run(t, New(src), with(biasArgs(b), "model_package_group_name", "fraud-group"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Outputs[OutBaselineUsed] != first.Outputs[OutCalculated] {
			t.Errorf("baseline used %s, want the registry's %s", res.Outputs[OutBaselineUsed], first.Outputs[OutCalculated])
		}
	})
}

// The result depends on the registry's latest Approved baseline and on
// the content of a local supplied path, which are not in the cache key.
func TestSpecIsNeverCached(t *testing.T) {
	if !New(nil).Spec().NoCache {
		t.Error("clarify_check is cached: a re-run after a new version was approved would reuse a stale result")
	}
}

// failingSource fails the test when a baseline is looked up.
type failingSource struct{ t testing.TB }

func (f failingSource) LatestApprovedBaseline(context.Context, string, string) (artifact.Ref, bool, error) {
	f.t.Error("previous baseline looked up although skip_check and register_new_baseline are both set")
	return "", false, errors.New("registry unavailable")
}

type fakeSource map[string]artifact.Ref

func (f fakeSource) LatestApprovedBaseline(_ context.Context, group, key string) (artifact.Ref, bool, error) {
	r, ok := f[group+"/"+key]
	return r, ok, nil
}

// explainRows is the data size of the explainability tests: all 5000
// rows, or 100 under the race detector (TreeSHAP is about 20 times slower
// there).
func explainRows() int {
	if raceEnabled {
		return 100
	}
	return 0
}

func TestExplainabilityCheck(t *testing.T) {
	t.Parallel()
	b := setup(t, explainRows())
	k := New(nil)
	first, err := b.run(t, k, with(explainArgs(b), "skip_check", true, "register_new_baseline", true))
	if err != nil {
		t.Fatal(err)
	}
	calc := readAnalysis(t, b.Store, first.Outputs[OutCalculated])
	l := calc.Explanations.KernelSHAP[0]
	if len(l.Features) != 48 {
		t.Fatalf("%d features explained, want 48", len(l.Features))
	}
	t.Run("baseline that holds passes", func(t *testing.T) {
		t.Parallel()
		res, err := b.run(t, k, with(explainArgs(b), "supplied_baseline_constraints", first.Outputs[OutCalculated]))
		if err != nil {
			t.Fatalf("check against its own result: %v", err)
		}
		if got := res.Properties["violations"]; got != int64(0) {
			t.Errorf("violations %v, want 0", got)
		}
	})
	t.Run("reversed ranking is violated", func(t *testing.T) {
		t.Parallel()
		rev := *calc
		rl := l
		rl.GlobalValues = make([]float64, len(l.GlobalValues))
		maxV := 0.0
		for _, v := range l.GlobalValues {
			maxV = math.Max(maxV, v)
		}
		for i, v := range l.GlobalValues {
			rl.GlobalValues[i] = maxV - v
		}
		rev.Explanations = &clarify.Explanations{KernelSHAP: []clarify.LabelSHAP{rl}}
		ref := storeBaseline(t, b.Store, &rev)
		_, err := b.run(t, k, with(explainArgs(b), "supplied_baseline_constraints", ref))
		var ve *ViolationError
		if !errors.As(err, &ve) {
			t.Fatalf("error %v, want a ViolationError", err)
		}
		v := readViolations(t, b.Store, ve.Report).Violations
		if len(v) != 1 || v[0].Label != "label0" || v[0].ConstraintCheckType != "feature_attribution_drift_check" || !strings.HasPrefix(v[0].Description, "Feature attribution drift 0.") {
			t.Errorf("violations %+v, want one feature attribution drift of label0", v)
		}
	})
}

func TestNDCG(t *testing.T) {
	t.Parallel()
	base := clarify.LabelSHAP{Label: "label0", Features: []string{"a", "b", "c"}, GlobalValues: []float64{0.7, 0.5, 0.05}}
	tests := []struct {
		name string
		cur  []float64
		want float64
	}{
		{"same ranking", []float64{0.9, 0.2, 0.1}, 1},
		{"reversed ranking (docs example)", []float64{0.05, 0.5, 0.7}, (0.05 + 0.5/math.Log2(3) + 0.7/2) / (0.7 + 0.5/math.Log2(3) + 0.05/2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cur := clarify.LabelSHAP{Label: "label0", Features: base.Features, GlobalValues: tc.cur}
			if got := NDCG(cur, base); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("NDCG = %v, want %v", got, tc.want)
			}
		})
	}
	if got := shortNum(NDCG(clarify.LabelSHAP{Features: base.Features, GlobalValues: []float64{0.05, 0.5, 0.7}}, base)); got != "0.6876" {
		t.Errorf("docs example nDCG %s, want 0.6876 (the docs round to 0.69)", got)
	}
}

func TestBiasDriftRule(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name      string
		metric    string
		cur, base *float64
		violation bool
	}{
		{"closer to 0 passes", "DPPL", f(0.1), f(0.2), false},
		{"farther from 0 fails", "DPPL", f(-0.3), f(0.2), true},
		{"equal passes", "CI", f(0.2), f(-0.2), false},
		{"DI closer to 1 passes", "DI", f(1.1), f(0.8), false},
		{"DI farther from 1 fails", "DI", f(0.7), f(1.2), true},
		{"infinity against finite fails", "DCA", f(math.Inf(1)), f(3), true},
		{"infinity against infinity passes", "DCA", f(math.Inf(1)), f(math.Inf(-1)), false},
		{"null current skipped", "FT", nil, f(0), false},
		{"null baseline skipped", "FT", f(0.5), nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sec := func(v *float64) *bias.Section {
				return &bias.Section{Facets: []bias.FacetResult{{Name: "g", Entries: []bias.FacetEntry{{ValueOrThreshold: "1",
					Metrics: []bias.MetricResult{{Name: tc.metric, Value: v}}}}}}}
			}
			got := BiasDrift(sec(tc.cur), sec(tc.base))
			if (len(got) > 0) != tc.violation {
				t.Errorf("violations %+v, want violation=%v", got, tc.violation)
			}
		})
	}
}

func TestValidateArgs(t *testing.T) {
	t.Parallel()
	k := New(nil)
	tests := []struct {
		name string
		args map[string]any
		want string
	}{
		{"model bias without model", map[string]any{"check_type": ModelBias, "config": map[string]any{"label": "y", "label_values_or_threshold": []any{1.0}, "facet": []any{map[string]any{"name_or_index": "g"}}}}, "model: required"},
		{"unknown config key", map[string]any{"check_type": DataBias, "config": map[string]any{"label": "y", "labl": 1.0}}, "unknown key(s) labl"},
		{"bad metric", map[string]any{"check_type": DataBias, "config": map[string]any{"label": "y", "label_values_or_threshold": []any{1.0}, "facet": []any{map[string]any{"name_or_index": "g"}}, "methods": []any{"NOPE"}}}, `unknown metric "NOPE"`},
		{"bias without facet", map[string]any{"check_type": DataBias, "config": map[string]any{"label": "y", "label_values_or_threshold": []any{1.0}}}, "facet: required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs := k.ValidateArgs(tc.args)
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("errors %q, want one containing %q", msgs, tc.want)
			}
		})
	}
}
