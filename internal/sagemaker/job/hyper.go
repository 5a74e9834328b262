package job

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// hpString turns a resolved hyperparameter value into the string the
// CreateTrainingJob API carries.
func hpString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// hpStrings turns the HyperParameters object into strings.
func hpStrings(hp map[string]any) map[string]string {
	out := make(map[string]string, len(hp))
	for k, v := range hp {
		out[k] = hpString(v)
	}
	return out
}

// decodeHP decodes a hyperparameter as the training toolkit does: the SDK
// JSON-encodes each value ("\"xgboost_train.py\"", "5"), so a value that is
// valid JSON is its decoded value, and anything else is the raw string.
func decodeHP(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return s
	}
	return v
}

// pyStr formats a decoded value as Python's str() would, for command-line
// arguments and SM_HP_<NAME>.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// cmdArgs turns hyperparameters into the toolkit's command-line arguments:
// sorted by name, "--name value" ("-n value" for one-letter names); a map
// becomes "k1=v1,k2=v2".
func cmdArgs(hps map[string]any) []string {
	keys := make([]string, 0, len(hps))
	for k := range hps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var args []string
	for _, k := range keys {
		name := "--" + k
		if len(k) == 1 {
			name = "-" + k
		}
		val := pyStr(hps[k])
		if m, ok := hps[k].(map[string]any); ok {
			var items []string
			for _, mk := range sortedKeys(m) {
				items = append(items, mk+"="+pyStr(m[mk]))
			}
			val = strings.Join(items, ",")
		}
		args = append(args, name, val)
	}
	return args
}

var notEnvRE = regexp.MustCompile(`[^A-Za-z0-9_]`)

// envSuffix upper-cases a name for SM_CHANNEL_<NAME> and SM_HP_<NAME>.
func envSuffix(s string) string {
	return strings.ToUpper(notEnvRE.ReplaceAllString(s, "_"))
}

// MetricDefinition is a metric read from the job's log.
type MetricDefinition struct {
	Name  string `json:"Name"`
	Regex string `json:"Regex"`
}

// metricScanner applies metric regexes to each log line and keeps each
// metric's last value, as FinalMetricDataList reports it.
type metricScanner struct {
	mu      sync.Mutex
	names   []string
	res     []*regexp.Regexp
	partial []byte
	last    map[string]float64
}

func newMetricScanner(defs []MetricDefinition) (*metricScanner, error) {
	s := &metricScanner{last: make(map[string]float64)}
	for i, d := range defs {
		re, err := regexp.Compile(d.Regex)
		if err != nil {
			return nil, fmt.Errorf("AlgorithmSpecification.MetricDefinitions[%d] %q: regex %q (Go's RE2 syntax: no lookaround or backreferences): %w", i, d.Name, d.Regex, err)
		}
		s.names = append(s.names, d.Name)
		s.res = append(s.res, re)
	}
	return s, nil
}

func (s *metricScanner) Write(p []byte) (int, error) {
	if len(s.res) == 0 {
		return len(p), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		s.line(s.partial[:i])
		s.partial = s.partial[i+1:]
	}
	if len(s.partial) > 64<<10 { // a runaway line: scan what we have
		s.line(s.partial)
		s.partial = s.partial[:0]
	}
	return len(p), nil
}

func (s *metricScanner) line(l []byte) {
	for i, re := range s.res {
		for _, m := range re.FindAllSubmatch(l, -1) {
			g := m[0]
			if len(m) > 1 {
				g = m[1]
			}
			if v, err := strconv.ParseFloat(strings.TrimSpace(string(g)), 64); err == nil {
				s.last[s.names[i]] = v
			}
		}
	}
}

// final returns FinalMetricDataList entries, in definition order.
func (s *metricScanner) final(ts string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.partial) > 0 {
		s.line(s.partial)
		s.partial = nil
	}
	var out []map[string]any
	for _, name := range s.names {
		if v, ok := s.last[name]; ok {
			out = append(out, map[string]any{"MetricName": name, "Value": v, "Timestamp": ts})
		}
	}
	return out
}
