package serving

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names (external identifiers: never rename).
const (
	metricRequests = "ferry_endpoint_invocations_total"
	metricErrors   = "ferry_endpoint_invocation_errors_total"
	metricLatency  = "ferry_endpoint_invocation_duration_seconds"
	metricRecords  = "ferry_endpoint_records_total"
)

// metrics holds the collectors; nil fields mean metrics are off.
type metrics struct {
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	records  *prometheus.CounterVec

	mu    sync.Mutex
	cache map[[2]string]*variantMetrics
}

// variantMetrics are one endpoint+variant's pre-curried observers, so the
// hot path does no label lookup for a successful request.
type variantMetrics struct {
	endpoint, variant string
	ok                prometheus.Counter
	latency           prometheus.Observer
	records           prometheus.Counter
	m                 *metrics
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return &metrics{}, nil
	}
	labels := []string{"endpoint", "variant"}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricRequests, Help: "Invocations by endpoint, variant and HTTP status code.",
		}, []string{"endpoint", "variant", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricErrors, Help: "Invocations that ended with a 4xx or 5xx status.",
		}, labels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: metricLatency, Help: "Invocation latency, from reading the request to writing the response.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, labels),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricRecords, Help: "Records predicted.",
		}, labels),
		cache: make(map[[2]string]*variantMetrics),
	}
	for _, c := range []prometheus.Collector{m.requests, m.errors, m.latency, m.records} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering serving metrics: %w", err)
		}
	}
	return m, nil
}

// variant returns the observers of one endpoint+variant ("" variant for
// requests that never reached one).
func (m *metrics) variant(endpoint, variant string) *variantMetrics {
	if m.requests == nil {
		return &variantMetrics{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{endpoint, variant}
	if vm := m.cache[k]; vm != nil {
		return vm
	}
	vm := &variantMetrics{
		endpoint: endpoint, variant: variant, m: m,
		ok:      m.requests.WithLabelValues(endpoint, variant, "200"),
		latency: m.latency.WithLabelValues(endpoint, variant),
		records: m.records.WithLabelValues(endpoint, variant),
	}
	m.cache[k] = vm
	return vm
}

// observe records one finished request.
func (vm *variantMetrics) observe(code int, seconds float64, records int) {
	if vm == nil || vm.m == nil {
		return
	}
	vm.latency.Observe(seconds)
	if code == 200 {
		vm.ok.Inc()
		vm.records.Add(float64(records))
		return
	}
	vm.m.requests.WithLabelValues(vm.endpoint, vm.variant, strconv.Itoa(code)).Inc()
	if code >= 400 {
		vm.m.errors.WithLabelValues(vm.endpoint, vm.variant).Inc()
	}
}
