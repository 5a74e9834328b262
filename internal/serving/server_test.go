package serving

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/registry"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var quiet = slog.New(slog.DiscardHandler)

type bundle struct {
	srv  *Server
	http *httptest.Server
	reg  *prometheus.Registry
}

// setup serves endpoint "ep" with variant "A" on a linear model
// 0.5 + 1·a + 2·b (with feature names a, b and SHAP), endpoint "multi" with
// a 3-output model, and "named" whose model has a feature transform.
func setup(t *testing.T, opts Options) bundle {
	t.Helper()
	ms := models{
		ref(1): {Predictor: &linear{W: []float64{1, 2}, Bias: 0.5}, FeatureNames: []string{"a", "b"}},
		ref(2): {Predictor: &linear{W: []float64{1, 2}, K: 3}},
		ref(3): {Predictor: &linear{W: []float64{1, 1}}, Encoder: upperEncoder{}},
		ref(4): {Predictor: plain{&linear{W: []float64{1, 1}}}},
		ref(5): {Predictor: &linear{W: []float64{1, 1}, Panic: true}},
	}
	reg := prometheus.NewRegistry()
	opts.Metrics = reg
	opts.Logger = quiet
	s, err := NewServer(ms.load, opts)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Apply(t.Context(), []registry.Endpoint{
		endpoint("ep", 1, registry.Variant{Name: "A", Model: ref(1)}),
		endpoint("multi", 1, registry.Variant{Name: "AllTraffic", Model: ref(2)}),
		endpoint("named", 1, registry.Variant{Name: "AllTraffic", Model: ref(3)}),
		endpoint("noshap", 1, registry.Variant{Name: "AllTraffic", Model: ref(4)}),
		endpoint("panics", 1, registry.Variant{Name: "AllTraffic", Model: ref(5)}),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Routes(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := httptest.NewServer(Recover(mux, quiet))
	t.Cleanup(hs.Close)
	t.Cleanup(func() { s.Close() })
	return bundle{srv: s, http: hs, reg: reg}
}

type call struct {
	method, path, contentType, accept, body string
	header                                  map[string]string
}

func (b bundle) do(t *testing.T, c call) (int, http.Header, string) {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(t.Context(), c.method, b.http.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func TestInvocationsContentTypes(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	const inv = "/endpoints/ep/invocations"
	tests := []struct {
		name     string
		call     call
		wantType string
		want     string
	}{
		{"csv to csv", call{path: inv, contentType: "text/csv", body: "1,2\n3,4\n"}, "text/csv", "5.5\n11.5\n"},
		{"csv default content type", call{path: inv, body: "1,2"}, "text/csv", "5.5\n"},
		{"csv with charset", call{path: inv, contentType: "text/csv; charset=utf-8", body: "1,2"}, "text/csv", "5.5\n"},
		{"csv to json", call{path: inv, contentType: "text/csv", accept: "application/json", body: "1,2\n3,4"},
			"application/json", `{"predictions":[5.5,11.5]}` + "\n"},
		{"csv to jsonlines", call{path: inv, contentType: "text/csv", accept: "application/jsonlines", body: "1,2\n3,4"},
			"application/jsonlines", `{"prediction":5.5}` + "\n" + `{"prediction":11.5}` + "\n"},
		{"json instances to json", call{path: inv, contentType: "application/json", body: `{"instances": [[1, 2], [3, 4]]}`},
			"application/json", `{"predictions":[5.5,11.5]}` + "\n"},
		{"json features to csv", call{path: inv, contentType: "application/json", accept: "text/csv", body: `{"features": [1, 2]}`},
			"text/csv", "5.5\n"},
		{"json list of lists", call{path: inv, contentType: "application/json", body: `[[1, 2]]`}, "application/json", `{"predictions":[5.5]}` + "\n"},
		{"json named records by feature name", call{path: inv, contentType: "application/json", body: `{"instances": [{"b": 2, "a": 1}, {"a": 1}]}`},
			"application/json", `{"predictions":[5.5,1.5]}` + "\n"},
		{"jsonlines to jsonlines", call{path: inv, contentType: "application/jsonlines", body: "[1, 2]\n[3, 4]\n"},
			"application/jsonlines", `{"prediction":5.5}` + "\n" + `{"prediction":11.5}` + "\n"},
		{"accept list picks first supported", call{path: inv, contentType: "text/csv", accept: "application/x-npy, application/json;q=0.9", body: "1,2"},
			"application/json", `{"predictions":[5.5]}` + "\n"},
		{"accept any follows request", call{path: inv, contentType: "application/jsonlines", accept: "*/*", body: "[1, 2]"},
			"application/jsonlines", `{"prediction":5.5}` + "\n"},
		{"missing value", call{path: inv, contentType: "text/csv", body: ",2"}, "text/csv", "4.5\n"},
		{"multi-output csv", call{path: "/endpoints/multi/invocations", contentType: "text/csv", body: "1,1"}, "text/csv", "3,4,5\n"},
		{"multi-output json", call{path: "/endpoints/multi/invocations", contentType: "text/csv", accept: "application/json", body: "1,1"},
			"application/json", `{"predictions":[[3,4,5]]}` + "\n"},
		{"raw records through the transform", call{path: "/endpoints/named/invocations", contentType: "application/json",
			body: `{"instances": [{"a": 1, "b": "x"}, {"a": 10, "b": "y"}]}`}, "application/json", `{"predictions":[2,12]}` + "\n"},
		{"raw records jsonlines", call{path: "/endpoints/named/invocations", contentType: "application/jsonlines",
			accept: "text/csv", body: `{"a": 1, "b": "y"}`}, "text/csv", "3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, h, body := b.do(t, tt.call)
			if code != http.StatusOK {
				t.Fatalf("status %d, body %s", code, body)
			}
			if got := h.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if body != tt.want {
				t.Errorf("body = %q, want %q", body, tt.want)
			}
			if h.Get(HeaderInvokedVariant) == "" {
				t.Errorf("no %s header", HeaderInvokedVariant)
			}
		})
	}
}

func TestInvocationsErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{MaxBodyBytes: 1000, MaxRecords: 3})
	const inv = "/endpoints/ep/invocations"
	tests := []struct {
		name     string
		call     call
		wantCode int
		wantMsg  string
	}{
		{"unknown endpoint", call{path: "/endpoints/nope/invocations", body: "1,2"}, 404, `endpoint \"nope\" not found`},
		{"unknown route", call{method: "GET", path: "/nowhere"}, 404, ""},
		{"wrong method", call{method: "GET", path: inv}, 405, "use POST"},
		{"wrong column count", call{path: inv, contentType: "text/csv", body: "1,2\n3"}, 400, "record 2: has 1 columns, the model takes 2 features"},
		{"too many columns", call{path: inv, contentType: "text/csv", body: "1,2,3"}, 400, "record 1, column 3: too many columns"},
		{"non-numeric value", call{path: inv, contentType: "text/csv", body: "1,2\n3,4\n5,x"}, 400, `record 3, column 2: \"x\" is not a number`},
		{"non-numeric json", call{path: inv, contentType: "application/json", body: `[[1, "two"]]`}, 400, `record 1, column 2: \"two\" is not a number`},
		{"bad json", call{path: inv, contentType: "application/json", body: `{"instances": [`}, 400, "invalid JSON"},
		{"empty body", call{path: inv, contentType: "text/csv", body: ""}, 400, "no records"},
		{"unknown named field", call{path: inv, contentType: "application/json", body: `{"instances": [{"zz": 1}]}`}, 400, `record 1: field \"zz\" is not a feature`},
		{"named without names or transform", call{path: "/endpoints/multi/invocations", contentType: "application/json", body: `{"instances": [{"a": 1}]}`},
			400, "named records need a model with feature names or a feature transform"},
		{"transform rejects a misspelled field", call{path: "/endpoints/named/invocations", contentType: "application/json",
			body: `{"instances": [{"a": 1, "bb": "x"}]}`}, 400, `record 1: unknown field \"bb\"`},
		{"transform rejects a record", call{path: "/endpoints/named/invocations", contentType: "application/json",
			body: `{"instances": [{"a": 1, "b": "x"}, {"a": 1, "b": "q"}]}`}, 400, `record 2: field \"b\": unknown category \"q\"`},
		{"body too large", call{path: inv, contentType: "text/csv", body: strings.Repeat("1,2\n", 300)}, 413, "over the 1000-byte limit"},
		{"too many records", call{path: inv, contentType: "text/csv", body: "1,2\n1,2\n1,2\n1,2\n"}, 413, "more than 3 records"},
		{"too many json records", call{path: inv, contentType: "application/json", body: `[[1,2],[1,2],[1,2],[1,2]]`}, 413, "more than 3 records"},
		{"unsupported content type", call{path: inv, contentType: "application/x-npy", body: "1,2"}, 415, "application/x-npy"},
		{"unsupported accept", call{path: inv, contentType: "text/csv", accept: "image/png", body: "1,2"}, 406, "image/png"},
		{"unknown target variant", call{path: inv, contentType: "text/csv", body: "1,2", header: map[string]string{HeaderTargetVariant: "Z"}},
			400, `no variant \"Z\"`},
		{"explain without explainer", call{path: "/endpoints/noshap/invocations?explain=true", contentType: "text/csv", body: "1,2"},
			400, "no SHAP explainer"},
		{"panicking model", call{path: "/endpoints/panics/invocations", contentType: "text/csv", body: "1,2"}, 500, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, h, body := b.do(t, tt.call)
			if code != tt.wantCode {
				t.Fatalf("status %d, want %d; body %s", code, tt.wantCode, body)
			}
			if tt.wantMsg == "" {
				return
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("error Content-Type %q, want application/json", ct)
			}
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
				t.Fatalf("error body %q is not {\"error\": ...}: %v", body, err)
			}
			want := strings.ReplaceAll(tt.wantMsg, `\"`, `"`)
			if !strings.Contains(e.Error, want) {
				t.Errorf("error %q, want it to contain %q", e.Error, want)
			}
		})
	}
	// The server survived the panic.
	if code, _, _ := b.do(t, call{path: inv, contentType: "text/csv", body: "1,2"}); code != 200 {
		t.Errorf("after the errors, status %d", code)
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	if code, _, _ := b.do(t, call{method: "GET", path: "/ping"}); code != 200 {
		t.Errorf("ping: %d", code)
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	code, _, body := b.do(t, call{path: "/endpoints/ep/invocations?explain=true", contentType: "text/csv", body: "1,2\n3,"})
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var got explainedResponse
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := explainedResponse{
		Predictions:  []any{5.5, 3.5},
		FeatureNames: []string{"a", "b"},
		Explanations: []explanation{
			{BaseValue: 0.5, ShapValues: []any{1.0, 4.0}},
			{BaseValue: 0.5, ShapValues: []any{3.0, 0.0}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("explained response (-want +got):\n%s", diff)
	}
	// Multi-output: one list per output.
	code, _, body = b.do(t, call{path: "/endpoints/multi/invocations?explain=true", contentType: "text/csv", body: "1,1"})
	if code != 200 || !strings.Contains(body, `"base_value":[0,1,2]`) || !strings.Contains(body, `"shap_values":[[1,2],[1,2],[1,2]]`) {
		t.Errorf("multi-output explain: %d %s", code, body)
	}
}

func TestVariantsWeightsAndTarget(t *testing.T) {
	t.Parallel()
	ms := models{ref(1): constant(1), ref(2): constant(2)}
	s, err := NewServer(ms.load, Options{Seed: 7, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ep := endpoint("ab", 1, registry.Variant{Name: "A", Model: ref(1), Weight: 3}, registry.Variant{Name: "B", Model: ref(2), Weight: 1})
	if err := s.Apply(t.Context(), []registry.Endpoint{ep}, nil); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	const n = 4000
	for range n {
		resp, err := s.Invoke(t.Context(), "ab", Request{ContentType: "text/csv", Body: []byte("0,0")})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"A": "1\n", "B": "2\n"}[resp.Variant]
		if string(resp.Body) != want {
			t.Fatalf("variant %s answered %q, want %q", resp.Variant, resp.Body, want)
		}
		counts[resp.Variant]++
	}
	if frac := float64(counts["A"]) / n; frac < 0.72 || frac > 0.78 {
		t.Errorf("variant A got %.3f of the traffic, want about 0.75 (counts %v)", frac, counts)
	}
	for range 50 {
		resp, err := s.Invoke(t.Context(), "ab", Request{Body: []byte("0,0"), TargetVariant: "B"})
		if err != nil || resp.Variant != "B" || string(resp.Body) != "2\n" {
			t.Fatalf("targeting B: %+v %v", resp, err)
		}
	}
	// Weight 0 gets no traffic.
	ep = endpoint("ab", 2, registry.Variant{Name: "A", Model: ref(1), Weight: 1}, registry.Variant{Name: "B", Model: ref(2), Weight: 0})
	ep.Config.Variants[1].Weight = 0
	if err := s.Apply(t.Context(), []registry.Endpoint{ep}, nil); err != nil {
		t.Fatal(err)
	}
	for range 200 {
		if resp, _ := s.Invoke(t.Context(), "ab", Request{Body: []byte("0,0")}); resp.Variant != "A" {
			t.Fatalf("weight-0 variant answered")
		}
	}
}

func TestFailedLoadKeepsPreviousConfig(t *testing.T) {
	t.Parallel()
	ms := models{ref(1): constant(1)}
	s, err := NewServer(ms.load, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		version int
		status  registry.EndpointStatus
	}
	var got []outcome
	report := func(name string, v int, st registry.EndpointStatus, reason string) {
		got = append(got, outcome{v, st})
		if st == registry.EndpointFailed && !strings.Contains(reason, "unexpected end of JSON") {
			t.Errorf("failure reason %q does not say why", reason)
		}
	}
	ctx := t.Context()
	if err := s.Apply(ctx, []registry.Endpoint{endpoint("ep", 1, registry.Variant{Name: "A", Model: ref(1)})}, report); err != nil {
		t.Fatal(err)
	}
	broken := []registry.Endpoint{endpoint("ep", 2, registry.Variant{Name: "A", Model: ref(99)})}
	if err := s.Apply(ctx, broken, report); err == nil {
		t.Fatal("applying a config whose model does not load: want an error")
	}
	resp, err := s.Invoke(ctx, "ep", Request{Body: []byte("0,0")})
	if err != nil || string(resp.Body) != "1\n" {
		t.Fatalf("after a failed update: %q %v, want the previous model's answer", resp.Body, err)
	}
	// The failed version is not retried on every poll.
	if err := s.Apply(ctx, broken, report); err != nil {
		t.Fatalf("re-applying the failed version: %v, want it skipped", err)
	}
	want := []outcome{{1, registry.EndpointInService}, {2, registry.EndpointFailed}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(outcome{})); diff != "" {
		t.Errorf("reported outcomes (-want +got):\n%s", diff)
	}
	// Removing the endpoint stops serving it.
	if err := s.Apply(ctx, nil, report); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Invoke(ctx, "ep", Request{Body: []byte("0,0")}); err == nil {
		t.Error("invoking a removed endpoint: want 404")
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	for range 3 {
		b.do(t, call{path: "/endpoints/ep/invocations", contentType: "text/csv", body: "1,2\n3,4"})
	}
	b.do(t, call{path: "/endpoints/ep/invocations", contentType: "text/csv", body: "x"})
	code, _, body := b.do(t, call{method: "GET", path: "/metrics"})
	if code != 200 {
		t.Fatalf("metrics status %d", code)
	}
	for _, want := range []string{
		`ferry_endpoint_invocations_total{code="200",endpoint="ep",variant="A"} 3`,
		`ferry_endpoint_invocations_total{code="400",endpoint="ep",variant="A"} 1`,
		`ferry_endpoint_invocation_errors_total{endpoint="ep",variant="A"} 1`,
		`ferry_endpoint_invocation_duration_seconds_count{endpoint="ep",variant="A"} 4`,
		`ferry_endpoint_records_total{endpoint="ep",variant="A"} 6`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestStandaloneModelServer(t *testing.T) {
	t.Parallel()
	h, s, err := NewModelHandler(constant(0.25), Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hs := httptest.NewServer(h)
	defer hs.Close()
	resp, err := http.Post(hs.URL+"/invocations", "text/csv", bytes.NewReader([]byte("1,2\n3,4\n")))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "0.25\n0.25\n" {
		t.Errorf("POST /invocations: %d %q", resp.StatusCode, body)
	}
	resp, err = http.Get(hs.URL + "/ping")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /ping: %d", resp.StatusCode)
	}
	resp, err = http.Get(hs.URL + "/invocations")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET /invocations: %d, want 405", resp.StatusCode)
	}
}
