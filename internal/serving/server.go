package serving

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/quote"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for Options.
const (
	DefaultMaxBodyBytes = 6 << 20 // SageMaker's InvokeEndpoint limit
	DefaultMaxRecords   = 10000
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// MaxBodyBytes limits a request body (DefaultMaxBodyBytes when 0).
	MaxBodyBytes int64
	// MaxRecords limits the records of one request (DefaultMaxRecords
	// when 0).
	MaxRecords int
	// Seed seeds variant choice and capture sampling.
	Seed uint64
	// Metrics, when set, receives the request, error and latency metrics.
	Metrics prometheus.Registerer
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock (time.Now when nil); NewID makes capture event IDs
	// (random UUIDs when nil).
	Now   func() time.Time
	NewID func() string
}

// EndpointSource is where a server reads endpoint configs and reports
// load outcomes (*registry.Registry satisfies it).
type EndpointSource interface {
	Endpoints(ctx context.Context) ([]registry.Endpoint, error)
	SetEndpointStatus(ctx context.Context, name string, configVersion int, status registry.EndpointStatus, reason string) error
}

// Server serves endpoints. It is safe for concurrent use.
type Server struct {
	load    LoadFunc
	opts    Options
	logger  *slog.Logger
	metrics *metrics
	capture *capturer

	live atomic.Pointer[map[string]*liveEndpoint]

	randMu sync.Mutex
	rand   *rand.Rand

	applyMu sync.Mutex // serializes Apply
	// failed remembers, per endpoint, a config version that did not load,
	// so it is not retried on every poll. Guarded by applyMu.
	failed map[string]int
}

// liveEndpoint is an immutable snapshot of one endpoint's config.
type liveEndpoint struct {
	name          string
	configVersion int
	variants      []*liveVariant
	cum           []float64 // cumulative weights
	total         float64   // the sum of the weights
	capture       registry.DataCapture
}

type liveVariant struct {
	name    string
	weight  float64
	group   string
	version int
	model   *Model
	obs     *variantMetrics
	header  []string // []string{name}: the invoked-variant header value
}

// NewServer returns a server with no endpoint; load loads a model
// artifact. Call Apply or Watch to serve endpoints.
func NewServer(load LoadFunc, opts Options) (*Server, error) {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxRecords <= 0 {
		opts.MaxRecords = DefaultMaxRecords
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = newUUID
	}
	m, err := newMetrics(opts.Metrics)
	if err != nil {
		return nil, err
	}
	s := &Server{
		load: load, opts: opts, logger: opts.Logger, metrics: m,
		rand:   rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		failed: make(map[string]int),
	}
	s.capture = newCapturer(opts.Now, opts.NewID)
	empty := map[string]*liveEndpoint{}
	s.live.Store(&empty)
	return s, nil
}

// Close stops the models' worker processes (Invokers that are io.Closers)
// and flushes and closes data capture files.
func (s *Server) Close() error {
	for _, le := range *s.live.Load() {
		for _, v := range le.variants {
			if c, ok := v.model.Invoker.(io.Closer); ok {
				_ = c.Close()
			}
		}
	}
	return s.capture.close()
}

func newUUID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// float64 in [0, 1) from the seeded source.
func (s *Server) random() float64 {
	s.randMu.Lock()
	f := s.rand.Float64()
	s.randMu.Unlock()
	return f
}

// Apply makes the server serve exactly eps: endpoints whose config version
// changed are loaded and swapped in atomically; missing ones are removed.
// An endpoint whose models do not all load keeps its previous config (if
// any); its outcome is reported through report (may be nil). It returns
// the load errors joined.
func (s *Server) Apply(ctx context.Context, eps []registry.Endpoint, report func(name string, configVersion int, status registry.EndpointStatus, reason string)) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	cur := *s.live.Load()
	next := make(map[string]*liveEndpoint, len(eps))
	// Reuse loaded models across endpoints and configs.
	loaded := make(map[artifact.Ref]*Model)
	for _, le := range cur {
		for _, v := range le.variants {
			loaded[v.model.Ref] = v.model
		}
	}
	var errs []error
	for _, ep := range eps {
		old := cur[ep.Name]
		if old != nil && old.configVersion == ep.ConfigVersion {
			next[ep.Name] = old
			continue
		}
		if s.failed[ep.Name] == ep.ConfigVersion {
			if old != nil {
				next[ep.Name] = old
			}
			continue
		}
		le, err := s.build(ctx, ep, loaded)
		if err != nil {
			s.failed[ep.Name] = ep.ConfigVersion
			errs = append(errs, err)
			s.logger.ErrorContext(ctx, "endpoint update failed; previous config keeps serving", "endpoint", ep.Name,
				"config_version", ep.ConfigVersion, "error", err)
			reason := err.Error()
			if old != nil {
				next[ep.Name] = old
				reason += fmt.Sprintf("; config %d keeps serving", old.configVersion)
			}
			if report != nil {
				report(ep.Name, ep.ConfigVersion, registry.EndpointFailed, reason)
			}
			continue
		}
		delete(s.failed, ep.Name)
		next[ep.Name] = le
		s.logger.InfoContext(ctx, "endpoint serving", "endpoint", ep.Name, "config_version", ep.ConfigVersion)
		if report != nil {
			report(ep.Name, ep.ConfigVersion, registry.EndpointInService, "")
		}
	}
	for name := range maps.Keys(s.failed) {
		if _, ok := next[name]; !ok {
			delete(s.failed, name)
		}
	}
	s.live.Store(&next)
	closeUnused(cur, next, invokerCloseGrace)
	return errors.Join(errs...)
}

