package ui

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/serving"
)

// endpointsData is the endpoints list: each endpoint with the marks of
// its monitors whose latest run found violations.
type endpointsData struct {
	Endpoints []registry.Endpoint
	Marks     map[string][]app.MonitorMark
}

func (c *Console) endpointsPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	eps, err := c.cfg.App.Endpoints(r.Context())
	if err != nil {
		return err
	}
	return c.render(w, r, v, "endpoints", "Endpoints", endpointsData{Endpoints: eps, Marks: c.monitorMarks(r)})
}

// monitorMarks returns the monitors' marks by endpoint; a failure to read
// them is logged and leaves the pages without marks.
func (c *Console) monitorMarks(r *http.Request) map[string][]app.MonitorMark {
	marks, err := c.cfg.App.MonitorMarks(r.Context())
	if err != nil {
		c.cfg.Logger.Warn("console: reading the monitors' latest runs", "err", err)
	}
	return marks
}

type invokeForm struct {
	Body, ContentType, Variant string
	Explain                    bool
	Result, ResultType         string
	Answered                   string // the variant that answered
	Error                      string
	// Explained are the SHAP values of the first records, largest first.
	Explained []explainedRecord
}

// explainedRecord is one record's prediction and its largest SHAP values.
type explainedRecord struct {
	Prediction any
	Base       any
	Bars       []shapBar
}

// maxExplained bounds the records and features the form's answer draws.
const maxExplained, maxFeatures = 5, 12

// explained reads an explained answer (serving's JSON with
// "explanations") into bars; nil when the answer is not one (a
// multi-output model's values stay in the raw answer).
func explained(body []byte) []explainedRecord {
	var r struct {
		Predictions  []any    `json:"predictions"`
		FeatureNames []string `json:"feature_names"`
		Explanations []struct {
			BaseValue  any   `json:"base_value"`
			ShapValues []any `json:"shap_values"`
		} `json:"explanations"`
	}
	if json.Unmarshal(body, &r) != nil {
		return nil
	}
	var out []explainedRecord
	for i, e := range r.Explanations {
		if i == maxExplained || i >= len(r.Predictions) {
			break
		}
		rec := explainedRecord{Prediction: r.Predictions[i], Base: e.BaseValue}
		for j, v := range e.ShapValues {
			f, ok := v.(float64)
			if !ok {
				return nil // a list per output
			}
			name := fmt.Sprintf("feature %d", j)
			if j < len(r.FeatureNames) {
				name = r.FeatureNames[j]
			}
			rec.Bars = append(rec.Bars, shapBar{Feature: name, Value: f})
		}
		sort.SliceStable(rec.Bars, func(a, b int) bool { return abs(rec.Bars[a].Value) > abs(rec.Bars[b].Value) })
		if len(rec.Bars) > maxFeatures {
			rec.Bars = rec.Bars[:maxFeatures]
		}
		top := 0.0
		for _, b := range rec.Bars {
			top = max(top, abs(b.Value))
		}
		for k := range rec.Bars {
			if top > 0 {
				rec.Bars[k].Width = 100 * abs(rec.Bars[k].Value) / top
			}
			rec.Bars[k].Negative = rec.Bars[k].Value < 0
		}
		out = append(out, rec)
	}
	return out
}

type endpointData struct {
	E registry.Endpoint
	// Marks are the endpoint's monitors whose latest run found violations.
	Marks    []app.MonitorMark
	Charts   bool
	Form     invokeForm
	Captured []string
	CapErr   string
}

func (c *Console) endpointPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return c.showEndpoint(w, r, v, invokeForm{ContentType: "text/csv"})
}

