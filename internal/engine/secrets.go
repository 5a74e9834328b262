package engine

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"

	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/run"
)

// Keys protects secret values: a keyed hash puts them in cache keys, and
// sealing keeps an execution's secret parameters for a resume.
// *auth.Keyring implements it.
type Keys interface {
	// Hash returns a keyed hash (HMAC) of value for purpose.
	Hash(purpose string, value []byte) []byte
	// Seal encrypts plaintext for purpose; Open reverses it.
	Seal(purpose string, plaintext []byte) ([]byte, error)
	Open(purpose string, sealed []byte) ([]byte, error)
}

// Keyring purposes.
const (
	cachePurpose  = "cache-secrets"
	paramsPurpose = "execution-params"
)

// secrets are an execution's secret values: its secret parameters and the
// {from_env: NAME} values its steps take from the environment. They are
// replaced by pipeline.SecretMask in every record, event and log line the
// engine writes, and enter cache keys only through a keyed hash.
type secrets struct {
	keys Keys
	// env holds the values of the definition's from_env variables that
	// are set.
	env map[string]string
	// names and values, longest value first, so a secret that contains
	// another is masked whole.
	names, values []string
	maxLen        int
	first         [256]bool // first bytes of the values
}

// newSecrets collects the secret values of an execution of p with the
// typed params. It opens the keyring only when there are some.
func (e *Engine) newSecrets(p *pipeline.Pipeline, params map[string]any) (*secrets, error) {
	s := &secrets{env: make(map[string]string)}
	type nv struct{ name, value string }
	var all []nv
	for _, name := range p.SecretParams() {
		if v, _ := params[name].(string); v != "" {
			all = append(all, nv{"param:" + name, v})
		}
	}
	for _, name := range p.EnvNames() {
		if e.LookupEnv == nil {
			continue
		}
		if v, ok := e.LookupEnv(name); ok && v != "" {
			s.env[name] = v
			all = append(all, nv{"env:" + name, v})
		}
	}
	if len(all) == 0 && len(p.SecretParams()) == 0 {
		return s, nil
	}
	keys, err := e.openKeys()
	if err != nil {
		return nil, err
	}
	s.keys = keys
	sort.SliceStable(all, func(i, j int) bool { return len(all[i].value) > len(all[j].value) })
	for _, x := range all {
		s.names = append(s.names, x.name)
		s.values = append(s.values, x.value)
		s.first[x.value[0]] = true
		s.maxLen = max(s.maxLen, len(x.value))
	}
	return s, nil
}

func (e *Engine) openKeys() (Keys, error) {
	if e.Keys == nil {
		return nil, fmt.Errorf("engine: Keys is not set: secret values need a keyring")
	}
	k, err := e.Keys()
	if err != nil {
		return nil, fmt.Errorf("opening the keyring for secret values: %w", err)
	}
	return k, nil
}

// active reports whether there is anything to mask.
func (s *secrets) active() bool { return s != nil && len(s.values) > 0 }

// mask replaces every secret value in str by pipeline.SecretMask.
func (s *secrets) mask(str string) string {
	if !s.active() {
		return str
	}
	out, _ := s.scan([]byte(str), true)
	return string(out)
}

// scan masks b. With final false it stops before a tail that may be the
// start of a secret cut by the end of b, and returns the length it
// consumed; the caller keeps the rest for the next call.
func (s *secrets) scan(b []byte, final bool) ([]byte, int) {
	var out []byte
	start := 0 // b[start:i] is copied unchanged
	i := 0
next:
	for i < len(b) {
		if !s.first[b[i]] {
			i++
			continue
		}
		if !final && len(b)-i < s.maxLen {
			for _, v := range s.values {
				if len(b)-i < len(v) && strings.HasPrefix(v, string(b[i:])) {
					// Maybe a secret cut by the end of b (or a longer
					// one than a secret that matches now): keep it.
					break next
				}
			}
		}
		for _, v := range s.values {
			if bytes.HasPrefix(b[i:], []byte(v)) {
				out = append(out, b[start:i]...)
				out = append(out, pipeline.SecretMask...)
				i += len(v)
				start = i
				continue next
			}
		}
		i++
	}
	if out == nil && start == 0 {
		return b[:i], i
	}
	return append(out, b[start:i]...), i
}

// maskValue returns a deep copy of v (JSON-like values) with every secret
// in its strings masked.
func (s *secrets) maskValue(v any) any {
	if !s.active() {
		return v
	}
	switch x := v.(type) {
	case string:
		return s.mask(x)
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = s.maskValue(el)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, el := range x {
			out[s.mask(k)] = s.maskValue(el)
		}
		return out
	}
	return v
}

// maskMap is maskValue for a map.
func (s *secrets) maskMap(m map[string]any) map[string]any {
	if !s.active() || m == nil {
		return m
	}
	return s.maskValue(m).(map[string]any)
}

// cacheDigest returns a keyed hash of the secrets that occur in v (the
// resolved arguments of a step), by name, or "" when none does: the cache
// key depends on them without recording anything a reader could test a
// guess against.
func (s *secrets) cacheDigest(v any) string {
	if !s.active() {
		return ""
	}
	var buf strings.Builder
	walkStrings(v, func(str string) { buf.WriteString(str); buf.WriteByte(0) })
	all := buf.String()
	var used []string
	for i, val := range s.values {
		if strings.Contains(all, val) {
			used = append(used, fmt.Sprintf("%s=%d:%s", s.names[i], len(val), val))
		}
	}
	if len(used) == 0 {
		return ""
	}
	sort.Strings(used)
	return hex.EncodeToString(s.keys.Hash(cachePurpose, []byte(strings.Join(used, "\n"))))
}

