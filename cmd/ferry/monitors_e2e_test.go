package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/artifact/artifacttest"
	"github.com/ferryml/ferry/internal/frame"
	"github.com/ferryml/ferry/internal/monitor"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/google/go-cmp/cmp"
)

const fraudEndpoint = "fraud-detect-xgb-pipeline-endpoint"

// rawFraud is the fraud tutorial's raw data, claims left-joined with
// customers on policy_id, in claims order (the order tabular_prepare
// splits), without the id and zip columns.
type rawFraud struct {
	names []string // fraud first
	rows  [][]string
}

func readRawFraud(t *testing.T) rawFraud {
	t.Helper()
	read := func(name string) [][]string {
		f, err := os.Open(filepath.Join("..", "..", "examples", "fraud-detection", "data", name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	claims, customers := read("claims.csv"), read("customers.csv")
	byID := map[string][]string{}
	for _, r := range customers[1:] {
		byID[r[0]] = r
	}
	drop := map[string]bool{"policy_id": true, "customer_zip": true}
	var out rawFraud
	var cols []func([]string, []string) string
	add := func(name string, get func(cl, cu []string) string) {
		if drop[name] {
			return
		}
		out.names = append(out.names, name)
		cols = append(cols, get)
	}
	fi := slices.Index(claims[0], "fraud")
	add("fraud", func(cl, _ []string) string { return cl[fi] })
	for i, n := range claims[0] {
		if n != "fraud" {
			add(n, func(cl, _ []string) string { return cl[i] })
		}
	}
	for i, n := range customers[0][1:] {
		add(n, func(_, cu []string) string { return cu[i+1] })
	}
	for _, cl := range claims[1:] {
		cu := byID[cl[0]]
		row := make([]string, len(cols))
		for j, get := range cols {
			row[j] = get(cl, cu)
		}
		out.rows = append(out.rows, row)
	}
	return out
}

// record returns row i as a named record without the label, with the
// edits applied (nil deletes: the value is sent as null).
func (r rawFraud) record(i int, edit func(map[string]any)) map[string]any {
	rec := map[string]any{}
	for j, n := range r.names[1:] {
		rec[n] = r.rows[i][j+1]
	}
	if edit != nil {
		edit(rec)
	}
	return rec
}

func (r rawFraud) col(name string) int { return slices.Index(r.names, name) }

// traffic invokes the endpoint in process with a fake clock, so that the
// capture files land in chosen hours.
type traffic struct {
	t   *testing.T
	srv *serving.Server
	mu  sync.Mutex
	now time.Time
}

func (tr *traffic) send(at time.Time, id string, recs ...map[string]any) []float64 {
	tr.t.Helper()
	tr.mu.Lock()
	tr.now = at
	tr.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"instances": recs})
	resp, err := tr.srv.Invoke(tr.t.Context(), fraudEndpoint, serving.Request{ContentType: "application/json", Accept: "text/csv", Body: body, InferenceID: id})
	if err != nil {
		tr.t.Fatalf("invoking: %v", err)
	}
	scores, err := monitor.ParseScores(resp.ContentType, resp.Body)
	if err != nil || len(scores) != len(recs) {
		tr.t.Fatalf("response %q: %v", resp.Body, err)
	}
	return scores
}

type runOutput struct {
	Run        monitor.Run         `json:"run"`
	Violations *monitor.Violations `json:"violations"`
}

func runMonitor(t *testing.T, ctx context.Context, home, name string, from time.Time) runOutput {
	t.Helper()
	res := ferry(t, ctx, home, "monitors", "run", name, "--from", from.Format(time.RFC3339), "--to", from.Add(time.Hour).Format(time.RFC3339), "--output", "json")
	if res.code != 0 {
		t.Fatalf("monitors run %s exited %d\n%s%s", name, res.code, res.stdout, res.stderr)
	}
	var out runOutput
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("monitors run %s: %v\n%s", name, err, res.stdout)
	}
	t.Logf("%s %s: %s, %d records, violations %v", name, from.Format("15:04"), out.Run.Status, out.Run.Records, violated(out))
	return out
}