// invokerCloseGrace is how long a replaced model's worker processes live on
// for the requests that started on it.
const invokerCloseGrace = time.Minute

// closeUnused stops, after grace, the Invoker models (worker pools) of cur
// that next no longer serves.
func closeUnused(cur, next map[string]*liveEndpoint, grace time.Duration) {
	kept := make(map[*Model]bool)
	for _, le := range next {
		for _, v := range le.variants {
			kept[v.model] = true
		}
	}
	for _, le := range cur {
		for _, v := range le.variants {
			if c, ok := v.model.Invoker.(io.Closer); ok && !kept[v.model] {
				kept[v.model] = true // close once
				time.AfterFunc(grace, func() { _ = c.Close() })
			}
		}
	}
}

func (s *Server) build(ctx context.Context, ep registry.Endpoint, loaded map[artifact.Ref]*Model) (*liveEndpoint, error) {
	if err := ep.Config.Validate(); err != nil {
		return nil, fmt.Errorf("endpoint %q config %d: %w", ep.Name, ep.ConfigVersion, err)
	}
	le := &liveEndpoint{name: ep.Name, configVersion: ep.ConfigVersion, capture: ep.Config.DataCapture}
	total := 0.0
	for _, v := range ep.Config.Variants {
		total += v.Weight
	}
	le.total = total
	acc := 0.0
	for _, v := range ep.Config.Variants {
		m := loaded[v.Model]
		if m == nil {
			var err error
			// A panicking loader is a load error: the previous config
			// keeps serving and the process (ferry server) survives.
			m, err = func() (m *Model, err error) {
				defer func() {
					if p := recover(); p != nil {
						err = fmt.Errorf("model loader panicked: %v", p)
					}
				}()
				return s.load(ctx, v.Model)
			}()
			if err != nil {
				return nil, fmt.Errorf("endpoint %q variant %q: loading model %s: %w", ep.Name, v.Name, v.Model.Short(), err)
			}
			if m == nil || (m.Predictor == nil && m.Invoker == nil) {
				return nil, fmt.Errorf("endpoint %q variant %q: loading model %s: no predictor", ep.Name, v.Name, v.Model.Short())
			}
			m.Ref = v.Model
			loaded[v.Model] = m
		}
		acc += v.Weight
		le.variants = append(le.variants, &liveVariant{
			name: v.Name, weight: v.Weight, group: v.Group, version: v.Version, model: m,
			obs: s.metrics.variant(ep.Name, v.Name), header: []string{v.Name},
		})
		le.cum = append(le.cum, acc)
	}
	return le, nil
}

// SetModel serves m alone as endpoint name, variant registry.DefaultVariant
// (the standalone model server).
func (s *Server) SetModel(name string, m *Model) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	next := maps.Clone(*s.live.Load())
	next[name] = &liveEndpoint{
		name: name, configVersion: 1, cum: []float64{1}, total: 1,
		variants: []*liveVariant{{name: registry.DefaultVariant, weight: 1, model: m, obs: s.metrics.variant(name, registry.DefaultVariant),
			header: []string{registry.DefaultVariant}}},
	}
	s.live.Store(&next)
}

// Watch polls src every interval (500 ms when <= 0) and applies its
// endpoints, reporting load outcomes back to src, until ctx is done. Call
// Sync first for a synchronous initial load.
func (s *Server) Watch(ctx context.Context, src EndpointSource, interval time.Duration) {
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Sync(ctx, src); err != nil && ctx.Err() == nil {
				s.logger.WarnContext(ctx, "reloading endpoints", "error", err)
			}
		}
	}
}

// Sync reads src's endpoints once and applies them. Load failures are
// reported to src and logged, not returned; reading src's errors are.
func (s *Server) Sync(ctx context.Context, src EndpointSource) error {
	eps, err := src.Endpoints(ctx)
	if err != nil {
		return fmt.Errorf("reading endpoints: %w", err)
	}
	_ = s.Apply(ctx, eps, func(name string, version int, status registry.EndpointStatus, reason string) {
		if err := src.SetEndpointStatus(ctx, name, version, status, reason); err != nil {
			s.logger.WarnContext(ctx, "recording endpoint status", "endpoint", name, "error", err)
		}
	})
	return nil
}

// ServedConfig returns the config version of the endpoint that the
// server serves now; ok is false when it serves no config of it (yet).
// A config the registry has but the server has not loaded yet is not
// served: front ends report such an endpoint as Creating or Updating.
func (s *Server) ServedConfig(name string) (configVersion int, ok bool) {
	le := s.endpoint(name)
	if le == nil {
		return 0, false
	}
	return le.configVersion, true
}

// endpoint returns the live endpoint named name, or nil.
func (s *Server) endpoint(name string) *liveEndpoint { return (*s.live.Load())[name] }

// pick chooses a variant: the targeted one, or by weight.
func (s *Server) pick(le *liveEndpoint, target string) (*liveVariant, error) {
	if target != "" {
		for _, v := range le.variants {
			if v.name == target {
				return v, nil
			}
		}
		return nil, fmt.Errorf("endpoint %q has no variant %s", le.name, quote.Value(target))
	}
	if len(le.variants) == 1 {
		return le.variants[0], nil
	}
	r := s.random() * le.total
	last := 0
	for i, c := range le.cum {
		if r < c {
			return le.variants[i], nil
		}
		if le.variants[i].weight > 0 {
			last = i
		}
	}
	return le.variants[last], nil // r rounded up to the total
}
