package prepare

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/ferryml/ferry/internal/feature"
	"github.com/ferryml/ferry/internal/frame"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/processing"
)

// tutorialHeader is seed-tutorial.md §1.4's header: the label and the 48
// features, in order.
const tutorialHeader = `fraud,num_vehicles_involved,num_injuries,num_witnesses,police_report_available,injury_claim,
vehicle_claim,total_claim_amount,incident_month,incident_day,incident_dow,incident_hour,
customer_age,months_as_customer,num_claims_past_year,num_insurers_past_5_years,policy_deductable,
policy_annual_premium,policy_liability,customer_education,auto_year,driver_relationship_child,
driver_relationship_other,driver_relationship_self,driver_relationship_spouse,driver_relationship_na,
incident_type_break-in,incident_type_collision,incident_type_theft,collision_type_front,
collision_type_rear,collision_type_side,collision_type_na,incident_severity_major,
incident_severity_minor,incident_severity_totaled,authorities_contacted_ambulance,
authorities_contacted_fire,authorities_contacted_none,authorities_contacted_police,policy_state_az,
policy_state_ca,policy_state_id,policy_state_nv,policy_state_or,policy_state_wa,
customer_gender_female,customer_gender_male,customer_gender_other`

const fraudDir = "../../examples/fraud-detection"

