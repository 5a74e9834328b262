package monitor

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ksTol is how far an exact sketch's distance may be from scipy's
// statistic (float rounding only); ksApproxTol bounds it for samples
// larger than one sketch, where the sketch approximates the CDF.
const (
	ksTol       = 1e-12
	ksApproxTol = 0.02
)

type ksCase struct {
	Name      string    `json:"name"`
	Exact     bool      `json:"exact"`
	A         []float64 `json:"a"`
	B         []float64 `json:"b"`
	Statistic float64   `json:"statistic"`
}

func readKSCases(t *testing.T) []ksCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ks", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []ksCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 5 {
		t.Fatalf("only %d cases", len(f.Cases))
	}
	return f.Cases
}

func sketchOf(xs []float64) KLLSketch {
	s := newKLL()
	for _, x := range xs {
		s.Add(x)
	}
	return s.Sketch()
}

// TestLInfinityMatchesScipy compares the drift distance with scipy's
// ks_2samp statistic on the committed fixtures (gen_fixtures.py).
func TestLInfinityMatchesScipy(t *testing.T) {
	t.Parallel()
	for _, c := range readKSCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			got := LInfinity(sketchOf(c.A), sketchOf(c.B))
			tol := ksTol
			if !c.Exact {
				tol = ksApproxTol
			}
			if math.Abs(got-c.Statistic) > tol {
				t.Errorf("distance %v, scipy %v (tolerance %v)", got, c.Statistic, tol)
			}
		})
	}
}

func TestKLLKeepsCountAndBoundsSize(t *testing.T) {
	t.Parallel()
	s := newKLL()
	const n = 1_000_000
	for i := range n {
		s.Add(float64((i * 7919) % n))
	}
	d := distributionOf(s.Sketch())
	if d.total != n {
		t.Errorf("total weight %v, want %v", d.total, n)
	}
	if s.size > 3*sketchK {
		t.Errorf("sketch holds %d items", s.size)
	}
	// The median of 0..n-1 is about n/2.
	var c float64
	for i, x := range d.x {
		c += d.w[i]
		if c >= n/2 {
			if math.Abs(x-n/2) > 0.02*n {
				t.Errorf("median %v, want about %v", x, n/2)
			}
			break
		}
	}
}

func TestKSCritical(t *testing.T) {
	t.Parallel()
	// c(0.05) = 1.3581; n = m = 100 gives 1.3581*sqrt(0.02).
	if got, want := KSCritical(0.05, 100, 100), 1.3581015157*math.Sqrt(0.02); math.Abs(got-want) > 1e-6 {
		t.Errorf("KSCritical = %v, want %v", got, want)
	}
	if got := DriftThreshold(Robust, 0.1, 10, 10); got <= 0.1 {
		t.Errorf("Robust threshold for tiny samples %v: want above the comparison threshold", got)
	}
	if got := DriftThreshold(Simple, 0.1, 10, 10); got != 0.1 {
		t.Errorf("Simple threshold %v", got)
	}
	if got := DriftThreshold(Robust, 0.1, 1e6, 1e6); got != 0.1 {
		t.Errorf("Robust threshold for large samples %v: want the comparison threshold", got)
	}
}

func TestCategoricalLInfinity(t *testing.T) {
	t.Parallel()
	a := []CategoryBucket{{"x", 50}, {"y", 50}}
	b := []CategoryBucket{{"x", 20}, {"y", 60}, {"z", 20}}
	if got := CategoricalLInfinity(a, b); math.Abs(got-0.3) > 1e-12 {
		t.Errorf("got %v, want 0.3", got)
	}
}