func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, el := range x {
			walkStrings(el, f)
		}
	case map[string]any:
		for k, el := range x {
			f(k)
			walkStrings(el, f)
		}
	}
}

// record returns an execution's record for the store: the parameters and
// overrides with every secret parameter masked, and the given secret
// overrides sealed for a resume.
func (s *secrets) record(p *pipeline.Pipeline, params map[string]any, overrides map[string]string) (map[string]any, map[string]string, []byte, error) {
	secret := p.SecretParams()
	if len(secret) == 0 && !s.active() {
		return params, overrides, nil, nil
	}
	given := make(map[string]string)
	for _, name := range secret {
		if v, ok := overrides[name]; ok {
			given[name] = v
		}
	}
	params, overrides = maps.Clone(s.maskMap(params)), maps.Clone(overrides)
	for k, v := range overrides {
		overrides[k] = s.mask(v)
	}
	for _, name := range secret {
		if _, ok := params[name]; ok {
			params[name] = pipeline.SecretMask
		}
		if _, ok := overrides[name]; ok {
			overrides[name] = pipeline.SecretMask
		}
	}
	var sealed []byte
	if len(given) > 0 {
		b, err := json.Marshal(given)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("encoding secret parameters: %w", err)
		}
		if sealed, err = s.keys.Seal(paramsPurpose, b); err != nil {
			return nil, nil, nil, fmt.Errorf("sealing secret parameters: %w", err)
		}
	}
	return params, overrides, sealed, nil
}

// unsealOverrides returns an execution's overrides with its sealed secret
// parameters restored, for a resume.
func (e *Engine) unsealOverrides(ex *run.Execution) (map[string]string, error) {
	out := maps.Clone(ex.Overrides)
	if len(ex.SealedParams) == 0 {
		return out, nil
	}
	keys, err := e.openKeys()
	if err != nil {
		return nil, err
	}
	b, err := keys.Open(paramsPurpose, ex.SealedParams)
	if err != nil {
		return nil, fmt.Errorf("opening the secret parameters (was the secret key changed?): %w", err)
	}
	var given map[string]string
	if err := json.Unmarshal(b, &given); err != nil {
		return nil, fmt.Errorf("decoding the secret parameters: %w", err)
	}
	if out == nil {
		out = make(map[string]string, len(given))
	}
	maps.Copy(out, given)
	return out, nil
}

// redactWriter masks secrets in what is written through it. A write that
// ends inside what may be a secret keeps that tail until the next write
// (or Flush) shows whether it is one, so a secret split across writes is
// masked too.
type redactWriter struct {
	s    *secrets
	mu   sync.Mutex
	w    io.Writer
	tail []byte
}

func (s *secrets) writer(w io.Writer) *redactWriter { return &redactWriter{s: s, w: w} }

func (r *redactWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	buf := append(r.tail, p...)
	out, n := r.s.scan(buf, false)
	r.tail = append([]byte(nil), buf[n:]...)
	if len(out) > 0 {
		if _, err := r.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes what Write kept back.
func (r *redactWriter) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.tail) == 0 {
		return nil
	}
	out, _ := r.s.scan(r.tail, true)
	r.tail = nil
	_, err := r.w.Write(out)
	return err
}

// maskingStore masks secrets in the records it writes.
type maskingStore struct {
	run.Store
	s *secrets
}

// store returns the store the execution writes through.
func (x *execution) store() run.Store {
	if !x.sec.active() {
		return x.e.Store
	}
	return maskingStore{Store: x.e.Store, s: x.sec}
}

func (m maskingStore) SaveStepRuns(ctx context.Context, runs ...*run.StepRun) error {
	masked := make([]*run.StepRun, len(runs))
	for i, r := range runs {
		c := *r
		c.FailureReason = m.s.mask(c.FailureReason)
		c.CacheNote = m.s.mask(c.CacheNote)
		c.CacheInputs = m.s.mask(c.CacheInputs)
		c.Properties = m.s.maskMap(c.Properties)
		masked[i] = &c
	}
	return m.Store.SaveStepRuns(ctx, masked...)
}

func (m maskingStore) UpdateExecution(ctx context.Context, e *run.Execution) error {
	c := *e
	c.FailureReason = m.s.mask(c.FailureReason)
	c.Params = m.s.maskMap(c.Params)
	return m.Store.UpdateExecution(ctx, &c)
}

// maskHandler masks secrets in the message and attributes of every record
// a step kind logs through its slog logger.
type maskHandler struct {
	h slog.Handler
	s *secrets
}

func (m maskHandler) Enabled(ctx context.Context, l slog.Level) bool { return m.h.Enabled(ctx, l) }

func (m maskHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, m.s.mask(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(m.attr(a))
		return true
	})
	return m.h.Handle(ctx, out)
}

func (m maskHandler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = m.attr(a)
	}
	return maskHandler{h: m.h.WithAttrs(masked), s: m.s}
}

func (m maskHandler) WithGroup(name string) slog.Handler {
	return maskHandler{h: m.h.WithGroup(name), s: m.s}
}

func (m maskHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, m.s.mask(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, ga := range g {
			out[i] = m.attr(ga)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, m.s.mask(err.Error()))
		}
		return slog.String(a.Key, m.s.mask(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// logger returns l masking secrets, when there are any.
func (s *secrets) logger(l *slog.Logger) *slog.Logger {
	if !s.active() {
		return l
	}
	return slog.New(maskHandler{h: l.Handler(), s: s})
}