// exampleConfig reads the prepare step's config from an example pipeline.
func exampleConfig(t testing.TB, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Steps []struct {
			Processor string         `yaml:"processor"`
			Config    map[string]any `yaml:"config"`
		} `yaml:"steps"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	for _, s := range doc.Steps {
		if s.Processor == Name {
			// Round-trip through JSON, as the engine hands configs over.
			j, _ := json.Marshal(s.Config)
			var m map[string]any
			if err := json.Unmarshal(j, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("%s has no %s step", path, Name)
	return nil
}

// runProcess runs the processor on input files copied into input dirs.
func runProcess(t *testing.T, config map[string]any, inputs map[string]string, outputs ...string) (map[string]any, map[string]string) {
	t.Helper()
	tmp := t.TempDir()
	job := processing.Job{Inputs: map[string]string{}, OutputDirs: map[string]string{}, Config: config}
	for name, file := range inputs {
		dir := filepath.Join(tmp, "in", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(file)), b, 0o644); err != nil {
			t.Fatal(err)
		}
		job.Inputs[name] = dir
	}
	for _, o := range outputs {
		dir := filepath.Join(tmp, "out", o)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		job.OutputDirs[o] = dir
	}
	props, err := New().Process(t.Context(), job)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	return props, job.OutputDirs
}

func TestFraudTutorial(t *testing.T) {
	t.Parallel()
	config := exampleConfig(t, filepath.Join(fraudDir, "prepare.yaml"))
	if errs := New().ValidateConfig(config); len(errs) > 0 {
		t.Fatalf("ValidateConfig: %v", errs)
	}
	props, dirs := runProcess(t, config, map[string]string{
		"claims":    filepath.Join(fraudDir, "data/claims.csv"),
		"customers": filepath.Join(fraudDir, "data/customers.csv"),
	}, "train", "validation", "test", "full", "schema")

	wantProps := map[string]any{"train_rows": int64(4050), "validation_rows": int64(450), "test_rows": int64(500), "full_rows": int64(5000), "num_features": int64(48)}
	if diff := cmp.Diff(wantProps, props); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	wantHeader := strings.Split(strings.ReplaceAll(tutorialHeader, "\n", ""), ",")
	if len(wantHeader) != 49 {
		t.Fatalf("test header has %d names", len(wantHeader))
	}
	rows := map[string]int{"train": 4050, "validation": 450, "test": 500, "full": 5000}
	files := map[string]string{"train": "train.csv", "validation": "validation.csv", "test": "test.csv", "full": "dataset.csv"}
	var full *frame.Frame
	for out, n := range rows {
		f, err := frame.ReadCSVFile(filepath.Join(dirs[out], files[out]), frame.CSVOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantHeader, f.Names()); diff != "" {
			t.Errorf("%s header (-want +got):\n%s", out, diff)
		}
		if f.NumRows() != n {
			t.Errorf("%s has %d rows, want %d", out, f.NumRows(), n)
		}
		if out == "full" {
			full = f
		}
	}
	// Ordinal columns are floats written as "1.0"; one-hot columns 0/1.
	raw, err := os.ReadFile(filepath.Join(dirs["full"], "dataset.csv"))
	if err != nil {
		t.Fatal(err)
	}
	first := strings.Split(strings.Split(string(raw), "\n")[1], ",")
	if got := first[4]; got != "0.0" && got != "1.0" {
		t.Errorf("police_report_available written as %q, want a float", got)
	}
	for i, name := range wantHeader {
		c, _ := full.Column(name)
		switch {
		case strings.HasPrefix(name, "driver_relationship_") || strings.HasPrefix(name, "customer_gender_"):
			if c.Type != frame.Int || !isBinary(c) {
				t.Errorf("column %d %q: want 0/1 ints", i, name)
			}
		case name == "police_report_available" || name == "policy_liability" || name == "customer_education":
			if c.Type != frame.Float {
				t.Errorf("ordinal column %q is %s, want float", name, c.Type)
			}
		}
	}
	label, _ := full.Column("fraud")
	pos := 0
	for _, v := range label.Ints {
		pos += int(v)
	}
	if pos != 164 {
		t.Errorf("fraud positives = %d, want 164", pos)
	}

	// schema.json's transform reproduces every prepared row from the raw
	// joined record.
	b, err := os.ReadFile(filepath.Join(dirs["schema"], SchemaFile))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := feature.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantHeader[1:], tr.FeatureNames()); diff != "" {
		t.Errorf("schema feature names (-want +got):\n%s", diff)
	}
	checkTransform(t, tr, full)
	checkPandas(t, raw)
	checkGolden(t, "fraud_schema.golden.json", b)
}

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", name, diff)
	}
}

// checkPandas compares Ferry's dataset.csv with pandas' output of the
// tutorial script on the same tables (testdata/make_pandas_reference.sh):
// the same text in every cell, except floats, which pandas' default
// parser may read one unit in the last place off.
func checkPandas(t *testing.T, ferry []byte) {
	t.Helper()
	f, err := os.Open("testdata/pandas_dataset.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(ferry), "\n")
	if len(wl) != len(gl) {
		t.Fatalf("dataset.csv has %d lines, pandas wrote %d", len(gl), len(wl))
	}
	exact := 0
	for i := range wl {
		if wl[i] == gl[i] {
			exact++
			continue
		}
		wc, gc := strings.Split(wl[i], ","), strings.Split(gl[i], ",")
		if len(wc) != len(gc) {
			t.Fatalf("line %d: %d cells, pandas %d", i+1, len(gc), len(wc))
		}
		for j := range wc {
			if wc[j] == gc[j] {
				continue
			}
			a, errA := strconv.ParseFloat(wc[j], 64)
			b, errB := strconv.ParseFloat(gc[j], 64)
			if errA != nil || errB != nil || !strings.Contains(wc[j], ".") || math.Abs(a-b) > 1e-15*math.Abs(a) {
				t.Fatalf("line %d column %d: ferry %q, pandas %q", i+1, j+1, gc[j], wc[j])
			}
		}
	}
	t.Logf("%d of %d lines identical to pandas' output; the rest differ only in float rounding", exact, len(wl))
}

func isBinary(c *frame.Column) bool {
	for _, v := range c.Ints {
		if v != 0 && v != 1 {
			return false
		}
	}
	return true
}

// checkTransform encodes each raw joined record with tr and compares with
// the prepared row.
func checkTransform(t *testing.T, tr *feature.Transform, full *frame.Frame) {
	t.Helper()
	claims, err := frame.ReadCSVFile(filepath.Join(fraudDir, "data/claims.csv"), frame.CSVOptions{NoDefaultNA: true})
	if err != nil {
		t.Fatal(err)
	}
	customers, err := frame.ReadCSVFile(filepath.Join(fraudDir, "data/customers.csv"), frame.CSVOptions{NoDefaultNA: true})
	if err != nil {
		t.Fatal(err)
	}
	joined, err := frame.Join(claims, customers, []string{"policy_id"}, frame.LeftJoin)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, len(tr.Features))
	rec := make(map[string]string)
	for r := 0; r < joined.NumRows(); r++ {
		for _, c := range joined.Columns() {
			rec[c.Name] = c.Text(r)
		}
		if err := tr.Encode(dst, rec); err != nil {
			t.Fatalf("row %d: Encode: %v", r, err)
		}
		for i, f := range tr.Features {
			c, _ := full.Column(f.Name)
			want, _ := c.Float(r)
			if dst[i] != want && !(math.IsNaN(dst[i]) && math.IsNaN(want)) {
				t.Fatalf("row %d feature %q: Encode gives %v, prepared data has %v", r, f.Name, dst[i], want)
			}
		}
	}
}

func TestAbalone(t *testing.T) {
	t.Parallel()
	config := map[string]any{
		"rename":  map[string]any{"Class_number_of_rings": "Rings"},
		"one_hot": map[string]any{"columns": []any{"Sex"}},
		"label":   "Rings",
		"split":   map[string]any{"test": 0.3, "validation": 0.0, "seed": 42.0},
	}
	props, dirs := runProcess(t, config, map[string]string{"abalone": "../../examples/abalone-clarify/data/abalone.csv"}, "train", "validation", "test", "schema")
	want := map[string]any{"train_rows": int64(2923), "validation_rows": int64(0), "test_rows": int64(1254), "full_rows": int64(4177), "num_features": int64(10)}
	if diff := cmp.Diff(want, props); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	f, err := frame.ReadCSVFile(filepath.Join(dirs["train"], "train.csv"), frame.CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"Rings", "Length", "Diameter", "Height", "Whole_weight", "Shucked_weight", "Viscera_weight", "Shell_weight", "Sex_F", "Sex_I", "Sex_M"}
	if diff := cmp.Diff(wantNames, f.Names()); diff != "" {
		t.Errorf("train header (-want +got):\n%s", diff)
	}
	v, err := os.ReadFile(filepath.Join(dirs["validation"], "validation.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(v), "\n"); got != 1 {
		t.Errorf("empty validation set has %d lines, want the header only", got)
	}
}

func TestOutputsHeaderlessAndParquet(t *testing.T) {
	t.Parallel()
	in := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(in, []byte("y,x,c\n1,0.5,a\n0,1.5,b\n1,2.5,a\n0,3.5,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noHeader := map[string]any{"label": "y", "one_hot": map[string]any{}, "header": false, "split": map[string]any{"test": 0.25}}
	_, dirs := runProcess(t, noHeader, map[string]string{"t": in}, "test", "full")
	b, err := os.ReadFile(filepath.Join(dirs["full"], "dataset.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("1,0.5,1,0\n0,1.5,0,1\n1,2.5,1,0\n0,3.5,0,1\n", string(b)); diff != "" {
		t.Errorf("headerless dataset.csv (-want +got):\n%s", diff)
	}
	pq := map[string]any{"label": "y", "one_hot": map[string]any{"columns": "auto"}, "format": "parquet", "split": map[string]any{"test": 0.25, "stratify": true}}
	_, dirs = runProcess(t, pq, map[string]string{"t": in}, "train", "full")
	f, err := frame.ReadParquetFile(filepath.Join(dirs["full"], "dataset.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"y", "x", "c_a", "c_b"}, f.Names()); diff != "" {
		t.Errorf("parquet columns (-want +got):\n%s", diff)
	}
	tr, err := frame.ReadParquetFile(filepath.Join(dirs["train"], "train.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if tr.NumRows() != 3 {
		t.Errorf("train rows = %d, want 3", tr.NumRows())
	}
}

func TestValidateConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config map[string]any
		want   []string
	}{
		{"OK", map[string]any{"label": "y"}, nil},
		{"NoLabel", map[string]any{}, []string{"config.label: required: the label column"}},
		{"UnknownKey", map[string]any{"label": "y", "splits": 1.0}, []string{`config: unknown key "splits"`}},
		{"WrongType", map[string]any{"label": "y", "drop": "x"}, []string{"config.drop: want []string, got string"}},
		{"Many", map[string]any{
			"label":   "y",
			"split":   map[string]any{"test": 1.5, "validation": -0.1},
			"format":  "xlsx",
			"join":    []any{map[string]any{"right": "b", "how": "outer"}},
			"one_hot": map[string]any{"columns": 3.0, "unseen": "maybe"},
		}, []string{
			"config.split.test: 1.5 is outside [0, 1)",
			"config.split.validation: -0.1 is outside [0, 1)",
			`config.format: "xlsx": want csv or parquet`,
			"config.join[0].on: required: the key columns",
			"config.join[0].left: required: the input the joins start from",
			`config.join[0].how: "outer": want left or inner`,
			`config.one_hot.columns: want a list of column names or "auto", got float64`,
			`config.one_hot.unseen: "maybe": want error or ignore`,
		}},
		{"RefPlaceholderSkipped", map[string]any{"label": "y", "split": map[string]any{"seed": &step.RefPlaceholder{Expr: "params.seed"}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, err := range New().ValidateConfig(tt.config) {
				if _, ok := err.(*step.FieldError); !ok {
					t.Errorf("error %v is %T, want *step.FieldError", err, err)
				}
				got = append(got, err.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrepareErrors(t *testing.T) {
	t.Parallel()
	tbl := func(s string) *frame.Frame {
		f, err := frame.ParseCSV([]byte(s), frame.CSVOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		name   string
		tables map[string]string
		cfg    Config
		want   string
	}{
		{"TextColumnLeft", map[string]string{"a": "y,s\n1,x\n"}, Config{Label: "y"}, `column "s" holds text`},
		{"MissingLabel", map[string]string{"a": "y,x\n1,1\n,2\n"}, Config{Label: "y"}, `label column "y" has 1 missing values`},
		{"UnknownLabel", map[string]string{"a": "y,x\n1,1\n"}, Config{Label: "z"}, `config.label: no column "z"`},
		{"TwoInputsNoJoin", map[string]string{"a": "y\n1\n", "b": "y\n1\n"}, Config{Label: "y"}, "2 inputs and no join"},
		{"UnusedInput", map[string]string{"a": "y\n1\n", "b": "y\n1\n"}, Config{Label: "y", Base: "a"}, `input "b" is not used`},
		{"UnmappedOrdinal", map[string]string{"a": "y,o\n1,Yes\n0,Maybe\n"}, Config{Label: "y", Ordinal: map[string]map[string]float64{"o": {"Yes": 1}}}, `config.ordinal.o: ordinal column "o" row 1: value "Maybe" has no mapping`},
		{"BadJoinKey", map[string]string{"a": "y,k\n1,1\n", "b": "k2\n1\n"}, Config{Label: "y", Join: []JoinConfig{{Left: "a", Right: "b", On: []string{"k"}}}}, `config.join[0]: joining: right side: no column "k"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tables := map[string]*frame.Frame{}
			for k, v := range tt.tables {
				tables[k] = tbl(v)
			}
			_, err := Prepare(context.Background(), tables, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Prepare error = %v, want %q", err, tt.want)
			}
		})
	}
}

// BenchmarkPrepareFraud reads, prepares and writes the tutorial's 5000-row
// tables (bench/prepare/run.sh measures 1,000,000 rows against pandas).
func BenchmarkPrepareFraud(b *testing.B) {
	config := exampleConfig(b, filepath.Join(fraudDir, "prepare.yaml"))
	tmp := b.TempDir()
	job := processing.Job{
		Inputs:     map[string]string{},
		OutputDirs: map[string]string{},
		Config:     config,
	}
	for _, name := range []string{"claims", "customers"} {
		dir := filepath.Join(tmp, "in", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(fraudDir, "data", name+".csv"))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".csv"), data, 0o644); err != nil {
			b.Fatal(err)
		}
		job.Inputs[name] = dir
	}
	for _, o := range New().Outputs() {
		dir := filepath.Join(tmp, "out", o.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		job.OutputDirs[o.Name] = dir
	}
	for b.Loop() {
		if _, err := New().Process(context.Background(), job); err != nil {
			b.Fatal(err)
		}
	}
}