// TestReadModelMonitorFiles reads files in the layout Model Monitor
// writes (its documented field names) and checks data against them.
func TestReadModelMonitorFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "modelmonitor")
	st, err := ReadStatistics(filepath.Join(dir, StatisticsFile))
	if err != nil {
		t.Fatal(err)
	}
	cons, err := ReadConstraints(filepath.Join(dir, ConstraintsFile))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ReadViolations(filepath.Join(dir, ViolationsFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Dataset.ItemCount != 6 || len(st.Features) != 2 || st.Features[0].Numerical == nil || st.Features[1].String == nil {
		t.Fatalf("statistics read as %+v", st)
	}
	if got := len(st.Features[0].Numerical.Distribution.KLL.Sketch.Data[0]); got != 6 {
		t.Errorf("sketch has %d items", got)
	}
	if cons.MonitoringConfig.DistributionConstraints.ComparisonMethod != Simple || *cons.Features[1].Completeness != 0.8 {
		t.Errorf("constraints read as %+v", cons)
	}
	if len(vs.Violations) != 2 || vs.Violations[1].ConstraintCheckType != BaselineDriftCheck {
		t.Errorf("violations read as %+v", vs)
	}
	// Current data: ages shifted up, one state never seen, a new column.
	p := NewProfiler(nil)
	for _, line := range []string{`{"age": 60, "state": "CA", "zip": "1"}`, `{"age": 61, "state": "NY"}`, `{"age": 62, "state": "NY"}`, `{"age": 63, "state": "CA"}`} {
		r, err := jsonRecord([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		p.Add(r)
	}
	got, _ := Check(p.Profile(), st, cons)
	want := []string{"age baseline_drift_check", "state categorical_values_check", "state baseline_drift_check", "zip extra_column_check"}
	if diff := cmp.Diff(want, names(got)); diff != "" {
		t.Errorf("violations (-want +got):\n%s\n%+v", diff, got)
	}
}

func names(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.FeatureName+" "+v.ConstraintCheckType)
	}
	return out
}

func profileCSV(t *testing.T, text string) *Profile {
	t.Helper()
	p := NewProfiler(nil)
	if err := p.AddCSV(strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	return p.Profile()
}

func TestBaselineAndChecks(t *testing.T) {
	t.Parallel()
	var base strings.Builder
	base.WriteString("amount,kind,count\n")
	for i := range 400 {
		kinds := []string{"a", "b", "c"}
		base.WriteString(strings.Join([]string{ftoa(float64(i%100) + 0.5), kinds[i%3], itoa(i % 7)}, ",") + "\n")
	}
	bp := profileCSV(t, base.String())
	cons := SuggestConstraints(bp.Statistics)
	if f, _ := bp.Statistics.Feature("amount"); f.InferredType != Fractional {
		t.Errorf("amount inferred %s", f.InferredType)
	}
	if f, _ := bp.Statistics.Feature("count"); f.InferredType != Integral {
		t.Errorf("count inferred %s", f.InferredType)
	}
	if f, _ := bp.Statistics.Feature("kind"); f.InferredType != String || f.String.DistinctCount != 3 {
		t.Errorf("kind inferred %+v", f)
	}
	tests := []struct {
		name string
		row  func(i int) []string
		want []string
	}{
		{"same data", func(i int) []string {
			return []string{ftoa(float64((i*7)%100) + 0.5), []string{"a", "b", "c"}[i%3], itoa(i % 7)}
		}, nil},
		{"shifted amount", func(i int) []string {
			return []string{ftoa(float64(i%100) + 60.5), []string{"a", "b", "c"}[i%3], itoa(i % 7)}
		},
			[]string{"amount baseline_drift_check"}},
		{"missing counts", func(i int) []string {
			c := itoa(i % 7)
			if i%4 == 0 {
				c = ""
			}
			return []string{ftoa(float64(i%100) + 0.5), []string{"a", "b", "c"}[i%3], c}
		}, []string{"count completeness_check"}},
		{"new kind", func(i int) []string {
			return []string{ftoa(float64(i%100) + 0.5), []string{"a", "b", "z"}[i%3], itoa(i % 7)}
		},
			[]string{"kind categorical_values_check", "kind baseline_drift_check"}},
		{"text in counts", func(i int) []string {
			c := itoa(i % 7)
			if i%3 == 0 {
				c = "many"
			}
			return []string{ftoa(float64(i%100) + 0.5), []string{"a", "b", "c"}[i%3], c}
		}, []string{"count data_type_check"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			b.WriteString("amount,kind,count\n")
			for i := range 300 {
				b.WriteString(strings.Join(tc.row(i), ",") + "\n")
			}
			got, _ := Check(profileCSV(t, b.String()), bp.Statistics, cons)
			if diff := cmp.Diff(tc.want, names(got)); diff != "" {
				t.Errorf("violations (-want +got):\n%s\n%+v", diff, got)
			}
		})
	}
	t.Run("missing column", func(t *testing.T) {
		t.Parallel()
		got, _ := Check(profileCSV(t, "amount,kind\n1.5,a\n"), bp.Statistics, cons)
		if diff := cmp.Diff([]string{"count missing_column_check"}, names(got)); diff != "" {
			t.Error(diff)
		}
	})
}

func TestStatisticsRoundTrip(t *testing.T) {
	t.Parallel()
	p := profileCSV(t, "x,s\n1,a\n2,\n3.5,b\n")
	dir := t.TempDir()
	path := filepath.Join(dir, StatisticsFile)
	if err := WriteJSON(path, p.Statistics); err != nil {
		t.Fatal(err)
	}
	back, err := ReadStatistics(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Statistics, back); diff != "" {
		t.Error(diff)
	}
}

func ftoa(v float64) string { return strconvFormat(v) }

// TestProfileCapturesParallelMatchesSequential checks that spreading the
// work over workers (and merging their profiles) gives the statistics of
// one pass, with exact sketches (fewer values than a sketch holds) and
// low-cardinality columns whose values split across workers.
func TestProfileCapturesParallelMatchesSequential(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	names := writeBenchCapture(t, root, 1500)
	w := Window{From: mustTime(t, "2026-01-01T10:00:00Z"), To: mustTime(t, "2026-01-01T11:00:00Z")}
	one, err := ProfileCaptures(root, "ep", w, names, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Sequential reference through the generic reader.
	seq := NewProfiler(names)
	if err := ReadCaptures(root, "ep", w, func(c *Captured) error {
		recs, err := ParseInput(c.InputType, c.Input)
		for _, r := range recs {
			seq.Add(r)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := seq.Profile().Statistics
	for _, workers := range []int{1, 3} {
		p := one
		if workers > 1 {
			if p, err = ProfileCapturesChunked(root, "ep", w, names, workers, 4096); err != nil {
				t.Fatal(err)
			}
		}
		got := p.Profile().Statistics
		for i := range want.Features {
			wf, gf := want.Features[i], got.Features[i]
			if wf.Numerical != nil {
				if d := LInfinity(wf.Numerical.Distribution.KLL.Sketch, gf.Numerical.Distribution.KLL.Sketch); d != 0 {
					t.Errorf("%d workers: %s distribution differs by %v", workers, wf.Name, d)
				}
				if math.Abs(wf.Numerical.Sum-gf.Numerical.Sum) > 1e-6*math.Abs(wf.Numerical.Sum) || wf.Numerical.Common != gf.Numerical.Common {
					t.Errorf("%d workers: %s statistics differ", workers, wf.Name)
				}
				wn, gn := *wf.Numerical, *gf.Numerical
				wn.Distribution, gn.Distribution = Distribution{}, Distribution{}
				wn.Sum, gn.Sum, wn.Mean, gn.Mean, wn.StdDev, gn.StdDev = 0, 0, 0, 0, 0, 0
				wf.Numerical, gf.Numerical = &wn, &gn
			}
			if diff := cmp.Diff(wf, gf); diff != "" {
				t.Errorf("%d workers: %s", workers, diff)
			}
		}
	}
}

// TestScanCaptureLineMatchesJSON compares the fast capture scanner with
// encoding/json on lines with escapes.
func TestScanCaptureLineMatchesJSON(t *testing.T) {
	t.Parallel()
	for _, data := range []string{"1,2,3", "a \"quoted\" \\ value\n", "é ü \u2028 tab\t", `{"instances": [{"a": "x"}]}`} {
		line, _ := json.Marshal(map[string]any{
			"captureData":   map[string]any{"endpointInput": map[string]string{"observedContentType": "text/csv", "data": data, "encoding": "CSV"}},
			"eventMetadata": map[string]string{"eventId": "e", "inferenceTime": "2026-01-01T10:00:00.000Z"},
			"eventVersion":  "0",
		})
		var f captureFields
		if !scanCaptureLine(line, &f) {
			t.Fatalf("scanner gave up on %s", line)
		}
		if string(f.inData) != data || string(f.eventID) != "e" || string(f.inType) != "text/csv" {
			t.Errorf("scanned %+v from %s", f, line)
		}
	}
}

func FuzzScanCaptureLine(f *testing.F) {
	f.Add(`{"captureData":{"endpointInput":{"observedContentType":"text/csv","data":"1,2","encoding":"CSV"}},"eventMetadata":{"eventId":"x","inferenceTime":"2026-01-01T10:00:00Z"}}`)
	f.Add(`{"a":[1,{"b":null}],"captureData":{}}`)
	f.Fuzz(func(t *testing.T, line string) {
		var fs captureFields
		if !scanCaptureLine([]byte(line), &fs) {
			return
		}
		var v struct {
			CaptureData struct {
				EndpointInput struct {
					Data string `json:"data"`
				} `json:"endpointInput"`
			} `json:"captureData"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			return // the scanner is laxer about what it skips
		}
		if v.CaptureData.EndpointInput.Data != string(fs.inData) {
			t.Fatalf("scanner read %q, encoding/json %q", fs.inData, v.CaptureData.EndpointInput.Data)
		}
	})
}

func TestParseNumberBytesMatchesParseNumber(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"0", "-0", "7", "+5", "007", "-71600", "8913.668763178823", "1.", ".5", "-.5", "1e5", "1E-3", "abc", "-", "+",
		"123456789012345678901", "0.1234567890123456789012345", "NaN", "Inf", "1,2", "12.5.1", "9007199254740993.5"} {
		x1, k1 := parseNumberBytes([]byte(c))
		x2, k2 := parseNumber(c)
		if k1 != k2 || (x1 != x2 && !(math.IsNaN(x1) && math.IsNaN(x2))) {
			t.Errorf("%q: bytes %v %s, string %v %s", c, x1, k1, x2, k2)
		}
	}
}

func FuzzParseNumberBytes(f *testing.F) {
	for _, s := range []string{"0", "-12.5", "1e5", "abc", "007", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x1, k1 := parseNumberBytes([]byte(s))
		x2, k2 := parseNumber(s)
		if k1 != k2 || x1 != x2 {
			t.Fatalf("%q: bytes %v %s, string %v %s", s, x1, k1, x2, k2)
		}
	})
}

func TestQualityChecks(t *testing.T) {
	t.Parallel()
	y := []float64{0, 0, 0, 1, 1, 0, 1, 0}
	good := []float64{0.1, 0.2, 0.3, 0.9, 0.8, 0.1, 0.7, 0.4}
	st, err := QualityMetrics(BinaryClassification, y, good, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	cons := SuggestQualityConstraints(st, 0.1)
	if got := CheckQuality(st, cons); len(got) != 0 {
		t.Errorf("the baseline violates its own constraints: %v", got)
	}
	bad := []float64{0.9, 0.2, 0.3, 0.1, 0.8, 0.6, 0.7, 0.4}
	bst, err := QualityMetrics(BinaryClassification, y, bad, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range CheckQuality(bst, cons) {
		got = append(got, v.MetricName+" "+v.ConstraintCheckType)
	}
	want := []string{"accuracy LessThanThreshold", "auc LessThanThreshold", "f1 LessThanThreshold", "precision LessThanThreshold", "recall LessThanThreshold"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	// Regression: error metrics are upper bounds.
	rst, err := QualityMetrics(Regression, []float64{1, 2, 3, 4}, []float64{1.1, 1.9, 3.2, 3.9}, 0)
	if err != nil {
		t.Fatal(err)
	}
	rcons := SuggestQualityConstraints(rst, 0.1)
	if rcons.Regression["mae"].ComparisonOperator != GreaterThanThreshold || rcons.Regression["r2"].ComparisonOperator != LessThanThreshold {
		t.Errorf("regression constraints %+v", rcons.Regression)
	}
	worse, _ := QualityMetrics(Regression, []float64{1, 2, 3, 4}, []float64{2, 1, 4, 3}, 0)
	if v := CheckQuality(worse, rcons); len(v) < 3 {
		t.Errorf("worse regression: %v", v)
	}
	if _, err := QualityMetrics(BinaryClassification, []float64{2}, []float64{0.5}, 0.5); err == nil {
		t.Error("a label of 2 accepted for binary classification")
	}
	if _, err := QualityMetrics("Ranking", y, good, 0.5); err == nil {
		t.Error("unknown problem type accepted")
	}
}