func violated(o runOutput) []string {
	var out []string
	if o.Violations == nil {
		return nil
	}
	for _, v := range o.Violations.Violations {
		out = append(out, strings.TrimSpace(v.FeatureName+" "+v.MetricName)+" "+v.ConstraintCheckType)
	}
	sort.Strings(out)
	return out
}

// TestMonitorsEndToEnd deploys the fraud model with the real wiring,
// captures traffic, and runs the four monitor types over windows of it:
// the test split (no violations), a shifted feature with missing values
// and a new category (data-quality violations naming them), ground truth
// with worse accuracy (model-quality violation) and a shift in the
// facet's predicted outcome rate (bias-drift violation).
// hookReceiver is a webhook receiver on 127.0.0.1 that keeps the
// notifications it gets.
type hookReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []monitor.Notification
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n monitor.Notification
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.got = append(h.got, n)
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) received() []monitor.Notification {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]monitor.Notification(nil), h.got...)
}

func TestMonitorsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end monitoring: skipped with -short")
	}
	t.Parallel()
	ctx := t.Context()
	home := artifacttest.TempDir(t)
	work := artifacttest.TempDir(t)
	mustFerry(t, home, "quickstart")

	m := inspect(t, home)
	reg, err := m.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := reg.Endpoint(ctx, fraudEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	v := ep.Config.Variants[0]
	if _, _, err := reg.Deploy(ctx, registry.DeployRequest{Endpoint: fraudEndpoint, Package: registry.PackageRef{Group: v.Group, Version: v.Version},
		Variant: v.Name, DataCapture: &registry.DataCapture{Enabled: true, SamplingPercentage: 100, Destination: filepath.Join(home, "data-capture")}}); err != nil {
		t.Fatal(err)
	}
	if ep, err = reg.Endpoint(ctx, fraudEndpoint); err != nil {
		t.Fatal(err)
	}
	store, err := m.Store()
	if err != nil {
		t.Fatal(err)
	}
	tr := &traffic{t: t}
	tr.srv, err = serving.NewServer(serving.StoreLoader(store), serving.Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return tr.now
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.srv.Close()
	if err := tr.srv.Apply(ctx, []registry.Endpoint{ep}, nil); err != nil {
		t.Fatal(err)
	}

	raw := readRawFraud(t)
	split, err := frame.SplitRows(len(raw.rows), frame.SplitOptions{Test: 0.1, Validation: 0.1, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hour := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }

	// Scores of every row, in batches, at 08:00 (outside the windows).
	scores := make([]float64, len(raw.rows))
	for lo := 0; lo < len(raw.rows); lo += 250 {
		var recs []map[string]any
		for i := lo; i < min(lo+250, len(raw.rows)); i++ {
			recs = append(recs, raw.record(i, nil))
		}
		copy(scores[lo:], tr.send(hour(8), "", recs...))
	}
	fraud := raw.col("fraud")

	// Baselines: data quality from the raw training rows, model quality
	// from the validation rows' scores.
	var train, eval bytes.Buffer
	train.WriteString(strings.Join(raw.names, ",") + "\n")
	for _, i := range split.Train {
		train.WriteString(strings.Join(raw.rows[i], ",") + "\n")
	}
	eval.WriteString("fraud,score\n")
	for _, i := range split.Validation {
		fmt.Fprintf(&eval, "%s,%g\n", raw.rows[i][fraud], scores[i])
	}
	for name, b := range map[string]*bytes.Buffer{"train.csv": &train, "eval.csv": &eval} {
		if err := os.WriteFile(filepath.Join(work, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dq, mq := filepath.Join(work, "dq"), filepath.Join(work, "mq")
	mustFerry(t, home, "monitors", "baseline", "--data", filepath.Join(work, "train.csv"), "--exclude", "fraud", "--out", dq)
	mustFerry(t, home, "monitors", "baseline", "--problem-type", "BinaryClassification", "--data", filepath.Join(work, "eval.csv"),
		"--label", "fraud", "--prediction", "score", "--tolerance", "0.05", "--out", mq)
	biasCfg := writeFile(t, filepath.Join(work, "bias.json"), `{"label": "fraud", "label_values_or_threshold": [0],
		"facet": [{"name_or_index": "customer_gender_female", "value_or_threshold": [1]}], "probability_threshold": 0.5,
		"methods": {"post_training_bias": {"methods": ["DPPL"]}}}`)
	shapCfg := writeFile(t, filepath.Join(work, "shap.json"), `{"methods": {"shap": {"num_samples": 100, "agg_method": "mean_abs", "seed": 42}}}`)
	hooks := newHookReceiver(t)
	mustFerry(t, home, "monitors", "create", "dq", "--endpoint", fraudEndpoint, "--type", "data_quality", "--schedule", "@hourly",
		"--statistics", filepath.Join(dq, "statistics.json"), "--constraints", filepath.Join(dq, "constraints.json"),
		"--webhook", hooks.URL+"/ferry")
	mustFerry(t, home, "monitors", "create", "mq", "--endpoint", fraudEndpoint, "--type", "model_quality", "--problem-type", "BinaryClassification",
		"--statistics", filepath.Join(mq, "statistics.json"), "--constraints", filepath.Join(mq, "constraints.json"))
	// Bias and attribution baselines come from the registered version.
	mustFerry(t, home, "monitors", "create", "bias", "--endpoint", fraudEndpoint, "--type", "bias_drift", "--config", biasCfg)
	mustFerry(t, home, "monitors", "create", "attr", "--endpoint", fraudEndpoint, "--type", "feature_attribution", "--config", shapCfg)

	groundTruth := func(name string, ids []string, labels []string) {
		t.Helper()
		var b strings.Builder
		b.WriteString("inference_id,label\n")
		for i := range ids {
			b.WriteString(ids[i] + "," + labels[i] + "\n")
		}
		mustFerry(t, home, "monitors", "ground-truth", "mq", writeFile(t, filepath.Join(work, name), b.String()))
	}

	// 10:00: the test split, one record per request, and its true labels.
	var ids, labels []string
	for k, i := range split.Test {
		id := "a-" + strconv.Itoa(i)
		tr.send(hour(10).Add(time.Duration(k)*time.Second), id, raw.record(i, nil))
		ids, labels = append(ids, id), append(labels, raw.rows[i][fraud])
	}
	groundTruth("a.csv", ids, labels)
	for _, name := range []string{"dq", "mq", "bias", "attr"} {
		out := runMonitor(t, ctx, home, name, hour(10))
		if out.Run.Status != monitor.RunCompleted || out.Run.Records != int64(len(split.Test)) {
			t.Errorf("%s on the test split: %s, %d records, violations %v (%s)", name, out.Run.Status, out.Run.Records, violated(out), out.Run.Failure)
		}
	}

	// 11:00: total_claim_amount tripled, num_injuries missing in a third of
	// the records, a collision type never seen.
	for k, i := range split.Test {
		tr.send(hour(11).Add(time.Duration(k)*time.Second), "b-"+strconv.Itoa(i), raw.record(i, func(rec map[string]any) {
			amount, _ := strconv.ParseFloat(rec["total_claim_amount"].(string), 64)
			rec["total_claim_amount"] = strconv.FormatFloat(3*amount, 'f', 2, 64)
			if k%3 == 0 {
				rec["num_injuries"] = nil
			}
			if k%4 == 0 {
				rec["collision_type"] = "Sideswipe"
			}
		}))
	}
	if got := hooks.received(); len(got) != 0 {
		t.Errorf("the webhook was called for a run without violations: %+v", got)
	}
	out := runMonitor(t, ctx, home, "dq", hour(11))
	want := []string{"collision_type baseline_drift_check", "collision_type categorical_values_check",
		"num_injuries completeness_check", "total_claim_amount baseline_drift_check"}
	if diff := cmp.Diff(want, violated(out)); diff != "" || out.Run.Status != monitor.RunCompletedWithViolations {
		t.Errorf("data quality of the shifted window: %s (-want +got):\n%s", out.Run.Status, diff)
	}
	// The violations were posted to the webhook, and the delivery recorded.
	if got := hooks.received(); len(got) != 1 || got[0].RunID != out.Run.ID || got[0].Endpoint != fraudEndpoint ||
		got[0].Event != monitor.EventViolations || got[0].Violations.Count != len(want) ||
		!cmp.Equal(got[0].Violations.Features, []string{"collision_type", "num_injuries", "total_claim_amount"}) ||
		got[0].Report != monitor.ReportPath(out.Run.Output) {
		t.Errorf("webhook notifications %+v: want one for run %d naming the violated features", got, out.Run.ID)
	}
	if d := out.Run.Webhook; d == nil || !d.Delivered || d.Status != 200 {
		t.Errorf("the run's webhook delivery %+v: want delivered", d)
	}
	if res := ferry(t, ctx, home, "monitors", "run", "dq", "--from", hour(11).Format(time.RFC3339), "--to", hour(12).Format(time.RFC3339), "--fail-on-violation"); res.code != 1 || !strings.Contains(res.stdout, "total_claim_amount baseline_drift_check") {
		t.Errorf("--fail-on-violation: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	// 12:00: the test split again; its ground truth has a quarter of the
	// labels flipped, so accuracy falls.
	ids, labels = nil, nil
	for k, i := range split.Test {
		id := "c-" + strconv.Itoa(i)
		tr.send(hour(12).Add(time.Duration(k)*time.Second), id, raw.record(i, nil))
		l := raw.rows[i][fraud]
		if k%4 == 0 {
			l = map[string]string{"0": "1", "1": "0"}[l]
		}
		ids, labels = append(ids, id), append(labels, l)
	}
	groundTruth("c.csv", ids, labels)
	out = runMonitor(t, ctx, home, "mq", hour(12))
	if got := violated(out); !slices.Contains(got, "accuracy LessThanThreshold") {
		t.Errorf("model quality with worse labels: violations %v, want accuracy LessThanThreshold", got)
	}

	// 13:00: women whose claims the model flags and men it does not: the
	// facet's predicted outcome rate shifts.
	female := raw.col("customer_gender")
	ids, labels = nil, nil
	k := 0
	for i := range raw.rows {
		isF := raw.rows[i][female] == "Female"
		flagged := scores[i] >= 0.5
		if isF != flagged || (!isF && k > 200) {
			continue
		}
		id := "d-" + strconv.Itoa(i)
		tr.send(hour(13).Add(time.Duration(k)*time.Second), id, raw.record(i, nil))
		ids, labels = append(ids, id), append(labels, raw.rows[i][fraud])
		k++
	}
	groundTruth("d.csv", ids, labels)
	out = runMonitor(t, ctx, home, "bias", hour(13))
	if got := violated(out); !slices.Contains(got, "customer_gender_female DPPL bias_drift_check") {
		t.Errorf("bias drift after the facet's outcome shift: violations %v (%d records)", got, out.Run.Records)
	}

	// Each run wrote its report and an event; violations raised events.
	evs, err := reg.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var nViol int
	for _, e := range evs {
		if e.Type == monitor.EventViolations && e.Endpoint == fraudEndpoint {
			nViol++
		}
	}
	if nViol < 3 {
		t.Errorf("%d violation events, want at least 3", nViol)
	}
	show := mustFerry(t, home, "monitors", "show", "dq")
	if !strings.Contains(show, "CompletedWithViolations") || !strings.Contains(show, "Completed") {
		t.Errorf("monitors show dq:\n%s", show)
	}
	dir, err := store.Path(ctx, out.Run.Output)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{monitor.ViolationsFile, monitor.ReportFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run output: %v", err)
		}
	}
}