func (c *Console) showEndpoint(w http.ResponseWriter, r *http.Request, v *viewer, form invokeForm) error {
	ep, err := c.cfg.App.Endpoint(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	d := endpointData{E: ep, Charts: c.cfg.Metrics != nil, Form: form, Marks: c.monitorMarks(r)[ep.Name]}
	if ep.Config.DataCapture.Enabled && ep.Config.DataCapture.Destination != "" {
		d.Captured, err = recentCaptures(filepath.Join(ep.Config.DataCapture.Destination, ep.Name), 10)
		if err != nil {
			d.CapErr = "The captured records could not be read."
			c.cfg.Logger.Warn("console: reading captured records", "endpoint", ep.Name, "err", err)
		}
	}
	return c.render(w, r, v, "endpoint", "Endpoint "+ep.Name, d)
}

// recentCaptures returns the last n records (JSON lines) of the newest
// capture file under dir.
func recentCaptures(dir string, n int) ([]string, error) {
	newest := ""
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if !e.IsDir() && strings.HasSuffix(p, ".jsonl") && filepath.Base(p) > filepath.Base(newest) {
			newest = p
		}
		return nil
	})
	if err != nil || newest == "" {
		return nil, err
	}
	f, err := os.Open(newest)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	for i, l := range lines {
		var buf bytes.Buffer
		if json.Indent(&buf, []byte(l), "", "  ") == nil {
			lines[i] = buf.String()
		}
	}
	return lines, sc.Err()
}

// maxInvokeBody bounds the test-invoke form's payload.
const maxInvokeBody = 1 << 20

func (c *Console) invoke(w http.ResponseWriter, r *http.Request, v *viewer) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxInvokeBody+64<<10)
	form := invokeForm{Body: r.PostFormValue("body"), ContentType: r.PostFormValue("content_type"),
		Variant: r.PostFormValue("variant"), Explain: r.PostFormValue("explain") != ""}
	if form.ContentType != "application/json" {
		form.ContentType = "text/csv"
	}
	req := serving.Request{ContentType: form.ContentType, Body: []byte(form.Body), TargetVariant: form.Variant, Explain: form.Explain}
	var (
		resp serving.Response
		err  error
	)
	if c.cfg.Invoker != nil {
		resp, err = c.cfg.Invoker.Invoke(r.Context(), r.PathValue("name"), req)
	} else {
		resp, err = c.cfg.App.Invoke(r.Context(), r.PathValue("name"), req)
	}
	var se *serving.StatusError
	switch {
	case errors.As(err, &se):
		form.Error = se.Error()
	case err != nil:
		return err
	default:
		form.Answered, form.ResultType, form.Result = resp.Variant, resp.ContentType, string(resp.Body)
		if form.Explain {
			form.Explained = explained(resp.Body)
		}
		var buf bytes.Buffer
		if json.Indent(&buf, resp.Body, "", "  ") == nil {
			form.Result = buf.String()
		}
	}
	return c.showEndpoint(w, r, v, form)
}

// sample is one reading of an endpoint's counters, summed over its
// variants: what the page's chart differentiates into rates and
// percentiles.
type sample struct {
	Time     time.Time `json:"time"`
	Requests float64   `json:"requests"`
	Errors   float64   `json:"errors"`
	// Buckets are the latency histogram's cumulative counts by upper bound
	// (seconds), in order.
	Buckets []bucket `json:"buckets"`
}

type bucket struct {
	Le    float64 `json:"le"`
	Count float64 `json:"count"`
}

// endpointStats answers the chart's sampling: the endpoint's counters now.
func (c *Console) endpointStats(w http.ResponseWriter, r *http.Request, v *viewer) error {
	name := r.PathValue("name")
	if _, err := c.cfg.App.Endpoint(r.Context(), name); err != nil {
		return err
	}
	s := sample{Time: c.cfg.Now().UTC(), Buckets: []bucket{}}
	if c.cfg.Metrics != nil {
		mfs, err := c.cfg.Metrics.Gather()
		if err != nil {
			return err
		}
		les := map[float64]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				mine := false
				for _, l := range m.GetLabel() {
					if l.GetName() == "endpoint" && l.GetValue() == name {
						mine = true
					}
				}
				if !mine {
					continue
				}
				switch mf.GetName() {
				case "ferry_endpoint_invocations_total":
					s.Requests += m.GetCounter().GetValue()
				case "ferry_endpoint_invocation_errors_total":
					s.Errors += m.GetCounter().GetValue()
				case "ferry_endpoint_invocation_duration_seconds":
					for _, b := range m.GetHistogram().GetBucket() {
						les[b.GetUpperBound()] += float64(b.GetCumulativeCount())
					}
				}
			}
		}
		for le, n := range les {
			s.Buckets = append(s.Buckets, bucket{Le: le, Count: n})
		}
		sort.Slice(s.Buckets, func(i, j int) bool { return s.Buckets[i].Le < s.Buckets[j].Le })
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(s)
}
